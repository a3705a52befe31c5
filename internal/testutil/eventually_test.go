package testutil

import (
	"testing"
	"time"
)

func TestEventually(t *testing.T) {
	n := 0
	Eventually(t, time.Second, "third call", func() (bool, string) {
		n++
		return n == 3, "calls so far"
	})
	if n != 3 {
		t.Fatalf("cond called %d times, want 3 (Eventually must stop once it holds)", n)
	}
}

// recorder is a testing.TB that records Fatalf instead of ending the test.
type recorder struct {
	testing.TB
	failed string
}

func (r *recorder) Helper() {}
func (r *recorder) Fatalf(format string, args ...any) {
	r.failed = format
	panic(r) // Fatalf does not return
}

func TestEventuallyFailsAfterDeadline(t *testing.T) {
	r := &recorder{TB: t}
	start := time.Now()
	func() {
		defer func() {
			if v := recover(); v != r {
				t.Fatalf("recovered %v, want the recorder's Fatalf", v)
			}
		}()
		Eventually(r, 50*time.Millisecond, "never", func() (bool, string) { return false, "nope" })
	}()
	if r.failed == "" {
		t.Fatal("Eventually returned without failing")
	}
	if d := time.Since(start); d < 50*time.Millisecond {
		t.Fatalf("failed after %v, before the 50ms deadline", d)
	}
}
