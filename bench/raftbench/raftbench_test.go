//go:build !race

// The run starts several raft members in one process; like actors/store/replica's tests it
// runs without -race (make test-multi), to keep the race run short.

package main

import (
	"bytes"
	"log/slog"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/pitrix/pitrix/bench/benchkit"
)

// TestMain fails the package when a goroutine a run started (nodes, writers, watchers)
// outlives it.
func TestMain(m *testing.M) {
	os.Exit(benchkit.LeakCheck().Main(m))
}

// A tiny run of every measurement: baselines and 1- and 3-node clusters at 1 and 4 writers, a
// join by log replay and by snapshot, and one failover, all with Fast raft timings.
func TestTinyRun(t *testing.T) {
	cfg := config{Duration: 300 * time.Millisecond, Nodes: []int{1, 3}, Writers: []int{1, 4}, Records: 500,
		FailoverRuns: 1, Timings: []string{"fast"}, ValueSize: 64, Fast: true, LeaderRows: true, Dir: t.TempDir(),
		Only:   []string{"writes", "join", "failover"},
		Logger: slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelError}))}
	rep, err := run(t.Context(), cfg)
	if rep != nil {
		var out bytes.Buffer
		rep.print(&out)
		t.Log("\n" + out.String())
		for _, want := range []string{"pebble Set, Sync", "store.DB Apply", "replica Apply", "log replay", "snapshot", "Failover"} {
			if !strings.Contains(out.String(), want) {
				t.Errorf("report lacks %q", want)
			}
		}
	}
	if err != nil {
		t.Fatal(err)
	}
	if got, want := len(rep.Writes), 2*(2+2+1); got != want {
		t.Fatalf("%d write rows, want %d", got, want)
	}
	for _, w := range rep.Writes {
		if w.Writes == 0 {
			t.Errorf("%s at %d nodes, %d writers: no write counted (%d errors: %s)", w.System, w.Nodes, w.Writers, w.Errors, w.FirstErr)
		}
	}
	for _, j := range rep.Joins {
		if j.Serving <= 0 || j.Serving < j.Open {
			t.Errorf("join via %s: open %s, serving %s", j.Via, j.Open, j.Serving)
		}
	}
	if len(rep.Failover) != 1 || rep.Failover[0].WriteOK <= 0 {
		t.Errorf("failover rows: %+v", rep.Failover)
	}
}

func TestParseInts(t *testing.T) {
	if got, err := parseInts("-writers", " 1, 16,64 "); err != nil || len(got) != 3 || got[2] != 64 {
		t.Fatalf("parseInts: %v, %v", got, err)
	}
	for _, bad := range []string{"", "0", "x", "1,-2"} {
		if _, err := parseInts("-writers", bad); err == nil {
			t.Errorf("parseInts(%q) accepted", bad)
		}
	}
}
