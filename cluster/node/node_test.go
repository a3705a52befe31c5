package node

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"go.uber.org/goleak"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/pitrix/pitrix/cluster/gossip"
	"github.com/pitrix/pitrix/internal/testutil"
)

// TestMain fails the package when goroutines started by the tests (nodes, memberlist,
// protoactor's cluster, gRPC) outlive them. Ignored: the goroutines running before the tests,
// and protoactor's log throttles (actor.NewThrottle), which sleep out their period, 60s for
// the cluster gossiper, in a goroutine no Close can end. Their closures are named after
// wherever the compiler inlined NewThrottle, so they are ignored by file.
func TestMain(m *testing.M) {
	leakCheck(goleak.IgnoreCurrent()).VerifyTestMain(m)
}

// protoactorThrottle is the file of protoactor's log throttle goroutines.
const protoactorThrottle = "asynkron/protoactor-go@v0.0.0-20240822202345-3c0e61ca19c9/actor/throttler.go"

// leakCheck is the package's leak check, leaving out the goroutines before ignores.
func leakCheck(before goleak.Option) testutil.LeakCheck {
	return testutil.LeakCheck{Ignore: []goleak.Option{before}, IgnoreFiles: []string{protoactorThrottle}}
}

// testLogger logs to the test's output and drops what the libraries log
// after the test ended (memberlist does not wait for in-flight probes).
func testLogger(t *testing.T) *slog.Logger {
	w := &testWriter{t: t}
	t.Cleanup(func() {
		w.mu.Lock()
		defer w.mu.Unlock()
		w.done = true
	})
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

type testWriter struct {
	mu   sync.Mutex
	t    *testing.T
	done bool
}

func (w *testWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.done {
		return len(p), nil
	}
	return w.t.Output().Write(p)
}

// echo replies "identity|message|node" to a StringValue. It learns its
// identity on Started, the way real actors load their state.
type echo struct{ id string }

func (e *echo) Receive(ctx actor.Context) {
	switch msg := ctx.Message().(type) {
	case *actor.Started:
		e.id = Identity(ctx)
	case *wrapperspb.StringValue:
		ctx.Respond(wrapperspb.String(e.id + "|" + msg.GetValue() + "|" + ctx.ActorSystem().ID))
	}
}

func echoKind() Kind { return Kind{Name: "echo", Producer: func() actor.Actor { return &echo{} }} }

func testConfig(t *testing.T) Config {
	return Config{
		GossipAddr:     "127.0.0.1:0",
		FastGossip:     true,
		RequestTimeout: 5 * time.Second,
		Logger:         testLogger(t),
	}
}

func startNode(t *testing.T, cfg Config, kinds ...Kind) *Node {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	n, err := Start(ctx, cfg, kinds...)
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(func() { _ = n.Close() })
	return n
}

func ask(t *testing.T, n *Node, id, msg string) string {
	t.Helper()
	res, err := n.Request(t.Context(), "echo", id, wrapperspb.String(msg))
	if err != nil {
		t.Fatalf("Request echo/%s from %s: %v", id, n.ID(), err)
	}
	s, ok := res.(*wrapperspb.StringValue)
	if !ok {
		t.Fatalf("reply %T, want *StringValue", res)
	}
	return s.GetValue()
}

// gate is an actor kind that replies only once its gate opens, to fill
// its mailbox.
type gate struct{ open <-chan struct{} }

func (g *gate) Receive(ctx actor.Context) {
	if msg, ok := ctx.Message().(*wrapperspb.StringValue); ok {
		<-g.open
		if ctx.Sender() != nil {
			ctx.Respond(msg)
		}
	}
}

// mute never replies; liar replies with a value that is not protobuf.
type mute struct{}

func (mute) Receive(actor.Context) {}

type liar struct{}

func (liar) Receive(ctx actor.Context) {
	if _, ok := ctx.Message().(*wrapperspb.StringValue); ok {
		ctx.Respond("plain string")
	}
}

func TestSingleNode(t *testing.T) {
	before := goleak.IgnoreCurrent()
	open := make(chan struct{})
	var closeOpen sync.Once
	release := func() { closeOpen.Do(func() { close(open) }) }
	t.Cleanup(release)

	cfg := testConfig(t)
	cfg.Name = "solo"
	n := startNode(t, cfg,
		echoKind(),
		Kind{Name: "gate", Producer: func() actor.Actor { return &gate{open: open} }},
		Kind{Name: "mute", Producer: func() actor.Actor { return mute{} }},
		Kind{Name: "liar", Producer: func() actor.Actor { return liar{} }},
	)

	if !n.Ready() {
		t.Fatal("not ready after Start")
	}
	ms := n.Members()
	if len(ms) != 1 || ms[0].ID != n.ID() || !ms[0].Self || ms[0].Status != gossip.Alive || ms[0].Name != "solo" ||
		ms[0].Address != n.Address() || ms[0].GossipAddr != n.GossipAddr() || !slices.Equal(ms[0].Kinds, []string{"echo", "gate", "liar", "mute"}) {
		t.Fatalf("Members = %+v; node %s at %s, gossip %s", ms, n.ID(), n.Address(), n.GossipAddr())
	}
	if strings.HasSuffix(n.Address(), ":0") || strings.HasSuffix(n.GossipAddr(), ":0") {
		t.Fatalf("ports not resolved: remote %s gossip %s", n.Address(), n.GossipAddr())
	}

	t.Run("request", func(t *testing.T) {
		start := time.Now()
		if got, want := ask(t, n, "a1", "hi"), "a1|hi|"+n.ID(); got != want {
			t.Fatalf("reply %q, want %q", got, want)
		}
		if got, want := ask(t, n, "a1", "again"), "a1|again|"+n.ID(); got != want {
			t.Fatalf("reply %q, want %q", got, want)
		}
		acts := n.Activations()
		if len(acts) != 1 {
			t.Fatalf("Activations = %+v, want one", acts)
		}
		a := acts[0]
		if a.Kind != "echo" || a.ID != "a1" || a.Node != n.ID() || a.Messages != 2 || a.MailboxLen != 0 ||
			a.ActivatedAt.Before(start) || a.LastMessageAt.Before(a.ActivatedAt) {
			t.Fatalf("activation %+v", a)
		}
	})

	t.Run("errors", func(t *testing.T) {
		tests := []struct {
			name, kind string
			timeout    time.Duration
			want       error
		}{
			{"unknown kind", "nope", time.Second, ErrUnknownKind},
			{"no reply", "mute", 300 * time.Millisecond, ErrTimeout},
			{"not protobuf", "liar", 5 * time.Second, ErrBadResponse},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				ctx, cancel := context.WithTimeout(t.Context(), tt.timeout)
				defer cancel()
				res, err := n.Request(ctx, tt.kind, "x1", wrapperspb.String("hi"))
				if !errors.Is(err, tt.want) {
					t.Fatalf("Request = %v, %v; want %v", res, err, tt.want)
				}
				if !strings.Contains(err.Error(), tt.kind+"/x1") {
					t.Fatalf("error %q does not name %s/x1", err, tt.kind)
				}
			})
		}
		ctx, cancel := context.WithCancel(t.Context())
		cancel()
		if _, err := n.Request(ctx, "echo", "a1", wrapperspb.String("hi")); !errors.Is(err, context.Canceled) {
			t.Fatalf("Request with canceled ctx: %v", err)
		}
	})

	t.Run("mailbox", func(t *testing.T) {
		for i := range 3 {
			if err := n.Send(t.Context(), "gate", "g1", wrapperspb.String(fmt.Sprint(i))); err != nil {
				t.Fatalf("Send: %v", err)
			}
		}
		// One message is being processed (blocked on the gate), two wait.
		eventually(t, 5*time.Second, func() string {
			for _, a := range n.Activations() {
				if a.Kind == "gate" && a.ID == "g1" && a.MailboxLen == 2 && a.Messages == 1 {
					return ""
				}
			}
			return fmt.Sprintf("activations %+v", n.Activations())
		})
		release()
		eventually(t, 5*time.Second, func() string {
			for _, a := range n.Activations() {
				if a.Kind == "gate" && a.MailboxLen == 0 && a.Messages == 3 {
					return ""
				}
			}
			return fmt.Sprintf("activations %+v", n.Activations())
		})
	})

	closeStart := time.Now()
	if err := n.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	t.Logf("Close took %v", time.Since(closeStart))
	if err := n.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	if n.Ready() {
		t.Fatal("ready after Close")
	}
	if got := n.Activations(); len(got) != 0 {
		t.Fatalf("activations after Close: %+v", got)
	}
	if _, err := n.Request(t.Context(), "echo", "a1", wrapperspb.String("hi")); !errors.Is(err, ErrClosed) {
		t.Fatalf("Request after Close: %v, want ErrClosed", err)
	}
	leakCheck(before).VerifyNone(t)
}

