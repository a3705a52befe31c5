package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/pitrix/pitrix/bench/benchkit"
)

// Config is one run. The zero value of every field means "use the default".
type Config struct {
	// Bin is the pitrix binary; default: built from the module into a temporary folder.
	Bin string
	// Duration is the measured time of each phase (default 5s).
	Duration time.Duration
	// BaselineConns is the closed-loop workers of the unloaded phase (default 2).
	BaselineConns int
	// SatConns is the closed-loop workers that saturate the server (default 64).
	SatConns int
	// Overload is the offered rate of the overload phase as a multiple of the saturated rate
	// (default 2).
	Overload float64
	// Pool is the connections of the overload phase (default 1024): the most requests it can
	// have outstanding.
	Pool int
	// MaxInFlight is the server's --max-in-flight (default 0: the server's default).
	MaxInFlight int
	// Timeout bounds one request (default 10s).
	Timeout time.Duration
}

func (c Config) withDefaults() Config {
	if c.Duration == 0 {
		c.Duration = 5 * time.Second
	}
	if c.BaselineConns == 0 {
		c.BaselineConns = 2
	}
	if c.SatConns == 0 {
		c.SatConns = 64
	}
	if c.Overload == 0 {
		c.Overload = 2
	}
	if c.Pool == 0 {
		c.Pool = 1024
	}
	if c.Timeout == 0 {
		c.Timeout = 10 * time.Second
	}
	return c
}

// Validate reports every bad field of c (after defaults).
func (c Config) Validate() error {
	var errs []error
	if c.Duration < 100*time.Millisecond {
		errs = append(errs, fmt.Errorf("floodbench: duration %v is under 100ms", c.Duration))
	}
	for _, f := range []struct {
		name string
		n    int
	}{{"baseline-conns", c.BaselineConns}, {"sat-conns", c.SatConns}, {"pool", c.Pool}} {
		if f.n < 1 || f.n > 8000 {
			errs = append(errs, fmt.Errorf("floodbench: %s %d is not in 1..8000", f.name, f.n))
		}
	}
	if c.Overload < 1 || c.Overload > 10 {
		errs = append(errs, fmt.Errorf("floodbench: overload %g is not in 1..10", c.Overload))
	}
	if c.MaxInFlight < 0 {
		errs = append(errs, fmt.Errorf("floodbench: max-in-flight %d is negative", c.MaxInFlight))
	}
	return errors.Join(errs...)
}

func main() {
	var cfg Config
	flag.StringVar(&cfg.Bin, "bin", "", "the pitrix binary; default: build ./cmd/pitrix")
	flag.DurationVar(&cfg.Duration, "duration", 5*time.Second, "measured time of each phase")
	flag.IntVar(&cfg.BaselineConns, "baseline-conns", 2, "closed-loop connections of the unloaded phase")
	flag.IntVar(&cfg.SatConns, "sat-conns", 64, "closed-loop connections that saturate the server")
	flag.Float64Var(&cfg.Overload, "overload", 2, "offered rate of the overload phase, × the saturated rate")
	flag.IntVar(&cfg.Pool, "pool", 1024, "connections of the overload phase")
	flag.IntVar(&cfg.MaxInFlight, "max-in-flight", 0, "the server's --max-in-flight; 0: its default")
	flag.Parse()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	rows, err := run(ctx, cfg)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "floodbench:", err)
		os.Exit(1)
	}
	fmt.Println("| phase | conns | offered/s | sent/s | 200/s | 429/s | errors | 200 p50 | 200 p99 | 200 max | peak RSS |")
	fmt.Println("|---|---|---|---|---|---|---|---|---|---|---|")
	for _, r := range rows {
		fmt.Println(r.String())
	}
}

