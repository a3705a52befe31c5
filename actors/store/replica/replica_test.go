//go:build !race

// The multi-node tests start several raft members in one process; hashicorp/raft is clean
// under -race, but they run with the cluster tests (make test-multi) to keep the race run short.

package replica

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/pitrix/pitrix/actors/store"
	"github.com/pitrix/pitrix/cluster/trust"
)

type testCluster struct {
	t      *testing.T
	secret trust.Secret
	dir    string
	nodes  map[string]*Replica
	// reach, when set, is every node's Config.Reachable: may self exchange with peer?
	reach func(self, peer string) bool
	// tune, when set, adjusts every node's config.
	tune func(*Config)
}

func newTestCluster(t *testing.T) *testCluster {
	s, err := trust.NewSecret()
	if err != nil {
		t.Fatal(err)
	}
	c := &testCluster{t: t, secret: s, dir: t.TempDir(), nodes: map[string]*Replica{}}
	t.Cleanup(func() {
		for _, r := range c.nodes {
			r.Close()
		}
	})
	return c
}

func (c *testCluster) config(id string, secret trust.Secret, join ...string) Config {
	srv, cli, err := secret.PeerTLS(id)
	if err != nil {
		c.t.Fatal(err)
	}
	cfg := Config{ID: id, StoreDir: filepath.Join(c.dir, id, "store"), RaftDir: filepath.Join(c.dir, id, "raft"),
		Listen: "127.0.0.1:0", ServerTLS: srv, ClientTLS: cli, Join: join, Fast: true,
		Logger:    slog.New(slog.NewTextHandler(c.t.Output(), &slog.HandlerOptions{Level: testLevel})).With("node", id),
		Reachable: c.reachable(id)}
	if c.tune != nil {
		c.tune(&cfg)
	}
	return cfg
}

func (c *testCluster) reachable(id string) func(string) bool {
	if c.reach == nil {
		return nil
	}
	return func(peer string) bool { return c.reach(id, peer) }
}

func (c *testCluster) start(id string, join ...string) *Replica {
	return c.startCfg(c.config(id, c.secret, join...))
}

func (c *testCluster) startCfg(cfg Config) *Replica {
	c.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	r, err := Open(ctx, cfg)
	if err != nil {
		c.t.Fatalf("open %s: %v", cfg.ID, err)
	}
	c.nodes[cfg.ID] = r
	return r
}

func (c *testCluster) stop(id string) {
	if err := c.nodes[id].Close(); err != nil {
		c.t.Errorf("close %s: %v", id, err)
	}
	delete(c.nodes, id)
}

