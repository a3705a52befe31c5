package driver

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/pitrix/pitrix/providers/local/sandbox"
)

// An agent is one Frontgate or Drone process of this driver: its kind (the subcommand), id,
// and the directory holding its pid file and log, which is also its working directory.
type agent struct {
	kind   string // "frontgate" | "drone"
	id     string
	dir    string
	idFlag string // the flag naming id: --id or --instance-id
	// ownFlag and ownValue tie a process to this Dir: a flag whose value is a path in it
	// (the Frontgate's --data-dir, the Drone's --state-dir). Another Driver's agent of the
	// same id is not ours.
	ownFlag, ownValue string
	// sandboxed agents run in a sandbox (see package sandbox): the process this driver starts
	// and finds is the sandbox's init, `BINARY sandbox-init --sandbox-dir DIR KIND FLAGS...`,
	// and ending it ends everything in the sandbox.
	sandboxed bool
}

func (a agent) pidFile() string { return filepath.Join(a.dir, a.kind+".pid") }
func (a agent) logFile() string { return filepath.Join(a.dir, a.kind+".log") }

// pollEvery is how often a process is checked while waiting on it.
const pollEvery = 20 * time.Millisecond

// maxLog is the size past which an agent's log is rotated (to .1) when it starts again.
const maxLog = 8 << 20

// flagValue returns the value of --name in argv ("--name v" or "--name=v").
func flagValue(argv []string, name string) (string, bool) {
	for i, a := range argv {
		if a == name && i+1 < len(argv) {
			return argv[i+1], true
		}
		if v, ok := strings.CutPrefix(a, name+"="); ok {
			return v, true
		}
	}
	return "", false
}

// agentArgs returns argv as [binary, kind, flags...] when it is a's command line: this
// driver's binary (by name: an upgraded control plane may run from elsewhere), a's
// subcommand, id and own path; for a sandboxed agent, its sandbox's init in a's directory.
func (d *Driver) agentArgs(a agent, argv []string) ([]string, bool) {
	if len(argv) < 2 || filepath.Base(argv[0]) != filepath.Base(d.cfg.Binary) {
		return nil, false
	}
	if a.sandboxed {
		if len(argv) < 5 || argv[1] != sandbox.InitArg || argv[2] != sandboxDirFlag || argv[3] != a.dir {
			return nil, false
		}
		argv = append([]string{argv[0]}, argv[4:]...)
	}
	if argv[1] != a.kind {
		return nil, false
	}
	id, ok := flagValue(argv[2:], a.idFlag)
	if !ok || id != a.id {
		return nil, false
	}
	own, ok := flagValue(argv[2:], a.ownFlag)
	return argv, ok && own == a.ownValue
}

// matches reports whether argv is a's command line (see agentArgs).
func (d *Driver) matches(a agent, argv []string) bool {
	_, ok := d.agentArgs(a, argv)
	return ok
}

// find returns a's running process: the one of its pid file when that is alive, started at the
// recorded time and running a's command line; otherwise one found among all processes (a
// process whose pid file was lost). A pid reused by another process never matches. The
// command line is returned as agentArgs does.
func (d *Driver) find(a agent) (proc, []string, bool) {
	var rec proc
	if err := readJSON(a.pidFile(), &rec); err == nil && rec.alive() {
		if raw, err := readCmdline(rec.PID); err == nil && rec.alive() {
			if argv, ok := d.agentArgs(a, raw); ok {
				return rec, argv, true
			}
		}
	}
	pids, err := listPids()
	if err != nil {
		return proc{}, nil, false
	}
	for _, pid := range pids {
		raw, err := readCmdline(pid)
		if err != nil {
			continue
		}
		argv, ok := d.agentArgs(a, raw)
		if !ok {
			continue
		}
		if p, ok := procOf(pid); ok {
			return p, argv, true
		}
	}
	return proc{}, nil, false
}

