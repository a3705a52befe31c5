package drone_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/pitrix/pitrix/edge/drone"
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

// control is a test control plane that accepts one Frontgate at a time.
type control struct {
	t    testing.TB
	addr string

	mu      sync.Mutex
	cur     *wire.Session
	changed chan struct{}
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
	cp := &control{t: t, addr: ln.Addr().String(), changed: make(chan struct{})}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- wire.Serve(ctx, ln, tlsCfg, wire.Config{
			Hello: &edgepb.Hello{Role: "server", Id: "node-1"}, PeerKinds: []pki.Kind{pki.KindFrontgate}, Logger: testLogger(t),
		}, nil, func(_ pki.Identity, _ *edgepb.Hello, s *wire.Session) error {
			cp.mu.Lock()
			cp.cur = s
			close(cp.changed)
			cp.changed = make(chan struct{})
			cp.mu.Unlock()
			return nil
		})
	}()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("control serve: %v", err)
		}
	})
	return cp
}

// request sends msg on a live Frontgate session, waiting for one.
func (cp *control) request(msg proto.Message) proto.Message {
	cp.t.Helper()
	deadline := time.After(20 * time.Second)
	for {
		cp.mu.Lock()
		s, ch := cp.cur, cp.changed
		cp.mu.Unlock()
		if s != nil && s.Err() == nil {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			reply, err := s.Request(ctx, msg)
			cancel()
			if err != nil {
				cp.t.Fatalf("%T: %v", msg, err)
			}
			return reply
		}
		select {
		case <-ch:
		case <-deadline:
			cp.t.Fatal("no frontgate session")
		}
	}
}

// agent is a running Frontgate or Drone (edgetest.Agent).
type agent = edgetest.Agent

func run(t testing.TB, f func(context.Context) error) *agent { return edgetest.Run(t, f) }

func waitFor(t testing.TB, what string, cond func() (bool, string)) {
	t.Helper()
	edgetest.WaitFor(t, what, cond)
}

func startFrontgate(t testing.TB, c *certs, cp *control, listen, dataDir string) (*frontgate.Frontgate, *agent) {
	t.Helper()
	certFile, keyFile := c.Issue(pki.KindFrontgate, "fg-1", "127.0.0.1")
	fg, err := frontgate.New(frontgate.Config{
		ID: "fg-1", ControlAddrs: []string{cp.addr}, DroneListen: listen, DataDir: dataDir,
		CertFile: certFile, KeyFile: keyFile, CAFile: c.CAFile(),
		MinBackoff: 20 * time.Millisecond, MaxBackoff: 200 * time.Millisecond, Logger: testLogger(t),
	})
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

func droneConfig(c *certs, id, dir, fgAddr string, log *slog.Logger) drone.Config {
	certFile, keyFile := c.Issue(pki.KindDrone, id)
	return drone.Config{
		InstanceID: id, ClusterID: "cl-1", Role: "master", IP: "127.0.0.1",
		Root: filepath.Join(dir, "root"), StateDir: filepath.Join(dir, "state"), FrontgateAddr: fgAddr,
		CertFile: certFile, KeyFile: keyFile, CAFile: c.CAFile(),
		MinBackoff: 20 * time.Millisecond, MaxBackoff: 200 * time.Millisecond, Logger: log,
	}
}

func startDrone(t testing.TB, cfg drone.Config) *agent {
	t.Helper()
	d, err := drone.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return run(t, d.Run)
}

// waitFor polls cond until it holds, failing with its last report after 20 s.
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

// syncBuffer is a log sink safe for concurrent writers.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func linesWith(s, sub string) []string {
	var out []string
	for l := range strings.Lines(s) {
		if strings.Contains(l, sub) {
			out = append(out, l)
		}
	}
	return out
}
