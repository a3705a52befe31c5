package wire

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/goleak"
	"golang.org/x/sync/errgroup"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/descriptorpb"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/pitrix/pitrix/edge/edgepb"
	"github.com/pitrix/pitrix/edge/pki"
)

// echo answers RunCommand with a CommandResult repeating the command, and anything else with Ack.
func echo(_ context.Context, msg proto.Message) (proto.Message, error) {
	if rc, ok := msg.(*edgepb.RunCommand); ok {
		return &edgepb.CommandResult{CommandId: rc.CommandId, Stdout: []byte(rc.Cmd)}, nil
	}
	return nil, nil
}

func TestRequestReplyBothWaysConcurrently(t *testing.T) {
	a, b := sessionPair(t, fastConfig(t), echo, fastConfig(t), echo)
	const n = 100
	var g errgroup.Group
	for _, dir := range []struct {
		name string
		s    *Session
	}{{"a", a}, {"b", b}} {
		for i := range n {
			g.Go(func() error {
				id := fmt.Sprintf("%s-%d", dir.name, i)
				reply, err := dir.s.Request(t.Context(), &edgepb.RunCommand{CommandId: id, Cmd: "echo " + id})
				if err != nil {
					return err
				}
				res, ok := reply.(*edgepb.CommandResult)
				if !ok || res.CommandId != id || string(res.Stdout) != "echo "+id {
					return fmt.Errorf("request %s got %v", id, reply)
				}
				return nil
			})
		}
	}
	if err := g.Wait(); err != nil {
		t.Fatal(err)
	}
	if _, ok := mustRequest(t, a, &edgepb.Health{}).(*edgepb.Ack); !ok {
		t.Fatal("nil reply did not become Ack")
	}
}

func mustRequest(t *testing.T, s *Session, msg proto.Message) proto.Message {
	t.Helper()
	reply, err := s.Request(t.Context(), msg)
	if err != nil {
		t.Fatal(err)
	}
	return reply
}

func TestOneWayInOrder(t *testing.T) {
	const n = 300
	var mu sync.Mutex
	var got []string
	all := make(chan struct{})
	h := func(_ context.Context, msg proto.Message) (proto.Message, error) {
		mu.Lock()
		defer mu.Unlock()
		got = append(got, msg.(*edgepb.Health).Message)
		if len(got) == n {
			close(all)
		}
		return nil, nil
	}
	a, _ := sessionPair(t, fastConfig(t), nil, fastConfig(t), h)
	for i := range n {
		if err := a.Send(t.Context(), &edgepb.Health{Message: fmt.Sprint(i)}); err != nil {
			t.Fatal(err)
		}
	}
	select {
	case <-all:
	case <-time.After(10 * time.Second):
		mu.Lock()
		t.Fatalf("received %d of %d one-way messages", len(got), n)
	}
	for i, m := range got {
		if m != fmt.Sprint(i) {
			t.Fatalf("message %d is %q: out of order", i, m)
		}
	}
}

func TestErrorReplies(t *testing.T) {
	h := func(ctx context.Context, msg proto.Message) (proto.Message, error) {
		switch msg.(*edgepb.Health).Message {
		case "plain":
			return nil, errors.New("boom")
		case "coded":
			return nil, fmt.Errorf("lookup: %w", &RemoteError{Code: "not_found", Message: "no cluster cl-1"})
		case "panic":
			panic("handler bug")
		case "deadline":
			return nil, fmt.Errorf("run: %w", context.DeadlineExceeded)
		case "bad reply":
			return &descriptorpb.FileDescriptorProto{}, nil
		}
		return wrapperspb.String("fine"), nil
	}
	a, _ := sessionPair(t, fastConfig(t), nil, fastConfig(t), h)
	tests := []struct {
		msg, code, text string
	}{
		{"plain", CodeHandler, "boom"},
		{"coded", "not_found", "no cluster cl-1"},
		{"panic", CodeInternal, "handler panicked"},
		{"deadline", CodeDeadline, "deadline exceeded"},
		{"bad reply", CodeInternal, "FileDescriptorProto"},
	}
	for _, tt := range tests {
		t.Run(tt.msg, func(t *testing.T) {
			_, err := a.Request(t.Context(), &edgepb.Health{Message: tt.msg})
			var re *RemoteError
			if !errors.As(err, &re) {
				t.Fatalf("err = %v, want *RemoteError", err)
			}
			if re.Code != tt.code || !strings.Contains(re.Message, tt.text) || re.Peer != a.PeerName() {
				t.Fatalf("got %+v, want code %s with %q", re, tt.code, tt.text)
			}
		})
	}
	reply := mustRequest(t, a, &edgepb.Health{Message: "ok"})
	if reply.(*wrapperspb.StringValue).Value != "fine" {
		t.Fatalf("well-known reply = %v", reply)
	}
	if a.Err() != nil {
		t.Fatalf("session died: %v", a.Err())
	}
}