// run starts the server, runs the three phases and stops the server.
func run(ctx context.Context, cfg Config) (_ []result, err error) {
	cfg = cfg.withDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	tmp, err := os.MkdirTemp("", "floodbench-")
	if err != nil {
		return nil, err
	}
	defer func() { err = errors.Join(err, os.RemoveAll(tmp)) }()
	if cfg.Bin == "" {
		cfg.Bin = filepath.Join(tmp, "pitrix")
		if err := build(ctx, cfg.Bin); err != nil {
			return nil, err
		}
	}
	args := []string{"--local-runtime=false", "--max-conns-per-ip", strconv.Itoa(cfg.Pool + 64)}
	if cfg.MaxInFlight > 0 {
		args = append(args, "--max-in-flight", strconv.Itoa(cfg.MaxInFlight))
	}
	startCtx, cancel := context.WithTimeout(ctx, time.Minute)
	srv, err := benchkit.StartServer(startCtx, cfg.Bin, filepath.Join(tmp, "data"), args, nil, slog.New(slog.DiscardHandler))
	cancel()
	if err != nil {
		return nil, err
	}
	defer func() { err = errors.Join(err, srv.Close()) }()
	token, err := srv.Token()
	if err != nil {
		return nil, err
	}
	t := target{addr: strings.TrimPrefix(srv.URL(), "http://"), path: "/v1/categories?limit=20", token: token, timeout: cfg.Timeout}

	var rows []result
	base := t.closedLoop(ctx, "baseline", cfg.BaselineConns, cfg.Duration, srv.Pid())
	rows = append(rows, base)
	sat := t.closedLoop(ctx, "saturate", cfg.SatConns, cfg.Duration, srv.Pid())
	rows = append(rows, sat)
	if sat.okPerSec() == 0 {
		return rows, fmt.Errorf("the saturating phase answered nothing: %s", sat.firstErr)
	}
	rows = append(rows, t.openLoop(ctx, cfg.Overload*sat.okPerSec(), cfg.Pool, cfg.Duration, srv.Pid()))
	return rows, ctx.Err()
}

// build compiles ./cmd/pitrix of the current module into out.
func build(ctx context.Context, out string) error {
	cmd := exec.CommandContext(ctx, "go", "build", "-o", out, "./cmd/pitrix")
	var stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stderr, &stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("go build ./cmd/pitrix (run from the module's folder, or pass -bin): %w\n%s", err, stderr.String())
	}
	return nil
}

// target is the request every phase sends.
type target struct {
	addr, path, token string
	timeout           time.Duration
}

// result is one phase's outcome.
type result struct {
	phase                string
	conns                int
	offered              float64 // req/s asked of the generator; 0 for closed loop
	elapsed              time.Duration
	sent, ok, shed, errs int64
	lat                  []time.Duration // of the 200s
	peakRSS              int64
	firstErr             string
}

func (r result) okPerSec() float64 { return float64(r.ok) / r.elapsed.Seconds() }

func (r result) String() string {
	slices.Sort(r.lat)
	q := func(p float64) string {
		if len(r.lat) == 0 {
			return "-"
		}
		return fmtDur(r.lat[min(len(r.lat)-1, int(p*float64(len(r.lat))))])
	}
	offered := "closed loop"
	if r.offered > 0 {
		offered = fmt.Sprintf("%.0f", r.offered)
	}
	s := r.elapsed.Seconds()
	errs := strconv.FormatInt(r.errs, 10)
	if r.firstErr != "" {
		errs += " (" + r.firstErr + ")"
	}
	return fmt.Sprintf("| %s | %d | %s | %.0f | %.0f | %.0f | %s | %s | %s | %s | %.1f MB |",
		r.phase, r.conns, offered, float64(r.sent)/s, float64(r.ok)/s, float64(r.shed)/s, errs,
		q(0.50), q(0.99), q(1), float64(r.peakRSS)/1e6)
}

func fmtDur(d time.Duration) string {
	switch {
	case d < time.Millisecond:
		return fmt.Sprintf("%d µs", d.Microseconds())
	case d < time.Second:
		return fmt.Sprintf("%.1f ms", float64(d.Microseconds())/1000)
	}
	return fmt.Sprintf("%.2f s", d.Seconds())
}

// conn is one client connection sending t's request, redialing after an error.
type conn struct {
	t    target
	c    net.Conn
	br   *bufio.Reader
	bw   *bufio.Writer
	req  fasthttp.Request
	resp fasthttp.Response
}

func newConn(t target) *conn {
	c := &conn{t: t}
	c.req.Header.SetMethod(fasthttp.MethodGet)
	c.req.SetRequestURI(t.path)
	c.req.Header.SetHost(t.addr)
	c.req.Header.Set("Authorization", "Bearer "+t.token)
	return c
}

// do sends one request and returns the answer's status.
func (c *conn) do() (int, error) {
	if c.c == nil {
		nc, err := net.DialTimeout("tcp", c.t.addr, c.t.timeout)
		if err != nil {
			return 0, fmt.Errorf("dial: %w", err)
		}
		c.c, c.br, c.bw = nc, bufio.NewReader(nc), bufio.NewWriter(nc)
	}
	err := c.c.SetDeadline(time.Now().Add(c.t.timeout))
	if err == nil {
		err = c.req.Write(c.bw)
	}
	if err == nil {
		err = c.bw.Flush()
	}
	if err == nil {
		err = c.resp.Read(c.br)
	}
	if err != nil || c.resp.ConnectionClose() {
		c.close()
	}
	if err != nil {
		return 0, err
	}
	return c.resp.StatusCode(), nil
}

