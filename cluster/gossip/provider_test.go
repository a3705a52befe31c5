package gossip

import (
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/asynkron/protoactor-go/cluster"
	"go.uber.org/goleak"

	"github.com/pitrix/pitrix/internal/testutil"
)

// TestMain fails the package when goroutines started by the tests (memberlist, the provider's
// loops) outlive them; the ones running before the tests are not counted. memberlist's
// Shutdown does not wait for a probe already scheduled, so testutil.Main's grace is needed.
func TestMain(m *testing.M) { testutil.VerifyTestMain(m, goleak.IgnoreCurrent()) }

// testLogger logs to the test's output. memberlist's Shutdown does not wait
// for a probe already under way, which may log a moment later, so writes
// after the test ends are dropped instead of panicking.
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

// sink records the topologies a provider publishes.
type sink struct {
	mu    sync.Mutex
	calls int
	last  cluster.Members
}

func (s *sink) UpdateClusterTopology(m cluster.Members) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls++
	s.last = m
}

func (s *sink) ids() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var ids []string
	for _, m := range s.last {
		ids = append(ids, m.Id)
	}
	return ids
}

type testNode struct {
	id   string
	p    *Provider
	sink *sink
}

func startNode(t *testing.T, id string, port int, join ...string) *testNode {
	t.Helper()
	p, err := New(Config{BindAddr: "127.0.0.1:0", Join: join, Fast: true, Name: "name-" + id, LeaveTimeout: time.Second, Logger: testLogger(t).With("node", id)})
	if err != nil {
		t.Fatal(err)
	}
	s := &sink{}
	if err := p.start(id, Meta{Name: "name-" + id, Host: "127.0.0.1", Port: port, Kinds: []string{"echo"}}, s); err != nil {
		_ = p.Shutdown(false)
		t.Fatalf("start %s: %v", id, err)
	}
	t.Cleanup(func() { _ = p.Shutdown(false) })
	return &testNode{id: id, p: p, sink: s}
}

func states(p *Provider) string {
	var s []string
	for _, m := range p.Members() {
		s = append(s, m.ID+":"+m.State.String())
	}
	return strings.Join(s, " ")
}

func TestProviderThreeNodes(t *testing.T) {
	a := startNode(t, "a", 4001)
	b := startNode(t, "b", 4002, a.p.Addr())
	c := startNode(t, "c", 4003, b.p.Addr())
	nodes := []*testNode{a, b, c}
	all := []string{"a", "b", "c"}

	eventually(t, 10*time.Second, func() string {
		for _, n := range nodes {
			if got := n.sink.ids(); !slices.Equal(got, all) {
				return fmt.Sprintf("%s topology %v, want %v (members %s)", n.id, got, all, states(n.p))
			}
		}
		return ""
	})
	for _, m := range a.p.Members() {
		want := map[string]int{"a": 4001, "b": 4002, "c": 4003}[m.ID]
		if m.Port != want || m.Host != "127.0.0.1" || m.Name != "name-"+m.ID || m.State != Alive || m.Self != (m.ID == "a") ||
			!slices.Equal(m.Kinds, []string{"echo"}) || m.GossipAddr == "" {
			t.Errorf("a sees %+v", m)
		}
	}
	for _, m := range b.sink.last {
		if m.Address() != fmt.Sprintf("127.0.0.1:%d", map[string]int{"a": 4001, "b": 4002, "c": 4003}[m.Id]) {
			t.Errorf("b topology member %s at %s", m.Id, m.Address())
		}
	}

	// A graceful leave is seen as "left" and drops c from the topology.
	if err := c.p.Shutdown(true); err != nil {
		t.Fatalf("shutdown c: %v", err)
	}
	if err := c.p.Shutdown(true); err != nil {
		t.Fatalf("second shutdown of c: %v", err)
	}
	eventually(t, 10*time.Second, func() string {
		for _, n := range []*testNode{a, b} {
			if got := n.sink.ids(); !slices.Equal(got, []string{"a", "b"}) {
				return fmt.Sprintf("%s topology %v after c left", n.id, got)
			}
			if s := states(n.p); s != "a:alive b:alive c:left" {
				return fmt.Sprintf("%s members %q after c left", n.id, s)
			}
		}
		return ""
	})

	// A node that stops without leaving is detected as dead.
	if err := b.p.Shutdown(false); err != nil {
		t.Fatalf("shutdown b: %v", err)
	}
	eventually(t, 15*time.Second, func() string {
		if got := a.sink.ids(); !slices.Equal(got, []string{"a"}) {
			return fmt.Sprintf("a topology %v after b died", got)
		}
		if s := states(a.p); s != "a:alive b:dead c:left" {
			return fmt.Sprintf("a members %q after b died", s)
		}
		return ""
	})
}