// agentEnv is the environment agents start with: Config.Env (or this process's), less PITRIX_*.
func (d *Driver) agentEnv() []string {
	env := d.cfg.Env
	if env == nil {
		env = os.Environ()
	}
	out := make([]string, 0, len(env))
	for _, kv := range env {
		if !strings.HasPrefix(kv, "PITRIX_") {
			out = append(out, kv)
		}
	}
	return out
}

// start runs a detached (own session, so its own process group) with args after the
// subcommand, its output appended to its log, records it in its pid file, and waits for ready
// (a line of its log; "" = no wait) within Config.ReadyTimeout and ctx. A sandboxed agent runs
// in box, which holds the same subcommand and args. A process that exits first is an error
// quoting the end of its log; one that is alive but not ready yet is left running (the next
// call adopts it) and reported as not ready.
func (d *Driver) start(ctx context.Context, a agent, args []string, ready string, box *sandbox.Spec) (proc, error) {
	logPath := a.logFile()
	if fi, err := os.Stat(logPath); err == nil && fi.Size() > maxLog {
		_ = os.Rename(logPath, logPath+".1")
	}
	lf, err := os.OpenFile(logPath, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		return proc{}, err
	}
	off, err := lf.Seek(0, io.SeekEnd)
	if err != nil {
		lf.Close()
		return proc{}, err
	}
	var cmd *exec.Cmd
	if a.sandboxed {
		if box == nil {
			lf.Close()
			return proc{}, fmt.Errorf("%s %s: no sandbox given", a.kind, a.id)
		}
		cmd, err = sandbox.Command(d.cfg.Binary, append([]string{sandboxDirFlag, a.dir, a.kind}, args...), *box)
		if err != nil {
			lf.Close()
			return proc{}, err
		}
	} else {
		cmd = exec.Command(d.cfg.Binary, append([]string{a.kind}, args...)...)
		cmd.Dir = a.dir
		cmd.Env = d.agentEnv()
		cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	}
	cmd.Stdout, cmd.Stderr = lf, lf // files: no copying goroutines
	err = cmd.Start()
	lf.Close()
	if err != nil {
		return proc{}, err
	}
	p := proc{PID: cmd.Process.Pid}
	if st, err := readStat(p.PID); err == nil {
		p.StartTicks = st.StartTicks
	}
	// Nobody waits for the process: it outlives this one. alive reaps it if it dies first.
	_ = cmd.Process.Release()
	if err := writeJSON(a.pidFile(), p); err != nil {
		d.kill(ctx, p)
		return proc{}, err
	}
	d.log.Info("agent started", "kind", a.kind, "id", a.id, "pid", p.PID, "log", logPath)
	return p, d.waitReady(ctx, a, p, off, ready)
}

// waitReady waits for line in a's log after offset off; an empty line is not waited for.
func (d *Driver) waitReady(ctx context.Context, a agent, p proc, off int64, line string) error {
	if line == "" {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, d.cfg.ReadyTimeout)
	defer cancel()
	t := time.NewTicker(pollEvery)
	defer t.Stop()
	for {
		out := readFrom(a.logFile(), off)
		if bytes.Contains(out, []byte(line)) {
			return nil
		}
		if !p.alive() {
			out = readFrom(a.logFile(), off) // what it wrote before exiting
			return fmt.Errorf("pid %d exited: %s (log %s)", p.PID, tail(out), a.logFile())
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%w: pid %d did not log %q: %w; last: %s (log %s)", ErrNotReady, p.PID, line, ctx.Err(), tail(out), a.logFile())
		case <-t.C:
		}
	}
}

// readFrom returns up to 1 MiB of file after offset off.
func readFrom(path string, off int64) []byte {
	f, err := os.Open(path)
	if err != nil {
		return nil
	}
	defer f.Close()
	b, _ := io.ReadAll(io.LimitReader(io.NewSectionReader(f, off, 1<<20), 1<<20))
	return b
}

