package edgetest

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/pitrix/pitrix/internal/testutil"
)

// Agent is a running Frontgate or Drone (anything with a Run(ctx) error); Stop ends it and
// waits for Run to return.
type Agent struct {
	cancel context.CancelFunc
	exited chan struct{} // closed when Run has returned
	err    error         // what Run returned; read after exited is closed
	once   sync.Once
}

// Run starts f on a goroutine the returned Agent owns; the test's cleanup stops it.
func Run(t testing.TB, f func(context.Context) error) *Agent {
	ctx, cancel := context.WithCancel(context.Background())
	a := &Agent{cancel: cancel, exited: make(chan struct{})}
	go func() {
		a.err = f(ctx)
		close(a.exited)
	}()
	t.Cleanup(func() { a.Stop(t) })
	return a
}

// Exited is closed when Run has returned (on its own, or after Stop); Err then says why.
func (a *Agent) Exited() <-chan struct{} { return a.exited }

// Err is what Run returned; call it after Exited is closed.
func (a *Agent) Err() error { return a.err }

// Stop cancels the agent's context and waits (30s at most) for Run to return; an error from
// Run fails the test. Later calls do nothing.
func (a *Agent) Stop(t testing.TB) {
	t.Helper()
	a.once.Do(func() {
		a.cancel()
		select {
		case <-a.exited:
			if a.err != nil {
				t.Errorf("Run: %v", a.err)
			}
		case <-time.After(30 * time.Second):
			t.Error("Run did not return within 30s of cancel")
		}
	})
}

// WaitFor polls cond until it holds, failing the test with cond's last word after 20s.
func WaitFor(t testing.TB, what string, cond func() (bool, string)) {
	t.Helper()
	testutil.Eventually(t, 20*time.Second, what, cond)
}
