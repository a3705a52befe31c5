package runner

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

func TestRunExitCodesAndOutput(t *testing.T) {
	r := newRunner(t, nil)
	tests := []struct {
		name           string
		cmd            string
		code           int
		stdout, stderr string
	}{
		{"true", "true", 0, "", ""},
		{"exit 3", "echo out; echo err >&2; exit 3", 3, "out\n", "err\n"},
		{"missing program", "no-such-program-xyz", 127, "", "not found"},
		{"pipeline", "printf 'a\\nb\\n' | wc -l", 0, "2\n", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res, err := r.Run(t.Context(), Command{Cmd: tc.cmd})
			if err != nil {
				t.Fatal(err)
			}
			if res.ExitCode != tc.code {
				t.Errorf("exit code %d, want %d (stderr %q)", res.ExitCode, tc.code, res.Stderr)
			}
			if strings.TrimSpace(string(res.Stdout)) != strings.TrimSpace(tc.stdout) {
				t.Errorf("stdout %q, want %q", res.Stdout, tc.stdout)
			}
			if !strings.Contains(string(res.Stderr), strings.TrimSpace(tc.stderr)) {
				t.Errorf("stderr %q, want it to contain %q", res.Stderr, tc.stderr)
			}
			if res.Deduplicated || res.TimedOut || res.Truncated {
				t.Errorf("flags: %+v", res)
			}
		})
	}
	if _, err := r.Run(t.Context(), Command{ID: "x"}); !errors.Is(err, ErrEmpty) {
		t.Errorf("empty command: %v", err)
	}
}

func TestRunEnvAndWorkingDir(t *testing.T) {
	r := newRunner(t, func(c *Config) { c.BaseEnv = []string{"PATH=/usr/bin:/bin", "KEEP=base", "FOO=base"} })
	res, err := r.Run(t.Context(), Command{
		Cmd: `echo "$PITRIX_ROOT|$PITRIX_CLUSTER_ID|$PITRIX_ROLE|$PITRIX_INSTANCE_ID|$PITRIX_IP|$FOO|$KEEP|$(pwd -P)"`,
		Env: map[string]string{"FOO": "cmd"},
	})
	if err != nil {
		t.Fatal(err)
	}
	root, _ := filepath.EvalSymlinks(r.cfg.Root)
	want := r.cfg.Root + "|cl-1|replica|i-1|127.1.0.3|cmd|base|" + root
	if got := strings.TrimSpace(string(res.Stdout)); got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
}

// alive reports whether pid is a live process: a zombie (dead, not yet
// reaped by a parent that may never reap it) counts as gone.
func alive(pid int) bool {
	if err := syscall.Kill(pid, 0); err != nil {
		return false
	}
	stat, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return false
	}
	// The state follows the parenthesised command name.
	s := string(stat)
	i := strings.LastIndexByte(s, ')')
	return i < 0 || i+2 >= len(s) || s[i+2] != 'Z'
}

func TestTimeoutKillsProcessGroup(t *testing.T) {
	tests := []struct {
		name  string
		cmd   string
		grace time.Duration
	}{
		// sleep dies of SIGTERM with its shell.
		{"term", `sleep 100 & echo $! > "$PITRIX_ROOT/pid"; wait`, 30 * time.Second},
		// Both ignore SIGTERM: SIGKILL after the grace.
		{"kill after grace", `trap '' TERM; sleep 100 & echo $! > "$PITRIX_ROOT/pid"; wait; wait`, 200 * time.Millisecond},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := newRunner(t, func(c *Config) { c.KillGrace = tc.grace })
			pidFile := filepath.Join(r.cfg.Root, "pid")
			var res Result
			var err error
			done := make(chan struct{})
			go func() {
				defer close(done)
				res, err = r.Run(t.Context(), Command{ID: "slow", Cmd: tc.cmd, Timeout: 300 * time.Millisecond})
			}()
			<-done
			if !errors.Is(err, ErrTimeout) || !res.TimedOut || res.ExitCode != -1 {
				t.Fatalf("Run = %+v, %v; want a timeout", res, err)
			}
			data, rerr := os.ReadFile(pidFile)
			if rerr != nil {
				t.Fatal(rerr)
			}
			pid, _ := strconv.Atoi(strings.TrimSpace(string(data)))
			if pid <= 0 {
				t.Fatalf("bad pid %q", data)
			}
			waitFor(t, func() string { return "grandchild " + strconv.Itoa(pid) + " still alive" }, func() bool { return !alive(pid) })
			// A timed-out command is finished: its result is stored.
			again, err := r.Run(t.Context(), Command{ID: "slow", Cmd: tc.cmd})
			if !again.Deduplicated || !again.TimedOut || !errors.Is(err, ErrTimeout) {
				t.Errorf("replay = %+v, %v", again, err)
			}
		})
	}
}

