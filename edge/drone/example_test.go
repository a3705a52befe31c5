package drone_test

import (
	"fmt"

	"github.com/pitrix/pitrix/edge/drone"
)

// A Drone's Config names the instance, where it lives and how to reach its Frontgate; Validate
// reports everything missing at once.
func ExampleConfig_Validate() {
	cfg := drone.Config{InstanceID: "i-1", Root: "relative/root", FrontgateAddr: "127.7.1.1:7443"}
	fmt.Println(cfg.Validate())
	// Output:
	// drone: bad config: Root "relative/root" must be absolute
	// StateDir is required
	// CertFile is required
	// KeyFile is required
	// CAFile is required
}
