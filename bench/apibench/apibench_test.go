package main

import (
	"bytes"
	"context"
	"log/slog"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/valyala/fasthttp"
	"go.uber.org/goleak"

	"github.com/pitrix/pitrix/bench/benchkit"
)

// TestMain fails the package when a goroutine started by a run (the node's, the store's, the
// servers', the workers') outlives the tests.
func TestMain(m *testing.M) {
	os.Exit(benchkit.LeakCheck(lingering...).Main(m))
}

// lingering are goleak ignores for goroutines that are not ours to stop: fasthttp starts one
// goroutine per process, on the first server, to keep the Date header current, and a stopped
// server's worker-pool cleaner ends only when its sleep (up to 10 s) does. protoactor's log
// throttles are left out by benchkit (see cluster/node's tests).
var lingering = []goleak.Option{
	goleak.IgnoreAnyFunction("github.com/valyala/fasthttp.updateServerDate.func1"),
	goleak.IgnoreAnyFunction("github.com/valyala/fasthttp.(*workerPool).Start.func2"),
}

func testLogger(t testing.TB) *slog.Logger {
	return slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelWarn}))
}

// TestRun runs the whole benchmark briefly: both sides must have served requests, all of
// them right, and the report must compare them.
func TestRun(t *testing.T) {
	dir := t.TempDir()
	r, err := run(t.Context(), Config{Duration: 300 * time.Millisecond, Warmup: 50 * time.Millisecond, Conns: 4,
		DataDir: dir, Logger: testLogger(t)})
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Sides) != 2 || r.Sides[0].Side != "pitrix" || r.Sides[1].Side != "bare" {
		t.Fatalf("sides = %+v, want pitrix then bare", r.Sides)
	}
	for _, s := range r.Sides {
		if s.Requests == 0 || s.Errors != 0 || s.FirstError != "" {
			t.Errorf("%s: %d OK, %d errors (%s); want some OK and no error", s.Side, s.Requests, s.Errors, s.FirstError)
		}
		if s.ReqPerSec <= 0 || s.P50 <= 0 || s.P99 < s.P50 || s.Max < s.P99 {
			t.Errorf("%s: req/s %.0f, p50 %v, p99 %v, max %v; want positive and ordered", s.Side, s.ReqPerSec, s.P50, s.P99, s.Max)
		}
	}
	if !strings.HasPrefix(r.Path, "/v1/apps/app-") || r.ContentType != "application/json" ||
		!strings.Contains(r.Body, `"name":"redis"`) || r.BodyBytes != len(r.Body) {
		t.Errorf("path %q, %d-byte %s body %s; want the redis app's JSON", r.Path, r.BodyBytes, r.ContentType, r.Body)
	}
	if r.Ratio.ReqPerSec <= 0 || r.Ratio.P50 <= 0 {
		t.Errorf("ratio = %+v, want positive", r.Ratio)
	}
	var out bytes.Buffer
	if err := writeTable(&out, r); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "pitrix/bare: req/s") {
		t.Errorf("table has no ratio line:\n%s", out.String())
	}
	t.Log("\n" + out.String())
}

// TestRunRejectsBadConfig checks a bad Config fails before anything starts.
func TestRunRejectsBadConfig(t *testing.T) {
	for name, cfg := range map[string]Config{
		"negative duration": {Duration: -time.Second},
		"negative requests": {Requests: -1},
		"too many conns":    {Conns: 20000},
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := run(t.Context(), cfg); err == nil {
				t.Fatal("run accepted a bad config")
			}
		})
	}
}

// benchApp starts a node with the seeded catalog and returns it with the app's path; the node
// is closed when b ends.
func benchApp(b *testing.B) (*pitrix, string) {
	b.Helper()
	ctx, cancel := context.WithTimeout(b.Context(), seedTimeout)
	defer cancel()
	dir := b.TempDir()
	p, err := startPitrix(ctx, dir, testLogger(b))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		if err := p.Close(); err != nil {
			b.Error(err)
		}
	})
	id, err := seed(ctx, p.plane, dir)
	if err != nil {
		b.Fatal(err)
	}
	return p, "/v1/apps/" + id
}

// serveLoop drives h in-process with GET path, no sockets, and reports req/s.
func serveLoop(b *testing.B, h fasthttp.RequestHandler, path, token string, wantLen int) {
	var fc fasthttp.RequestCtx
	var req fasthttp.Request
	req.SetRequestURI(path)
	req.Header.Set("Authorization", "Bearer "+token)
	b.ReportAllocs()
	start := time.Now()
	n := 0
	for b.Loop() {
		fc.Init(&req, nil, nil)
		h(&fc)
		if fc.Response.StatusCode() != fasthttp.StatusOK || len(fc.Response.Body()) != wantLen {
			b.Fatalf("status %d, %d-byte body (want %d): %s", fc.Response.StatusCode(), len(fc.Response.Body()), wantLen, fc.Response.Body())
		}
		n++
	}
	b.ReportMetric(float64(n)/time.Since(start).Seconds(), "req/s")
}

// getOnce answers GET path with h in-process and returns a copy of the body and content type.
func getOnce(b *testing.B, h fasthttp.RequestHandler, path, token string) ([]byte, string) {
	var fc fasthttp.RequestCtx
	var req fasthttp.Request
	req.SetRequestURI(path)
	req.Header.Set("Authorization", "Bearer "+token)
	fc.Init(&req, nil, nil)
	h(&fc)
	if fc.Response.StatusCode() != fasthttp.StatusOK {
		b.Fatalf("GET %s: status %d: %s", path, fc.Response.StatusCode(), fc.Response.Body())
	}
	return bytes.Clone(fc.Response.Body()), string(fc.Response.Header.ContentType())
}

// BenchmarkGetApp measures the REST front's GET /v1/apps/{id} on a real node without sockets:
// routing, token check and app read from the Pebble store, JSON encoding, metrics.
func BenchmarkGetApp(b *testing.B) {
	p, path := benchApp(b)
	h := p.front.Handler()
	body, _ := getOnce(b, h, path, p.token)
	serveLoop(b, h, path, p.token, len(body))
}

// BenchmarkBare measures the bare handler answering the same body, BenchmarkGetApp's floor.
func BenchmarkBare(b *testing.B) {
	p, path := benchApp(b)
	body, ctype := getOnce(b, p.front.Handler(), path, p.token)
	serveLoop(b, bareHandler(body, ctype), path, p.token, len(body))
}
