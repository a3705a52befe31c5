package replica

import (
	"bufio"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"time"

	"github.com/pitrix/pitrix/actors/store"
)

// The RPC protocol between nodes: one request frame, one response frame, repeated on a
// connection. A frame is uvarint length | bytes; a request starts with its kind.
const (
	rpcApply     byte = 'A' // entry bytes -> result
	rpcReadIndex byte = 'R' // -> uvarint applied index on the leader, after a barrier
	rpcJoin      byte = 'J' // joinRequest -> result
	rpcRemove    byte = 'D' // bytes server id -> result
	rpcStatus    byte = 'S' // -> JSON Status of the node asked
)

const maxFrame = 64 << 20

// Result codes of a response.
const (
	resOK          byte = 0 // uvarint index
	resNotLeader   byte = 5 // nothing done: send it to the leader
	resConflict    byte = 1 // bytes key | uvarint expected | uvarint actual
	resInvalid     byte = 2 // bytes message
	resUnavailable byte = 3 // bytes message: no leader, not the leader, shutting down
	resError       byte = 4 // bytes message
)

func writeFrame(w *bufio.Writer, p []byte) error {
	var hdr [binary.MaxVarintLen64]byte
	n := binary.PutUvarint(hdr[:], uint64(len(p)))
	if _, err := w.Write(hdr[:n]); err != nil {
		return err
	}
	if _, err := w.Write(p); err != nil {
		return err
	}
	return w.Flush()
}

func readFrame(r *bufio.Reader) ([]byte, error) {
	n, err := binary.ReadUvarint(r)
	if err != nil {
		return nil, err
	}
	if n > maxFrame {
		return nil, fmt.Errorf("frame of %d bytes, limit %d", n, maxFrame)
	}
	p := make([]byte, n)
	_, err = io.ReadFull(r, p)
	return p, err
}

// decodeApplied returns the log index a successful forwarded apply carries after its result.
func decodeApplied(b []byte) uint64 {
	d := &reader{b: b[1:]}
	d.uvarint()
	return d.uvarint()
}

// encodeResult turns an Apply outcome into a response.
func encodeResult(index uint64, err error) []byte {
	var conflict *store.ConflictError
	switch {
	case err == nil:
		return binary.AppendUvarint([]byte{resOK}, index)
	case errors.As(err, &conflict):
		b := appendString([]byte{resConflict}, conflict.Key)
		b = binary.AppendUvarint(b, conflict.Expected)
		return binary.AppendUvarint(b, conflict.Actual)
	case errors.Is(err, store.ErrInvalid):
		return appendString([]byte{resInvalid}, err.Error())
	case errors.Is(err, errNotLeader):
		return []byte{resNotLeader}
	case errors.Is(err, store.ErrUnavailable):
		return appendString([]byte{resUnavailable}, err.Error())
	default:
		return appendString([]byte{resError}, err.Error())
	}
}

// decodeResult is encodeResult's inverse; a malformed response is an error of its own.
func decodeResult(b []byte) (uint64, error) {
	if len(b) == 0 {
		return 0, errors.New("empty response")
	}
	d := &reader{b: b[1:]}
	switch b[0] {
	case resOK:
		return d.uvarint(), d.err // an apply's log index may follow: see decodeApplied
	case resConflict:
		c := &store.ConflictError{Key: d.string()}
		c.Expected, c.Actual = d.uvarint(), d.uvarint()
		if d.err != nil {
			return 0, d.err
		}
		return 0, c
	case resInvalid:
		return 0, fmt.Errorf("%w (from the leader: %s)", store.ErrInvalid, d.string())
	case resNotLeader:
		return 0, errNotLeader
	case resUnavailable:
		return 0, fmt.Errorf("%w: %s", store.ErrUnavailable, d.string())
	default:
		return 0, fmt.Errorf("replica: leader: %s", d.string())
	}
}