func TestUnknownTypeGetsErrorReply(t *testing.T) {
	s, raw := rawPeer(t, fastConfig(t), echo)
	tests := []struct {
		name, typ string
		payload   []byte
		code      string
	}{
		{"unregistered", "pitrix.edge.Nope", nil, CodeUnknownType},
		{"registered but not accepted", "google.protobuf.FileDescriptorProto", nil, CodeUnknownType},
		{"envelope in envelope", "pitrix.edge.Envelope", nil, CodeUnknownType},
		{"not a name", "../etc/passwd", nil, CodeUnknownType},
		{"bad payload", "pitrix.edge.Health", []byte{0xff, 0xff, 0xff}, CodeBadPayload},
		{"late hello", "pitrix.edge.Hello", nil, CodeUnexpected},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			id := uint64(1000 + i)
			writeEnv(t, raw, &edgepb.Envelope{Id: id, Type: tt.typ, Payload: tt.payload})
			env := readEnv(t, raw)
			if env.ReplyTo != id || env.ErrorCode != tt.code {
				t.Fatalf("reply %v, want error %s to %d", env, tt.code, id)
			}
		})
	}
	// One-way messages of unknown type are dropped without reply; the session carries on.
	writeEnv(t, raw, &edgepb.Envelope{Type: "pitrix.edge.Nope"})
	writeEnv(t, raw, &edgepb.Envelope{Id: 7, Type: "pitrix.edge.RunCommand", Payload: mustMarshal(t, &edgepb.RunCommand{CommandId: "c-1"})})
	if env := readEnv(t, raw); env.ReplyTo != 7 || env.Type != "pitrix.edge.CommandResult" {
		t.Fatalf("after unknown types: %v", env)
	}
	if s.Err() != nil {
		t.Fatalf("session died: %v", s.Err())
	}
	// Refused locally too, before anything is sent.
	if _, err := s.Request(t.Context(), &descriptorpb.FileDescriptorProto{}); !errors.Is(err, ErrUnknownType) {
		t.Fatalf("Request(FileDescriptorProto) = %v, want ErrUnknownType", err)
	}
	if err := s.Send(t.Context(), &edgepb.Envelope{}); !errors.Is(err, ErrUnknownType) {
		t.Fatalf("Send(Envelope) = %v, want ErrUnknownType", err)
	}
}

func TestBadFramesCloseSession(t *testing.T) {
	cfg := fastConfig(t)
	cfg.MaxFrame = 1024
	tests := []struct {
		name  string
		bytes []byte
		want  error
	}{
		{"oversize", []byte{0, 0, 4, 1}, ErrFrameTooLarge},
		{"huge", []byte{0xff, 0xff, 0xff, 0xff}, ErrFrameTooLarge},
		{"garbage envelope", []byte{0, 0, 0, 5, 0xff, 0xff, 0xff, 0xff, 0xff}, ErrMalformed},
		{"envelope without type", []byte{0, 0, 0, 2, 0x08, 0x01}, ErrMalformed},
		{"empty envelope", []byte{0, 0, 0, 0}, ErrMalformed},
		{"error on a request", append([]byte{0, 0, 0, 7}, mustMarshal(t, &edgepb.Envelope{Id: 1, Type: "x", ErrorCode: "y"})...), ErrMalformed},
		{"truncated body", []byte{0, 0, 0, 9, 1, 2}, ErrMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, raw := rawPeer(t, cfg, echo)
			_ = raw.SetWriteDeadline(time.Now().Add(5 * time.Second))
			if _, err := raw.Write(tt.bytes); err != nil {
				t.Fatal(err)
			}
			if tt.name == "truncated body" {
				raw.Close()
			}
			err := waitDone(t, s, 5*time.Second)
			if !errors.Is(err, tt.want) {
				t.Fatalf("session ended with %v, want %v", err, tt.want)
			}
			if !strings.Contains(err.Error(), s.PeerName()) {
				t.Fatalf("error %q does not name the peer %q", err, s.PeerName())
			}
		})
	}
}

