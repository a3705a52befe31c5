package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"strings"
	"syscall"
)

func main() {
	var cfg Config
	flag.StringVar(&cfg.Binary, "bin", "", "the built pitrix binary the create part runs as the server (make build puts it at bin/pitrix)")
	flag.IntVar(&cfg.N, "n", DefaultN, "create/delete iterations per app")
	apps := flag.String("apps", "hello,redis", "demo apps the create part measures, comma-separated (redis only with redis-server on PATH)")
	flag.IntVar(&cfg.EdgeOps, "edge-ops", DefaultEdgeOps, "measured sequential round trips of each edge and gRPC operation")
	flag.IntVar(&cfg.EdgeWarmup, "edge-warmup", DefaultEdgeWarmup, "unmeasured round trips of each operation first (negative: none)")
	flag.StringVar(&cfg.Only, "only", "", "run one part only: create or edge")
	flag.StringVar(&cfg.DemoSrc, "demo-src", "", "demo package sources for the server; default the module's demo/packages")
	flag.DurationVar(&cfg.PollInterval, "poll", DefaultPollInterval, "how often GET /v1/jobs/{id} is read while a job runs")
	flag.DurationVar(&cfg.Timeout, "timeout", DefaultTimeout, "bound on each job wait and on the whole edge part")
	out := flag.String("out", "", "also write the report as JSON to this file")
	logLevel := flag.String("log-level", "info", "progress log level: debug (with the server's lines), info, warn or error")
	flag.Parse()
	var lvl slog.Level
	if err := lvl.UnmarshalText([]byte(*logLevel)); err != nil {
		fmt.Fprintln(os.Stderr, "vmbench: -log-level:", err)
		os.Exit(2)
	}
	cfg.Logger = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: lvl}))
	for a := range strings.SplitSeq(*apps, ",") {
		if a = strings.TrimSpace(a); a != "" {
			cfg.Apps = append(cfg.Apps, a)
		}
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
		fmt.Fprintln(os.Stderr, "vmbench:", err)
		os.Exit(1)
	}
}
