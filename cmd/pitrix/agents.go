package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/pitrix/pitrix/edge/drone"
	"github.com/pitrix/pitrix/edge/frontgate"
)

// The edge agents' subcommands. Each flag has an env twin (shown in its usage): PITRIX_FG_* for
// `pitrix frontgate`, PITRIX_DRONE_* for `pitrix drone`; a flag given on the command line wins.
// Logs go to stderr as slog text; once a session is up the agent prints
// "pitrix: frontgate ID connected to ADDR" (or "pitrix: drone ID connected to ADDR"), and the
// Frontgate first prints "pitrix: frontgate ID serving drones on ADDR" with the bound address.

// lockedWriter serializes writes of the logger and of the status lines to one stream.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

func (l *lockedWriter) printf(format string, args ...any) {
	_, _ = fmt.Fprintf(l, format, args...)
}

// agentFlags is a flag set whose defaults come from env twins.
type agentFlags struct {
	fs     *flag.FlagSet
	getenv func(string) string
	prefix string
}

func newAgentFlags(name, prefix string, getenv func(string) string, stderr io.Writer) *agentFlags {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	return &agentFlags{fs: fs, getenv: getenv, prefix: prefix}
}

func (a *agentFlags) envName(flagName string) string {
	return a.prefix + strings.ToUpper(strings.ReplaceAll(flagName, "-", "_"))
}

func (a *agentFlags) str(p *string, name, def, usage string) {
	env := a.envName(name)
	if v := a.getenv(env); v != "" {
		def = v
	}
	a.fs.StringVar(p, name, def, fmt.Sprintf("%s (env %s)", usage, env))
}

func (a *agentFlags) duration(p *time.Duration, name string, usage string) error {
	env := a.envName(name)
	var def time.Duration
	if v := a.getenv(env); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil {
			return fmt.Errorf("%s %q: %w", env, v, err)
		}
		def = d
	}
	a.fs.DurationVar(p, name, def, fmt.Sprintf("%s (env %s)", usage, env))
	return nil
}

func (a *agentFlags) integer(p *int, name string, usage string) error {
	env := a.envName(name)
	def := 0
	if v := a.getenv(env); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			return fmt.Errorf("%s %q: %w", env, v, err)
		}
		def = n
	}
	a.fs.IntVar(p, name, def, fmt.Sprintf("%s (env %s)", usage, env))
	return nil
}

func (a *agentFlags) parse(args []string) error {
	if err := a.fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return errHelp
		}
		return err
	}
	if a.fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q", a.fs.Arg(0))
	}
	return nil
}

func checkLogLevel(level string) error {
	switch level {
	case "debug", "info", "warn", "error":
		return nil
	}
	return fmt.Errorf("--log-level %q: want debug, info, warn or error", level)
}

// runFrontgate is `pitrix frontgate`: the edge agent of one VPC.
func runFrontgate(ctx context.Context, args []string, getenv func(string) string, stderr io.Writer) int {
	out := &lockedWriter{w: stderr}
	var cfg frontgate.Config
	var control, level string
	f := newAgentFlags("pitrix frontgate", "PITRIX_FG_", getenv, out)
	f.str(&cfg.ID, "id", "", "this Frontgate's id, fg-...; must match its certificate")
	f.str(&cfg.VPC, "vpc", "", "the VPC it serves")
	f.str(&control, "control", "", "control-plane edge listeners, HOST:PORT[,...], tried in turn")
	f.str(&cfg.ControlFile, "control-file", "", "a file of control-plane edge listeners, read again before every dial; its list, when it has one, replaces --control")
	f.str(&cfg.DroneListen, "listen", "127.0.0.1:0", "where Drones connect; port 0 picks one")
	f.str(&cfg.DataDir, "data-dir", "", "the metadata store and bundles; they survive restarts")
	f.str(&cfg.CertFile, "cert", "", "PEM certificate of kind frontgate, issued by the control plane's CA")
	f.str(&cfg.KeyFile, "key", "", "PEM key of --cert")
	f.str(&cfg.CAFile, "ca", "", "PEM certificate of the control plane's CA")
	f.str(&level, "log-level", "info", "debug, info, warn or error")
	err := f.parse(args)
	if err == nil {
		err = checkLogLevel(level)
	}
	if errors.Is(err, errHelp) {
		return 0
	}
	if err != nil {
		out.printf("pitrix frontgate: %v\n", err)
		return 2
	}
	for _, a := range strings.Split(control, ",") {
		if a = strings.TrimSpace(a); a != "" {
			cfg.ControlAddrs = append(cfg.ControlAddrs, a)
		}
	}
	cfg.Logger = newLogger(level, out)
	cfg.OnConnected = func(addr string) { out.printf("pitrix: frontgate %s connected to %s\n", cfg.ID, addr) }
	fg, err := frontgate.New(cfg)
	if err != nil {
		out.printf("pitrix frontgate: %v\n", err)
		return 2
	}
	done := make(chan error, 1)
	go func() { done <- fg.Run(ctx) }()
	var runErr error
	select {
	case <-fg.Ready():
		out.printf("pitrix: frontgate %s serving drones on %s\n", cfg.ID, fg.DroneAddr())
		runErr = <-done
	case runErr = <-done:
	}
	if err := runErr; err != nil {
		out.printf("pitrix frontgate: %v\n", err)
		return 1
	}
	return 0
}