// three starts n1 (bootstrap), n2 and n3 joining through n1, and waits for three voters.
func (c *testCluster) three() {
	n1 := c.start("n1")
	c.start("n2", n1.Addr())
	c.start("n3", n1.Addr())
	waitFor(c.t, "three voters", func() bool {
		voters := 0
		for _, s := range n1.Status().Servers {
			if s.Voter {
				voters++
			}
		}
		return voters == 3
	})
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func put(ctx context.Context, r *Replica, key, val string, expect uint64) (uint64, error) {
	return r.Apply(ctx, store.Op{Key: key, Value: []byte(val), Expect: expect, Terms: []string{"t=x"}})
}

// Writes through every node are read back the same through every node, versions included,
// and a compare-and-set made on one node fences a stale write on another.
func TestWritesThroughEveryNode(t *testing.T) {
	c := newTestCluster(t)
	c.three()
	ctx := t.Context()
	versions := map[string]uint64{}
	for i := range 30 {
		for id, r := range c.nodes {
			key := fmt.Sprintf("k-%s-%02d", id, i)
			v, err := put(ctx, r, key, key, store.Absent)
			if err != nil {
				t.Fatalf("write %s through %s: %v", key, id, err)
			}
			versions[key] = v
		}
	}
	for id, r := range c.nodes {
		if err := r.Sync(ctx); err != nil {
			t.Fatalf("sync %s: %v", id, err)
		}
		for key, v := range versions {
			rec, err := r.Get(ctx, key)
			if err != nil || rec.Version != v || string(rec.Value) != key {
				t.Fatalf("%s reads %s: %+v, %v (want version %d)", id, key, rec, err, v)
			}
		}
		n := 0
		if err := r.Lookup(ctx, "t=x", store.ScanOptions{}, func(string) error { n++; return nil }); err != nil || n != 90 {
			t.Fatalf("%s index lookup: %d keys, %v", id, n, err)
		}
	}
	// The fence: n2 and n3 both read k at version v; n2 writes first, n3's write conflicts.
	v, err := put(ctx, c.nodes["n1"], "fenced", "a", store.Absent)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := put(ctx, c.nodes["n2"], "fenced", "b", v); err != nil {
		t.Fatal(err)
	}
	_, err = put(ctx, c.nodes["n3"], "fenced", "c", v)
	var conflict *store.ConflictError
	if !errors.As(err, &conflict) || conflict.Expected != v {
		t.Fatalf("stale write through n3: %v, want a conflict on version %d", err, v)
	}
	if _, err := c.nodes["n3"].Apply(ctx, store.Op{Key: ""}); !errors.Is(err, store.ErrInvalid) {
		t.Fatalf("invalid op: %v", err)
	}
}

// Killing the leader under concurrent writes loses no acknowledged write.
func TestLeaderLossKeepsAcknowledgedWrites(t *testing.T) {
	c := newTestCluster(t)
	c.three()
	leader := c.nodes["n1"].Status().LeaderID
	var followers []*Replica
	for id, r := range c.nodes {
		if id != leader {
			followers = append(followers, r)
		}
	}
	var mu sync.Mutex
	acked := map[string]uint64{}
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	var wg sync.WaitGroup
	stopWriting := make(chan struct{})
	for w := range 8 {
		wg.Go(func() {
			r := followers[w%2]
			for i := 0; ; i++ {
				select {
				case <-stopWriting:
					return
				default:
				}
				key := fmt.Sprintf("w%d-%04d", w, i)
				if v, err := put(ctx, r, key, key, store.Absent); err == nil {
					mu.Lock()
					acked[key] = v
					mu.Unlock()
				}
			}
		})
	}
	time.Sleep(300 * time.Millisecond)
	c.stop(leader)
	waitFor(t, "a new leader", func() bool {
		id := followers[0].Status().LeaderID
		return id != "" && id != leader
	})
	time.Sleep(300 * time.Millisecond)
	close(stopWriting)
	wg.Wait()
	if len(acked) < 50 {
		t.Fatalf("only %d writes acknowledged", len(acked))
	}
	for _, r := range followers {
		if err := r.Sync(ctx); err != nil {
			t.Fatal(err)
		}
		for key, v := range acked {
			rec, err := r.Get(ctx, key)
			if err != nil || rec.Version != v {
				t.Fatalf("acknowledged write %s (version %d) lost on %s: %+v %v", key, v, r.cfg.ID, rec, err)
			}
		}
	}
	t.Logf("%d acknowledged writes, all present on both survivors", len(acked))
}

// A node that joins after the log was compacted gets a snapshot; a node restarted on a new
// port takes its place again and catches up.
func TestSnapshotAndRestart(t *testing.T) {
	c := newTestCluster(t)
	cfg := c.config("n1", c.secret)
	cfg.SnapshotThreshold, cfg.TrailingLogs = 64, 16
	n1 := c.startCfg(cfg)
	ctx := t.Context()
	for i := range 400 {
		if _, err := put(ctx, n1, fmt.Sprintf("k%04d", i), "v", store.Absent); err != nil {
			t.Fatal(err)
		}
	}
	waitFor(t, "a snapshot and compaction", func() bool {
		first, _ := n1.logs.FirstIndex()
		return first > 1
	})
	n2 := c.start("n2", n1.Addr())
	if err := n2.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"k0000", "k0200", "k0399"} {
		if _, err := n2.Get(ctx, k); err != nil {
			t.Fatalf("n2 after snapshot: %v", err)
		}
	}
	n3 := c.start("n3", n1.Addr())
	_ = n3
	c.stop("n2")
	for i := 400; i < 450; i++ {
		if _, err := put(ctx, n1, fmt.Sprintf("k%04d", i), "v", store.Absent); err != nil {
			t.Fatal(err)
		}
	}
	// n2 again, same data dir, another port, no join list: it remembers the cluster.
	n2 = c.start("n2")
	if err := n2.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := n2.Get(ctx, "k0449"); err != nil {
		t.Fatalf("restarted n2 did not catch up: %v", err)
	}
	for _, s := range n1.Status().Servers {
		if s.ID == "n2" && s.Address != n2.Addr() {
			t.Fatalf("n2's address in the configuration is %s, want %s", s.Address, n2.Addr())
		}
	}
}

