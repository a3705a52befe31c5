package main

import (
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"time"
)

// Parts of the benchmark that Config.Only may pick.
const (
	partCreate = "create"
	partEdge   = "edge"
)

// Demo apps the create part knows how to deploy (see appSpecs).
const (
	appHello = "hello"
	appRedis = "redis"
)

// Config is one benchmark run. The zero value of every field means "use the default", except
// Binary, which the create part requires.
type Config struct {
	// Binary is the built pitrix binary the create part runs as the server (`make build` puts
	// it at bin/pitrix). Required unless Only is "edge".
	Binary string
	// DemoSrc is the folder of demo package sources given to the server's --demo-src.
	// Default: the module's demo/packages.
	DemoSrc string
	// Only runs one part: "create" or "edge". Default: both.
	Only string
	// Apps are the demo apps the create part measures, in order (default hello, redis). Redis
	// is skipped, and says so in the report, when redis-server is not on PATH.
	Apps []string
	// N is the number of create/delete iterations per app (default 5).
	N int
	// PollInterval is how often GET /v1/jobs/{id} is read while a job runs (default 20ms):
	// the resolution of the poll figures. The event-stream figures do not depend on it.
	PollInterval time.Duration
	// Timeout bounds each wait for one job, and the whole edge part (default 2m).
	Timeout time.Duration
	// EdgeOps is the number of measured sequential round trips of each edge and gRPC
	// operation (default 2000).
	EdgeOps int
	// EdgeWarmup is the number of unmeasured round trips of each operation run first
	// (default 50; negative means none).
	EdgeWarmup int
	// Logger receives progress lines (Info) and the server's log lines (Debug). Default:
	// discard.
	Logger *slog.Logger
}

// Defaults of Config.
const (
	DefaultN            = 5
	DefaultPollInterval = 20 * time.Millisecond
	DefaultTimeout      = 2 * time.Minute
	DefaultEdgeOps      = 2000
	DefaultEdgeWarmup   = 50
)

func (c Config) withDefaults() Config {
	if len(c.Apps) == 0 {
		c.Apps = []string{appHello, appRedis}
	}
	if c.N == 0 {
		c.N = DefaultN
	}
	if c.PollInterval == 0 {
		c.PollInterval = DefaultPollInterval
	}
	if c.Timeout == 0 {
		c.Timeout = DefaultTimeout
	}
	if c.EdgeOps == 0 {
		c.EdgeOps = DefaultEdgeOps
	}
	switch {
	case c.EdgeWarmup == 0:
		c.EdgeWarmup = DefaultEdgeWarmup
	case c.EdgeWarmup < 0:
		c.EdgeWarmup = 0
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	return c
}

// runs reports whether part is to be run.
func (c Config) runs(part string) bool { return c.Only == "" || c.Only == part }

// Validate reports every bad field of c (after defaults are applied).
func (c Config) Validate() error {
	var errs []error
	switch c.Only {
	case "", partCreate, partEdge:
	default:
		errs = append(errs, fmt.Errorf("vmbench: only %q is not create or edge", c.Only))
	}
	if c.runs(partCreate) && c.Binary == "" {
		errs = append(errs, errors.New("vmbench: no pitrix binary (-bin) for the create part"))
	}
	for _, a := range c.Apps {
		if _, ok := appSpecOf(a); !ok {
			errs = append(errs, fmt.Errorf("vmbench: app %q is not one of hello, redis", a))
		}
	}
	if len(slices.Compact(slices.Sorted(slices.Values(c.Apps)))) != len(c.Apps) {
		errs = append(errs, fmt.Errorf("vmbench: apps %v name one twice", c.Apps))
	}
	if c.N < 1 || c.N > 1000 {
		errs = append(errs, fmt.Errorf("vmbench: n %d is not in 1..1000", c.N))
	}
	if c.PollInterval < time.Millisecond {
		errs = append(errs, fmt.Errorf("vmbench: poll interval %v is under 1ms", c.PollInterval))
	}
	if c.Timeout <= 0 {
		errs = append(errs, fmt.Errorf("vmbench: timeout %v is not positive", c.Timeout))
	}
	if c.EdgeOps < 1 || c.EdgeOps > 1_000_000 {
		errs = append(errs, fmt.Errorf("vmbench: edge ops %d is not in 1..1000000", c.EdgeOps))
	}
	if c.EdgeWarmup > 100_000 {
		errs = append(errs, fmt.Errorf("vmbench: edge warm-up %d is over 100000", c.EdgeWarmup))
	}
	return errors.Join(errs...)
}