func appendString(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

type reader struct {
	b   []byte
	err error
}

func (r *reader) uvarint() uint64 {
	if r.err != nil {
		return 0
	}
	v, n := binary.Uvarint(r.b)
	if n <= 0 {
		r.err = errors.New("malformed message")
		return 0
	}
	r.b = r.b[n:]
	return v
}

func (r *reader) string() string {
	n := r.uvarint()
	if r.err != nil {
		return ""
	}
	if n > uint64(len(r.b)) {
		r.err = errors.New("malformed message")
		return ""
	}
	s := string(r.b[:n])
	r.b = r.b[n:]
	return s
}

// errNotSent marks a call that failed before its request left: safe to send again.
var errNotSent = errors.New("request not sent")

// rpcClient keeps idle connections per peer address; a call takes one (or dials), sends one
// frame, reads one frame and puts it back.
type rpcClient struct {
	m    *mux
	mu   sync.Mutex
	idle map[string][]net.Conn
	done bool
}

// maxIdlePerPeer bounds the idle connections kept per peer: enough for the writers one node
// forwards at once, so a burst does not pay a TLS handshake per request.
const maxIdlePerPeer = 128

type rpcConn struct {
	net.Conn
	r *bufio.Reader
	w *bufio.Writer
}

func (c *rpcClient) call(ctx context.Context, addr string, req []byte) ([]byte, error) {
	conn, reused, err := c.get(ctx, addr)
	if err != nil {
		return nil, err
	}
	rc := conn.(*rpcConn)
	deadline, ok := ctx.Deadline()
	if !ok {
		deadline = time.Now().Add(30 * time.Second)
	}
	_ = rc.SetDeadline(deadline)
	stop := context.AfterFunc(ctx, func() { _ = rc.SetDeadline(time.Unix(1, 0)) })
	defer stop()
	if err := writeFrame(rc.w, req); err != nil {
		rc.Close()
		return nil, fmt.Errorf("rpc to %s: %w", addr, err)
	}
	resp, err := readFrame(rc.r)
	if err != nil {
		rc.Close()
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		if reused && errors.Is(err, io.EOF) {
			// The peer closed an idle connection (it stopped) before our request reached
			// it: a server closes connections only when it shuts down, between requests.
			return nil, fmt.Errorf("%w: rpc to %s: idle connection closed", errNotSent, addr)
		}
		return nil, fmt.Errorf("rpc to %s: %w", addr, err)
	}
	if stop() {
		_ = rc.SetDeadline(time.Time{})
		c.put(addr, rc)
	} else {
		rc.Close()
	}
	return resp, nil
}

func (c *rpcClient) get(ctx context.Context, addr string) (conn net.Conn, reused bool, err error) {
	c.mu.Lock()
	if l := c.idle[addr]; len(l) > 0 {
		conn := l[len(l)-1]
		c.idle[addr] = l[:len(l)-1]
		c.mu.Unlock()
		return conn, true, nil
	}
	c.mu.Unlock()
	conn, err = c.m.dial(ctx, addr, protoRPC)
	if err != nil {
		return nil, false, fmt.Errorf("%w: %w", errNotSent, err)
	}
	return &rpcConn{Conn: conn, r: bufio.NewReader(conn), w: bufio.NewWriter(conn)}, false, nil
}

func (c *rpcClient) put(addr string, conn net.Conn) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.done || len(c.idle[addr]) >= maxIdlePerPeer {
		conn.Close()
		return
	}
	c.idle[addr] = append(c.idle[addr], conn)
}

func (c *rpcClient) close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.done = true
	for _, l := range c.idle {
		for _, conn := range l {
			conn.Close()
		}
	}
	clear(c.idle)
}

// serveRPC answers requests on one accepted connection until it closes.
func (r *Replica) serveRPC(conn net.Conn) {
	br, bw := bufio.NewReader(conn), bufio.NewWriter(conn)
	for {
		req, err := readFrame(br)
		if err != nil {
			return
		}
		if err := writeFrame(bw, r.handle(req)); err != nil {
			return
		}
	}
}

func (r *Replica) handle(req []byte) []byte {
	if len(req) == 0 {
		return appendString([]byte{resError}, "empty request")
	}
	if !r.started.Load() {
		return encodeResult(0, errNotLeader) // opening: raft is not running yet
	}
	ctx, cancel := context.WithTimeout(context.Background(), r.cfg.ApplyTimeout)
	defer cancel()
	body := req[1:]
	switch req[0] {
	case rpcApply:
		index, logIndex, err := r.applyLocal(ctx, body)
		res := encodeResult(index, err)
		if err == nil {
			res = binary.AppendUvarint(res, logIndex) // the follower waits to have applied it
		}
		return res
	case rpcReadIndex:
		return encodeResult(r.readIndexLocal(ctx))
	case rpcJoin:
		var j joinRequest
		if err := j.decode(body); err != nil {
			return encodeResult(0, fmt.Errorf("%w: join request: %w", store.ErrInvalid, err))
		}
		// Any member takes a join and passes it to the leader.
		return encodeResult(r.toLeader(ctx, "join", func(context.Context) (uint64, error) { return 0, r.addServerLocal(j) }, req))
	case rpcRemove:
		id := string(body)
		return encodeResult(r.toLeader(ctx, "remove", func(context.Context) (uint64, error) { return 0, r.removeServerLocal(id) }, req))
	case rpcStatus:
		b, err := json.Marshal(r.Status())
		if err != nil {
			return encodeResult(0, err)
		}
		return append([]byte{resOK}, b...)
	default:
		return appendString([]byte{resError}, fmt.Sprintf("unknown request %q", req[0]))
	}
}

// joinRequest asks the leader to add a server to the raft configuration.
// A new member joins as a non-voter and asks again with Voter set once it has caught up, so
// a voter is never added that would stall the quorum while it loads a snapshot.
// Fresh says the node has no raft state: new, or its data dir was wiped.
type joinRequest struct {
	ID, Addr     string
	Voter, Fresh bool
}

// Flags of a join request's last byte.
const (
	joinVoter byte = 1
	joinFresh byte = 2
)

func (j joinRequest) encode() []byte {
	b := appendString(appendString([]byte{rpcJoin}, j.ID), j.Addr)
	var flags byte
	if j.Voter {
		flags |= joinVoter
	}
	if j.Fresh {
		flags |= joinFresh
	}
	return append(b, flags)
}

func (j *joinRequest) decode(b []byte) error {
	d := &reader{b: b}
	j.ID, j.Addr = d.string(), d.string()
	if d.err == nil && len(d.b) == 1 {
		j.Voter, j.Fresh = d.b[0]&joinVoter != 0, d.b[0]&joinFresh != 0
	} else if d.err == nil {
		d.err = errors.New("malformed join request")
	}
	return d.err
}
