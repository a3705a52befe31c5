//go:build unix

package store

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// crashChildEnv switches this test binary into the writer child of TestKillDurability; its
// value is the store directory.
const crashChildEnv = "STORE_CRASH_CHILD"

func crashValue(key string) []byte {
	return []byte(strings.Repeat(key+";", 8))
}

// TestKillDurability runs a child process that writes keys with concurrent writers and prints
// each key only after Apply returned. The parent reads some acknowledgements, kills the child
// with SIGKILL (no chance to flush or close), reopens the directory and checks that every
// acknowledged key is there, at the version it was acknowledged with.
func TestKillDurability(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("spawns a child process")
	}
	dir := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^TestCrashChild$", "-test.count=1")
	cmd.Env = append(os.Environ(), crashChildEnv+"="+dir)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	stdin, err := cmd.StdinPipe() // the child exits when this closes, even if we die first
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	waited := false
	t.Cleanup(func() {
		if !waited {
			_ = cmd.Process.Kill()
			_, _ = io.Copy(io.Discard, stdout)
			_ = cmd.Wait()
		}
		_ = stdin.Close()
	})

	acked := map[string]uint64{}
	sc := bufio.NewScanner(stdout)
	read := func() bool {
		if !sc.Scan() {
			return false
		}
		f := strings.Fields(sc.Text())
		if len(f) != 3 || f[0] != "ack" {
			return true // test framework chatter
		}
		idx, err := strconv.ParseUint(f[2], 10, 64)
		if err != nil {
			t.Fatalf("child line %q: %v", sc.Text(), err)
		}
		acked[f[1]] = idx
		return true
	}
	const killAfter = 300
	for len(acked) < killAfter {
		if !read() {
			t.Fatalf("child ended after %d acks: %v\nstderr:\n%s", len(acked), sc.Err(), stderr.String())
		}
	}
	if err := cmd.Process.Kill(); err != nil {
		t.Fatalf("kill child: %v", err)
	}
	for read() { // lines the child wrote before it died are acknowledgements too
	}
	waited = true
	err = cmd.Wait()
	var exitErr *exec.ExitError
	if !errors.As(err, &exitErr) || exitErr.ExitCode() != -1 {
		t.Fatalf("child did not die by the signal: %v\nstderr:\n%s", err, stderr.String())
	}

	d := openDir(t, dir)
	defer d.Close()
	var maxIdx uint64
	for key, idx := range acked {
		rec, err := d.Get(t.Context(), key)
		if err != nil {
			t.Fatalf("acknowledged key %s lost after kill -9: %v", key, err)
		}
		if !bytes.Equal(rec.Value, crashValue(key)) || rec.Version != idx {
			t.Fatalf("acknowledged key %s = %q at version %d, want its value at version %d", key, rec.Value, rec.Version, idx)
		}
		maxIdx = max(maxIdx, idx)
	}
	if d.LastIndex() < maxIdx {
		t.Fatalf("LastIndex after kill = %d, below acknowledged index %d", d.LastIndex(), maxIdx)
	}
	t.Logf("%d acknowledged keys survived; last index %d (child may have committed unacknowledged ones)", len(acked), d.LastIndex())
}

// TestCrashChild is the child process of TestKillDurability; it does nothing in a normal run.
func TestCrashChild(t *testing.T) {
	dir := os.Getenv(crashChildEnv)
	if dir == "" {
		t.Skip("only runs as the child of TestKillDurability")
	}
	d, err := Open(dir, Config{})
	if err != nil {
		fmt.Fprintln(os.Stderr, "open:", err)
		os.Exit(2)
	}
	ctx, cancel := context.WithCancel(t.Context())
	go func() { // parent gone (stdin closed): stop writing
		_, _ = io.Copy(io.Discard, os.Stdin)
		cancel()
	}()
	var mu sync.Mutex
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Go(func() {
			for i := 0; ctx.Err() == nil; i++ {
				key := fmt.Sprintf("w%d-%07d", w, i)
				idx, err := d.Apply(ctx, Op{Key: key, Value: crashValue(key), Expect: Absent, Terms: []string{"w=" + strconv.Itoa(w)}})
				if err != nil {
					if ctx.Err() == nil {
						fmt.Fprintln(os.Stderr, "apply:", err)
						os.Exit(2)
					}
					return
				}
				mu.Lock()
				fmt.Fprintf(os.Stdout, "ack %s %d\n", key, idx)
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	_ = d.Close()
}
