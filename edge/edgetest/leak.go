package edgetest

import (
	"fmt"
	"os"
	"runtime"
	"strings"
	"testing"
	"time"
)

// edgePackages are the packages whose goroutines must not outlive a test package.
var edgePackages = []string{"pitrix/edge/frontgate.", "pitrix/edge/drone.", "pitrix/edge/wire.", "pitrix/edge/metadata.", "pitrix/edge/gateway."}

// Main runs the tests and fails the package when goroutines of the edge packages are still
// running 5 s after they ended. Call it from TestMain: os.Exit(edgetest.Main(m)).
func Main(m *testing.M) int {
	code := m.Run()
	if code == 0 {
		if leaked := Leaked(5 * time.Second); leaked != "" {
			fmt.Fprintf(os.Stderr, "leaked goroutines:\n%s\n", leaked)
			code = 1
		}
	}
	return code
}

// Leaked waits up to within for the edge packages' goroutines to end and returns the stacks
// of those still running ("" when none).
func Leaked(within time.Duration) string {
	deadline := time.Now().Add(within)
	for {
		buf := make([]byte, 4<<20)
		buf = buf[:runtime.Stack(buf, true)]
		var out []string
		for g := range strings.SplitSeq(string(buf), "\n\n") {
			if strings.Contains(g, "TestMain") || strings.Contains(g, "edgetest.Leaked") {
				continue
			}
			for _, pkg := range edgePackages {
				if strings.Contains(g, pkg) {
					out = append(out, g)
					break
				}
			}
		}
		if len(out) == 0 {
			return ""
		}
		if time.Now().After(deadline) {
			return strings.Join(out, "\n\n")
		}
		time.Sleep(10 * time.Millisecond) // polling a condition with a deadline
	}
}
