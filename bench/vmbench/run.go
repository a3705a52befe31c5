package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"time"
)

// run measures the parts of cfg, create first, and returns the report. Every process, server
// and temporary directory it made is gone when it returns.
func run(ctx context.Context, cfg Config) (Report, error) {
	cfg = cfg.withDefaults()
	if err := cfg.Validate(); err != nil {
		return Report{}, err
	}
	r := Report{Started: time.Now().UTC(), GoVersion: runtime.Version(), NumCPU: runtime.NumCPU()}
	if cfg.runs(partCreate) {
		if cfg.DemoSrc == "" {
			root, err := moduleRoot(ctx)
			if err != nil {
				return Report{}, err
			}
			cfg.DemoSrc = filepath.Join(root, "demo", "packages")
		}
		bin, err := filepath.Abs(cfg.Binary)
		if err != nil {
			return Report{}, fmt.Errorf("binary %q: %w", cfg.Binary, err)
		}
		if _, err := os.Stat(bin); err != nil {
			return Report{}, fmt.Errorf("binary: %w (make build puts it at bin/pitrix)", err)
		}
		cfg.Binary = bin
		cfg.Logger.Info("create part", "binary", bin, "apps", cfg.Apps, "n", cfg.N)
		if r.Create, err = createPart(ctx, cfg); err != nil {
			return Report{}, fmt.Errorf("create part: %w", err)
		}
	}
	if cfg.runs(partEdge) {
		cfg.Logger.Info("edge part", "ops", cfg.EdgeOps, "warmup", cfg.EdgeWarmup)
		var err error
		if r.Edge, err = edgePart(ctx, cfg); err != nil {
			return Report{}, fmt.Errorf("edge part: %w", err)
		}
	}
	return r, nil
}

// moduleRoot is the folder of the go.mod the current directory belongs to.
func moduleRoot(ctx context.Context) (string, error) {
	out, err := exec.CommandContext(ctx, "go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOMOD: %w", err)
	}
	mod := strings.TrimSpace(string(out))
	if mod == "" || mod == os.DevNull {
		return "", errors.New("vmbench: not inside the pitrix module: run from its folder, or pass -demo-src")
	}
	return filepath.Dir(mod), nil
}
