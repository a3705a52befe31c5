//go:build !race

package replica

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/pitrix/pitrix/actors/store"
)

// A node whose data dir is wiped comes back with the same ID through its join list: it is
// re-added (the configuration still names it), catches up from a snapshot (the log it lacks
// is compacted), votes again, and counts in the quorum.
func TestWipedNodeRejoinsFromSnapshot(t *testing.T) {
	c := newTestCluster(t)
	c.tune = func(cfg *Config) { cfg.SnapshotThreshold, cfg.TrailingLogs = 64, 16 }
	c.three()
	ctx := t.Context()
	leader := c.nodes["n1"].Status().LeaderID
	victim, other := "", ""
	for _, id := range []string{"n1", "n2", "n3"} {
		switch {
		case id == leader:
		case victim == "":
			victim = id
		default:
			other = id
		}
	}
	lr := c.nodes[leader]
	acked := map[string]uint64{}
	write := func(r *Replica, from, to int) {
		t.Helper()
		for i := from; i < to; i++ {
			key := fmt.Sprintf("k%04d", i)
			v, err := put(ctx, r, key, key, store.Absent)
			if err != nil {
				t.Fatalf("write %s: %v", key, err)
			}
			acked[key] = v
		}
	}
	write(lr, 0, 200)
	c.stop(victim)
	if err := os.RemoveAll(filepath.Join(c.dir, victim)); err != nil {
		t.Fatal(err)
	}
	write(lr, 200, 400)
	waitFor(t, "a snapshot and compaction on the leader", func() bool {
		first, _ := lr.logs.FirstIndex()
		return first > 1
	})
	r := c.start(victim, lr.Addr())
	waitFor(t, "the wiped node a voter again at its new address", func() bool {
		for _, s := range lr.Status().Servers {
			if s.ID == victim {
				return s.Voter && s.Address == r.Addr()
			}
		}
		return false
	})
	if n := len(lr.Status().Servers); n != 3 {
		t.Fatalf("%d servers, want 3: %+v", n, lr.Status().Servers)
	}
	if err := r.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	for key, v := range acked {
		rec, err := r.Get(ctx, key)
		if err != nil || rec.Version != v {
			t.Fatalf("wiped node reads %s: %+v, %v (want version %d)", key, rec, err, v)
		}
	}
	// It counts in the quorum: with the other follower gone, writes still commit.
	c.stop(other)
	write(r, 400, 420)
	write(lr, 420, 440)
}

func TestJoinRequestFlags(t *testing.T) {
	for _, j := range []joinRequest{{ID: "a", Addr: "b"}, {ID: "a", Addr: "b", Voter: true}, {ID: "a", Addr: "b", Fresh: true}} {
		var got joinRequest
		if err := got.decode(j.encode()[1:]); err != nil || got != j {
			t.Fatalf("join request %+v decodes as %+v, %v", j, got, err)
		}
	}
}
