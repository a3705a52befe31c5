package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"time"

	"github.com/cockroachdb/pebble/v2"

	"github.com/pitrix/pitrix/actors/store"
	"github.com/pitrix/pitrix/actors/store/replica"
)

// config is one run's settings (the flags).
type config struct {
	Duration     time.Duration
	Nodes        []int
	Writers      []int
	Records      int
	FailoverRuns int
	Timings      []string // "default", "fast": raft timings of the failover runs
	ValueSize    int
	// Fast runs the write and join clusters with Fast raft timings too (the test does, to be
	// quick); the figures of record use raft's defaults, as production does.
	Fast bool
	// LeaderRows adds, for clusters of more than one node, a phase with every writer on the
	// leader (no forwarding).
	LeaderRows bool
	Dir        string
	Only       []string // "writes", "join", "failover"
	Logger     *slog.Logger
}

func defaultConfig() config {
	return config{Duration: 2 * time.Second, Nodes: []int{1, 3, 5}, Writers: []int{1, 16, 64}, Records: 10000,
		FailoverRuns: 3, Timings: []string{"default", "fast"}, ValueSize: 256, LeaderRows: true, Only: []string{"writes", "join", "failover"}}
}

// report is everything a run measured.
type report struct {
	Started  time.Time
	Procs    int
	Dir      string
	Writes   []writeRow
	Joins    []joinRow
	Failover []failoverRow
}

// run measures what cfg.Only names and returns what it measured, also when it fails part way.
func run(ctx context.Context, cfg config) (*report, error) {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	dir, err := os.MkdirTemp(cfg.Dir, "raftbench-")
	if err != nil {
		return nil, fmt.Errorf("temp dir in %q: %w", cfg.Dir, err)
	}
	defer os.RemoveAll(dir)
	rep := &report{Started: time.Now(), Procs: runtime.GOMAXPROCS(0), Dir: dir}
	if slices.Contains(cfg.Only, "writes") {
		if err := runWrites(ctx, cfg, dir, rep); err != nil {
			return rep, err
		}
	}
	if slices.Contains(cfg.Only, "join") {
		for _, snapshot := range []bool{false, true} {
			row, err := runJoin(ctx, cfg, dir, snapshot)
			if err != nil {
				return rep, err
			}
			rep.Joins = append(rep.Joins, row)
		}
	}
	if slices.Contains(cfg.Only, "failover") {
		for _, timing := range cfg.Timings {
			if timing != "default" && timing != "fast" {
				return rep, fmt.Errorf("timing %q: want default or fast", timing)
			}
			rows, err := runFailover(ctx, cfg, dir, timing == "fast")
			rep.Failover = append(rep.Failover, rows...)
			if err != nil {
				return rep, err
			}
		}
	}
	return rep, nil
}

// runWrites opens both baselines and one cluster per size up front, then for each writer
// count measures them one after the other, so each ratio compares phases seconds apart.
func runWrites(ctx context.Context, cfg config, dir string, rep *report) (err error) {
	value := make([]byte, cfg.ValueSize)
	terms := []string{"status=active"}

	sdb, err := store.Open(filepath.Join(dir, "baseline-store"), store.Config{Logger: cfg.Logger})
	if err != nil {
		return fmt.Errorf("baseline store: %w", err)
	}
	defer func() { err = errors.Join(err, sdb.Close()) }()
	pdir := filepath.Join(dir, "baseline-pebble")
	pdb, err := pebble.Open(pdir, &pebble.Options{FormatMajorVersion: pebble.FormatNewest, Logger: pebbleLogger{cfg.Logger}})
	if err != nil {
		return fmt.Errorf("baseline pebble %s: %w", pdir, err)
	}
	defer func() { err = errors.Join(err, pdb.Close()) }()

	clusters := make([]*cluster, 0, len(cfg.Nodes))
	defer func() {
		for _, c := range clusters {
			err = errors.Join(err, c.close())
		}
	}()
	for _, n := range cfg.Nodes {
		c, err := newCluster(fmt.Sprintf("writes-%d", n), dir, cfg.Fast, n, cfg.Logger)
		if err != nil {
			return err
		}
		clusters = append(clusters, c)
		if err := c.start(ctx, n); err != nil {
			return err
		}
	}

	for _, w := range cfg.Writers {
		row := measureWrites(ctx, fmt.Sprintf("p%d", w), w, cfg.Duration, func(_ context.Context, _, _ int, key string) error {
			if err := pdb.Set([]byte(key), value, pebble.Sync); err != nil {
				return fmt.Errorf("pebble set %s: %w", key, err)
			}
			return nil
		})
		row.System = "pebble Set, Sync"
		rep.Writes = append(rep.Writes, row)

		before := sdb.Stats()
		row = measureWrites(ctx, fmt.Sprintf("s%d", w), w, cfg.Duration, func(ctx context.Context, _, _ int, key string) error {
			_, err := sdb.Apply(ctx, store.Op{Key: key, Value: value, Expect: store.Absent, Terms: terms})
			return err
		})
		row.System = "store.DB Apply"
		row.PerFsync = perFsync(before, sdb.Stats())
		rep.Writes = append(rep.Writes, row)

		for _, c := range clusters {
			nodes := c.list()
			lid, err := c.leader(ctx)
			if err != nil {
				return err
			}
			leaderDB := c.nodes[lid].DB()
			before := leaderDB.Stats()
			row := measureWrites(ctx, fmt.Sprintf("r%d-%d", len(nodes), w), w, cfg.Duration, func(ctx context.Context, wi, i int, key string) error {
				// Each writer goes round the nodes: (n-1)/n of the writes are forwarded.
				_, err := nodes[(wi+i)%len(nodes)].Apply(ctx, store.Op{Key: key, Value: value, Expect: store.Absent, Terms: terms})
				return err
			})
			row.System, row.Nodes = "replica Apply", len(nodes)
			row.PerFsync = perFsync(before, leaderDB.Stats())
			rep.Writes = append(rep.Writes, row)
			if len(nodes) == 1 || !cfg.LeaderRows {
				continue
			}
			// The same with every writer on the leader: raft's own cost, without forwarding.
			leader := c.nodes[lid]
			before = leaderDB.Stats()
			row = measureWrites(ctx, fmt.Sprintf("l%d-%d", len(nodes), w), w, cfg.Duration, func(ctx context.Context, _, _ int, key string) error {
				_, err := leader.Apply(ctx, store.Op{Key: key, Value: value, Expect: store.Absent, Terms: terms})
				return err
			})
			row.System, row.Nodes = "replica Apply, leader only", len(nodes)
			row.PerFsync = perFsync(before, leaderDB.Stats())
			rep.Writes = append(rep.Writes, row)
		}
	}
	return nil
}

