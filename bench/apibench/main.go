package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"runtime"
	"runtime/pprof"
	"syscall"
	"time"
)

func main() {
	var cfg Config
	flag.DurationVar(&cfg.Duration, "duration", DefaultDuration, "measured time per side")
	flag.DurationVar(&cfg.Warmup, "warmup", 0, "unmeasured warm-up per side; 0: a quarter of -duration, at most 1s")
	flag.IntVar(&cfg.Conns, "conns", DefaultConns, "concurrent connections, one worker each")
	flag.IntVar(&cfg.Requests, "requests", 0, "cap on the measured requests per side; 0: none")
	flag.DurationVar(&cfg.Timeout, "timeout", DefaultTimeout, "bound on one request")
	flag.StringVar(&cfg.Case, "case", CaseGet, "request measured: get (GET /v1/apps/{id}) or list (GET "+listPath+")")
	flag.IntVar(&cfg.Apps, "apps", 0, "apps written to the store besides the seed repo's; 0: 1000 for -case list, none for get")
	out := flag.String("out", "", "also write the report as JSON to this file")
	cpuProfile := flag.String("cpuprofile", "", "write a CPU profile of the whole run (both sides) to this file")
	logLevel := flag.String("log-level", "warn", "the node's log level: debug, info, warn or error")
	flag.Parse()
	var lvl slog.Level
	if err := lvl.UnmarshalText([]byte(*logLevel)); err != nil {
		fmt.Fprintln(os.Stderr, "apibench: -log-level:", err)
		os.Exit(2)
	}
	cfg.Logger = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: lvl}))

	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err == nil {
			err = pprof.StartCPUProfile(f)
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, "apibench: -cpuprofile:", err)
			os.Exit(2)
		}
		defer f.Close()
		defer pprof.StopCPUProfile()
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	r, err := run(ctx, cfg)
	stop()
	if err == nil {
		err = writeTable(os.Stdout, r)
	}
	if err == nil && *out != "" {
		err = writeJSON(*out, r)
	}
	if err != nil {
		pprof.StopCPUProfile()
		fmt.Fprintln(os.Stderr, "apibench:", err)
		os.Exit(1)
	}
}

// seedTimeout bounds starting the node and indexing the seed repo.
const seedTimeout = 2 * time.Minute

// run starts the node and the bare server, drives both with cfg's load and stops everything
// it started, removing the temporary data directory, before it returns.
func run(ctx context.Context, cfg Config) (_ Report, err error) {
	cfg = cfg.withDefaults()
	if err := cfg.Validate(); err != nil {
		return Report{}, err
	}
	dir := cfg.DataDir
	if dir == "" {
		if dir, err = os.MkdirTemp("", "apibench-"); err != nil {
			return Report{}, err
		}
		defer func() { err = errors.Join(err, os.RemoveAll(dir)) }()
	}
	r := Report{Started: time.Now().UTC(), GoVersion: runtime.Version(), GOMAXPROCS: runtime.GOMAXPROCS(0),
		NumCPU: runtime.NumCPU(), Conns: cfg.Conns, Warmup: cfg.Warmup, Duration: cfg.Duration, Requests: cfg.Requests}

	seedCtx, cancel := context.WithTimeout(ctx, seedTimeout)
	defer cancel()
	p, err := startPitrix(seedCtx, dir, cfg.Logger)
	if err != nil {
		return Report{}, err
	}
	defer func() { err = errors.Join(err, p.Close()) }()
	appID, err := seed(seedCtx, p.plane, dir)
	if err != nil {
		return Report{}, err
	}
	r.Path = "/v1/apps/" + appID
	if cfg.Case == CaseList {
		if err := seedApps(seedCtx, p, appID, cfg.Apps); err != nil {
			return Report{}, err
		}
		r.Path = listPath
	}
	r.Apps = cfg.Apps

	pt := target{side: "pitrix", addr: p.addr, path: r.Path, token: p.token}
	body, ctype, err := fetch(pt, cfg.Timeout)
	if err != nil {
		return Report{}, err
	}
	r.BodyBytes, r.ContentType, r.Body = len(body), ctype, string(body)
	pt.wantLen = len(body)
	b, err := startBare(body, ctype)
	if err != nil {
		return Report{}, err
	}
	defer func() { err = errors.Join(err, b.Close()) }()
	bt := target{side: "bare", addr: b.addr, path: r.Path, token: p.token, wantLen: len(body)}

	l := load{conns: cfg.Conns, warmup: cfg.Warmup, duration: cfg.Duration, requests: cfg.Requests, timeout: cfg.Timeout}
	for _, t := range []target{pt, bt} {
		s, err := drive(ctx, t, l)
		if err != nil {
			return Report{}, err
		}
		r.Sides = append(r.Sides, s)
	}
	r.Ratio = ratioOf(r.Sides[0], r.Sides[1])
	return r, nil
}