func TestCancelKillsAndDoesNotStore(t *testing.T) {
	r := newRunner(t, nil)
	ctx, cancel := context.WithCancel(t.Context())
	cmd := Command{ID: "c1", Cmd: `echo ran >> "$PITRIX_ROOT/count"; sleep 100`}
	errc := make(chan error, 1)
	go func() {
		_, err := r.Run(ctx, cmd)
		errc <- err
	}()
	count := filepath.Join(r.cfg.Root, "count")
	waitFor(t, func() string { return "count file missing" }, func() bool { _, err := os.Stat(count); return err == nil })
	cancel()
	if err := <-errc; !errors.Is(err, context.Canceled) {
		t.Fatalf("Run = %v, want context.Canceled", err)
	}
	cmd.Cmd = `echo ran >> "$PITRIX_ROOT/count"`
	res, err := r.Run(t.Context(), cmd)
	if err != nil || res.Deduplicated {
		t.Fatalf("rerun after cancel = %+v, %v; want a fresh run", res, err)
	}
	if n := lines(t, count); n != 2 {
		t.Errorf("ran %d times, want 2", n)
	}
}

func lines(t *testing.T, file string) int {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	return bytes.Count(data, []byte("\n"))
}

func TestDedupeSequentialAndAcrossRestart(t *testing.T) {
	r := newRunner(t, nil)
	cmd := Command{ID: "task-1", Cmd: `echo ran >> "$PITRIX_ROOT/count"; echo hello; exit 4`}
	first, err := r.Run(t.Context(), cmd)
	if err != nil || first.Deduplicated || first.ExitCode != 4 {
		t.Fatalf("first = %+v, %v", first, err)
	}
	second, err := r.Run(t.Context(), cmd)
	if err != nil || !second.Deduplicated || second.ExitCode != 4 || string(second.Stdout) != "hello\n" {
		t.Fatalf("second = %+v, %v", second, err)
	}
	// A new process on the same state directory.
	r2, err := Open(r.cfg)
	if err != nil {
		t.Fatal(err)
	}
	third, err := r2.Run(t.Context(), cmd)
	if err != nil || !third.Deduplicated || third.ExitCode != 4 || !third.Started.Equal(first.Started) {
		t.Fatalf("after restart = %+v, %v", third, err)
	}
	if n := lines(t, filepath.Join(r.cfg.Root, "count")); n != 1 {
		t.Errorf("ran %d times, want 1", n)
	}
	// A different id runs.
	if res, _ := r2.Run(t.Context(), Command{ID: "task-2", Cmd: cmd.Cmd}); res.Deduplicated {
		t.Error("task-2 deduplicated")
	}
	// Pruning forgets old results.
	n, err := r2.Prune(time.Now())
	if err != nil || n != 2 {
		t.Fatalf("Prune = %d, %v; want 2", n, err)
	}
	if res, _ := r2.Run(t.Context(), cmd); res.Deduplicated {
		t.Error("pruned id still deduplicated")
	}
}

