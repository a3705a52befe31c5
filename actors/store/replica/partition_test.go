//go:build !race

package replica

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hashicorp/raft"

	"github.com/pitrix/pitrix/actors/store"
)

// partition is the fault-injecting network of a test cluster (Config.Reachable): nodes in
// different groups exchange nothing.
type partition struct {
	mu    sync.Mutex
	group map[string]int
}

func (p *partition) reach(self, peer string) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.group[self] == p.group[peer]
}

func (p *partition) set(group map[string]int) {
	p.mu.Lock()
	p.group = group
	p.mu.Unlock()
}

// The leader cut off from the two others: it refuses writes with ErrUnavailable and
// acknowledges none, a compare-and-set it would make with what it last saw never lands; the
// majority elects a leader and goes on. Healed, the old leader catches up and every
// acknowledged write is on all three.
func TestPartitionedLeader(t *testing.T) {
	p := &partition{}
	c := newTestCluster(t)
	c.reach = p.reach
	c.three()
	ctx := t.Context()
	old := c.nodes["n1"].Status().LeaderID
	var majority []*Replica
	for id, r := range c.nodes {
		if id != old {
			majority = append(majority, r)
		}
	}
	minority := c.nodes[old]
	acked := map[string]uint64{}
	owner, err := put(ctx, minority, "owner", "old-leader", store.Absent)
	if err != nil {
		t.Fatal(err)
	}
	acked["owner"] = owner
	for i := range 20 {
		key := fmt.Sprintf("before-%02d", i)
		v, err := put(ctx, majority[i%2], key, key, store.Absent)
		if err != nil {
			t.Fatal(err)
		}
		acked[key] = v
	}

	p.set(map[string]int{old: 1})
	cutAt := time.Now()
	// The minority side, while it still believes it leads and after: a plain write, and the
	// stale owner's compare-and-set on the version it last saw.
	type result struct {
		what string
		err  error
		took time.Duration
	}
	results := make(chan result, 2)
	var wg sync.WaitGroup
	for _, w := range []struct {
		what string
		op   store.Op
	}{
		{"write", store.Op{Key: "minority", Value: []byte("x"), Expect: store.Any}},
		{"stale compare-and-set", store.Op{Key: "owner", Value: []byte("stale"), Expect: owner}},
	} {
		wg.Go(func() {
			wctx, cancel := context.WithTimeout(ctx, 15*time.Second)
			defer cancel()
			start := time.Now()
			_, err := minority.Apply(wctx, w.op)
			results <- result{w.what, err, time.Since(start)}
		})
	}

	waitFor(t, "a leader on the majority side", func() bool {
		id := majority[0].Status().LeaderID
		return id != "" && id != old && majority[1].Status().LeaderID == id
	})
	t.Logf("majority elected %s %s after the cut", majority[0].Status().LeaderID, time.Since(cutAt).Round(time.Millisecond))
	v, err := put(ctx, majority[1], "owner", "new-owner", owner)
	if err != nil {
		t.Fatalf("the majority's compare-and-set: %v", err)
	}
	acked["owner"] = v
	for i := range 20 {
		key := fmt.Sprintf("during-%02d", i)
		v, err := put(ctx, majority[i%2], key, key, store.Absent)
		if err != nil {
			t.Fatalf("write on the majority side: %v", err)
		}
		acked[key] = v
	}

	wg.Wait()
	close(results)
	for res := range results {
		if !errors.Is(res.err, store.ErrUnavailable) {
			t.Fatalf("%s on the minority side: %v, want ErrUnavailable", res.what, res.err)
		}
		t.Logf("minority %s refused after %s: %v", res.what, res.took.Round(time.Millisecond), res.err)
	}
	// A write started once the old leader knows it is alone is refused plainly.
	_, err = put(ctx, minority, "minority-late", "x", store.Any)
	if !errors.Is(err, store.ErrUnavailable) || !strings.Contains(err.Error(), "no raft leader") {
		t.Fatalf("late minority write: %v, want ErrUnavailable naming the missing leader", err)
	}
	if st := minority.raft.State(); st == raft.Leader {
		t.Fatalf("the isolated node still leads")
	}
	// A minority read index is refused too: nothing stale can pass for linearizable.
	sctx, cancel := context.WithTimeout(ctx, 7*time.Second)
	if err := minority.Sync(sctx); err == nil {
		t.Fatal("Sync succeeded on the minority side")
	}
	cancel()

	p.set(nil)
	healedAt := time.Now()
	if err := minority.Sync(ctx); err != nil {
		t.Fatalf("sync after healing: %v", err)
	}
	t.Logf("old leader caught up %s after healing", time.Since(healedAt).Round(time.Millisecond))
	for id, r := range c.nodes {
		if err := r.Sync(ctx); err != nil {
			t.Fatalf("sync %s: %v", id, err)
		}
		for key, v := range acked {
			rec, err := r.Get(ctx, key)
			if err != nil || rec.Version != v {
				t.Fatalf("%s: acknowledged write %s (version %d): %+v, %v", id, key, v, rec, err)
			}
		}
		if rec, _ := r.Get(ctx, "owner"); string(rec.Value) != "new-owner" {
			t.Fatalf("%s: owner is %q: the stale compare-and-set landed", id, rec.Value)
		}
		for _, k := range []string{"minority", "minority-late"} {
			if _, err := r.Get(ctx, k); !errors.Is(err, store.ErrNotFound) {
				t.Fatalf("%s: a refused minority write %s is present: %v", id, k, err)
			}
		}
	}
}
