package wire

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pitrix/pitrix/edge/edgepb"
	"github.com/pitrix/pitrix/edge/pki"
	"google.golang.org/protobuf/proto"
)

// Handler handles a message from the peer: a request (its reply is sent back; nil means Ack,
// an error becomes an error reply, see RemoteError) or a one-way message (the reply is
// dropped). Requests run concurrently, up to Config.MaxConcurrent, each on its own goroutine;
// one-way messages run one at a time, in the order they arrived, on one goroutine. ctx is
// cancelled when the session ends; a Handler must return soon after, because Close waits for
// it. SessionFromContext(ctx) is the session the message came on. A Handler must not call
// Close of its own session (Close would wait for the Handler).
type Handler func(ctx context.Context, msg proto.Message) (proto.Message, error)

// Session is one end of an edge stream: framed Envelopes over a net.Conn, requests correlated
// with their replies by id, one-way messages, pings. It is safe for concurrent use.
type Session struct {
	conn net.Conn
	cfg  Config
	h    Handler
	log  *slog.Logger
	peer string

	ident pki.Identity // set by Dial/Serve before the session is handed out
	hello atomic.Pointer[edgepb.Hello]

	ctx    context.Context // handlers' context, cancelled when the session dies
	cancel context.CancelFunc

	sendq    chan outFrame // frames for the writer, bounded: callers wait
	ctrlq    chan outFrame // pongs; never waited on (dropped when full)
	onewayq  chan *edgepb.Envelope
	outSlots chan struct{} // this side's requests in flight
	inSlots  chan struct{} // handlers running for the peer's requests

	nextID  atomic.Uint64
	mu      sync.Mutex
	pending map[uint64]chan *edgepb.Envelope

	dieOnce sync.Once
	dying   chan struct{} // closed when the session starts to end; err is set before
	err     error
	done    chan struct{} // closed when every goroutine of the session has returned
	wg      sync.WaitGroup

	epoch    time.Time
	lastRead atomic.Int64 // nanoseconds since epoch of the last frame received
	pings    atomic.Int64 // pings answered, for tests
}

type outFrame struct {
	b    []byte
	sent chan struct{} // closed once b is flushed to the connection, if not nil
}

type sessionKey struct{}

// SessionFromContext returns the session a Handler's message arrived on, or nil.
func SessionFromContext(ctx context.Context) *Session {
	s, _ := ctx.Value(sessionKey{}).(*Session)
	return s
}

// NewSession starts a session over conn (a TLS connection in production, any net.Conn in
// tests) with no handshake: both ends must already trust each other. The session owns conn and
// its goroutines (reader, writer, pinger, one-way dispatcher, handlers); Close stops and waits
// for them. An invalid cfg is a programmer error and panics; Dial and Serve return it instead.
func NewSession(conn net.Conn, cfg Config, h Handler) *Session {
	if err := cfg.Validate(); err != nil {
		panic(err)
	}
	s := newSession(conn, cfg.withDefaults(), h, conn.RemoteAddr().String(), pki.Identity{})
	s.start()
	return s
}

func newSession(conn net.Conn, cfg Config, h Handler, peer string, ident pki.Identity) *Session {
	s := &Session{
		conn:     conn,
		cfg:      cfg,
		h:        h,
		log:      cfg.Logger.With("component", "wire", "peer", peer),
		peer:     peer,
		ident:    ident,
		sendq:    make(chan outFrame, cfg.SendQueue),
		ctrlq:    make(chan outFrame, 16),
		onewayq:  make(chan *edgepb.Envelope, cfg.MaxConcurrent),
		outSlots: make(chan struct{}, cfg.MaxConcurrent),
		inSlots:  make(chan struct{}, cfg.MaxConcurrent),
		pending:  make(map[uint64]chan *edgepb.Envelope),
		dying:    make(chan struct{}),
		done:     make(chan struct{}),
		epoch:    time.Now(),
	}
	s.ctx, s.cancel = context.WithCancel(context.WithValue(context.Background(), sessionKey{}, s))
	return s
}

