package rest

import (
	"testing"

	"go.uber.org/goleak"

	"github.com/pitrix/pitrix/internal/testutil"
)

// TestMain fails the package when goroutines outlive the tests (handlers, Serve, fasthttp's
// servers). Two fasthttp goroutines are not ours to end: the Date-header updater is
// process-wide (the first server starts it, nothing stops it), and a stopped server's
// worker-pool cleaner notices the stop only when its sleep of up to 10 s ends. A server left
// running still fails the check through its Serve and connection goroutines.
func TestMain(m *testing.M) {
	testutil.VerifyTestMain(m,
		goleak.IgnoreAnyFunction("github.com/valyala/fasthttp.updateServerDate.func1"),
		goleak.IgnoreAnyFunction("github.com/valyala/fasthttp.(*workerPool).Start.func2"),
	)
}
