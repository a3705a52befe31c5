package runner

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"os"
	"os/exec"
	"slices"
	"sync"
	"syscall"
	"time"
)

// Errors of Run.
var (
	ErrTimeout = errors.New("runner: command timed out")
	ErrEmpty   = errors.New("runner: empty command")
)

// Command is one shell command to run on the instance.
type Command struct {
	// ID makes the command run at most once: see the package comment.
	// Empty means no deduplication and no stored result (health checks,
	// confd's check and reload commands).
	ID string
	// Cmd is the shell text, run as `sh -c Cmd`.
	Cmd string
	// Env adds or overrides environment variables for this command.
	Env map[string]string
	// Timeout bounds the run; zero means Config.DefaultTimeout.
	Timeout time.Duration
}

// Result is what a finished command did.
type Result struct {
	ID       string `json:"id,omitempty"`
	ExitCode int    `json:"exit_code"` // -1 when killed by a signal (timeout)
	Stdout   []byte `json:"stdout,omitempty"`
	Stderr   []byte `json:"stderr,omitempty"`
	// Truncated says output was cut to Config.MaxOutput (head and tail
	// kept).
	Truncated bool          `json:"truncated,omitempty"`
	TimedOut  bool          `json:"timed_out,omitempty"`
	Started   time.Time     `json:"started"`
	Duration  time.Duration `json:"duration"`
	// Deduplicated says this result is a stored one: the command did not
	// run again for this call.
	Deduplicated bool `json:"-"`
}

// Err returns the error Run reports with r: ErrTimeout (wrapped) for a
// timed-out command, nil otherwise. A non-zero exit code is not an error of
// Run; callers judge it.
func (r Result) Err() error {
	if r.TimedOut {
		return fmt.Errorf("command %q: %w after %s", r.ID, ErrTimeout, r.Duration.Round(time.Millisecond))
	}
	return nil
}

// Runner runs commands on one instance. Its methods are safe for concurrent
// use. It starts no goroutine that outlives a call.
type Runner struct {
	cfg   Config
	log   *slog.Logger
	state *state

	mu       sync.Mutex
	inflight map[string]*call
}

// call is a command with an id that is running now.
type call struct {
	done    chan struct{}
	res     Result
	err     error
	ran     bool // the command finished: waiters reuse res instead of running it
	waiters int  // callers waiting on done; read by tests
}

// Open prepares the state directory and returns a Runner. Commands that
// were running when a previous process died are logged and listed by
// Interrupted; they will run again if asked.
func Open(cfg Config) (*Runner, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	st, err := openState(cfg.StateDir)
	if err != nil {
		return nil, err
	}
	r := &Runner{cfg: cfg, log: cfg.Logger.With("component", "runner"), state: st, inflight: map[string]*call{}}
	for _, id := range st.interrupted {
		r.log.Warn("command was running when the drone stopped; it will run again if asked", "command_id", id)
	}
	return r, nil
}

// Interrupted returns the ids of commands that were running when the
// previous process died, found by Open.
func (r *Runner) Interrupted() []string { return slices.Clone(r.state.interrupted) }

// Run runs c and returns its Result. A timed-out command returns its Result
// (TimedOut set) and an error wrapping ErrTimeout. A command cancelled by ctx
// is killed and returns ctx's error; it is not stored. When c.ID names a
// finished command, Run returns the stored Result with Deduplicated set
// (and the same error as the first time) without running anything.
func (r *Runner) Run(ctx context.Context, c Command) (Result, error) {
	if c.Cmd == "" {
		return Result{}, fmt.Errorf("command %q: %w", c.ID, ErrEmpty)
	}
	if c.ID == "" {
		return r.exec(ctx, c)
	}
	for {
		r.mu.Lock()
		if cl, ok := r.inflight[c.ID]; ok {
			cl.waiters++
			r.mu.Unlock()
			select {
			case <-cl.done:
			case <-ctx.Done():
				r.mu.Lock()
				cl.waiters--
				r.mu.Unlock()
				return Result{}, fmt.Errorf("command %q: wait for the running copy: %w", c.ID, ctx.Err())
			}
			if cl.ran {
				res := cl.res
				res.Deduplicated = true
				return res, res.Err()
			}
			continue // the first run did not finish (cancelled, failed to start): try ourselves
		}
		res, found, err := r.state.load(c.ID)
		if err != nil {
			r.mu.Unlock()
			return Result{}, fmt.Errorf("command %q: %w", c.ID, err)
		}
		if found {
			r.mu.Unlock()
			res.Deduplicated = true
			return res, res.Err()
		}
		cl := &call{done: make(chan struct{})}
		r.inflight[c.ID] = cl
		r.mu.Unlock()
		return r.runOnce(ctx, c, cl)
	}
}