func (s *Session) start() {
	s.wg.Go(s.readLoop)
	s.wg.Go(s.writeLoop)
	s.wg.Go(s.onewayLoop)
	if s.cfg.PingInterval > 0 {
		s.wg.Go(s.pingLoop)
	}
	go func() { // the reaper: owned by the session, ends when everything else has
		<-s.dying
		s.wg.Wait()
		close(s.done)
	}()
}

// Peer returns the identity from the peer's certificate (zero for NewSession).
func (s *Session) Peer() pki.Identity { return s.ident }

// PeerHello returns the Hello the peer announced (nil for NewSession).
func (s *Session) PeerHello() *edgepb.Hello { return s.hello.Load() }

// PeerName names the peer in errors and logs: "kind/id at address", or the remote address.
func (s *Session) PeerName() string { return s.peer }

// Done is closed when the session has ended and all its goroutines have returned.
func (s *Session) Done() <-chan struct{} { return s.done }

// Err returns nil while the session is up, and why it ended after (a *SessionError naming the
// peer, wrapping ErrClosed, ErrConnLost, ErrPeerSilent, ErrFrameTooLarge or ErrMalformed).
func (s *Session) Err() error {
	select {
	case <-s.dying:
		return s.err
	default:
		return nil
	}
}

// Close ends the session: in-flight requests fail, handlers' ctx is cancelled, the connection
// is closed; Close returns once every goroutine of the session has returned. It is idempotent.
func (s *Session) Close() error {
	s.fail(ErrClosed)
	<-s.done
	return nil
}

// fail ends the session for cause; the first cause wins.
func (s *Session) fail(cause error) {
	s.dieOnce.Do(func() {
		s.err = &SessionError{Peer: s.peer, Err: cause}
		close(s.dying)
		s.cancel()
		_ = s.conn.Close()
		if errors.Is(cause, ErrClosed) {
			s.log.Debug("edge session closed")
		} else {
			s.log.Info("edge session ended", "err", cause)
		}
	})
}

// Request sends msg and waits for the peer's reply. An error reply comes back as a
// *RemoteError; a session that ends first fails the call with its Err. A ctx without deadline
// gets Config.RequestTimeout.
func (s *Session) Request(ctx context.Context, msg proto.Message) (proto.Message, error) {
	name, payload, err := encodePayload(msg)
	if err != nil {
		return nil, fmt.Errorf("wire: request to %s: %w", s.peer, err)
	}
	if _, ok := ctx.Deadline(); !ok && s.cfg.RequestTimeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, s.cfg.RequestTimeout)
		defer cancel()
	}
	select {
	case s.outSlots <- struct{}{}:
	case <-ctx.Done():
		return nil, fmt.Errorf("wire: request %s to %s: waiting for a slot: %w", name, s.peer, context.Cause(ctx))
	case <-s.dying:
		return nil, fmt.Errorf("wire: request %s: %w", name, s.err)
	}
	defer func() { <-s.outSlots }()

	id := s.nextID.Add(1)
	frame, err := appendFrame(nil, &edgepb.Envelope{Id: id, Type: name, Payload: payload}, s.cfg.MaxFrame)
	if err != nil {
		return nil, fmt.Errorf("wire: request to %s: %w", s.peer, err)
	}
	ch := make(chan *edgepb.Envelope, 1)
	s.mu.Lock()
	s.pending[id] = ch
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		delete(s.pending, id)
		s.mu.Unlock()
	}()
	if err := s.enqueue(ctx, frame); err != nil {
		return nil, fmt.Errorf("wire: request %s: %w", name, err)
	}
	select {
	case env := <-ch:
		return s.decodeReply(env)
	case <-ctx.Done():
		return nil, fmt.Errorf("wire: request %s to %s: %w", name, s.peer, context.Cause(ctx))
	case <-s.dying:
		// The reader delivers a reply before it ends the session, so a reply that arrived just
		// before the connection closed (a refused Hello, say) is already in ch.
		select {
		case env := <-ch:
			return s.decodeReply(env)
		default:
		}
		return nil, fmt.Errorf("wire: request %s: %w", name, s.err)
	}
}