// tail returns the last lines of out, at most ~600 bytes, on one line.
func tail(out []byte) string {
	out = bytes.TrimSpace(out)
	if len(out) == 0 {
		return "no output"
	}
	if len(out) > 600 {
		out = out[len(out)-600:]
		if i := bytes.IndexByte(out, '\n'); i >= 0 {
			out = out[i+1:]
		}
	}
	return strings.ReplaceAll(string(out), "\n", " | ")
}

// stop ends a's process, if it runs: SIGTERM to its process group, SIGKILL after
// Config.StopTimeout; then removes its pid file.
func (d *Driver) stop(ctx context.Context, a agent) error {
	p, _, ok := d.find(a)
	if ok {
		if err := d.terminate(ctx, []proc{p}, true); err != nil {
			return fmt.Errorf("stop %s %s (pid %d): %w", a.kind, a.id, p.PID, err)
		}
		d.log.Info("agent stopped", "kind", a.kind, "id", a.id, "pid", p.PID)
	}
	if err := os.Remove(a.pidFile()); err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	return nil
}

// terminate sends SIGTERM to ps (to their process groups when groups and a process leads its
// group), waits up to Config.StopTimeout, SIGKILLs what is left and waits for it to be gone.
func (d *Driver) terminate(ctx context.Context, ps []proc, groups bool) error {
	signal := func(p proc, sig syscall.Signal) {
		if !p.alive() {
			return // checked right before: a gone pid is not signalled
		}
		if groups {
			if pgid, err := syscall.Getpgid(p.PID); err == nil && pgid == p.PID {
				_ = syscall.Kill(-p.PID, sig)
				return
			}
		}
		_ = syscall.Kill(p.PID, sig)
	}
	for _, p := range ps {
		signal(p, syscall.SIGTERM)
	}
	left := waitGone(ctx, ps, d.cfg.StopTimeout)
	if len(left) == 0 {
		return nil
	}
	for _, p := range left {
		signal(p, syscall.SIGKILL)
	}
	// SIGKILL is not refused; the bound only guards against a process stuck in the kernel.
	left = waitGone(context.WithoutCancel(ctx), left, d.cfg.StopTimeout+5*time.Second)
	if len(left) > 0 {
		return fmt.Errorf("pids %v still alive after SIGKILL", pids(left))
	}
	return nil
}

// kill SIGKILLs p's process group at once (a process just started that must not stay).
func (d *Driver) kill(ctx context.Context, p proc) {
	if p.alive() {
		_ = syscall.Kill(-p.PID, syscall.SIGKILL)
		waitGone(context.WithoutCancel(ctx), []proc{p}, 5*time.Second)
	}
}

// waitGone waits up to within (and ctx) for ps to end and returns those still alive.
func waitGone(ctx context.Context, ps []proc, within time.Duration) []proc {
	deadline := time.Now().Add(within)
	t := time.NewTicker(pollEvery)
	defer t.Stop()
	for {
		ps = slices.DeleteFunc(ps, func(p proc) bool { return !p.alive() })
		if len(ps) == 0 || time.Now().After(deadline) {
			return ps
		}
		select {
		case <-ctx.Done():
			return ps
		case <-t.C:
		}
	}
}

func pids(ps []proc) []int {
	out := make([]int, len(ps))
	for i, p := range ps {
		out[i] = p.PID
	}
	return out
}

// sweep ends every process whose working directory or $PITRIX_ROOT lies in dir, scanning again
// until none is left (a process may fork while it is being stopped).
func (d *Driver) sweep(ctx context.Context, dir string) error {
	const rounds = 5
	for range rounds {
		ps, err := procsUnder(dir)
		if err != nil {
			return err
		}
		if len(ps) == 0 {
			return nil
		}
		d.log.Info("stopping processes", "dir", dir, "pids", pids(ps))
		if err := d.terminate(ctx, ps, false); err != nil {
			return fmt.Errorf("stop processes in %s: %w", dir, err)
		}
	}
	ps, err := procsUnder(dir)
	if err == nil && len(ps) > 0 {
		err = fmt.Errorf("stop processes in %s: pids %v keep appearing", dir, pids(ps))
	}
	return err
}