func TestOversizeOutgoingFailsCallOnly(t *testing.T) {
	cfg := fastConfig(t)
	cfg.MaxFrame = 1024
	bigReply := func(_ context.Context, msg proto.Message) (proto.Message, error) {
		if _, ok := msg.(*edgepb.RunCommand); ok {
			return &edgepb.CommandResult{Stdout: make([]byte, 2000)}, nil
		}
		return nil, nil
	}
	a, _ := sessionPair(t, cfg, nil, cfg, bigReply)
	big := &edgepb.PutMetadata{ClusterId: "cl-1", Json: make([]byte, 2000)}
	if _, err := a.Request(t.Context(), big); !errors.Is(err, ErrFrameTooLarge) {
		t.Fatalf("Request = %v, want ErrFrameTooLarge", err)
	}
	if err := a.Send(t.Context(), big); !errors.Is(err, ErrFrameTooLarge) {
		t.Fatalf("Send = %v, want ErrFrameTooLarge", err)
	}
	// A reply too large for the frame limit comes back as an error reply.
	_, err := a.Request(t.Context(), &edgepb.RunCommand{CommandId: "c-1"})
	var re *RemoteError
	if !errors.As(err, &re) || re.Code != CodeInternal {
		t.Fatalf("oversize reply: %v", err)
	}
	mustRequest(t, a, &edgepb.Health{})
}

