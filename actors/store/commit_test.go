package store

import (
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
)

// TestGroupCommitConcurrentWriters starts N writers behind a barrier, each doing M Applies on
// disk. While one group is being fsynced the others queue, so the store needs far fewer
// fsyncs than Applies.
func TestGroupCommitConcurrentWriters(t *testing.T) {
	t.Parallel()
	const writers, perWriter = 16, 40
	d := openDir(t, t.TempDir())
	defer d.Close()

	start := make(chan struct{})
	var wg sync.WaitGroup
	indexes := make([][]uint64, writers)
	errs := make(chan error, writers)
	for w := range writers {
		wg.Go(func() {
			<-start
			for i := range perWriter {
				key := fmt.Sprintf("w%02d-%03d", w, i)
				idx, err := d.Apply(t.Context(), Op{Key: key, Value: []byte(key), Expect: Absent, Terms: []string{fmt.Sprintf("writer=%d", w)}})
				if err != nil {
					errs <- fmt.Errorf("apply %s: %w", key, err)
					return
				}
				indexes[w] = append(indexes[w], idx)
			}
		})
	}
	close(start)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}

	const total = writers * perWriter
	st := d.Stats()
	t.Logf("applies=%d commits=%d (%.1f writes per fsync)", st.Applies, st.Commits, float64(st.Applies)/float64(st.Commits))
	if st.Applies != total || st.LastIndex != total || d.LastIndex() != total {
		t.Fatalf("stats = %+v, want %d applies and last index %d", st, total, total)
	}
	if st.Commits >= st.Applies {
		t.Fatalf("commits = %d for %d applies: concurrent writers were not group-committed", st.Commits, st.Applies)
	}
	// Every commit index was handed out exactly once, and each writer's are increasing.
	var all []uint64
	for w, idx := range indexes {
		if !slices.IsSorted(idx) {
			t.Fatalf("writer %d got indexes out of order: %v", w, idx)
		}
		all = append(all, idx...)
	}
	slices.Sort(all)
	for i, idx := range all {
		if idx != uint64(i+1) {
			t.Fatalf("commit indexes are not 1..%d: position %d holds %d", total, i, idx)
		}
	}
	for w := range writers {
		if got := lookupAll(t, d, fmt.Sprintf("writer=%d", w), ScanOptions{}); len(got) != perWriter {
			t.Fatalf("writer %d: %d keys indexed, want %d", w, len(got), perWriter)
		}
	}
}