func (s *Session) decodeReply(env *edgepb.Envelope) (proto.Message, error) {
	if env.ErrorCode != "" {
		return nil, &RemoteError{Peer: s.peer, Code: env.ErrorCode, Message: env.ErrorMessage}
	}
	msg, err := decodePayload(env.Type, env.Payload)
	if err != nil {
		return nil, fmt.Errorf("wire: reply from %s: %w", s.peer, err)
	}
	return msg, nil
}

// Send sends msg one-way: no reply, no delivery guarantee beyond the local queue. It returns
// once the frame is queued for the writer, waiting (ctx permitting) while the queue is full.
func (s *Session) Send(ctx context.Context, msg proto.Message) error {
	name, payload, err := encodePayload(msg)
	if err != nil {
		return fmt.Errorf("wire: send to %s: %w", s.peer, err)
	}
	frame, err := appendFrame(nil, &edgepb.Envelope{Type: name, Payload: payload}, s.cfg.MaxFrame)
	if err != nil {
		return fmt.Errorf("wire: send to %s: %w", s.peer, err)
	}
	if err := s.enqueue(ctx, frame); err != nil {
		return fmt.Errorf("wire: send %s: %w", name, err)
	}
	return nil
}

// enqueue hands a frame to the writer, waiting while the queue is full.
func (s *Session) enqueue(ctx context.Context, frame []byte) error {
	select {
	case s.sendq <- outFrame{b: frame}:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("to %s: send queue full: %w", s.peer, context.Cause(ctx))
	case <-s.dying:
		return s.err
	}
}

// reply sends a reply envelope from a handler goroutine; it waits for queue room but not past
// the session's end.
func (s *Session) reply(env *edgepb.Envelope) {
	frame, err := appendFrame(nil, env, s.cfg.MaxFrame)
	if err != nil {
		s.log.Warn("edge reply not sent", "type", env.Type, "err", err)
		frame, err = appendFrame(nil, &edgepb.Envelope{ReplyTo: env.ReplyTo, ErrorCode: CodeInternal, ErrorMessage: "reply not sendable: " + err.Error()}, s.cfg.MaxFrame)
		if err != nil {
			return
		}
	}
	select {
	case s.sendq <- outFrame{b: frame}:
	case <-s.dying:
	}
}

func (s *Session) replyError(replyTo uint64, code, msg string) {
	s.reply(&edgepb.Envelope{ReplyTo: replyTo, ErrorCode: code, ErrorMessage: truncate(msg)})
}

func (s *Session) since() int64 { return int64(time.Since(s.epoch)) }

// readLoop reads frames until the connection fails, handing each to dispatch. It waits only
// for a handler slot (back-pressure on a peer that exceeds MaxConcurrent) or room for a
// one-way message.
func (s *Session) readLoop() {
	br := bufio.NewReaderSize(s.conn, 32<<10)
	for {
		body, err := readFrame(br, s.cfg.MaxFrame)
		if err != nil {
			s.fail(readError(err))
			return
		}
		s.lastRead.Store(s.since())
		env, err := decodeEnvelope(body)
		if err != nil {
			s.fail(err)
			return
		}
		if !s.dispatch(env) {
			return
		}
	}
}

func readError(err error) error {
	switch {
	case errors.Is(err, ErrFrameTooLarge), errors.Is(err, ErrMalformed):
		return err
	case errors.Is(err, io.EOF):
		return fmt.Errorf("%w: closed by peer", ErrConnLost)
	default:
		return fmt.Errorf("%w: read: %w", ErrConnLost, err)
	}
}