// A node with another cluster's token is refused and gets nothing; the minority side of a
// cluster refuses writes with ErrUnavailable.
func TestRefusalsAndMinority(t *testing.T) {
	c := newTestCluster(t)
	c.three()
	other, _ := trust.NewSecret()
	cfg := c.config("intruder", other, c.nodes["n1"].Addr())
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Second)
	defer cancel()
	if r, err := Open(ctx, cfg); err == nil {
		r.Close()
		t.Fatal("a node with another cluster's token joined")
	}
	for _, s := range c.nodes["n1"].Status().Servers {
		if s.ID == "intruder" {
			t.Fatal("the intruder is in the configuration")
		}
	}
	survivor := c.nodes["n3"]
	c.stop("n1")
	c.stop("n2")
	start := time.Now()
	_, err := put(t.Context(), survivor, "minority", "x", store.Any)
	if !errors.Is(err, store.ErrUnavailable) {
		t.Fatalf("write on the minority side: %v, want ErrUnavailable", err)
	}
	if _, err := survivor.Get(t.Context(), "minority"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("the refused write is visible: %v", err)
	}
	t.Logf("minority write refused after %s: %v", time.Since(start).Round(time.Millisecond), err)
}

var testLevel = slog.LevelWarn

// A write through a follower is visible in that follower's local reads when Apply returns.
func TestReadYourWritesOnFollower(t *testing.T) {
	c := newTestCluster(t)
	c.three()
	leader := c.nodes["n1"].Status().LeaderID
	for id, r := range c.nodes {
		if id == leader {
			continue
		}
		for i := range 50 {
			key := fmt.Sprintf("ryw-%s-%d", id, i)
			if _, err := put(t.Context(), r, key, "v", store.Absent); err != nil {
				t.Fatal(err)
			}
			if _, err := r.Get(t.Context(), key); err != nil {
				t.Fatalf("%s does not read its own write %s: %v", id, key, err)
			}
		}
	}
}

// A copy of one node's data dir becomes a new cluster of its own with ForceNewCluster (the
// restore of a backup, or the recovery from a lost quorum), with every acknowledged write.
func TestForceNewClusterFromACopy(t *testing.T) {
	c := newTestCluster(t)
	c.three()
	for i := range 100 {
		if _, err := put(t.Context(), c.nodes["n2"], fmt.Sprintf("b%03d", i), "v", store.Absent); err != nil {
			t.Fatal(err)
		}
	}
	if err := c.nodes["n3"].Sync(t.Context()); err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"n1", "n2", "n3"} {
		c.stop(id)
	}
	// All three are gone: n3's data alone restarts as a cluster of one.
	cfg := c.config("n3", c.secret)
	cfg.ForceNewCluster = true
	r := c.startCfg(cfg)
	if _, err := put(t.Context(), r, "after-recovery", "v", store.Absent); err != nil {
		t.Fatalf("write after recovery: %v", err)
	}
	for i := range 100 {
		if _, err := r.Get(t.Context(), fmt.Sprintf("b%03d", i)); err != nil {
			t.Fatalf("acknowledged write lost in the recovery: %v", err)
		}
	}
	if n := len(r.Status().Servers); n != 1 {
		t.Fatalf("recovered cluster has %d servers, want 1", n)
	}
	// A fresh node joins the recovered cluster.
	n4 := c.start("n4", r.Addr())
	if err := n4.Sync(t.Context()); err != nil {
		t.Fatal(err)
	}
	if _, err := n4.Get(t.Context(), "b099"); err != nil {
		t.Fatalf("n4 after joining the recovered cluster: %v", err)
	}
}

// StepDown hands the leadership to another voter; on a follower it does nothing.
func TestStepDown(t *testing.T) {
	c := newTestCluster(t)
	c.three()
	leaderID := func() string { return c.nodes["n1"].Status().LeaderID }
	waitFor(t, "a leader", func() bool { return leaderID() != "" })
	old := leaderID()
	for id, r := range c.nodes {
		if id != old {
			if err := r.StepDown(t.Context()); err != nil {
				t.Fatalf("StepDown on follower %s: %v", id, err)
			}
		}
	}
	if err := c.nodes[old].StepDown(t.Context()); err != nil {
		t.Fatalf("StepDown on leader %s: %v", old, err)
	}
	waitFor(t, "another leader", func() bool { l := leaderID(); return l != "" && l != old })
	if _, err := put(t.Context(), c.nodes[old], "after-stepdown", "v", store.Absent); err != nil {
		t.Fatalf("write through the old leader after it stepped down: %v", err)
	}
}
