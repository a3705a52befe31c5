package main

import (
	"errors"
	"fmt"
	"log/slog"
	"time"
)

// Config is one benchmark run. The zero value of every field means "use the default", except
// Kubeconfig, which is required.
type Config struct {
	// Binary is the pitrix binary to run as the server. Default: `go build` one from the
	// module (slow the first time; a warm build cache makes it a link step).
	Binary string
	// Kubeconfig is the content of a self-contained kubeconfig (certificates and keys inline)
	// of the test Kubernetes API server; see loadKubeconfig. Required.
	Kubeconfig string
	// ChartDir is the chart source folder deployed on both sides. Default: the module's
	// demo/packages/helm/web.
	ChartDir string
	// N is the number of measured iterations of each side (default 5).
	N int
	// Warmup is the number of unmeasured iterations of each side run first, so the server has
	// fetched and cached the chart and both sides' first-use costs are out of the figures.
	// Zero means none.
	Warmup int
	// Replicas is the chart's replicaCount on both sides (default 2).
	Replicas int
	// PollInterval is how often the API side reads the job while waiting for it (default
	// 20ms): the resolution of the API figure.
	PollInterval time.Duration
	// Timeout bounds each step of an iteration: one create, one install, one cleanup
	// (default 3m).
	Timeout time.Duration
	// Logger receives progress lines (Info) and the server's log lines (Debug). Default:
	// discard.
	Logger *slog.Logger
}

// Defaults of Config.
const (
	DefaultN            = 5
	DefaultReplicas     = 2
	DefaultPollInterval = 20 * time.Millisecond
	DefaultTimeout      = 3 * time.Minute
)

func (c Config) withDefaults() Config {
	if c.N == 0 {
		c.N = DefaultN
	}
	if c.Replicas == 0 {
		c.Replicas = DefaultReplicas
	}
	if c.PollInterval == 0 {
		c.PollInterval = DefaultPollInterval
	}
	if c.Timeout == 0 {
		c.Timeout = DefaultTimeout
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	return c
}

// Validate reports every bad field of c (after defaults are applied).
func (c Config) Validate() error {
	var errs []error
	if c.Kubeconfig == "" {
		errs = append(errs, errors.New("helmbench: no kubeconfig"))
	}
	if c.N < 1 || c.N > 1000 {
		errs = append(errs, fmt.Errorf("helmbench: n %d is not in 1..1000", c.N))
	}
	if c.Warmup < 0 || c.Warmup > 100 {
		errs = append(errs, fmt.Errorf("helmbench: warmup %d is not in 0..100", c.Warmup))
	}
	if c.Replicas < 1 || c.Replicas > 50 {
		errs = append(errs, fmt.Errorf("helmbench: replicas %d is not in 1..50", c.Replicas))
	}
	if c.PollInterval < time.Millisecond {
		errs = append(errs, fmt.Errorf("helmbench: poll interval %v is under 1ms", c.PollInterval))
	}
	if c.Timeout <= 0 {
		errs = append(errs, fmt.Errorf("helmbench: timeout %v is not positive", c.Timeout))
	}
	return errors.Join(errs...)
}
