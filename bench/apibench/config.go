package main

import (
	"errors"
	"fmt"
	"log/slog"
	"time"
)

// Config is one benchmark run. The zero value of every field means "use the default".
type Config struct {
	// Duration is the measured time of each side (default 5s). Longer runs smooth out the
	// noise of a shared machine.
	Duration time.Duration
	// Warmup is the unmeasured time each side runs first, so connections are open and caches
	// and the heap are warm (default a quarter of Duration, at most 1s).
	Warmup time.Duration
	// Conns is the number of concurrent client connections, each driven by one worker that
	// waits for an answer before the next request (default 32).
	Conns int
	// Requests caps the measured requests of each side; 0 means no cap (Duration alone ends
	// the phase).
	Requests int
	// Timeout bounds one request: dial, write and reading the answer (default 10s).
	Timeout time.Duration
	// DataDir is where the node keeps its store, keys and the seed repo. Default: a fresh
	// temporary directory, removed at the end.
	DataDir string
	// Logger receives the node's logs. Default: discard.
	Logger *slog.Logger
	// Case is the request measured: "get" (GET /v1/apps/{id}, the default) or "list"
	// (GET /v1/apps?limit=20, a store page).
	Case string
	// Apps is how many more apps are written to the store besides the seed repo's, as the
	// indexer writes them (active, in a public repo); default 1,000 for "list", 0 for "get".
	Apps int
}

// Default values of Config.
const (
	DefaultDuration  = 5 * time.Second
	DefaultMaxWarmup = time.Second
	DefaultConns     = 32
	DefaultTimeout   = 10 * time.Second
	DefaultListApps  = 1000
)

// Cases of Config.Case.
const (
	CaseGet  = "get"
	CaseList = "list"
)

// listPath is the request of the list case: the first page of a store listing.
const listPath = "/v1/apps?limit=20"

func (c Config) withDefaults() Config {
	if c.Duration == 0 {
		c.Duration = DefaultDuration
	}
	if c.Warmup == 0 {
		c.Warmup = min(c.Duration/4, DefaultMaxWarmup)
	}
	if c.Conns == 0 {
		c.Conns = DefaultConns
	}
	if c.Timeout == 0 {
		c.Timeout = DefaultTimeout
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.Case == "" {
		c.Case = CaseGet
	}
	if c.Apps == 0 && c.Case == CaseList {
		c.Apps = DefaultListApps
	}
	return c
}

// Validate reports every bad field of c (after defaults are applied).
func (c Config) Validate() error {
	var errs []error
	if c.Duration < 0 {
		errs = append(errs, fmt.Errorf("apibench: duration %v is negative", c.Duration))
	}
	if c.Warmup < 0 {
		errs = append(errs, fmt.Errorf("apibench: warm-up %v is negative", c.Warmup))
	}
	if c.Conns < 1 || c.Conns > 10000 {
		errs = append(errs, fmt.Errorf("apibench: conns %d is not in 1..10000", c.Conns))
	}
	if c.Requests < 0 {
		errs = append(errs, fmt.Errorf("apibench: requests %d is negative", c.Requests))
	}
	if c.Case != CaseGet && c.Case != CaseList {
		errs = append(errs, fmt.Errorf("apibench: case %q is not %q or %q", c.Case, CaseGet, CaseList))
	}
	if c.Apps < 0 || c.Apps > 1000000 {
		errs = append(errs, fmt.Errorf("apibench: apps %d is not in 0..1000000", c.Apps))
	}
	if c.Timeout < 0 {
		errs = append(errs, fmt.Errorf("apibench: timeout %v is negative", c.Timeout))
	}
	return errors.Join(errs...)
}