// runDrone is `pitrix drone`: the agent of one instance.
func runDrone(ctx context.Context, args []string, getenv func(string) string, stderr io.Writer) int {
	out := &lockedWriter{w: stderr}
	var cfg drone.Config
	var level string
	f := newAgentFlags("pitrix drone", "PITRIX_DRONE_", getenv, out)
	f.str(&cfg.InstanceID, "instance-id", "", "the instance's id; must match the certificate")
	f.str(&cfg.ClusterID, "cluster-id", "", "its cluster (PITRIX_CLUSTER_ID of commands)")
	f.str(&cfg.Role, "role", "", "its role (PITRIX_ROLE of commands)")
	f.str(&cfg.IP, "ip", "", "its address (PITRIX_IP of commands)")
	f.str(&cfg.VPC, "vpc", "", "its VPC, announced to the Frontgate")
	f.str(&cfg.Root, "root", "", "the instance root: commands' working directory and $PITRIX_ROOT; empty = / (a real VM)")
	f.str(&cfg.StateDir, "state-dir", "", "command results, last bundle and view; keep it outside --root")
	f.str(&cfg.FrontgateAddr, "frontgate", "", "the Frontgate's Drone listener, HOST:PORT")
	f.str(&cfg.CertFile, "cert", "", "PEM certificate of kind drone, issued by the control plane's CA")
	f.str(&cfg.KeyFile, "key", "", "PEM key of --cert")
	f.str(&cfg.CAFile, "ca", "", "PEM certificate of the control plane's CA")
	f.str(&cfg.Shell, "shell", "", "the shell commands run with (SHELL -c cmd); default /bin/sh")
	f.str(&cfg.HealthCheck.Cmd, "health-cmd", "", "the role's health check command; empty = none")
	f.str(&level, "log-level", "info", "debug, info, warn or error")
	hc := &cfg.HealthCheck
	err := errors.Join(
		f.duration(&hc.Interval, "health-interval", "time between health checks; default 10s"),
		f.duration(&hc.Timeout, "health-timeout", "timeout of one health check; default 5s"),
		f.integer(&hc.HealthyThreshold, "healthy-threshold", "successes in a row to become healthy; default 2"),
		f.integer(&hc.UnhealthyThreshold, "unhealthy-threshold", "failures in a row to become unhealthy; default 3"),
	)
	if err == nil {
		err = f.parse(args)
	}
	if err == nil {
		err = checkLogLevel(level)
	}
	if errors.Is(err, errHelp) {
		return 0
	}
	if err != nil {
		out.printf("pitrix drone: %v\n", err)
		return 2
	}
	// Commands inherit the Drone's environment, less its own settings.
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "PITRIX_") {
			cfg.BaseEnv = append(cfg.BaseEnv, kv)
		}
	}
	cfg.Logger = newLogger(level, out)
	cfg.OnConnected = func(addr string) { out.printf("pitrix: drone %s connected to %s\n", cfg.InstanceID, addr) }
	d, err := drone.New(cfg)
	if err != nil {
		out.printf("pitrix drone: %v\n", err)
		return 2
	}
	if err := d.Run(ctx); err != nil {
		out.printf("pitrix drone: %v\n", err)
		return 1
	}
	return 0
}