func TestDedupeConcurrent(t *testing.T) {
	r := newRunner(t, nil)
	gate := filepath.Join(r.cfg.Root, "gate")
	if err := syscall.Mkfifo(gate, 0o600); err != nil {
		t.Fatal(err)
	}
	count := filepath.Join(r.cfg.Root, "count")
	// The command blocks reading the FIFO until the test opens and closes
	// its write end.
	cmd := Command{ID: "once", Cmd: `echo ran >> "$PITRIX_ROOT/count"; cat "$PITRIX_ROOT/gate" >/dev/null; echo done`}
	var wg sync.WaitGroup
	results := make([]Result, 2)
	errs := make([]error, 2)
	wg.Go(func() { results[0], errs[0] = r.Run(t.Context(), cmd) })
	waitFor(t, func() string { return "first copy has not started" }, func() bool { _, err := os.Stat(count); return err == nil })
	wg.Go(func() { results[1], errs[1] = r.Run(t.Context(), cmd) })
	waitFor(t, func() string { return "second copy is not waiting" }, func() bool {
		r.mu.Lock()
		defer r.mu.Unlock()
		cl := r.inflight["once"]
		return cl != nil && cl.waiters == 1
	})
	w, err := os.OpenFile(gate, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	w.Close()
	wg.Wait()
	for i := range 2 {
		if errs[i] != nil || string(results[i].Stdout) != "done\n" {
			t.Errorf("call %d: %+v, %v", i, results[i], errs[i])
		}
	}
	if results[0].Deduplicated == results[1].Deduplicated {
		t.Errorf("Deduplicated = %v, %v; want exactly one", results[0].Deduplicated, results[1].Deduplicated)
	}
	if n := lines(t, count); n != 1 {
		t.Errorf("ran %d times, want 1", n)
	}
}

func TestInterruptedCommandRunsAgain(t *testing.T) {
	r := newRunner(t, nil)
	// What a process that died mid-command leaves behind.
	if err := r.state.markRunning("task-9"); err != nil {
		t.Fatal(err)
	}
	// And one that died between storing the result and clearing its marker.
	if _, err := r.Run(t.Context(), Command{ID: "task-8", Cmd: "true"}); err != nil {
		t.Fatal(err)
	}
	if err := r.state.markRunning("task-8"); err != nil {
		t.Fatal(err)
	}
	r2, err := Open(r.cfg)
	if err != nil {
		t.Fatal(err)
	}
	if got := r2.Interrupted(); len(got) != 1 || got[0] != "task-9" {
		t.Fatalf("Interrupted = %v, want [task-9]", got)
	}
	res, err := r2.Run(t.Context(), Command{ID: "task-9", Cmd: "echo again"})
	if err != nil || res.Deduplicated || string(res.Stdout) != "again\n" {
		t.Fatalf("rerun = %+v, %v", res, err)
	}
	if res, _ := r2.Run(t.Context(), Command{ID: "task-8", Cmd: "true"}); !res.Deduplicated {
		t.Error("task-8 ran again though its result was stored")
	}
}

func TestOutputCap(t *testing.T) {
	r := newRunner(t, func(c *Config) { c.MaxOutput = 1000 })
	res, err := r.Run(t.Context(), Command{Cmd: `printf BEGIN; head -c 100000 /dev/zero | tr '\0' a; printf END; echo small >&2`})
	if err != nil {
		t.Fatal(err)
	}
	out := string(res.Stdout)
	if !res.Truncated || !strings.HasPrefix(out, "BEGINaaa") || !strings.HasSuffix(out, "aaaEND") {
		t.Fatalf("truncated=%v head %q tail %q", res.Truncated, out[:min(20, len(out))], out[max(0, len(out)-20):])
	}
	if !strings.Contains(out, "[99008 bytes omitted]") || len(out) > 1100 {
		t.Errorf("kept %d bytes; marker missing or too much kept", len(out))
	}
	if string(res.Stderr) != "small\n" {
		t.Errorf("stderr %q", res.Stderr)
	}
}

func TestBackgroundChildDoesNotHoldRun(t *testing.T) {
	r := newRunner(t, nil)
	res, err := r.Run(t.Context(), Command{Cmd: `sleep 100 & echo $! > "$PITRIX_ROOT/pid"; echo started`, Timeout: time.Minute})
	if err != nil || string(res.Stdout) != "started\n" {
		t.Fatalf("Run = %+v, %v", res, err)
	}
	data, _ := os.ReadFile(filepath.Join(r.cfg.Root, "pid"))
	pid, _ := strconv.Atoi(strings.TrimSpace(string(data)))
	if pid <= 0 || !alive(pid) {
		t.Fatalf("background child %d should still run after a normal exit", pid)
	}
	_ = syscall.Kill(pid, syscall.SIGKILL) // our own child's child; clean up
}

func TestConfigValidate(t *testing.T) {
	tests := map[string]Config{
		"no state dir":  {},
		"relative root": {StateDir: "/tmp/x", Root: "rel"},
		"negative":      {StateDir: "/tmp/x", MaxOutput: -1},
	}
	for name, cfg := range tests {
		t.Run(name, func(t *testing.T) {
			if _, err := Open(cfg); err == nil {
				t.Fatal("Open accepted a bad config")
			}
		})
	}
}
