package wire

import (
	"context"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/pitrix/pitrix/edge/edgepb"
	"github.com/pitrix/pitrix/edge/pki"
	"google.golang.org/protobuf/proto"
)

// BenchmarkRequestReplyTLS measures one request/reply round trip (RunCommand → CommandResult,
// through the handler) over a real mTLS stream on loopback, one request at a time, and with
// concurrent callers sharing the stream.
func BenchmarkRequestReplyTLS(b *testing.B) {
	p := newEdgePKI(b)
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	srvCfg := Config{Hello: helloOf(pki.KindServer, "node-1"), Logger: quiet}
	addr := serve(b, p.server, srvCfg, echo, func(pki.Identity, *edgepb.Hello, *Session) error { return nil })
	cliCfg := Config{Hello: helloOf(pki.KindFrontgate, "fg-1"), Logger: quiet}
	s, err := Dial(b.Context(), addr, p.fgClient, cliCfg, nil)
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	req := &edgepb.RunCommand{CommandId: "cmd-1", InstanceId: "i-1", Cmd: "true"}

	b.Run("serial", func(b *testing.B) {
		b.ReportAllocs()
		start := time.Now()
		for b.Loop() {
			if _, err := s.Request(context.Background(), req); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(time.Since(start).Microseconds())/float64(b.N), "µs/op")
	})
	b.Run("parallel", func(b *testing.B) {
		b.ReportAllocs()
		start := time.Now()
		b.RunParallel(func(pb *testing.PB) {
			r := proto.CloneOf(req)
			for pb.Next() {
				if _, err := s.Request(context.Background(), r); err != nil {
					b.Error(err)
					return
				}
			}
		})
		b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "req/s")
	})
}