func TestProviderStartErrors(t *testing.T) {
	t.Run("join nobody", func(t *testing.T) {
		// Reserve a port by running a provider, then stop it so nothing answers there.
		dead := startNode(t, "dead", 4100)
		addr := dead.p.Addr()
		if err := dead.p.Shutdown(false); err != nil {
			t.Fatal(err)
		}
		p, err := New(Config{BindAddr: "127.0.0.1:0", Join: []string{addr}, Fast: true, Logger: testLogger(t)})
		if err != nil {
			t.Fatal(err)
		}
		err = p.start("x", Meta{Host: "127.0.0.1", Port: 1}, &sink{})
		if err == nil || !strings.Contains(err.Error(), addr) {
			t.Fatalf("start joining a dead seed: %v", err)
		}
		if err := p.Shutdown(false); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("after shutdown", func(t *testing.T) {
		p, err := New(Config{BindAddr: "127.0.0.1:0"})
		if err != nil {
			t.Fatal(err)
		}
		if err := p.Shutdown(true); err != nil {
			t.Fatalf("shutdown before start: %v", err)
		}
		if err := p.start("x", Meta{Host: "127.0.0.1", Port: 1}, &sink{}); !errors.Is(err, ErrClosed) {
			t.Fatalf("start after shutdown: %v, want ErrClosed", err)
		}
	})
	t.Run("bad meta", func(t *testing.T) {
		p, err := New(Config{BindAddr: "127.0.0.1:0"})
		if err != nil {
			t.Fatal(err)
		}
		defer p.Shutdown(false)
		if err := p.start("x", Meta{Host: "", Port: 1}, &sink{}); !errors.Is(err, ErrBadMeta) {
			t.Fatalf("start with empty host: %v, want ErrBadMeta", err)
		}
	})
	t.Run("client", func(t *testing.T) {
		p, err := New(Config{})
		if err != nil {
			t.Fatal(err)
		}
		if err := p.StartClient(nil); !errors.Is(err, ErrClientUnsupported) {
			t.Fatalf("StartClient: %v", err)
		}
	})
}

func TestConfigValidate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		cfg  Config
		ok   bool
	}{
		{"zero", Config{}, true},
		{"port zero", Config{BindAddr: "127.0.0.1:0"}, true},
		{"advertise", Config{AdvertiseAddr: "10.0.0.1:0"}, true},
		{"no port", Config{BindAddr: "127.0.0.1"}, false},
		{"no host", Config{BindAddr: ":7946"}, false},
		{"bad port", Config{BindAddr: "127.0.0.1:70000"}, false},
		{"join port zero", Config{Join: []string{"127.0.0.1:0"}}, false},
		{"join garbage", Config{Join: []string{"x"}}, false},
		{"negative leave", Config{LeaveTimeout: -1}, false},
		{"long name", Config{Name: strings.Repeat("n", 200)}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := tt.cfg.Validate()
			if (err == nil) != tt.ok {
				t.Fatalf("Validate(%+v) = %v, want ok=%v", tt.cfg, err, tt.ok)
			}
			if _, nerr := New(tt.cfg); (nerr == nil) != tt.ok {
				t.Fatalf("New = %v, want ok=%v", nerr, tt.ok)
			}
		})
	}
}

// eventually polls cond until it returns "" or the deadline passes, then
// fails with cond's last description of what is missing.
func eventually(t *testing.T, d time.Duration, cond func() string) {
	t.Helper()
	testutil.Eventually(t, d, "condition", func() (bool, string) {
		msg := cond()
		return msg == "", msg
	})
}