func perFsync(before, after store.Stats) float64 {
	if c := after.Commits - before.Commits; c > 0 {
		return float64(after.Applies-before.Applies) / float64(c)
	}
	return 0
}

// joinRow is one join of a fresh node to a loaded 3-node cluster.
type joinRow struct {
	Via      string // "log replay" or "snapshot"
	Timing   string
	Records  int
	Entries  uint64 // the leader's last log index when the node joined
	Open     time.Duration
	Serving  time.Duration
	Snapshot bool
}

// runJoin loads a 3-node cluster with cfg.Records records (Applies of 100 ops, through all
// three nodes), then times a fourth node's replica.Open (joined, caught up, asked for a vote)
// and its first Sync and read of the last record. With snapshot the cluster compacts its log
// first (SnapshotThreshold 8, TrailingLogs 2, Fast timings: raft only checks for snapshots
// every SnapshotInterval, 120 s by default), so the node is sent a snapshot.
func runJoin(ctx context.Context, cfg config, dir string, snapshot bool) (row joinRow, err error) {
	row = joinRow{Via: "log replay", Timing: timingName(cfg.Fast), Records: cfg.Records, Snapshot: snapshot}
	fast := cfg.Fast
	name := "join-log"
	if snapshot {
		row.Via, row.Timing, fast, name = "snapshot", "fast", true, "join-snap"
	}
	c, err := newCluster(name, dir, fast, 3, cfg.Logger)
	if err != nil {
		return row, err
	}
	defer func() { err = errors.Join(err, c.close()) }()
	if snapshot {
		c.snapThreshold, c.trailing = 8, 2
	}
	if err := c.start(ctx, 3); err != nil {
		return row, err
	}
	nodes := c.list()
	value := make([]byte, cfg.ValueSize)
	const perApply = 100
	last := ""
	for i := 0; i < cfg.Records; i += perApply {
		ops := make([]store.Op, 0, perApply)
		for j := i; j < min(i+perApply, cfg.Records); j++ {
			last = fmt.Sprintf("rec-%09d", j)
			// Any, not Absent: a write whose outcome was unknown (leadership lost) is sent again.
			ops = append(ops, store.Op{Key: last, Value: value, Expect: store.Any, Terms: []string{"status=active"}})
		}
		for attempt := 1; ; attempt++ {
			_, err := nodes[(i/perApply+attempt)%len(nodes)].Apply(ctx, ops...)
			if err == nil {
				break
			}
			if attempt == 10 || !errors.Is(err, store.ErrUnavailable) {
				return row, fmt.Errorf("cluster %s: load records %d.. (attempt %d): %w", c.name, i, attempt, err)
			}
			if err := sleep(ctx, 100*time.Millisecond); err != nil {
				return row, err
			}
		}
	}
	lid, err := c.leader(ctx)
	if err != nil {
		return row, err
	}
	if snapshot {
		snaps := filepath.Join(c.dir, lid, "raft", "snapshots")
		if err := waitFor(ctx, "a snapshot on the leader", time.Minute, func() bool {
			ents, _ := os.ReadDir(snaps)
			for _, e := range ents {
				if e.IsDir() && filepath.Ext(e.Name()) != ".tmp" {
					return true
				}
			}
			return false
		}); err != nil {
			return row, err
		}
	}
	row.Entries = c.nodes[lid].Status().LastLogIdx
	// Join with every member listed, followers first (as `--join a,b,c` may list them): a
	// follower refuses a join (it does not forward it to the leader), so the joiner moves on.
	var via []string
	for _, r := range c.list() {
		if r.Status().ID != lid {
			via = append(via, r.Addr())
		}
	}
	via = append(via, c.nodes[lid].Addr())
	t0 := time.Now()
	n4, err := c.open(ctx, "n4", via...)
	if err != nil {
		return row, err
	}
	row.Open = time.Since(t0)
	sctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if err := n4.Sync(sctx); err != nil {
		return row, fmt.Errorf("cluster %s: sync the joined node: %w", c.name, err)
	}
	if _, err := n4.Get(sctx, last); err != nil {
		return row, fmt.Errorf("cluster %s: joined node reads %s: %w", c.name, last, err)
	}
	row.Serving = time.Since(t0)
	return row, nil
}

