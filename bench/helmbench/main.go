package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
)

// defaultKubeconfig is where ../shared/scripts/k8s-up.sh writes the test cluster's kubeconfig.
const defaultKubeconfig = "/tmp/pitrix-k8s/kubeconfig"

func main() {
	var cfg Config
	flag.StringVar(&cfg.Binary, "bin", "", "path of a built pitrix binary; default: go build one into a temporary directory")
	flag.IntVar(&cfg.N, "n", DefaultN, "measured iterations per side")
	flag.IntVar(&cfg.Warmup, "warmup", 1, "unmeasured iterations per side before the measured ones")
	flag.IntVar(&cfg.Replicas, "replicas", DefaultReplicas, "the chart's replicaCount")
	kubeconfig := flag.String("kubeconfig", "", "kubeconfig of the test Kubernetes; default $PITRIX_KUBECONFIG, $KUBECONFIG, then "+defaultKubeconfig)
	flag.StringVar(&cfg.ChartDir, "chart", "", "chart source folder; default the module's demo/packages/helm/web")
	flag.DurationVar(&cfg.Timeout, "timeout", DefaultTimeout, "bound on each create, install and cleanup")
	out := flag.String("out", "", "also write the report as JSON to this file")
	logLevel := flag.String("log-level", "info", "progress log level: debug (with the server's and Helm's lines), info, warn or error")
	flag.Parse()
	var lvl slog.Level
	if err := lvl.UnmarshalText([]byte(*logLevel)); err != nil {
		fmt.Fprintln(os.Stderr, "helmbench: -log-level:", err)
		os.Exit(2)
	}
	cfg.Logger = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: lvl}))

	path := firstSet(*kubeconfig, os.Getenv("PITRIX_KUBECONFIG"), os.Getenv("KUBECONFIG"), defaultKubeconfig)
	kc, err := loadKubeconfig(path)
	if err != nil {
		fmt.Fprintf(os.Stderr, "helmbench: %v (is the test Kubernetes up? make test-deps)\n", err)
		os.Exit(1)
	}
	cfg.Kubeconfig = kc

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
		fmt.Fprintln(os.Stderr, "helmbench:", err)
		os.Exit(1)
	}
}

func firstSet(vs ...string) string {
	for _, v := range vs {
		if v != "" {
			return v
		}
	}
	return ""
}
