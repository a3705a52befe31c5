package benchkit

import (
	"fmt"
	"os"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"
)

// Main runs a benchmark package's tests and fails it when more goroutines run 15 s after the
// tests than before them: a run must stop everything it starts. Goroutines whose stacks
// contain one of lingering are not counted (process-wide ones no Close can end). Call it from
// TestMain: os.Exit(benchkit.Main(m, ...)).
func Main(m *testing.M, lingering ...string) int {
	before, _ := countGoroutines(lingering)
	code := m.Run()
	if code == 0 {
		if err := waitGoroutines(before, 15*time.Second, lingering); err != nil {
			fmt.Fprintln(os.Stderr, err)
			code = 1
		}
	}
	return code
}

func countGoroutines(lingering []string) (int, string) {
	buf := make([]byte, 4<<20)
	buf = buf[:runtime.Stack(buf, true)]
	var kept []string
	for g := range strings.SplitSeq(string(buf), "\n\n") {
		if !slices.ContainsFunc(lingering, func(s string) bool { return strings.Contains(g, s) }) {
			kept = append(kept, g)
		}
	}
	return len(kept), strings.Join(kept, "\n\n")
}

func waitGoroutines(n int, d time.Duration, lingering []string) error {
	deadline := time.Now().Add(d)
	for {
		got, stacks := countGoroutines(lingering)
		if got <= n {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("goroutine leak: %d running, want <= %d:\n%s", got, n, stacks)
		}
		time.Sleep(20 * time.Millisecond) // polling a condition with a deadline, not synchronizing
	}
}