func TestPeerDiesMidRequest(t *testing.T) {
	cfg := fastConfig(t)
	cfg.RequestTimeout = time.Minute
	c1, c2 := tcpPair(t)
	s := NewSession(c1, cfg, echo)
	t.Cleanup(func() { s.Close() })
	errc := make(chan error, 1)
	start := time.Now()
	go func() {
		_, err := s.Request(context.Background(), &edgepb.RunCommand{CommandId: "c-1"})
		errc <- err
	}()
	if env := readEnv(t, c2); env.Type != "pitrix.edge.RunCommand" {
		t.Fatalf("raw peer read %v", env)
	}
	c2.Close() // the peer dies with the request in flight
	select {
	case err := <-errc:
		if !errors.Is(err, ErrConnLost) || !strings.Contains(err.Error(), s.PeerName()) {
			t.Fatalf("request failed with %v, want ErrConnLost naming %s", err, s.PeerName())
		}
		if d := time.Since(start); d > 10*time.Second {
			t.Fatalf("request failed after %s", d)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("pending request not failed after the peer died")
	}
	if _, err := s.Request(t.Context(), &edgepb.Health{}); !errors.Is(err, ErrConnLost) {
		t.Fatalf("request on dead session = %v", err)
	}
}

func TestPingTimeoutDetectsSilentPeer(t *testing.T) {
	cfg := fastConfig(t)
	cfg.PingInterval, cfg.PingTimeout = 10*time.Millisecond, 80*time.Millisecond
	s, _ := rawPeer(t, cfg, echo) // the raw end never reads nor writes
	err := waitDone(t, s, 10*time.Second)
	if !errors.Is(err, ErrPeerSilent) {
		t.Fatalf("session ended with %v, want ErrPeerSilent", err)
	}
}

func TestPingsKeepIdleSessionUp(t *testing.T) {
	cfg := fastConfig(t)
	cfg.PingInterval, cfg.PingTimeout = 5*time.Millisecond, 500*time.Millisecond
	a, b := sessionPair(t, cfg, nil, cfg, nil)
	deadline := time.Now().Add(10 * time.Second)
	for a.pings.Load() < 20 || b.pings.Load() < 20 {
		if time.Now().After(deadline) {
			t.Fatalf("pings answered: a %d, b %d", a.pings.Load(), b.pings.Load())
		}
		time.Sleep(5 * time.Millisecond) // polling a condition with a deadline
	}
	if a.Err() != nil || b.Err() != nil {
		t.Fatalf("idle sessions died: %v / %v", a.Err(), b.Err())
	}
}

func TestCloseWaitsForGoroutines(t *testing.T) {
	before := goleak.IgnoreCurrent()
	entered := make(chan struct{})
	var returned atomic.Bool
	h := func(ctx context.Context, msg proto.Message) (proto.Message, error) {
		close(entered)
		<-ctx.Done()
		time.Sleep(20 * time.Millisecond) // a handler slow to notice; Close must still wait
		returned.Store(true)
		return nil, ctx.Err()
	}
	c1, c2 := tcpPair(t)
	a, b := NewSession(c1, fastConfig(t), nil), NewSession(c2, fastConfig(t), h)
	errc := make(chan error, 1)
	go func() {
		_, err := a.Request(context.Background(), &edgepb.Health{})
		errc <- err
	}()
	<-entered
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	if !returned.Load() {
		t.Fatal("Close returned before the handler")
	}
	if err := b.Err(); !errors.Is(err, ErrClosed) {
		t.Fatalf("Err after Close = %v", err)
	}
	if err := <-errc; !errors.Is(err, ErrConnLost) {
		t.Fatalf("request to closed peer = %v", err)
	}
	a.Close()
	a.Close() // idempotent
	// Every goroutine the sessions and the test started has ended once Close returned (goleak
	// retries only for the test's own request goroutine, which ends right after sending).
	goleak.VerifyNone(t, before)
}

func TestSendWaitsForQueueRoom(t *testing.T) {
	cfg := fastConfig(t)
	cfg.SendQueue = 2
	cfg.PingInterval = -1
	s, _ := rawPeer(t, cfg, nil) // nobody reads: the writer blocks, then the queue fills
	ctx, cancel := context.WithTimeout(t.Context(), 200*time.Millisecond)
	defer cancel()
	var err error
	for i := 0; err == nil && i < 10; i++ {
		err = s.Send(ctx, &edgepb.Health{})
	}
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Send on a full queue = %v, want deadline exceeded", err)
	}
	if s.Err() != nil {
		t.Fatalf("session died: %v", s.Err())
	}
}

func TestRequestTimeout(t *testing.T) {
	cfg := fastConfig(t)
	cfg.RequestTimeout = 50 * time.Millisecond
	block := func(ctx context.Context, _ proto.Message) (proto.Message, error) { <-ctx.Done(); return nil, ctx.Err() }
	a, _ := sessionPair(t, cfg, nil, cfg, block)
	_, err := a.Request(context.Background(), &edgepb.Health{})
	if !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), a.PeerName()) {
		t.Fatalf("Request = %v, want deadline exceeded naming the peer", err)
	}
}

func TestSessionFromContext(t *testing.T) {
	var got *Session
	h := func(ctx context.Context, _ proto.Message) (proto.Message, error) {
		got = SessionFromContext(ctx)
		return nil, nil
	}
	a, b := sessionPair(t, fastConfig(t), nil, fastConfig(t), h)
	mustRequest(t, a, &edgepb.Health{})
	if got != b {
		t.Fatal("handler did not see its session")
	}
}

func TestConfigValidate(t *testing.T) {
	tests := []struct {
		name string
		cfg  Config
		ok   bool
	}{
		{"zero", Config{}, true},
		{"tiny frame", Config{MaxFrame: 10}, false},
		{"huge frame", Config{MaxFrame: 1 << 30}, false},
		{"timeout below interval", Config{PingInterval: time.Second, PingTimeout: time.Second}, false},
		{"pings off", Config{PingInterval: -1}, true},
		{"bad kind", Config{PeerKinds: []pki.Kind{"admin"}}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.cfg.Validate()
			if (err == nil) != tt.ok {
				t.Fatalf("Validate = %v", err)
			}
			if err != nil && !errors.Is(err, ErrBadConfig) {
				t.Fatalf("error %v is not ErrBadConfig", err)
			}
		})
	}
}
