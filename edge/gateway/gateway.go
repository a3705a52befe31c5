package gateway

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"sync"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/pitrix/pitrix/edge/edgepb"
	"github.com/pitrix/pitrix/edge/pki"
	"github.com/pitrix/pitrix/edge/wire"
)

// ErrNotConnected is returned when a Frontgate has no stream to this node within the caller's
// deadline.
var ErrNotConnected = errors.New("gateway: frontgate not connected")

// Config configures a Gateway.
type Config struct {
	// Listen is the edge listener's address; port 0 picks one. Default "127.0.0.1:0".
	Listen string
	// CADir holds the CA (created on first use).
	CADir string
	// NodeID names this node in Hellos and its server certificate.
	NodeID string
	// Wire tunes the sessions (Hello and PeerKinds are set here).
	Wire   wire.Config
	Logger *slog.Logger
	// OnStream, when set, is told each time a Frontgate's stream comes (connected) or goes, in
	// order, on the goroutine that saw it: it must not block.
	OnStream func(frontgateID, vpc string, connected bool)
}

func (c Config) withDefaults() Config {
	if c.Listen == "" {
		c.Listen = "127.0.0.1:0"
	}
	if c.NodeID == "" {
		c.NodeID = "node"
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	return c
}

// Validate reports what is wrong with c.
func (c Config) Validate() error {
	if c.CADir == "" {
		return errors.New("gateway: CADir is required")
	}
	if _, _, err := net.SplitHostPort(c.withDefaults().Listen); err != nil {
		return fmt.Errorf("gateway: listen %q: %w", c.Listen, err)
	}
	return nil
}

// Gateway is the control plane's edge endpoint. It is safe for concurrent use.
type Gateway struct {
	cfg Config
	ca  *pki.CA
	ln  net.Listener
	log *slog.Logger

	mu      sync.Mutex
	streams map[string]*stream
	health  map[string]*edgepb.Health
	changed chan struct{} // closed and replaced when a stream comes or goes
}

type stream struct{ s *wire.Session }

// Open opens the CA and the listener; Run serves it.
func Open(ctx context.Context, cfg Config) (*Gateway, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	ca, err := pki.Open(cfg.CADir)
	if err != nil {
		return nil, fmt.Errorf("gateway: %w", err)
	}
	ln, err := wire.Listen(ctx, cfg.Listen)
	if err != nil {
		return nil, err
	}
	return &Gateway{cfg: cfg, ca: ca, ln: ln, log: cfg.Logger.With("component", "gateway"),
		streams: map[string]*stream{}, health: map[string]*edgepb.Health{}, changed: make(chan struct{})}, nil
}

// Addr is the edge listener's address, for Frontgates to dial.
func (g *Gateway) Addr() string { return g.ln.Addr().String() }

// CA returns the CA certificate (PEM) that edge peers trust.
func (g *Gateway) CA() []byte { return g.ca.CertPEM() }

// Issue issues a certificate for an edge peer (a Frontgate or a Drone), valid for ttl (0 =
// the CA's default), with the addresses it serves on.
func (g *Gateway) Issue(kind pki.Kind, id string, ttl time.Duration, hosts ...string) (certPEM, keyPEM []byte, err error) {
	return g.ca.Issue(pki.IssueRequest{Kind: kind, ID: id, Hosts: hosts, TTL: ttl})
}

// Run serves Frontgate streams until ctx is done; it returns after every session closed.
func (g *Gateway) Run(ctx context.Context) error {
	host, _, _ := net.SplitHostPort(g.Addr())
	cert, key, err := g.ca.Issue(pki.IssueRequest{Kind: pki.KindServer, ID: g.cfg.NodeID, Hosts: []string{host, "localhost"}})
	if err != nil {
		g.ln.Close()
		return fmt.Errorf("gateway: server certificate: %w", err)
	}
	tlsCfg, err := pki.ServerTLS(cert, key, g.ca.CertPEM())
	if err != nil {
		g.ln.Close()
		return fmt.Errorf("gateway: %w", err)
	}
	wcfg := g.cfg.Wire
	wcfg.Hello = &edgepb.Hello{Role: string(pki.KindServer), Id: g.cfg.NodeID}
	wcfg.PeerKinds = []pki.Kind{pki.KindFrontgate}
	if wcfg.Logger == nil {
		wcfg.Logger = g.cfg.Logger
	}
	g.log.Info("edge listening", "addr", g.Addr())
	return wire.Serve(ctx, g.ln, tlsCfg, wcfg, g.handle, g.accept)
}

// accept keeps a Frontgate's new stream, replacing an older one of the same id.
func (g *Gateway) accept(id pki.Identity, hello *edgepb.Hello, s *wire.Session) error {
	g.mu.Lock()
	old := g.streams[id.ID]
	g.streams[id.ID] = &stream{s: s}
	g.notifyLocked()
	g.mu.Unlock()
	if old != nil && old.s != s {
		go old.s.Close()
	}
	g.log.Info("frontgate connected", "frontgate", id.ID, "vpc", hello.GetVpc())
	g.onStream(id.ID, hello.GetVpc(), true)
	go func() {
		<-s.Done()
		g.mu.Lock()
		current := false
		if cur := g.streams[id.ID]; cur != nil && cur.s == s {
			delete(g.streams, id.ID)
			g.notifyLocked()
			current = true
		}
		g.mu.Unlock()
		g.log.Info("frontgate disconnected", "frontgate", id.ID, "err", s.Err())
		if current {
			g.onStream(id.ID, hello.GetVpc(), false)
		}
	}()
	return nil
}

func (g *Gateway) onStream(id, vpc string, connected bool) {
	if g.cfg.OnStream != nil {
		g.cfg.OnStream(id, vpc, connected)
	}
}

// Connected reports whether Frontgate fgID has a stream to this node now.
func (g *Gateway) Connected(fgID string) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.streams[fgID] != nil
}

func (g *Gateway) notifyLocked() {
	close(g.changed)
	g.changed = make(chan struct{})
}

// handle takes what Frontgates send up: health reports.
func (g *Gateway) handle(_ context.Context, msg proto.Message) (proto.Message, error) {
	switch m := msg.(type) {
	case *edgepb.Health:
		g.mu.Lock()
		g.health[m.GetInstanceId()] = m
		g.mu.Unlock()
		return nil, nil
	case *edgepb.Ping:
		return &edgepb.Pong{Nonce: m.GetNonce()}, nil
	default:
		return nil, fmt.Errorf("gateway: unexpected %T", msg)
	}
}

// Request sends msg to Frontgate fgID and returns its reply, waiting (within ctx) for the
// Frontgate to connect when it has no stream; the error then names the Frontgate and this
// node's edge address.
func (g *Gateway) Request(ctx context.Context, fgID string, msg proto.Message) (proto.Message, error) {
	for {
		g.mu.Lock()
		st, changed := g.streams[fgID], g.changed
		g.mu.Unlock()
		if st != nil {
			return st.s.Request(ctx, msg)
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return nil, fmt.Errorf("%w: %s has no stream to %s (%s): %w", ErrNotConnected, fgID, g.cfg.NodeID, g.Addr(), ctx.Err())
		}
	}
}

// Health returns the last health report of an instance.
func (g *Gateway) Health(instanceID string) (*edgepb.Health, bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	h, ok := g.health[instanceID]
	return h, ok
}
