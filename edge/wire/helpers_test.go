package wire

import (
	"context"
	"crypto/tls"
	"log/slog"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/pitrix/pitrix/edge/edgepb"
	"github.com/pitrix/pitrix/edge/pki"
	"google.golang.org/protobuf/proto"
)

func testLogger(t testing.TB) *slog.Logger {
	return slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// fastConfig pings often so liveness runs during every test.
func fastConfig(t testing.TB) Config {
	return Config{PingInterval: 20 * time.Millisecond, PingTimeout: 2 * time.Second, RequestTimeout: 10 * time.Second, Logger: testLogger(t)}
}

// tcpPair returns the two ends of a real loopback TCP connection.
func tcpPair(t testing.TB) (net.Conn, net.Conn) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	var srv net.Conn
	var aerr error
	var wg sync.WaitGroup
	wg.Go(func() { srv, aerr = ln.Accept() })
	cli, err := net.Dial("tcp", ln.Addr().String())
	wg.Wait()
	if err != nil || aerr != nil {
		t.Fatal(err, aerr)
	}
	return cli, srv
}

// sessionPair starts two sessions over loopback TCP; they are closed at cleanup.
func sessionPair(t testing.TB, cfgA Config, hA Handler, cfgB Config, hB Handler) (a, b *Session) {
	t.Helper()
	ca, cb := tcpPair(t)
	a, b = NewSession(ca, cfgA, hA), NewSession(cb, cfgB, hB)
	t.Cleanup(func() { a.Close(); b.Close() })
	return a, b
}

// rawPeer starts a session over net.Pipe whose other end the test drives by hand.
func rawPeer(t testing.TB, cfg Config, h Handler) (*Session, net.Conn) {
	t.Helper()
	c1, c2 := net.Pipe()
	s := NewSession(c1, cfg, h)
	t.Cleanup(func() { c2.Close(); s.Close() })
	return s, c2
}

func writeEnv(t testing.TB, c net.Conn, env *edgepb.Envelope) {
	t.Helper()
	frame, err := appendFrame(nil, env, DefaultMaxFrame)
	if err != nil {
		t.Fatal(err)
	}
	_ = c.SetWriteDeadline(time.Now().Add(5 * time.Second))
	if _, err := c.Write(frame); err != nil {
		t.Fatalf("raw write: %v", err)
	}
}

// readEnv reads the next envelope that is not a ping from the raw end.
func readEnv(t testing.TB, c net.Conn) *edgepb.Envelope {
	t.Helper()
	_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
	for {
		body, err := readFrame(c, DefaultMaxFrame)
		if err != nil {
			t.Fatalf("raw read: %v", err)
		}
		env, err := decodeEnvelope(body)
		if err != nil {
			t.Fatal(err)
		}
		if env.Type != pingName {
			return env
		}
	}
}

func mustMarshal(t testing.TB, m proto.Message) []byte {
	t.Helper()
	b, err := proto.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// waitDone waits for a session to end and returns its error.
func waitDone(t testing.TB, s *Session, within time.Duration) error {
	t.Helper()
	select {
	case <-s.Done():
		return s.Err()
	case <-time.After(within):
		t.Fatalf("session with %s still up after %s", s.PeerName(), within)
		return nil
	}
}

// edgePKI is a CA with certificates for a server, a Frontgate and a Drone.
type edgePKI struct {
	ca                 *pki.CA
	server, fg, drone  *tls.Config // server side of each identity (server and fg) / unused for drone
	fgClient, drClient *tls.Config
}

func newEdgePKI(t testing.TB) *edgePKI {
	t.Helper()
	ca, err := pki.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	issue := func(kind pki.Kind, id string, hosts ...string) (c, k []byte) {
		c, k, err := ca.Issue(pki.IssueRequest{Kind: kind, ID: id, Hosts: hosts, TTL: time.Hour})
		if err != nil {
			t.Fatal(err)
		}
		return c, k
	}
	p := &edgePKI{ca: ca}
	sc, sk := issue(pki.KindServer, "node-1", "127.0.0.1")
	fc, fk := issue(pki.KindFrontgate, "fg-1", "127.0.0.1")
	dc, dk := issue(pki.KindDrone, "i-1")
	must := func(c *tls.Config, err error) *tls.Config {
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	p.server = must(pki.ServerTLS(sc, sk, ca.CertPEM()))
	p.fg = must(pki.ServerTLS(fc, fk, ca.CertPEM()))
	p.fgClient = must(pki.ClientTLS(fc, fk, ca.CertPEM(), ""))
	p.drClient = must(pki.ClientTLS(dc, dk, ca.CertPEM(), ""))
	return p
}

func helloOf(kind pki.Kind, id string) *edgepb.Hello {
	return &edgepb.Hello{Role: string(kind), Id: id, Version: "test", Vpc: "vpc-1"}
}

// serve runs Serve on a loopback port until the test ends and returns its address.
func serve(t testing.TB, tlsCfg *tls.Config, cfg Config, h Handler, accept AcceptFunc) string {
	t.Helper()
	ln, err := Listen(t.Context(), "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- Serve(ctx, ln, tlsCfg, cfg, h, accept) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Serve: %v", err)
		}
	})
	return ln.Addr().String()
}
