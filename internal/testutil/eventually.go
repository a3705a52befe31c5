package testutil

import (
	"testing"
	"time"
)

// pollEvery is how often Eventually asks again.
const pollEvery = 10 * time.Millisecond

// Eventually polls cond until it reports true, failing t with what and cond's last word once
// within has passed. It must be called from the test's goroutine (it may call t.Fatalf).
func Eventually(t testing.TB, within time.Duration, what string, cond func() (ok bool, last string)) {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		ok, last := cond()
		if ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: still not true after %v; last: %s", what, within, last)
		}
		time.Sleep(pollEvery) // polling a condition with a deadline, not synchronizing
	}
}
