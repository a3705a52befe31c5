package frontgate_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/pitrix/pitrix/edge/drone"
	"github.com/pitrix/pitrix/edge/drone/runner"
	"github.com/pitrix/pitrix/edge/edgepb"
	"github.com/pitrix/pitrix/edge/edgetest"
	"github.com/pitrix/pitrix/edge/frontgate"
	"github.com/pitrix/pitrix/edge/pki"
	"github.com/pitrix/pitrix/edge/wire"
)

func testLogger(t testing.TB) *slog.Logger {
	return slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// certs is the edge tests' CA (edge/edgetest).
type certs = edgetest.Certs

func newCerts(t testing.TB) *certs { return edgetest.NewCerts(t) }

// control is a test control plane: one edge listener that accepts Frontgates and records the
// Health messages they relay.
type control struct {
	t      testing.TB
	addr   string
	health chan *edgepb.Health

	mu       sync.Mutex
	cur      *wire.Session
	sessions int
	changed  chan struct{}
}

func startControl(t testing.TB, c *certs) *control {
	t.Helper()
	certFile, keyFile := c.Issue(pki.KindServer, "node-1", "127.0.0.1")
	cert, _ := os.ReadFile(certFile)
	key, _ := os.ReadFile(keyFile)
	tlsCfg, err := pki.ServerTLS(cert, key, c.CA.CertPEM())
	if err != nil {
		t.Fatal(err)
	}
	ln, err := wire.Listen(t.Context(), "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	cp := &control{t: t, addr: ln.Addr().String(), health: make(chan *edgepb.Health, 64), changed: make(chan struct{})}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- wire.Serve(ctx, ln, tlsCfg, wire.Config{
			Hello:     &edgepb.Hello{Role: "server", Id: "node-1"},
			PeerKinds: []pki.Kind{pki.KindFrontgate},
			Logger:    testLogger(t),
		}, cp.handle, cp.accept)
	}()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("control serve: %v", err)
		}
	})
	return cp
}

func (cp *control) accept(id pki.Identity, hello *edgepb.Hello, s *wire.Session) error {
	if id.ID != hello.GetId() || hello.GetRole() != "frontgate" {
		return fmt.Errorf("unexpected hello %v from %s", hello, id)
	}
	cp.mu.Lock()
	cp.cur = s
	cp.sessions++
	close(cp.changed)
	cp.changed = make(chan struct{})
	cp.mu.Unlock()
	return nil
}

func (cp *control) handle(_ context.Context, msg proto.Message) (proto.Message, error) {
	if h, ok := msg.(*edgepb.Health); ok {
		select {
		case cp.health <- h:
		default:
		}
		return nil, nil
	}
	return nil, errors.New("the test control plane handles only Health")
}

// session waits for a live Frontgate session, newer than the first `after` ones.
func (cp *control) session(after int) *wire.Session {
	cp.t.Helper()
	deadline := time.After(20 * time.Second)
	for {
		cp.mu.Lock()
		s, n, ch := cp.cur, cp.sessions, cp.changed
		cp.mu.Unlock()
		if s != nil && n > after && s.Err() == nil {
			return s
		}
		select {
		case <-ch:
		case <-deadline:
			cp.t.Fatalf("no frontgate session after %d (have %d)", after, n)
		}
	}
}

func (cp *control) count() int {
	cp.mu.Lock()
	defer cp.mu.Unlock()
	return cp.sessions
}

// request sends msg on the current Frontgate session, within 30 s.
func (cp *control) request(msg proto.Message) (proto.Message, error) {
	cp.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	return cp.session(0).Request(ctx, msg)
}

func (cp *control) mustRequest(msg proto.Message) proto.Message {
	cp.t.Helper()
	reply, err := cp.request(msg)
	if err != nil {
		cp.t.Fatalf("%T: %v", msg, err)
	}
	return reply
}

// agent is a running Frontgate or Drone (edgetest.Agent).
type agent = edgetest.Agent

func run(t testing.TB, f func(context.Context) error) *agent { return edgetest.Run(t, f) }

func waitFor(t testing.TB, what string, cond func() (bool, string)) {
	t.Helper()
	edgetest.WaitFor(t, what, cond)
}

func frontgateConfig(t testing.TB, c *certs, cp *control, listen, dataDir string) frontgate.Config {
	certFile, keyFile := c.Issue(pki.KindFrontgate, "fg-1", "127.0.0.1")
	return frontgate.Config{
		ID: "fg-1", VPC: "vpc-1", ControlAddrs: []string{cp.addr}, DroneListen: listen, DataDir: dataDir,
		CertFile: certFile, KeyFile: keyFile, CAFile: c.CAFile(),
		MinBackoff: 20 * time.Millisecond, MaxBackoff: 200 * time.Millisecond, Logger: testLogger(t),
	}
}

// startFrontgate runs a Frontgate and waits until it serves Drones.
func startFrontgate(t testing.TB, cfg frontgate.Config) (*frontgate.Frontgate, *agent) {
	t.Helper()
	fg, err := frontgate.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	a := run(t, fg.Run)
	select {
	case <-fg.Ready():
	case <-a.Exited():
		t.Fatalf("frontgate stopped: %v", a.Err())
	}
	return fg, a
}

// node is one instance: its root and state directory.
type node struct {
	id, role, root, state string
	hc                    runner.HealthCheck
}

func newNode(t testing.TB, id, role string) *node {
	dir := t.TempDir()
	return &node{id: id, role: role, root: filepath.Join(dir, "root"), state: filepath.Join(dir, "state")}
}

func (n *node) file(name string) string { return filepath.Join(n.root, name) }

func startDrone(t testing.TB, c *certs, n *node, fgAddr string) *agent {
	t.Helper()
	certFile, keyFile := c.Issue(pki.KindDrone, n.id)
	d, err := drone.New(drone.Config{
		InstanceID: n.id, ClusterID: "cl-1", Role: n.role, IP: "127.0.0.1", VPC: "vpc-1",
		Root: n.root, StateDir: n.state, FrontgateAddr: fgAddr,
		CertFile: certFile, KeyFile: keyFile, CAFile: c.CAFile(), HealthCheck: n.hc,
		MinBackoff: 20 * time.Millisecond, MaxBackoff: 200 * time.Millisecond, Logger: testLogger(t).With("node", n.id),
	})
	if err != nil {
		t.Fatal(err)
	}
	return run(t, d.Run)
}

// waitFor polls cond until it holds, failing with its last report after 20 s.
// waitFile waits until the file holds want.
func waitFile(t testing.TB, path, want string) {
	t.Helper()
	waitFor(t, path, func() (bool, string) {
		b, err := os.ReadFile(path)
		if err != nil {
			return false, err.Error()
		}
		return string(b) == want, fmt.Sprintf("%q, want %q", b, want)
	})
}

// lines counts the lines of a file (0 if missing).
func lines(t testing.TB, path string) int {
	t.Helper()
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return 0
	}
	if err != nil {
		t.Fatal(err)
	}
	return strings.Count(string(b), "\n")
}