// TestOptimisticCounter has writers increment one key by read-modify-write with
// compare-and-set, retrying on conflict. Losing increments would show as a short count.
func TestOptimisticCounter(t *testing.T) {
	t.Parallel()
	const writers, perWriter = 8, 25
	d := openMem(t, Config{})
	start := make(chan struct{})
	var wg sync.WaitGroup
	errs := make(chan error, writers)
	for range writers {
		wg.Go(func() {
			<-start
			for range perWriter {
				if err := increment(t, d, "counter"); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	close(start)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	rec, err := d.Get(t.Context(), "counter")
	if err != nil {
		t.Fatal(err)
	}
	if n := binary.BigEndian.Uint64(rec.Value); n != writers*perWriter {
		t.Fatalf("counter = %d, want %d (conflicts seen: %d)", n, writers*perWriter, d.Stats().Conflicts)
	}
	t.Logf("stats: %+v", d.Stats())
}

func increment(t *testing.T, d *DB, key string) error {
	for {
		var n, expect uint64
		rec, err := d.Get(t.Context(), key)
		switch {
		case errors.Is(err, ErrNotFound):
			expect = Absent
		case err != nil:
			return err
		default:
			n, expect = binary.BigEndian.Uint64(rec.Value), rec.Version
		}
		_, err = d.Apply(t.Context(), Op{Key: key, Value: binary.BigEndian.AppendUint64(nil, n+1), Expect: expect})
		if !errors.Is(err, ErrConflict) {
			return err
		}
	}
}

// TestCommitGroupOverlay drives the committer directly with one hand-made group, so that
// several requests on the same key are certain to share a group: each is checked against the
// effect of the earlier ones, a conflicting one fails alone, and the group costs one commit.
func TestCommitGroupOverlay(t *testing.T) {
	t.Parallel()
	d := openMem(t, Config{})
	// The DB's own committer stays idle (no Apply below), so this second one is the only
	// writer while the test runs.
	c := newCommitter(d, d.LastIndex())
	req := func(ops ...Op) *request {
		r, err := prepare(t.Context(), ops)
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	group := []*request{
		req(Op{Key: "k", Value: []byte("a"), Expect: Absent, Terms: []string{"t=a"}}), // -> 1
		req(Op{Key: "k", Value: []byte("b"), Expect: Absent}),                         // conflict: k at 1 in this group
		req(Op{Key: "k", Value: []byte("c"), Expect: 1, Terms: []string{"t=c"}}, // -> 2
			Op{Key: "j", Value: []byte("j"), Expect: Absent}),
		req(Op{Key: "j", Delete: true, Expect: 2}),                                     // -> 3
		req(Op{Key: "j", Value: []byte("j2"), Expect: 2}),                              // conflict: j deleted in this group
		req(Op{Key: "k", Value: []byte("d"), Expect: 3}, Op{Key: "z", Expect: Absent}), // conflict: k at 2; z not written
	}
	c.group = slices.Clone(group)
	c.commitGroup()

	want := []struct {
		index    uint64
		conflict *ConflictError
	}{
		{index: 1},
		{conflict: &ConflictError{Key: "k", Expected: Absent, Actual: 1}},
		{index: 2},
		{index: 3},
		{conflict: &ConflictError{Key: "j", Expected: 2, Actual: 0}},
		{conflict: &ConflictError{Key: "k", Expected: 3, Actual: 2}},
	}
	for i, r := range group {
		res := <-r.done
		var ce *ConflictError
		switch {
		case want[i].conflict != nil:
			if !errors.As(res.err, &ce) || *ce != *want[i].conflict {
				t.Errorf("request %d: %v, want conflict %+v", i, res.err, *want[i].conflict)
			}
		case res.err != nil || res.index != want[i].index:
			t.Errorf("request %d: index %d, err %v; want index %d", i, res.index, res.err, want[i].index)
		}
	}
	st := d.Stats()
	if st.Commits != 1 || st.Applies != 3 || st.Conflicts != 3 || st.LastIndex != 3 {
		t.Fatalf("stats = %+v, want 1 commit, 3 applies, 3 conflicts, last index 3", st)
	}
	rec, err := d.Get(t.Context(), "k")
	if err != nil || string(rec.Value) != "c" || rec.Version != 2 || !slices.Equal(rec.Terms, []string{"t=c"}) {
		t.Fatalf("k = %+v, %v; want c at version 2 with term t=c", rec, err)
	}
	for _, k := range []string{"j", "z"} {
		if _, err := d.Get(t.Context(), k); !errors.Is(err, ErrNotFound) {
			t.Fatalf("%s: %v, want ErrNotFound", k, err)
		}
	}
	if got := lookupAll(t, d, "t=a", ScanOptions{}); len(got) != 0 {
		t.Fatalf("t=a still indexes %q after being replaced in the same group", got)
	}
	if got := lookupAll(t, d, "t=c", ScanOptions{}); !slices.Equal(got, []string{"k"}) {
		t.Fatalf("t=c = %q, want [k]", got)
	}
	if last, err := readLastIndex(d.db); err != nil || last != 3 {
		t.Fatalf("persisted last index = %d, %v; want 3", last, err)
	}
}

// TestCollectRespectsBounds checks how queued requests are cut into groups.
func TestCollectRespectsBounds(t *testing.T) {
	t.Parallel()
	reqs := make(chan *request, 16)
	c := &committer{d: &DB{reqs: reqs}, maxOps: 5, maxBytes: 1 << 20}
	mk := func(nops int) *request {
		ops := make([]Op, nops)
		for i := range ops {
			ops[i].Key = fmt.Sprintf("k%d", i)
		}
		r, err := prepare(t.Context(), ops)
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	sizes := []int{2, 2, 2, 7, 1, 1}
	for _, n := range sizes[1:] {
		reqs <- mk(n)
	}
	c.carry = mk(sizes[0])
	var groups [][]int
	for c.carry != nil {
		c.collect()
		var g []int
		for _, r := range c.group {
			g = append(g, len(r.ops))
		}
		groups = append(groups, g)
	}
	// 2+2 fit in 5; the third 2 starts a new group; 7 exceeds the bound and goes alone; 1+1.
	want := [][]int{{2, 2}, {2}, {7}, {1, 1}}
	if fmt.Sprint(groups) != fmt.Sprint(want) {
		t.Fatalf("groups = %v, want %v", groups, want)
	}

	c = &committer{d: &DB{reqs: reqs}, maxOps: 100, maxBytes: 1}
	reqs <- mk(1)
	c.carry = mk(1)
	c.collect()
	if len(c.group) != 1 || c.carry == nil {
		t.Fatalf("MaxGroupBytes: group of %d, carry %v; want one request per group", len(c.group), c.carry != nil)
	}
}

// TestCloseFinishesInFlightApplies closes the store while writers run: every Apply either
// commits (and is then on disk) or fails with ErrClosed.
func TestCloseFinishesInFlightApplies(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	d := openDir(t, dir)
	const writers = 8
	start := make(chan struct{})
	var wg sync.WaitGroup
	acked := make([][]string, writers)
	for w := range writers {
		wg.Go(func() {
			<-start
			for i := 0; ; i++ {
				key := fmt.Sprintf("w%d-%05d", w, i)
				_, err := d.Apply(t.Context(), Op{Key: key, Value: []byte(key)})
				if errors.Is(err, ErrClosed) {
					return
				}
				if err != nil {
					t.Errorf("apply %s: %v", key, err)
					return
				}
				acked[w] = append(acked[w], key)
			}
		})
	}
	close(start)
	waitFor(t, "some commits", func() bool { return d.Stats().Applies >= 50 })
	if err := d.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	wg.Wait()

	d = openDir(t, dir)
	defer d.Close()
	for _, keys := range acked {
		for _, k := range keys {
			if rec, err := d.Get(t.Context(), k); err != nil || string(rec.Value) != k {
				t.Fatalf("acknowledged %s after Close and reopen: %+v, %v", k, rec, err)
			}
		}
	}
}