// runOnce runs c as the owner of cl and stores a finished result.
func (r *Runner) runOnce(ctx context.Context, c Command, cl *call) (res Result, err error) {
	defer func() {
		r.mu.Lock()
		delete(r.inflight, c.ID)
		cl.res, cl.err = res, err
		r.mu.Unlock()
		close(cl.done)
	}()
	if err := r.state.markRunning(c.ID); err != nil {
		return Result{}, fmt.Errorf("command %q: %w", c.ID, err)
	}
	res, err = r.exec(ctx, c)
	if err != nil && !errors.Is(err, ErrTimeout) {
		// Not finished (cancelled, failed to start): forget it, so it may
		// run again.
		if uerr := r.state.unmarkRunning(c.ID); uerr != nil {
			r.log.Warn("clear running marker", "command_id", c.ID, "err", uerr)
		}
		return res, err
	}
	cl.ran = true
	if serr := r.state.store(res); serr != nil {
		// The command ran but its result is not durable; report that, as
		// a restart would run it again.
		return res, fmt.Errorf("command %q ran but its result was not stored: %w", c.ID, serr)
	}
	if uerr := r.state.unmarkRunning(c.ID); uerr != nil {
		r.log.Warn("clear running marker", "command_id", c.ID, "err", uerr)
	}
	return res, err
}

// exec runs c once, with no deduplication.
func (r *Runner) exec(ctx context.Context, c Command) (Result, error) {
	timeout := c.Timeout
	if timeout <= 0 {
		timeout = r.cfg.DefaultTimeout
	}
	res := Result{ID: c.ID}
	// Output goes to files, not pipes: a background child that keeps the
	// descriptors open must not hold Run up after the shell exits.
	stdout, err := r.state.scratch("stdout")
	if err != nil {
		return res, fmt.Errorf("command %q: %w", c.ID, err)
	}
	defer discard(stdout)
	stderr, err := r.state.scratch("stderr")
	if err != nil {
		return res, fmt.Errorf("command %q: %w", c.ID, err)
	}
	defer discard(stderr)

	cmd := exec.Command(r.cfg.Shell, "-c", c.Cmd)
	cmd.Dir = r.cfg.Root
	if cmd.Dir == "" {
		cmd.Dir = "/"
	}
	cmd.Env = r.env(c.Env)
	cmd.Stdout, cmd.Stderr = stdout, stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}

	res.Started = time.Now()
	if err := cmd.Start(); err != nil {
		return res, fmt.Errorf("command %q: start %s: %w", c.ID, r.cfg.Shell, err)
	}
	pgid := cmd.Process.Pid
	exited := make(chan struct{})
	go func() { // owned: exec waits for exited before returning
		_ = cmd.Wait() // the exit status is read from ProcessState
		close(exited)
	}()
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	var cancelled bool
	select {
	case <-exited:
	case <-timer.C:
		res.TimedOut = true
		r.killGroup(pgid, exited)
	case <-ctx.Done():
		cancelled = true
		r.killGroup(pgid, exited)
	}
	res.Duration = time.Since(res.Started)
	res.ExitCode = cmd.ProcessState.ExitCode()
	var t1, t2 bool
	res.Stdout, t1 = readCapped(stdout, r.cfg.MaxOutput)
	res.Stderr, t2 = readCapped(stderr, r.cfg.MaxOutput)
	res.Truncated = t1 || t2
	if cancelled {
		return res, fmt.Errorf("command %q: %w", c.ID, ctx.Err())
	}
	return res, res.Err()
}

// killGroup ends the process group pgid: SIGTERM, then SIGKILL when the
// shell has exited or the grace has passed, whichever comes first, so
// children that outlive the shell die too. It returns once the shell has
// been reaped.
func (r *Runner) killGroup(pgid int, exited <-chan struct{}) {
	_ = syscall.Kill(-pgid, syscall.SIGTERM) // ESRCH: already gone
	grace := time.NewTimer(r.cfg.KillGrace)
	defer grace.Stop()
	select {
	case <-exited:
	case <-grace.C:
	}
	_ = syscall.Kill(-pgid, syscall.SIGKILL)
	<-exited
}

// Env is the environment every command starts with (the base and the PITRIX_* variables).
func (r *Runner) Env() []string { return r.env(nil) }

// env returns the command's environment: the base, the PITRIX_* variables,
// then the command's own, later entries winning.
func (r *Runner) env(extra map[string]string) []string {
	env := slices.Clone(r.cfg.BaseEnv)
	env = append(env,
		"PITRIX_ROOT="+r.cfg.Root,
		"PITRIX_CLUSTER_ID="+r.cfg.ClusterID,
		"PITRIX_ROLE="+r.cfg.Role,
		"PITRIX_INSTANCE_ID="+r.cfg.InstanceID,
		"PITRIX_IP="+r.cfg.IP,
	)
	for _, k := range slices.Sorted(maps.Keys(extra)) {
		env = append(env, k+"="+extra[k])
	}
	return env
}

func discard(f *os.File) {
	_ = f.Close()
	_ = os.Remove(f.Name()) // scratch: Open clears leftovers
}

// Prune deletes the stored results of commands that started before t and
// returns how many it deleted; a later Run of such an id runs it again. The
// Drone calls it now and then to bound its state directory.
func (r *Runner) Prune(before time.Time) (int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	n, err := r.state.prune(before)
	if err != nil {
		return n, fmt.Errorf("prune results: %w", err)
	}
	return n, nil
}
