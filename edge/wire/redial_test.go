package wire

import (
	"context"
	"errors"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/pitrix/pitrix/edge/edgepb"
	"github.com/pitrix/pitrix/edge/pki"
)

func TestRedialerReconnects(t *testing.T) {
	p := newEdgePKI(t)
	srvCfg := fastConfig(t)
	srvCfg.Hello = helloOf(pki.KindServer, "node-1")
	accepted := make(chan *Session, 4)
	addr := serve(t, p.server, srvCfg, echo, func(_ pki.Identity, _ *edgepb.Hello, s *Session) error {
		accepted <- s
		return nil
	})
	cliCfg := fastConfig(t)
	cliCfg.Hello = helloOf(pki.KindFrontgate, "fg-1")
	sessions := 0
	r, err := NewRedialer(func(ctx context.Context) (*Session, error) {
		return Dial(ctx, addr, p.fgClient, cliCfg, echo)
	}, RedialConfig{MinBackoff: 5 * time.Millisecond, MaxBackoff: 50 * time.Millisecond, Logger: testLogger(t),
		OnSession: func(context.Context, *Session) { sessions++ }})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	runErr := make(chan error, 1)
	go func() { runErr <- r.Run(ctx) }()

	first, err := r.Session(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := first.Request(t.Context(), &edgepb.Health{}); err != nil {
		t.Fatal(err)
	}
	(<-accepted).Close() // the server drops the stream
	if err := waitDone(t, first, 10*time.Second); !errors.Is(err, ErrConnLost) {
		t.Fatalf("first session ended with %v", err)
	}

	wctx, wcancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer wcancel()
	second, err := r.Session(wctx)
	if err != nil {
		t.Fatal(err)
	}
	if second == first {
		t.Fatal("Session returned the dead session")
	}
	<-accepted
	if reply, err := second.Request(t.Context(), &edgepb.RunCommand{CommandId: "again"}); err != nil || reply.(*edgepb.CommandResult).CommandId != "again" {
		t.Fatalf("request on redialed session: %v %v", reply, err)
	}

	cancel()
	if err := <-runErr; err != nil {
		t.Fatalf("Run = %v", err)
	}
	if second.Err() == nil {
		t.Fatal("Run returned with its session open")
	}
	if _, err := r.Session(t.Context()); !errors.Is(err, ErrStopped) {
		t.Fatalf("Session after Run = %v, want ErrStopped", err)
	}
	if sessions != 2 {
		t.Fatalf("OnSession called %d times, want 2", sessions)
	}
}

func TestRedialerReportsWhyUnreachable(t *testing.T) {
	p := newEdgePKI(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	cfg := fastConfig(t)
	cfg.Hello = helloOf(pki.KindFrontgate, "fg-1")
	r, err := NewRedialer(func(ctx context.Context) (*Session, error) {
		return Dial(ctx, addr, p.fgClient, cfg, nil)
	}, RedialConfig{MinBackoff: 5 * time.Millisecond, MaxBackoff: 20 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	runErr := make(chan error, 1)
	go func() { runErr <- r.Run(ctx) }()
	deadline := time.Now().Add(10 * time.Second)
	for r.LastError() == nil {
		if time.Now().After(deadline) {
			t.Fatal("no dial error recorded")
		}
		time.Sleep(5 * time.Millisecond) // polling a condition with a deadline
	}
	wctx, wcancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
	defer wcancel()
	_, err = r.Session(wctx)
	if !errors.Is(err, context.DeadlineExceeded) || !strings.Contains(err.Error(), addr) || !strings.Contains(err.Error(), "refused") {
		t.Fatalf("Session = %v, want deadline naming %s and why", err, addr)
	}
	cancel()
	if err := <-runErr; err != nil {
		t.Fatal(err)
	}
}

func TestBackoff(t *testing.T) {
	const lo, hi = 100 * time.Millisecond, 30 * time.Second
	tests := []struct {
		attempt  int
		jitter   float64
		min, max time.Duration
	}{
		{0, 0, lo, lo},
		{0, 0.99, lo, lo},
		{1, 0, lo, lo},
		{1, 0.99, lo, 200 * time.Millisecond},
		{3, 0, 400 * time.Millisecond, 400 * time.Millisecond},
		{3, 0.5, 600 * time.Millisecond, 600 * time.Millisecond},
		{20, 0, 15 * time.Second, 15 * time.Second},
		{20, 0.999, 29 * time.Second, hi},
		{1000, 0.999, 29 * time.Second, hi},
	}
	for _, tt := range tests {
		got := Backoff(tt.attempt, lo, hi, tt.jitter)
		if got < tt.min || got > tt.max {
			t.Errorf("Backoff(%d, jitter %v) = %s, want in [%s, %s]", tt.attempt, tt.jitter, got, tt.min, tt.max)
		}
	}
}

func TestRedialConfigValidate(t *testing.T) {
	if _, err := NewRedialer(nil, RedialConfig{}); !errors.Is(err, ErrBadConfig) {
		t.Fatalf("nil dial: %v", err)
	}
	dial := func(context.Context) (*Session, error) { return nil, errors.New("unused") }
	if _, err := NewRedialer(dial, RedialConfig{MinBackoff: time.Second, MaxBackoff: time.Millisecond}); !errors.Is(err, ErrBadConfig) {
		t.Fatalf("min > max: %v", err)
	}
}
