package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/valyala/fasthttp"
)

// target is one side of the benchmark: a server and the request to send it.
type target struct {
	side    string // "pitrix" or "bare"
	addr    string // loopback host:port
	path    string
	token   string // sent as a bearer token; the bare server ignores it
	wantLen int    // the body length every answer must have
}

// load is how hard and how long to drive one target.
type load struct {
	conns    int           // concurrent workers, one keep-alive connection each
	warmup   time.Duration // unmeasured time before the measured phase
	duration time.Duration // the measured phase's length
	requests int           // cap on the measured phase's requests; 0: none
	timeout  time.Duration // bound on one request (dial, write, read)
}

// sideResult is what one side measured. Latencies are per request, from writing it to having
// read the whole answer, on the client.
type sideResult struct {
	Side         string        `json:"side"`
	Requests     uint64        `json:"requests"` // answers that were 200 with the expected body length
	Errors       uint64        `json:"errors"`
	FirstError   string        `json:"first_error,omitempty"`
	Elapsed      time.Duration `json:"elapsed_ns"`
	ReqPerSec    float64       `json:"req_per_s"`
	Mean         time.Duration `json:"mean_ns"`
	P50          time.Duration `json:"p50_ns"`
	P90          time.Duration `json:"p90_ns"`
	P99          time.Duration `json:"p99_ns"`
	Max          time.Duration `json:"max_ns"`
	AllocsPerReq float64       `json:"allocs_per_req"` // heap allocations of the whole process per request
	BytesPerReq  float64       `json:"bytes_per_req"`  // heap bytes of the whole process per request
}

// worker sends requests one at a time over its own keep-alive connection, redialing when the
// connection breaks. Owning the connection (rather than sharing a pooled client) makes conns
// exactly the number of connections and leaves no client goroutine behind.
type worker struct {
	t       target
	timeout time.Duration
	conn    net.Conn
	br      *bufio.Reader
	bw      *bufio.Writer
	req     fasthttp.Request
	resp    fasthttp.Response

	hist     histogram
	ok, errs uint64
	firstErr error
}

func newWorker(t target, timeout time.Duration) *worker {
	w := &worker{t: t, timeout: timeout}
	w.req.Header.SetMethod(fasthttp.MethodGet)
	w.req.SetRequestURI(t.path)
	w.req.Header.SetHost(t.addr)
	w.req.Header.Set("Authorization", "Bearer "+t.token)
	return w
}

// do sends one request and reads its answer into w.resp. An I/O error closes the connection;
// the next call dials again.
func (w *worker) do() error {
	if w.conn == nil {
		c, err := net.DialTimeout("tcp", w.t.addr, w.timeout)
		if err != nil {
			return fmt.Errorf("dial %s: %w", w.t.addr, err)
		}
		w.conn = c
		if w.br == nil {
			w.br, w.bw = bufio.NewReaderSize(c, 16<<10), bufio.NewWriterSize(c, 4<<10)
		} else {
			w.br.Reset(c)
			w.bw.Reset(c)
		}
	}
	err := w.conn.SetDeadline(time.Now().Add(w.timeout))
	if err == nil {
		err = w.req.Write(w.bw)
	}
	if err == nil {
		err = w.bw.Flush()
	}
	if err == nil {
		err = w.resp.Read(w.br)
	}
	if err != nil || w.resp.ConnectionClose() {
		w.close()
	}
	if err != nil {
		return fmt.Errorf("GET %s from %s: %w", w.t.path, w.t.addr, err)
	}
	return nil
}

// check reports whether w.resp is the answer the benchmark expects.
func (w *worker) check() error {
	if sc := w.resp.StatusCode(); sc != fasthttp.StatusOK {
		return fmt.Errorf("GET %s from %s: status %d: %.200s", w.t.path, w.t.addr, sc, w.resp.Body())
	}
	if n := len(w.resp.Body()); n != w.t.wantLen {
		return fmt.Errorf("GET %s from %s: body of %d bytes, want %d", w.t.path, w.t.addr, n, w.t.wantLen)
	}
	return nil
}

func (w *worker) close() {
	if w.conn != nil {
		_ = w.conn.Close()
		w.conn = nil
	}
}

// run sends requests until ctx ends, until passes, or budget (when not nil) runs out,
// recording their outcomes and latencies when measure is set.
func (w *worker) run(ctx context.Context, until time.Time, budget *atomic.Int64, measure bool) {
	for ctx.Err() == nil {
		start := time.Now()
		if !start.Before(until) || (budget != nil && budget.Add(-1) < 0) {
			return
		}
		err := w.do()
		if err == nil {
			err = w.check()
		}
		if !measure {
			continue
		}
		if err != nil {
			w.errs++
			if w.firstErr == nil {
				w.firstErr = err
			}
			continue
		}
		w.hist.record(time.Since(start))
		w.ok++
	}
}

// drive runs l against t: every worker connects, a warm-up, then the measured phase. It fails
// only when ctx ends first; failed requests are counted in the result.
func drive(ctx context.Context, t target, l load) (sideResult, error) {
	ws := make([]*worker, l.conns)
	for i := range ws {
		ws[i] = newWorker(t, l.timeout)
	}
	defer func() {
		for _, w := range ws {
			w.close()
		}
	}()
	phase := func(d time.Duration, budget *atomic.Int64, measure bool) time.Duration {
		start := time.Now()
		until := start.Add(d)
		var wg sync.WaitGroup
		for _, w := range ws {
			wg.Go(func() { w.run(ctx, until, budget, measure) })
		}
		wg.Wait()
		return time.Since(start)
	}
	phase(l.warmup, nil, false)
	var budget *atomic.Int64
	if l.requests > 0 {
		budget = new(atomic.Int64)
		budget.Store(int64(l.requests))
	}
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	elapsed := phase(l.duration, budget, true)
	runtime.ReadMemStats(&after)
	if err := ctx.Err(); err != nil {
		return sideResult{}, fmt.Errorf("drive %s: %w", t.side, err)
	}

	r := sideResult{Side: t.side, Elapsed: elapsed}
	var h histogram
	var errs []error
	for _, w := range ws {
		h.merge(&w.hist)
		r.Requests += w.ok
		r.Errors += w.errs
		if w.firstErr != nil {
			errs = append(errs, w.firstErr)
		}
	}
	if len(errs) > 0 {
		r.FirstError = errors.Join(errs...).Error()
		if len(r.FirstError) > 500 {
			r.FirstError = r.FirstError[:500] + "..."
		}
	}
	r.ReqPerSec = float64(r.Requests) / elapsed.Seconds()
	r.Mean, r.P50, r.P90, r.P99, r.Max = h.mean(), h.quantile(0.50), h.quantile(0.90), h.quantile(0.99), h.max
	if n := r.Requests + r.Errors; n > 0 {
		r.AllocsPerReq = float64(after.Mallocs-before.Mallocs) / float64(n)
		r.BytesPerReq = float64(after.TotalAlloc-before.TotalAlloc) / float64(n)
	}
	return r, nil
}

// fetch sends t's request once and returns a copy of the answer's body and content type; the
// answer must be a 200.
func fetch(t target, timeout time.Duration) ([]byte, string, error) {
	w := newWorker(t, timeout)
	defer w.close()
	if err := w.do(); err != nil {
		return nil, "", err
	}
	if sc := w.resp.StatusCode(); sc != fasthttp.StatusOK {
		return nil, "", fmt.Errorf("GET %s from %s: status %d: %.200s", t.path, t.addr, sc, w.resp.Body())
	}
	return append([]byte(nil), w.resp.Body()...), string(w.resp.Header.ContentType()), nil
}
