package wire

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strings"
	"sync"
	"time"

	"github.com/pitrix/pitrix/edge/edgepb"
	"github.com/pitrix/pitrix/edge/pki"
	"google.golang.org/protobuf/proto"
)

// ProtocolVersion is the edge protocol spoken here, announced in Hello.protocol.
const ProtocolVersion = 1

// ownHello is the Hello this side announces, with the protocol filled in.
func ownHello(cfg Config) *edgepb.Hello {
	h := proto.CloneOf(cfg.Hello)
	h.Protocol = ProtocolVersion
	return h
}

// checkPeer verifies the peer's certificate identity against the accepted kinds.
func checkPeer(cs tls.ConnectionState, kinds []pki.Kind) (pki.Identity, error) {
	id, err := pki.PeerIdentity(cs)
	if err != nil {
		return pki.Identity{}, fmt.Errorf("%w: %w", ErrHandshake, err)
	}
	if len(kinds) > 0 {
		if err := id.Require(kinds...); err != nil {
			return pki.Identity{}, fmt.Errorf("%w: %w", ErrHandshake, err)
		}
	}
	return id, nil
}

// checkHello verifies that a peer's Hello speaks our protocol and claims the identity its
// certificate proves.
func checkHello(id pki.Identity, h *edgepb.Hello) error {
	if h.GetProtocol() != ProtocolVersion {
		return fmt.Errorf("%w: protocol %d, want %d", ErrHandshake, h.GetProtocol(), ProtocolVersion)
	}
	if pki.Kind(h.GetRole()) != id.Kind || h.GetId() != id.ID {
		return fmt.Errorf("%w: Hello claims %s/%s, certificate is %s", ErrHandshake, h.GetRole(), h.GetId(), id)
	}
	return nil
}

func peerName(id pki.Identity, addr string) string { return id.String() + " at " + addr }

// Dial connects to addr over TLS (tlsCfg from pki.ClientTLS), verifies the server's certificate
// identity against cfg.PeerKinds, exchanges Hellos (cfg.Hello, required) and returns the running
// session. h handles what the server sends; it may be called before Dial returns. Errors name
// addr and say why it could not be reached or was refused.
func Dial(ctx context.Context, addr string, tlsCfg *tls.Config, cfg Config, h Handler) (*Session, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if err := cfg.validateHello(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	hctx, cancel := context.WithTimeout(ctx, cfg.HandshakeTimeout)
	defer cancel()
	d := tls.Dialer{Config: tlsCfg}
	conn, err := d.DialContext(hctx, "tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("wire: dial %s: %w", addr, err)
	}
	tc := conn.(*tls.Conn)
	id, err := checkPeer(tc.ConnectionState(), cfg.PeerKinds)
	if err != nil {
		conn.Close()
		return nil, fmt.Errorf("wire: dial %s: %w", addr, err)
	}
	s := newSession(conn, cfg, h, peerName(id, addr), id)
	s.start()
	reply, err := s.Request(hctx, ownHello(cfg))
	if err != nil {
		s.Close()
		return nil, fmt.Errorf("wire: dial %s: hello: %w", addr, err)
	}
	hello, ok := reply.(*edgepb.Hello)
	if !ok {
		s.Close()
		return nil, fmt.Errorf("wire: dial %s: %w: Hello answered with %s", addr, ErrHandshake, typeName(reply))
	}
	if err := checkHello(id, hello); err != nil {
		s.Close()
		return nil, fmt.Errorf("wire: dial %s: %w", addr, err)
	}
	s.hello.Store(hello)
	s.log.Info("edge session up", "role", hello.Role, "version", hello.Version, "vpc", hello.Vpc)
	return s, nil
}

// AcceptFunc decides whether Serve keeps a stream whose peer proved id and announced hello. It
// runs on the connection's goroutine before the peer gets its Hello reply; the session is
// already running (s may be used, kept, or handed to an actor). Returning an error refuses the
// stream: the peer's Dial fails with a *RemoteError of CodeRejected carrying the error's text.
type AcceptFunc func(id pki.Identity, hello *edgepb.Hello, s *Session) error

// maxHandshakes bounds connections in TLS handshake or Hello at once; more are closed at once,
// so a flood of idle connections cannot pin memory and goroutines.
const maxHandshakes = 256

// Listen opens a TCP listener on addr for Serve.
func Listen(ctx context.Context, addr string) (net.Listener, error) {
	ln, err := (&net.ListenConfig{}).Listen(ctx, "tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("wire: listen %s: %w", addr, err)
	}
	return ln, nil
}

// Serve accepts edge streams on ln until ctx is done: TLS handshake with tlsCfg (from
// pki.ServerTLS), the client's certificate kind checked against cfg.PeerKinds, its Hello read
// and checked against its certificate, accept consulted, our Hello (cfg.Hello, required) sent
// back. Every accepted session uses h. Serve closes ln when ctx is done and returns only after
// every session it started is closed and every goroutine it started has returned; it returns
// nil then, or the listener's error if accepting fails for another reason.
func Serve(ctx context.Context, ln net.Listener, tlsCfg *tls.Config, cfg Config, h Handler, accept AcceptFunc) error {
	if err := cfg.Validate(); err != nil {
		return err
	}
	if err := cfg.validateHello(); err != nil {
		return err
	}
	cfg = cfg.withDefaults()
	log := cfg.Logger.With("component", "wire", "listen", ln.Addr().String())
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	defer wg.Wait()
	wg.Go(func() {
		<-ctx.Done()
		ln.Close()
	})
	handshakes := make(chan struct{}, maxHandshakes)
	backoff := 5 * time.Millisecond
	for {
		conn, err := ln.Accept()
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			if errors.Is(err, net.ErrClosed) {
				return fmt.Errorf("wire: serve %s: %w", ln.Addr(), err)
			}
			log.Warn("edge accept failed; retrying", "err", err, "backoff", backoff)
			select {
			case <-time.After(backoff):
			case <-ctx.Done():
				return nil
			}
			backoff = min(2*backoff, time.Second)
			continue
		}
		backoff = 5 * time.Millisecond
		select {
		case handshakes <- struct{}{}:
		default:
			log.Warn("edge connection dropped: too many handshakes in progress", "remote", conn.RemoteAddr().String())
			conn.Close()
			continue
		}
		wg.Go(func() {
			s := serveConn(ctx, conn, tlsCfg, cfg, h, accept, log, handshakes)
			if s == nil {
				return
			}
			select {
			case <-s.Done():
			case <-ctx.Done():
				s.Close()
			}
		})
	}
}

