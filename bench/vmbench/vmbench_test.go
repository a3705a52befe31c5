package main

import (
	"bytes"
	"context"
	"log/slog"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pitrix/pitrix/bench/benchkit"
)

// TestMain fails the package when a goroutine started by a run (the server's log reader, the
// event stream's reader, the edge agents, the gRPC servers and clients) outlives the tests.
func TestMain(m *testing.M) {
	os.Exit(benchkit.LeakCheck().Main(m)) // os/signal's process-wide loop is among goleak's defaults
}

func testLogger(t *testing.T) *slog.Logger {
	return slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelInfo}))
}

// buildPitrix compiles the server binary into a temporary directory, with the environment's
// settings as cmd/pitrix's end-to-end tests do, so both share the build cache.
func buildPitrix(t *testing.T) string {
	t.Helper()
	out := filepath.Join(t.TempDir(), "pitrix")
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "go", "build", "-o", out, "github.com/pitrix/pitrix/cmd/pitrix")
	var stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stderr, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("go build cmd/pitrix: %v\n%s", err, stderr.String())
	}
	return out
}

// TestCreate runs one create and delete of the 3-node hello app through a real server on the
// local runtime and checks the figures hang together and nothing is left running.
func TestCreate(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the pitrix server")
	}
	bin := buildPitrix(t)
	r, err := run(t.Context(), Config{Binary: bin, Only: partCreate, Apps: []string{appHello}, N: 1, Timeout: time.Minute, Logger: testLogger(t)})
	if err != nil {
		t.Fatalf("run: %v", err)
	}
	if r.Edge != nil || r.Create == nil || len(r.Create.Apps) != 1 {
		t.Fatalf("report parts: create %+v, edge %+v; want one app and no edge part", r.Create, r.Edge)
	}
	a := r.Create.Apps[0]
	if a.App != appHello || a.Skipped != "" || len(a.Samples) != 1 {
		t.Fatalf("app result %+v", a)
	}
	wantRows := []string{rowCreateSSE, rowCreatePoll, rowCreateServer, rowCreate202, rowDeleteSSE, rowDeletePoll, rowDeleteServer}
	if len(a.Rows) != len(wantRows) {
		t.Fatalf("rows %+v", a.Rows)
	}
	for i, row := range a.Rows {
		if row.Name != wantRows[i] || row.N != 1 || row.Min <= 0 || row.Min != row.Median || row.Median != row.P90 || row.P90 != row.Max || row.First != row.Max {
			t.Errorf("row %d = %+v, want %q with one positive figure", i, row, wantRows[i])
		}
	}
	s := a.Samples[0]
	for _, tm := range []Timing{s.Create, s.Delete} {
		if tm.Accepted > tm.SSE || tm.Server > tm.SSE || tm.Server > tm.Poll {
			t.Errorf("timing %+v: the 202 and the server's job time must fit in what the client saw", tm)
		}
	}
	checkSteps := func(what string, steps []Step, total float64, want ...string) {
		t.Helper()
		var sum float64
		var names []string
		for _, st := range steps {
			sum += st.Seconds
			names = append(names, st.Name)
		}
		if math.Abs(sum-total) > 1e-6 {
			t.Errorf("%s steps add up to %.6fs, SSE figure is %.6fs: %+v", what, sum, total, steps)
		}
		all := strings.Join(names, "\n")
		for _, w := range want {
			if !strings.Contains(all, w) {
				t.Errorf("%s steps lack %q:\n%s", what, w, all)
			}
		}
	}
	checkSteps("create", a.CreateSteps, s.Create.SSE, "vm.vpc", "vm.create_instance ×3", "vm.command start ×3", "job finished → final event seen")
	checkSteps("delete", a.DeleteSteps, s.Delete.SSE, "vm.delete_instance ×3")
	for _, l := range r.Create.Leftovers {
		if !l.Expected() {
			t.Errorf("unexpected process left after the server stopped: %+v", l)
		}
	}
	if left := procsUnder(r.Create.DataDir); len(left) != 0 {
		t.Errorf("processes still running under %s: %v", r.Create.DataDir, left)
	}
	if _, err := os.Stat(r.Create.DataDir); !os.IsNotExist(err) {
		t.Errorf("data dir %s after the run: %v, want it removed", r.Create.DataDir, err)
	}
	var table strings.Builder
	if err := writeTable(&table, r); err != nil {
		t.Fatal(err)
	}
	for _, w := range append(wantRows, "hello create, median iteration", "hello delete, median iteration", "processes left under the data dir") {
		if !strings.Contains(table.String(), w) {
			t.Errorf("table lacks %q:\n%s", w, table.String())
		}
	}
	t.Logf("\n%s", table.String())
}

// TestEdge runs the edge part with few operations and checks every row and ratio is there and
// positive.
func TestEdge(t *testing.T) {
	r, err := run(t.Context(), Config{Only: partEdge, EdgeOps: 200, EdgeWarmup: 10, Timeout: time.Minute, Logger: testLogger(t)})
	if err != nil {
		t.Fatalf("run: %v", err)
	}
	if r.Create != nil || r.Edge == nil {
		t.Fatalf("report parts: create %+v, edge %+v", r.Create, r.Edge)
	}
	want := []string{opCommand, opStatus, opGRPCPlain, opGRPCTLS}
	if len(r.Edge.Rows) != len(want) {
		t.Fatalf("rows %+v", r.Edge.Rows)
	}
	for i, row := range r.Edge.Rows {
		if row.Name != want[i] || row.N != 200 || row.Min <= 0 || row.Median < row.Min || row.P90 < row.Median || row.Max < row.P90 || row.OpsPerSec <= 0 || row.Seconds <= 0 {
			t.Errorf("row %d = %+v, want %q with 200 ordered positive figures", i, row, want[i])
		}
	}
	if len(r.Edge.Ratios) != 2 {
		t.Fatalf("ratios %+v", r.Edge.Ratios)
	}
	for _, ra := range r.Edge.Ratios {
		if ra.VsPlain <= 0 || ra.VsTLS <= 0 {
			t.Errorf("ratio %+v, want positive", ra)
		}
	}
	var table strings.Builder
	if err := writeTable(&table, r); err != nil {
		t.Fatal(err)
	}
	for _, w := range append(want, "vs plaintext", "vs mTLS") {
		if !strings.Contains(table.String(), w) {
			t.Errorf("table lacks %q:\n%s", w, table.String())
		}
	}
	t.Logf("\n%s", table.String())
}

// TestSweep kills a real process working in the directory and reports it as unexpected.
func TestSweep(t *testing.T) {
	dir := t.TempDir()
	other := t.TempDir()
	cmd := exec.Command("sleep", "600")
	cmd.Dir = dir
	keep := exec.Command("sleep", "600")
	keep.Dir = other
	for _, c := range []*exec.Cmd{cmd, keep} {
		if err := c.Start(); err != nil {
			t.Fatal(err)
		}
	}
	t.Cleanup(func() {
		_ = keep.Process.Kill()
		_ = keep.Wait()
	})
	left, err := sweep(dir)
	if err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()
	if len(left) != 1 || left[0].PID != cmd.Process.Pid || left[0].Kind != "sleep" || left[0].Expected() {
		t.Fatalf("sweep = %+v, want the one sleep in %s, unexpected", left, dir)
	}
	if !alive(keep.Process.Pid) {
		t.Fatalf("sweep of %s killed a process working in %s", dir, other)
	}
	if s := leftoverSummary(left); !strings.Contains(s, "1 UNEXPECTED") {
		t.Fatalf("summary %q", s)
	}
}
