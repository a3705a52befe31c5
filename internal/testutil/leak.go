package testutil

import (
	"fmt"
	"os"
	"runtime"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"
)

// LeakGrace is how long a leak check lets goroutines end before calling them leaked. goleak's
// own retries give up after about half a second, too soon for shutdowns that end
// asynchronously (memberlist's probes, closed connections' readers) on a loaded machine.
const LeakGrace = 15 * time.Second

// VerifyTestMain runs the tests of m, checks for leaked goroutines as Main does, and exits.
// Call it as the whole body of TestMain.
func VerifyTestMain(m *testing.M, opts ...goleak.Option) { LeakCheck{Ignore: opts}.VerifyTestMain(m) }

// Main runs the tests of m and, when they pass, fails the run if goroutines other than the
// ones opts ignore (and goleak's defaults: the testing package's and os/signal's) are still
// running LeakGrace after them. It returns the exit code, for a TestMain that cleans up
// before exiting.
func Main(m *testing.M, opts ...goleak.Option) int { return LeakCheck{Ignore: opts}.Main(m) }

// VerifyNone fails t unless every goroutine but the ones opts ignore (typically
// goleak.IgnoreCurrent taken when the test began) has ended within LeakGrace. Unlike
// goleak.VerifyNone it waits for asynchronous shutdowns; like it, it must not run alongside
// parallel tests.
func VerifyNone(t testing.TB, opts ...goleak.Option) {
	t.Helper()
	LeakCheck{Ignore: opts}.VerifyNone(t)
}

// LeakCheck is a goroutine leak check built on goleak.Find, repeated until it passes or
// LeakGrace ends.
type LeakCheck struct {
	// Ignore are goleak's options: IgnoreCurrent, IgnoreAnyFunction, IgnoreTopFunction.
	Ignore []goleak.Option
	// IgnoreFiles leaves out goroutines with a frame in a source file whose path contains
	// one of these fragments. It is for closures whose function names depend on where the
	// compiler inlined them (protoactor's log throttles), which goleak's by-name options
	// cannot list.
	IgnoreFiles []string
}

// VerifyTestMain is Main followed by os.Exit.
func (c LeakCheck) VerifyTestMain(m *testing.M) { os.Exit(c.Main(m)) }

// Main runs the tests of m and, when they pass, runs the check; it returns the exit code.
func (c LeakCheck) Main(m *testing.M) int {
	code := m.Run()
	if code != 0 {
		return code
	}
	deadline := time.Now().Add(LeakGrace)
	for {
		err := c.find()
		if err == nil {
			return 0
		}
		if time.Now().After(deadline) {
			fmt.Fprintf(os.Stderr, "goleak: goroutines outlived the tests by %v: %v\n", LeakGrace, err)
			return 1
		}
		time.Sleep(50 * time.Millisecond) // polling a condition with a deadline, not synchronizing
	}
}

// VerifyNone fails t unless the check passes within LeakGrace.
func (c LeakCheck) VerifyNone(t testing.TB) {
	t.Helper()
	Eventually(t, LeakGrace, "no leaked goroutines", func() (bool, string) {
		if err := c.find(); err != nil {
			return false, err.Error()
		}
		return true, ""
	})
}

func (c LeakCheck) find() error {
	return goleak.Find(append(c.fileIgnores(), c.Ignore...)...)
}

// fileIgnores names, as goleak.IgnoreAnyFunction options, the functions of the goroutines
// running now whose frame is in one of c.IgnoreFiles.
func (c LeakCheck) fileIgnores() []goleak.Option {
	if len(c.IgnoreFiles) == 0 {
		return nil
	}
	buf := make([]byte, 4<<20)
	buf = buf[:runtime.Stack(buf, true)]
	var opts []goleak.Option
	for g := range strings.SplitSeq(string(buf), "\n\n") {
		// Lines after "goroutine N [state]:" come in pairs: a function with its arguments,
		// then its file and line.
		lines := strings.Split(g, "\n")
		for i := 2; i < len(lines); i += 2 {
			if !containsAny(lines[i], c.IgnoreFiles) {
				continue
			}
			fn := lines[i-1]
			if strings.HasPrefix(fn, "created by ") {
				break // the creator's frame belongs to another goroutine
			}
			if j := strings.LastIndex(fn, "("); j > 0 {
				fn = fn[:j] // drop the arguments
			}
			opts = append(opts, goleak.IgnoreAnyFunction(fn))
			break
		}
	}
	return opts
}

func containsAny(s string, subs []string) bool {
	for _, sub := range subs {
		if strings.Contains(s, sub) {
			return true
		}
	}
	return false
}
