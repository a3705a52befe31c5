package node

import (
	"sync/atomic"
	"testing"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/pitrix/pitrix/internal/testutil"
)

// counter counts the messages of one activation and says whether it is busy: a fresh
// activation after passivation starts again from 1.
type counter struct {
	n    int
	busy *atomic.Bool
}

func (c *counter) Receive(ctx actor.Context) {
	if _, ok := ctx.Message().(*wrapperspb.StringValue); ok {
		c.n++
		ctx.Respond(wrapperspb.Int64(int64(c.n)))
	}
}

func (c *counter) Busy() bool { return c.busy.Load() }

func TestIdleActivationsPassivate(t *testing.T) {
	busy := &atomic.Bool{}
	cfg := testConfig(t)
	cfg.IdleTimeout = 150 * time.Millisecond
	n := startNode(t, cfg, Kind{Name: "counter", Producer: func() actor.Actor { return &counter{busy: busy} }})

	count := func(id string) int64 {
		t.Helper()
		res, err := n.Request(t.Context(), "counter", id, wrapperspb.String("tick"))
		if err != nil {
			t.Fatalf("Request counter/%s: %v", id, err)
		}
		return res.(*wrapperspb.Int64Value).GetValue()
	}
	live := func(id string) bool {
		for _, a := range n.Activations() {
			if a.Kind == "counter" && a.ID == id {
				return true
			}
		}
		return false
	}

	// Messages closer together than the idle time keep the same activation.
	for i := int64(1); i <= 5; i++ {
		if got := count("a"); got != i {
			t.Fatalf("message %d reached a fresh activation (count %d): it passivated while in use", i, got)
		}
		time.Sleep(cfg.IdleTimeout / 3)
	}
	testutil.Eventually(t, 5*time.Second, "idle activation a passivated", func() (bool, string) { return !live("a"), "still live" })
	if n.Passivated() == 0 {
		t.Fatal("Passivated() = 0 after an activation passivated")
	}
	// The next request activates it again, from scratch.
	if got := count("a"); got != 1 {
		t.Fatalf("after passivation count = %d, want a fresh activation (1)", got)
	}

	// A busy actor stays however long it is idle.
	busy.Store(true)
	count("b")
	time.Sleep(4 * cfg.IdleTimeout)
	if !live("b") {
		t.Fatal("busy activation b passivated")
	}
	if got := count("b"); got != 2 {
		t.Fatalf("busy activation b count = %d, want 2 (same activation)", got)
	}
	busy.Store(false)
	testutil.Eventually(t, 5*time.Second, "activation b passivated once no longer busy", func() (bool, string) { return !live("b"), "still live" })
}

func TestNoIdleTimeoutKeepsActivations(t *testing.T) {
	n := startNode(t, testConfig(t), echoKind())
	ask(t, n, "x", "hi")
	time.Sleep(300 * time.Millisecond)
	if len(n.Activations()) != 1 || n.Passivated() != 0 {
		t.Fatalf("with no idle timeout: %d activations, %d passivated; want 1 and 0", len(n.Activations()), n.Passivated())
	}
}