func (c *conn) close() {
	if c.c != nil {
		_ = c.c.Close()
		c.c = nil
	}
}

// tally collects outcomes from many goroutines.
type tally struct {
	sent, ok, shed, errs atomic.Int64
	mu                   sync.Mutex
	lat                  []time.Duration
	firstErr             string
}

func (t *tally) record(status int, err error, d time.Duration) {
	switch {
	case err == nil && status == 200:
		t.ok.Add(1)
		t.mu.Lock()
		t.lat = append(t.lat, d)
		t.mu.Unlock()
	case err == nil && status == 429:
		t.shed.Add(1)
	default:
		t.errs.Add(1)
		t.mu.Lock()
		if t.firstErr == "" {
			if err == nil {
				err = fmt.Errorf("status %d", status)
			}
			t.firstErr = err.Error()
		}
		t.mu.Unlock()
	}
}

func (t *tally) result(phase string, conns int, offered float64, elapsed time.Duration, peak int64) result {
	return result{phase: phase, conns: conns, offered: offered, elapsed: elapsed, sent: t.sent.Load(), ok: t.ok.Load(),
		shed: t.shed.Load(), errs: t.errs.Load(), lat: t.lat, peakRSS: peak, firstErr: t.firstErr}
}

// closedLoop runs n workers that each send, wait for the answer and send again, for d.
func (t target) closedLoop(ctx context.Context, phase string, n int, d time.Duration, pid int) result {
	var tl tally
	rss := sampleRSS(pid)
	start := time.Now()
	until := start.Add(d)
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() {
			c := newConn(t)
			defer c.close()
			for ctx.Err() == nil && time.Now().Before(until) {
				s := time.Now()
				tl.sent.Add(1)
				st, err := c.do()
				tl.record(st, err, time.Since(s))
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	return tl.result(phase, n, 0, elapsed, rss())
}

// openLoop offers rate requests per second for d over a pool of conns, whether or not the
// server keeps up; a request due when no connection is free is not sent (and counted so).
func (t target) openLoop(ctx context.Context, rate float64, pool int, d time.Duration, pid int) result {
	var tl tally
	rss := sampleRSS(pid)
	due := make(chan time.Time)
	var wg sync.WaitGroup
	for range pool {
		wg.Go(func() {
			c := newConn(t)
			defer c.close()
			for at := range due {
				st, err := c.do()
				tl.record(st, err, time.Since(at))
			}
		})
	}
	start := time.Now()
	tick := time.NewTicker(time.Millisecond)
	var dispatched, unsent int64
	for now := start; now.Sub(start) < d && ctx.Err() == nil; now = <-tick.C {
		want := int64(rate * now.Sub(start).Seconds())
		for ; dispatched < want; dispatched++ {
			at := start.Add(time.Duration(float64(dispatched) / rate * float64(time.Second)))
			select {
			case due <- at:
				tl.sent.Add(1)
			default:
				unsent++
			}
		}
	}
	tick.Stop()
	close(due)
	wg.Wait()
	elapsed := time.Since(start)
	r := tl.result("overload", pool, rate, elapsed, rss())
	if unsent > 0 {
		r.phase += fmt.Sprintf(" (%d not sent: no free connection)", unsent)
	}
	return r
}

// sampleRSS samples pid's VmRSS every 50 ms until the returned func is called, which returns
// the peak.
func sampleRSS(pid int) func() int64 {
	var peak atomic.Int64
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		tick := time.NewTicker(50 * time.Millisecond)
		defer tick.Stop()
		for {
			if v := readRSS(pid); v > peak.Load() {
				peak.Store(v)
			}
			select {
			case <-stop:
				return
			case <-tick.C:
			}
		}
	}()
	return func() int64 {
		close(stop)
		<-done
		return peak.Load()
	}
}

// readRSS is pid's VmRSS in bytes, or 0 when /proc cannot tell.
func readRSS(pid int) int64 {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	defer f.Close()
	b, _ := io.ReadAll(f)
	for line := range strings.SplitSeq(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			return kb << 10
		}
	}
	return 0
}