// serveConn runs the handshake of one connection and returns its session, or nil when the
// peer was refused. It releases its handshake slot before returning.
func serveConn(ctx context.Context, conn net.Conn, tlsCfg *tls.Config, cfg Config, h Handler, accept AcceptFunc, log *slog.Logger, slots chan struct{}) *Session {
	defer func() { <-slots }()
	remote := conn.RemoteAddr().String()
	hctx, cancel := context.WithTimeout(ctx, cfg.HandshakeTimeout)
	defer cancel()
	refuse := func(err error) *Session {
		log.Warn("edge peer refused", "remote", remote, "err", err)
		conn.Close()
		return nil
	}
	// Serve's end interrupts a handshake at once rather than after HandshakeTimeout.
	stop := context.AfterFunc(ctx, func() { _ = conn.SetDeadline(time.Unix(1, 0)) })
	defer stop()
	tc := tls.Server(conn, tlsCfg)
	if err := tc.HandshakeContext(hctx); err != nil {
		return refuse(fmt.Errorf("tls: %w", err))
	}
	id, err := checkPeer(tc.ConnectionState(), cfg.PeerKinds)
	if err != nil {
		return refuse(err)
	}
	deadline, _ := hctx.Deadline()
	_ = tc.SetDeadline(deadline)
	body, err := readFrame(tc, cfg.MaxFrame)
	if err != nil {
		return refuse(fmt.Errorf("read Hello from %s: %w", id, err))
	}
	env, err := decodeEnvelope(body)
	if err != nil {
		return refuse(fmt.Errorf("Hello from %s: %w", id, err))
	}
	hello := &edgepb.Hello{}
	if env.Id == 0 || env.ReplyTo != 0 || env.Type != string(hello.ProtoReflect().Descriptor().FullName()) {
		return refuse(fmt.Errorf("%w: first message from %s is %q, not a Hello request", ErrHandshake, id, env.Type))
	}
	if _, err := decodePayloadInto(env.Payload, hello); err != nil {
		return refuse(fmt.Errorf("Hello from %s: %w", id, err))
	}
	if err := checkHello(id, hello); err != nil {
		code := CodeRejected
		if hello.GetProtocol() != ProtocolVersion {
			code = CodeProtocol
		}
		writeDirect(tc, &edgepb.Envelope{ReplyTo: env.Id, ErrorCode: code, ErrorMessage: err.Error()}, cfg.MaxFrame)
		return refuse(err)
	}
	if !stop() {
		return refuse(fmt.Errorf("serve stopping: %w", context.Cause(ctx)))
	}
	_ = tc.SetDeadline(time.Time{})

	s := newSession(tc, cfg, h, peerName(id, remote), id)
	s.hello.Store(hello)
	s.start()
	if err := accept(id, hello, s); err != nil {
		s.rejectAndClose(hctx, env.Id, err)
		log.Warn("edge peer refused", "remote", remote, "peer", id.String(), "err", err)
		return nil
	}
	name, payload, err := encodePayload(ownHello(cfg))
	if err == nil {
		var frame []byte
		if frame, err = appendFrame(nil, &edgepb.Envelope{ReplyTo: env.Id, Type: name, Payload: payload}, cfg.MaxFrame); err == nil {
			err = s.enqueue(hctx, frame)
		}
	}
	if err != nil {
		s.Close()
		log.Warn("edge Hello reply not sent", "remote", remote, "peer", id.String(), "err", err)
		return nil
	}
	s.log.Info("edge session accepted", "role", hello.Role, "version", hello.Version, "vpc", hello.Vpc)
	return s
}

// rejectAndClose sends an error reply to the Hello, waits (within ctx) until it is flushed,
// and closes the session.
func (s *Session) rejectAndClose(ctx context.Context, helloID uint64, cause error) {
	frame, err := appendFrame(nil, &edgepb.Envelope{ReplyTo: helloID, ErrorCode: CodeRejected, ErrorMessage: truncate(cause.Error())}, s.cfg.MaxFrame)
	if err == nil {
		sent := make(chan struct{})
		select {
		case s.sendq <- outFrame{b: frame, sent: sent}:
			select {
			case <-sent:
			case <-ctx.Done():
			case <-s.dying:
			}
		case <-ctx.Done():
		case <-s.dying:
		}
	}
	s.Close()
}

// writeDirect writes one frame straight to a connection no session owns yet.
func writeDirect(conn net.Conn, env *edgepb.Envelope, max int) {
	env.ErrorMessage = truncate(env.ErrorMessage)
	frame, err := appendFrame(nil, env, max)
	if err != nil {
		return
	}
	_, _ = conn.Write(frame)
}

// truncate bounds an error text sent to the peer and keeps it valid UTF-8 (proto3 strings
// must be, or marshaling fails).
func truncate(s string) string {
	const max = 4096
	if len(s) > max {
		s = s[:max]
	}
	return strings.ToValidUTF8(s, "\uFFFD")
}