func TestStartSeedUnreachable(t *testing.T) {
	a := startNode(t, testConfig(t), echoKind())
	seed := a.GossipAddr()
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	cfg := testConfig(t)
	cfg.Join = []string{seed}
	n, err := Start(t.Context(), cfg, echoKind())
	if err == nil || !strings.Contains(err.Error(), seed) {
		if n != nil {
			_ = n.Close()
		}
		t.Fatalf("Start joining a closed seed: %v", err)
	}
}

func TestConfigValidate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		cfg   Config
		kinds []Kind
		ok    bool
	}{
		{"zero", Config{}, []Kind{echoKind()}, true},
		{"no kinds", Config{}, nil, true},
		{"unspecified host", Config{Host: "0.0.0.0"}, nil, false},
		{"port range", Config{RemotePort: 70000}, nil, false},
		{"negative timeout", Config{RequestTimeout: -time.Second}, nil, false},
		{"bad gossip", Config{GossipAddr: "nohost"}, nil, false},
		{"bad join", Config{Join: []string{"127.0.0.1:0"}}, nil, false},
		{"empty kind", Config{}, []Kind{{Producer: func() actor.Actor { return mute{} }}}, false},
		{"nil producer", Config{}, []Kind{{Name: "x"}}, false},
		{"duplicate kind", Config{}, []Kind{echoKind(), echoKind()}, false},
		{"reserved kind", Config{}, []Kind{{Name: "prototopic", Producer: func() actor.Actor { return mute{} }}}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := errors.Join(tt.cfg.Validate(), validateKinds(tt.kinds))
			if (err == nil) != tt.ok {
				t.Fatalf("got %v, want ok=%v", err, tt.ok)
			}
			if !tt.ok {
				// Start must refuse before opening anything.
				if _, serr := Start(t.Context(), tt.cfg, tt.kinds...); serr == nil {
					t.Fatal("Start accepted an invalid config")
				}
			}
		})
	}
}

func TestIdentityOfPlainActor(t *testing.T) {
	t.Parallel()
	sys := actor.NewActorSystem()
	defer sys.Shutdown()
	got := make(chan string, 1)
	pid := sys.Root.Spawn(actor.PropsFromFunc(func(ctx actor.Context) {
		if _, ok := ctx.Message().(*actor.Started); ok {
			got <- Identity(ctx)
		}
	}))
	defer sys.Root.Stop(pid)
	if id := <-got; id != "" {
		t.Fatalf("Identity of a non-grain = %q, want empty", id)
	}
}

// eventually polls cond until it returns "" or d passes, then fails with
// cond's last description of what is missing.
func eventually(t *testing.T, d time.Duration, cond func() string) {
	t.Helper()
	testutil.Eventually(t, d, "condition", func() (bool, string) {
		msg := cond()
		return msg == "", msg
	})
}
