package benchkit

import (
	"go.uber.org/goleak"

	"github.com/pitrix/pitrix/internal/testutil"
)

// protoactorThrottle is the file of protoactor's log throttle goroutines, which sleep out
// their period (60 s for the cluster gossiper) where no Close can end them. Their closures are
// named after wherever the compiler inlined actor.NewThrottle, so they are left out by file.
const protoactorThrottle = "asynkron/protoactor-go@v0.0.0-20240822202345-3c0e61ca19c9/actor/throttler.go"

// LeakCheck is the goroutine-leak check of a benchmark package's tests: it fails the package
// when goroutines other than the ones running before the tests, protoactor's log throttles
// and the ones opts ignore (process-wide ones no Close can end) are still running after them;
// see testutil.LeakCheck for the grace period. A run must stop everything it starts. Create
// it in TestMain, before the tests run: os.Exit(benchkit.LeakCheck(...).Main(m)).
func LeakCheck(opts ...goleak.Option) testutil.LeakCheck {
	return testutil.LeakCheck{
		Ignore:      append(opts, goleak.IgnoreCurrent()),
		IgnoreFiles: []string{protoactorThrottle},
	}
}
