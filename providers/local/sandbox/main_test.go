package sandbox

import (
	"os"
	"testing"

	"github.com/pitrix/pitrix/internal/testutil"
)

// TestMain doubles as the sandbox's init: Command re-executes this test binary with
// InitArg, as it does the pitrix binary.
func TestMain(m *testing.M) {
	if len(os.Args) > 1 && os.Args[1] == InitArg {
		os.Exit(Init())
	}
	testutil.VerifyTestMain(m)
}
