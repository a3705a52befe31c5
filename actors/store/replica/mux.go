package replica

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"sync"
	"time"

	"github.com/hashicorp/raft"
)

// The peer port carries two protocols over mutual TLS, told apart by ALPN: raft's own
// transport and our RPC (writes forwarded to the leader, read index, join). A peer whose
// certificate is not signed by the cluster's CA fails the handshake: it gets nothing.
const (
	protoRaft = "pitrix-raft/1"
	protoRPC  = "pitrix-rpc/1"
)

const handshakeTimeout = 10 * time.Second

// mux accepts TLS connections on the peer listener and hands each to raft or to the RPC
// server by its negotiated protocol.
type mux struct {
	ln        net.Listener
	advertise net.Addr
	server    *tls.Config
	client    *tls.Config
	log       *slog.Logger
	rpc       func(net.Conn)
	reachable func(peer string) bool // Config.Reachable: nil in production

	raftConns chan net.Conn
	done      chan struct{}
	wg        sync.WaitGroup
	closeOnce sync.Once
	mu        sync.Mutex
	conns     map[net.Conn]struct{}
}

func newMux(ln net.Listener, advertise net.Addr, server, client *tls.Config, log *slog.Logger) *mux {
	s := server.Clone()
	s.NextProtos = []string{protoRaft, protoRPC}
	return &mux{ln: ln, advertise: advertise, server: s, client: client, log: log,
		raftConns: make(chan net.Conn), done: make(chan struct{}), conns: make(map[net.Conn]struct{})}
}

func (m *mux) serve() {
	defer m.wg.Done()
	for {
		c, err := m.ln.Accept()
		if err != nil {
			select {
			case <-m.done:
				return
			default:
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				continue
			}
			m.log.Error("peer listener failed", "err", err)
			return
		}
		m.wg.Go(func() { m.handshake(c) })
	}
}

func (m *mux) handshake(c net.Conn) {
	tc := tls.Server(c, m.server)
	ctx, cancel := context.WithTimeout(context.Background(), handshakeTimeout)
	err := tc.HandshakeContext(ctx)
	cancel()
	if err != nil {
		m.log.Warn("refused a peer connection: TLS handshake failed (wrong join token or another cluster?)",
			"remote", c.RemoteAddr().String(), "err", err)
		c.Close()
		return
	}
	conn, err := m.guard(tc)
	if err != nil {
		c.Close()
		return
	}
	if !m.track(tc) {
		return
	}
	switch tc.ConnectionState().NegotiatedProtocol {
	case protoRaft:
		select {
		case m.raftConns <- &trackedConn{Conn: conn, tls: tc, m: m}:
		case <-m.done:
			m.untrack(tc)
		}
	case protoRPC:
		m.rpc(conn)
		m.untrack(tc)
	default:
		m.log.Warn("refused a peer connection: no protocol", "remote", c.RemoteAddr().String())
		m.untrack(tc)
	}
}

func (m *mux) track(c net.Conn) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	select {
	case <-m.done:
		c.Close()
		return false
	default:
	}
	m.conns[c] = struct{}{}
	return true
}

func (m *mux) untrack(c net.Conn) {
	m.mu.Lock()
	delete(m.conns, c)
	m.mu.Unlock()
	c.Close()
}

// close stops accepting and closes every connection it accepted; raft's own are closed by
// its transport.
func (m *mux) close() {
	m.closeOnce.Do(func() {
		m.mu.Lock()
		close(m.done)
		for c := range m.conns {
			c.Close()
		}
		m.mu.Unlock()
		m.ln.Close()
		m.wg.Wait()
	})
}

func (m *mux) dial(ctx context.Context, addr, proto string) (net.Conn, error) {
	cfg := m.client.Clone()
	cfg.NextProtos = []string{proto}
	d := tls.Dialer{NetDialer: &net.Dialer{Timeout: handshakeTimeout}, Config: cfg}
	c, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("dial peer %s: %w", addr, err)
	}
	tc := c.(*tls.Conn)
	if got := tc.ConnectionState().NegotiatedProtocol; got != proto {
		c.Close()
		return nil, fmt.Errorf("dial peer %s: it does not speak %s", addr, proto)
	}
	g, err := m.guard(tc)
	if err != nil {
		c.Close()
		return nil, fmt.Errorf("dial peer %s: %w", addr, err)
	}
	return g, nil
}

// errCut is the refusal of traffic with a peer that Config.Reachable (tests only) cuts off.
var errCut = errors.New("peer cut off by fault injection (Config.Reachable)")

// guard applies Config.Reachable to a handshaken connection: with no filter it is returned
// as is; otherwise it is refused now if the peer is cut off, or wrapped so that every read
// and write asks again.
func (m *mux) guard(tc *tls.Conn) (net.Conn, error) {
	if m.reachable == nil {
		return tc, nil
	}
	var peer string
	if certs := tc.ConnectionState().PeerCertificates; len(certs) > 0 {
		peer = certs[0].Subject.CommonName
	}
	if !m.reachable(peer) {
		return nil, fmt.Errorf("%s: %w", peer, errCut)
	}
	return &cutConn{Conn: tc, peer: peer, reachable: m.reachable}, nil
}

// cutConn closes itself at the first read or write once its peer is cut off (tests only).
type cutConn struct {
	net.Conn
	peer      string
	reachable func(string) bool
}

func (c *cutConn) check() error {
	if c.reachable(c.peer) {
		return nil
	}
	c.Conn.Close()
	return fmt.Errorf("%s: %w", c.peer, errCut)
}

func (c *cutConn) Read(p []byte) (int, error) {
	if err := c.check(); err != nil {
		return 0, err
	}
	n, err := c.Conn.Read(p)
	if err == nil {
		err = c.check() // what arrived across the cut is dropped
		if err != nil {
			n = 0
		}
	}
	return n, err
}

func (c *cutConn) Write(p []byte) (int, error) {
	if err := c.check(); err != nil {
		return 0, err
	}
	return c.Conn.Write(p)
}

// streamLayer is the mux's raft side: raft.StreamLayer.
type streamLayer struct{ m *mux }

var _ raft.StreamLayer = streamLayer{}

func (s streamLayer) Accept() (net.Conn, error) {
	select {
	case c := <-s.m.raftConns:
		return c, nil
	case <-s.m.done:
		return nil, net.ErrClosed
	}
}

func (s streamLayer) Close() error   { return nil } // the mux owns the listener
func (s streamLayer) Addr() net.Addr { return s.m.advertise }

func (s streamLayer) Dial(addr raft.ServerAddress, timeout time.Duration) (net.Conn, error) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	return s.m.dial(ctx, string(addr), protoRaft)
}

// trackedConn is a raft connection the mux closes at shutdown; closing it untracks it.
type trackedConn struct {
	net.Conn
	tls  *tls.Conn // the key the mux tracks it by (Conn may wrap it: see guard)
	m    *mux
	once sync.Once
}

func (t *trackedConn) Close() error {
	t.once.Do(func() { t.m.untrack(t.tls) })
	return nil
}
