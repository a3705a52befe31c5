package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"runtime/pprof"
	"strconv"
	"strings"
	"time"
)

func main() {
	cfg := defaultConfig()
	flag.DurationVar(&cfg.Duration, "duration", cfg.Duration, "measured time of each write-throughput phase")
	nodes := flag.String("nodes", "1,3,5", "cluster sizes of the write-throughput phases, comma-separated")
	writers := flag.String("writers", "1,16,64", "concurrent writer counts, comma-separated")
	flag.IntVar(&cfg.Records, "records", cfg.Records, "records the cluster holds when a node joins")
	flag.IntVar(&cfg.FailoverRuns, "failover-runs", cfg.FailoverRuns, "leader stops per raft timing")
	timings := flag.String("timings", "default,fast", "raft timings of the failover runs: default and/or fast")
	flag.IntVar(&cfg.ValueSize, "value-size", cfg.ValueSize, "bytes of each written value")
	flag.StringVar(&cfg.Dir, "dir", "", "where the temporary data dirs go (must be a real disk); default the system temp dir")
	flag.BoolVar(&cfg.Fast, "fast", cfg.Fast, "run the write and join clusters with Fast raft timings (tests' loopback timings) instead of raft's defaults")
	flag.BoolVar(&cfg.LeaderRows, "leader-rows", cfg.LeaderRows, "also measure each multi-node cluster with every writer on the leader")
	only := flag.String("only", "writes,join,failover", "measurements to run, comma-separated")
	verbose := flag.Bool("v", false, "log the nodes' warnings")
	cpuProfile := flag.String("cpuprofile", "", "write a CPU profile of the whole run to this file")
	flag.Parse()

	var err error
	if cfg.Nodes, err = parseInts("-nodes", *nodes); err == nil {
		cfg.Writers, err = parseInts("-writers", *writers)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "raftbench:", err)
		os.Exit(2)
	}
	cfg.Timings = splitList(*timings)
	cfg.Only = splitList(*only)
	if *verbose {
		cfg.Logger = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if *cpuProfile != "" {
		stopProfile, err := startCPUProfile(*cpuProfile)
		if err != nil {
			fmt.Fprintln(os.Stderr, "raftbench:", err)
			os.Exit(1)
		}
		defer stopProfile()
	}
	start := time.Now()
	rep, err := run(ctx, cfg)
	if rep != nil {
		rep.print(os.Stdout)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "raftbench:", err)
		stop()
		os.Exit(1)
	}
	fmt.Printf("\ntotal %s\n", time.Since(start).Round(time.Second))
}

func splitList(s string) []string {
	var out []string
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}

func parseInts(flagName, s string) ([]int, error) {
	var out []int
	for _, f := range splitList(s) {
		n, err := strconv.Atoi(f)
		if err != nil || n < 1 {
			return nil, fmt.Errorf("%s %q: %q is not a positive count", flagName, s, f)
		}
		out = append(out, n)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s %q: empty", flagName, s)
	}
	return out, nil
}

// startCPUProfile profiles the process into path until the returned function is called.
func startCPUProfile(path string) (func(), error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("cpu profile %s: %w", path, err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, fmt.Errorf("cpu profile %s: %w", path, err)
	}
	return func() {
		pprof.StopCPUProfile()
		if err := f.Close(); err != nil {
			fmt.Fprintln(os.Stderr, "raftbench: cpu profile:", err)
		}
	}, nil
}