func timingName(fast bool) string {
	if fast {
		return "fast"
	}
	return "default"
}

// failoverRow is one stop of the leader of a 3-node cluster.
type failoverRow struct {
	Timing    string
	Run       int
	Close     time.Duration // the leader's Close
	NewLeader time.Duration // until a survivor names another leader
	WriteOK   time.Duration // until a write through a survivor succeeds
	Failed    int           // probe writes that failed in between
}

// runFailover stops the leader of a 3-node cluster cfg.FailoverRuns times. Each time a probe
// writes through a survivor in a loop from the moment Close is called; the stopped node is
// then reopened on its data dir and the cluster waits for it before the next run.
func runFailover(ctx context.Context, cfg config, dir string, fast bool) (rows []failoverRow, err error) {
	c, err := newCluster("failover-"+timingName(fast), dir, fast, 3, cfg.Logger)
	if err != nil {
		return nil, err
	}
	defer func() { err = errors.Join(err, c.close()) }()
	if err := c.start(ctx, 3); err != nil {
		return nil, err
	}
	for run := 1; run <= cfg.FailoverRuns; run++ {
		lid, err := c.leader(ctx)
		if err != nil {
			return rows, err
		}
		var survivor *replica.Replica
		for _, r := range c.list() {
			if r.Status().ID != lid {
				survivor = r
				break
			}
		}
		probe := func(key string) error {
			wctx, cancel := context.WithTimeout(ctx, 15*time.Second)
			defer cancel()
			_, err := survivor.Apply(wctx, store.Op{Key: key, Value: []byte("x"), Expect: store.Any})
			return err
		}
		if err := probe(fmt.Sprintf("before-%d", run)); err != nil {
			return rows, fmt.Errorf("cluster %s: write before stopping the leader: %w", c.name, err)
		}
		row := failoverRow{Timing: timingName(fast), Run: run}
		t0 := time.Now()
		if err := c.stop(lid); err != nil {
			return rows, err
		}
		row.Close = time.Since(t0)
		newLeader := make(chan time.Duration, 1)
		watchCtx, stopWatch := context.WithCancel(ctx)
		var done = make(chan struct{})
		go func() { // owned here: stopWatch ends it, done says it has
			defer close(done)
			if waitFor(watchCtx, "a new leader", time.Minute, func() bool {
				l := survivor.Status().LeaderID
				return l != "" && l != lid
			}) == nil {
				newLeader <- time.Since(t0)
			}
		}()
		deadline := t0.Add(time.Minute)
		for i := 0; ; i++ {
			err := probe(fmt.Sprintf("after-%d-%d", run, i))
			if err == nil {
				row.WriteOK = time.Since(t0)
				break
			}
			row.Failed++
			if time.Now().After(deadline) {
				stopWatch()
				<-done
				return rows, fmt.Errorf("cluster %s: no write through a survivor within a minute of stopping %s: %w", c.name, lid, err)
			}
			if err := sleep(ctx, 5*time.Millisecond); err != nil {
				stopWatch()
				<-done
				return rows, err
			}
		}
		select {
		case row.NewLeader = <-newLeader:
		case <-time.After(2 * time.Second):
		}
		stopWatch()
		<-done
		if row.NewLeader == 0 {
			select {
			case row.NewLeader = <-newLeader:
			default:
			}
		}
		rows = append(rows, row)
		// Back to three before the next run: the old leader rejoins from its data dir.
		r, err := c.open(ctx, lid)
		if err != nil {
			return rows, err
		}
		if err := r.Sync(ctx); err != nil {
			return rows, fmt.Errorf("cluster %s: sync restarted %s: %w", c.name, lid, err)
		}
		if err := waitFor(ctx, "three voters again", time.Minute, func() bool { return votersOf(survivor.Status()) == 3 }); err != nil {
			return rows, err
		}
	}
	return rows, nil
}

// pebbleLogger puts the raw pebble baseline's log on slog: its chatter at Debug.
type pebbleLogger struct{ l *slog.Logger }

func (p pebbleLogger) Infof(format string, args ...any)  { p.l.Debug(fmt.Sprintf(format, args...)) }
func (p pebbleLogger) Errorf(format string, args ...any) { p.l.Error(fmt.Sprintf(format, args...)) }
func (p pebbleLogger) Fatalf(format string, args ...any) {
	panic("raftbench: pebble fatal: " + fmt.Sprintf(format, args...))
}