// dispatch routes one envelope; it returns false when the session is ending.
func (s *Session) dispatch(env *edgepb.Envelope) bool {
	switch {
	case env.ReplyTo != 0:
		s.mu.Lock()
		ch, ok := s.pending[env.ReplyTo]
		delete(s.pending, env.ReplyTo)
		s.mu.Unlock()
		if ok {
			ch <- env // buffered, and only one reply is delivered per id
		} else if env.Type != pongName {
			s.log.Debug("edge reply to no pending request", "reply_to", env.ReplyTo, "type", env.Type)
		}
		return true
	case env.Id != 0 && env.Type == pingName:
		s.answerPing(env)
		return true
	case env.Id != 0:
		select {
		case s.inSlots <- struct{}{}:
		case <-s.dying:
			return false
		}
		s.wg.Go(func() {
			defer func() { <-s.inSlots }()
			s.handleRequest(env)
		})
		return true
	default:
		select {
		case s.onewayq <- env:
			return true
		case <-s.dying:
			return false
		}
	}
}

func (s *Session) onewayLoop() {
	for {
		select {
		case env := <-s.onewayq:
			msg, err := decodePayload(env.Type, env.Payload)
			if err != nil {
				s.log.Warn("edge one-way message dropped", "type", env.Type, "err", err)
				continue
			}
			if _, ok := msg.(*edgepb.Hello); ok {
				s.log.Warn("edge one-way Hello dropped")
				continue
			}
			if _, err := s.call(msg); err != nil {
				s.log.Debug("edge one-way handler failed", "type", env.Type, "err", err)
			}
		case <-s.dying:
			return
		}
	}
}

func (s *Session) handleRequest(env *edgepb.Envelope) {
	msg, err := decodePayload(env.Type, env.Payload)
	switch {
	case errors.Is(err, ErrUnknownType):
		s.replyError(env.Id, CodeUnknownType, err.Error())
		return
	case err != nil:
		s.replyError(env.Id, CodeBadPayload, err.Error())
		return
	}
	if _, ok := msg.(*edgepb.Hello); ok {
		s.replyError(env.Id, CodeUnexpected, "Hello after the handshake")
		return
	}
	reply, err := s.call(msg)
	if err != nil {
		code, text := remoteCode(err)
		s.replyError(env.Id, code, text)
		return
	}
	if reply == nil {
		reply = &edgepb.Ack{}
	}
	name, payload, err := encodePayload(reply)
	if err != nil {
		s.replyError(env.Id, CodeInternal, err.Error())
		return
	}
	s.reply(&edgepb.Envelope{ReplyTo: env.Id, Type: name, Payload: payload})
}

// call runs the handler, turning a panic (a bug met by hostile input) into an error reply
// rather than a dead process.
func (s *Session) call(msg proto.Message) (reply proto.Message, err error) {
	if s.h == nil {
		return nil, &RemoteError{Code: CodeUnknownType, Message: "no handler for " + typeName(msg)}
	}
	defer func() {
		if r := recover(); r != nil {
			s.log.Error("edge handler panicked", "type", typeName(msg), "panic", r, "stack", string(debug.Stack()))
			reply, err = nil, &RemoteError{Code: CodeInternal, Message: "handler panicked"}
		}
	}()
	return s.h(s.ctx, msg)
}

// maxBatch bounds how many queued frames the writer takes before it flushes.
const maxBatch = 64

// writeLoop is the only writer of the connection. It coalesces what is queued (up to
// maxBatch frames) into one flush.
func (s *Session) writeLoop() {
	bw := bufio.NewWriterSize(s.conn, 32<<10)
	var sent []chan struct{}
	write := func(f outFrame) bool {
		if _, err := bw.Write(f.b); err != nil {
			s.fail(fmt.Errorf("%w: write: %w", ErrConnLost, err))
			return false
		}
		if f.sent != nil {
			sent = append(sent, f.sent)
		}
		return true
	}
	for {
		var f outFrame
		select {
		case f = <-s.ctrlq:
		case f = <-s.sendq:
		case <-s.dying:
			return
		}
		if !write(f) {
			return
		}
	drain:
		for range maxBatch {
			select {
			case f = <-s.ctrlq:
			case f = <-s.sendq:
			default:
				break drain
			}
			if !write(f) {
				return
			}
		}
		if err := bw.Flush(); err != nil {
			s.fail(fmt.Errorf("%w: write: %w", ErrConnLost, err))
			return
		}
		for _, c := range sent {
			close(c)
		}
		sent = sent[:0]
	}
}
