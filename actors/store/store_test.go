package store

import (
	"bytes"
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pitrix/pitrix/internal/testutil"
)

func TestApplyCompareAndSet(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		seed      bool // "k" exists at version 1 with value "v1" before op
		op        Op
		conflict  *ConflictError
		wantExist bool
		wantValue string
	}{
		{name: "create absent", op: Op{Value: []byte("new"), Expect: Absent}, wantExist: true, wantValue: "new"},
		{name: "create existing", seed: true, op: Op{Value: []byte("new"), Expect: Absent},
			conflict: &ConflictError{Key: "k", Expected: Absent, Actual: 1}, wantExist: true, wantValue: "v1"},
		{name: "update right version", seed: true, op: Op{Value: []byte("new"), Expect: 1}, wantExist: true, wantValue: "new"},
		{name: "update wrong version", seed: true, op: Op{Value: []byte("new"), Expect: 7},
			conflict: &ConflictError{Key: "k", Expected: 7, Actual: 1}, wantExist: true, wantValue: "v1"},
		{name: "update absent with version", op: Op{Value: []byte("new"), Expect: 1},
			conflict: &ConflictError{Key: "k", Expected: 1, Actual: 0}},
		{name: "any on absent", op: Op{Value: []byte("new"), Expect: Any}, wantExist: true, wantValue: "new"},
		{name: "any on existing", seed: true, op: Op{Value: []byte("new"), Expect: Any}, wantExist: true, wantValue: "new"},
		{name: "delete right version", seed: true, op: Op{Delete: true, Expect: 1}},
		{name: "delete wrong version", seed: true, op: Op{Delete: true, Expect: 2},
			conflict: &ConflictError{Key: "k", Expected: 2, Actual: 1}, wantExist: true, wantValue: "v1"},
		{name: "delete existing any", seed: true, op: Op{Delete: true, Expect: Any}},
		{name: "delete existing expect absent", seed: true, op: Op{Delete: true, Expect: Absent},
			conflict: &ConflictError{Key: "k", Expected: Absent, Actual: 1}, wantExist: true, wantValue: "v1"},
		{name: "delete absent any", op: Op{Delete: true, Expect: Any}},
		{name: "delete absent expect absent", op: Op{Delete: true, Expect: Absent}},
		{name: "delete absent with version", op: Op{Delete: true, Expect: 3},
			conflict: &ConflictError{Key: "k", Expected: 3, Actual: 0}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			d := openMem(t, Config{})
			if tc.seed {
				if idx := mustApply(t, d, Op{Key: "k", Value: []byte("v1"), Expect: Absent}); idx != 1 {
					t.Fatalf("seed index = %d, want 1", idx)
				}
			}
			before := d.LastIndex()
			op := tc.op
			op.Key = "k"
			idx, err := d.Apply(t.Context(), op)
			if tc.conflict != nil {
				var ce *ConflictError
				if !errors.As(err, &ce) || !errors.Is(err, ErrConflict) {
					t.Fatalf("Apply err = %v, want a *ConflictError", err)
				}
				if *ce != *tc.conflict {
					t.Fatalf("conflict = %+v, want %+v", *ce, *tc.conflict)
				}
				if d.LastIndex() != before || d.Stats().Conflicts != 1 {
					t.Fatalf("after conflict LastIndex = %d (was %d), Conflicts = %d", d.LastIndex(), before, d.Stats().Conflicts)
				}
			} else {
				if err != nil {
					t.Fatalf("Apply: %v", err)
				}
				if idx != before+1 || d.LastIndex() != idx {
					t.Fatalf("index = %d, LastIndex = %d, want %d", idx, d.LastIndex(), before+1)
				}
			}
			rec, err := d.Get(t.Context(), "k")
			if !tc.wantExist {
				if !errors.Is(err, ErrNotFound) {
					t.Fatalf("Get after op = %+v, %v; want ErrNotFound", rec, err)
				}
				return
			}
			if err != nil {
				t.Fatalf("Get: %v", err)
			}
			if string(rec.Value) != tc.wantValue {
				t.Fatalf("value = %q, want %q", rec.Value, tc.wantValue)
			}
			wantVersion := uint64(1)
			if tc.conflict == nil {
				wantVersion = idx
			}
			if rec.Version != wantVersion {
				t.Fatalf("version = %d, want %d", rec.Version, wantVersion)
			}
		})
	}
}

func TestApplyBatchIsAtomic(t *testing.T) {
	t.Parallel()
	d := openMem(t, Config{})
	mustApply(t, d, Op{Key: "a", Value: []byte("a1"), Terms: []string{"t=1"}})
	_, err := d.Apply(t.Context(),
		Op{Key: "b", Value: []byte("b1"), Expect: Absent, Terms: []string{"t=1"}},
		Op{Key: "a", Value: []byte("a2"), Expect: 5, Terms: []string{"t=2"}}, // fails: a is at 1
		Op{Key: "c", Value: []byte("c1"), Expect: 9},                         // would fail too
		Op{Key: "d", Delete: true, Expect: Any},
	)
	var ce *ConflictError
	if !errors.As(err, &ce) || ce.Key != "a" || ce.Expected != 5 || ce.Actual != 1 {
		t.Fatalf("Apply err = %v, want conflict on the first failing op, a", err)
	}
	if _, err := d.Get(t.Context(), "b"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("b was written by a failed batch: %v", err)
	}
	rec, err := d.Get(t.Context(), "a")
	if err != nil || string(rec.Value) != "a1" || rec.Version != 1 {
		t.Fatalf("a = %+v, %v; want a1 at version 1", rec, err)
	}
	if got := lookupAll(t, d, "t=1", ScanOptions{}); !slices.Equal(got, []string{"a"}) {
		t.Fatalf("Lookup t=1 = %q, want [a]", got)
	}
	if got := lookupAll(t, d, "t=2", ScanOptions{}); len(got) != 0 {
		t.Fatalf("Lookup t=2 = %q, want none", got)
	}
	if d.LastIndex() != 1 {
		t.Fatalf("LastIndex = %d, want 1", d.LastIndex())
	}

	// The same batch with the right versions commits every op at one index.
	idx := mustApply(t, d,
		Op{Key: "b", Value: []byte("b1"), Expect: Absent},
		Op{Key: "a", Value: []byte("a2"), Expect: 1},
		Op{Key: "c", Value: []byte("c1"), Expect: Absent},
	)
	for _, k := range []string{"a", "b", "c"} {
		if rec, err := d.Get(t.Context(), k); err != nil || rec.Version != idx {
			t.Fatalf("%s = %+v, %v; want version %d", k, rec, err, idx)
		}
	}
}

func TestApplyRejectsInvalidInput(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("x", MaxKeyLen+1)
	tests := []struct {
		name    string
		ops     []Op
		mention string // the error must name the bad input
	}{
		{name: "no ops", ops: nil, mention: "no ops"},
		{name: "empty key", ops: []Op{{Key: ""}}, mention: "key is empty"},
		{name: "NUL in key", ops: []Op{{Key: "a\x00b"}}, mention: `"a\x00b"`},
		{name: "key too long", ops: []Op{{Key: long}}, mention: "513 bytes"},
		{name: "empty term", ops: []Op{{Key: "k", Terms: []string{""}}}, mention: `key "k"`},
		{name: "NUL in term", ops: []Op{{Key: "k", Terms: []string{"a=\x00"}}}, mention: `"a=\x00"`},
		{name: "term too long", ops: []Op{{Key: "k", Terms: []string{long}}}, mention: "513 bytes"},
		{name: "key twice", ops: []Op{{Key: "k"}, {Key: "j"}, {Key: "k", Delete: true}}, mention: `key "k" appears twice`},
		{name: "key twice in a big batch", ops: append(manyOps(20), Op{Key: "k-3"}), mention: `key "k-3" appears twice`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			d := openMem(t, Config{})
			_, err := d.Apply(t.Context(), tc.ops...)
			if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), tc.mention) {
				t.Fatalf("Apply err = %v, want ErrInvalid mentioning %q", err, tc.mention)
			}
			if d.LastIndex() != 0 {
				t.Fatalf("LastIndex = %d after invalid apply", d.LastIndex())
			}
		})
	}
	t.Run("limits are inclusive", func(t *testing.T) {
		t.Parallel()
		d := openMem(t, Config{})
		key, term := strings.Repeat("k", MaxKeyLen), strings.Repeat("t", MaxTermLen)
		mustApply(t, d, Op{Key: key, Terms: []string{term}})
		if got := lookupAll(t, d, term, ScanOptions{}); !slices.Equal(got, []string{key}) {
			t.Fatalf("Lookup of the longest term = %d keys, want the longest key", len(got))
		}
	})
}

func manyOps(n int) []Op {
	ops := make([]Op, n)
	for i := range ops {
		ops[i] = Op{Key: "k-" + string(rune('a'+i%26)) + strings.Repeat("x", i/26)}
	}
	ops[3].Key = "k-3"
	return ops
}

func TestTermsReplacedAndDropped(t *testing.T) {
	t.Parallel()
	d := openMem(t, Config{})
	mustApply(t, d,
		Op{Key: "cl-1", Value: []byte("1"), Terms: []string{"repo=r1", "status=active", "repo=r1"}},
		Op{Key: "cl-2", Value: []byte("2"), Terms: []string{"repo=r1"}},
		Op{Key: "cl-3", Value: []byte("3"), Terms: []string{"repo=r2"}},
		Op{Key: "app-1", Value: []byte("a"), Terms: []string{"repo=r1"}},
	)
	rec, err := d.Get(t.Context(), "cl-1")
	if err != nil || !slices.Equal(rec.Terms, []string{"repo=r1", "status=active"}) {
		t.Fatalf("cl-1 = %+v, %v; want terms deduplicated in order", rec, err)
	}
	check := func(term string, opts ScanOptions, want ...string) {
		t.Helper()
		if want == nil {
			want = []string{}
		}
		if got := lookupAll(t, d, term, opts); !slices.Equal(got, want) {
			t.Fatalf("Lookup %q %+v = %q, want %q", term, opts, got, want)
		}
	}
	check("repo=r1", ScanOptions{}, "app-1", "cl-1", "cl-2")
	check("repo=r1", ScanOptions{Prefix: "cl-"}, "cl-1", "cl-2")
	check("repo=r1", ScanOptions{Prefix: "cl-", Reverse: true}, "cl-2", "cl-1")
	check("repo=r", ScanOptions{}) // a term is matched whole, never as a prefix
	check("status=active", ScanOptions{}, "cl-1")

	// Replacing: cl-1 leaves repo=r1 and status=active, joins repo=r2.
	mustApply(t, d, Op{Key: "cl-1", Value: []byte("1b"), Expect: 1, Terms: []string{"repo=r2"}})
	check("repo=r1", ScanOptions{Prefix: "cl-"}, "cl-2")
	check("status=active", ScanOptions{})
	check("repo=r2", ScanOptions{}, "cl-1", "cl-3")

	// A write with no terms drops them all; a delete drops them too.
	mustApply(t, d, Op{Key: "cl-3", Value: []byte("3b"), Expect: Any})
	mustApply(t, d, Op{Key: "cl-2", Delete: true, Expect: Any})
	check("repo=r2", ScanOptions{}, "cl-1")
	check("repo=r1", ScanOptions{}, "app-1")
	if rec, err := d.Get(t.Context(), "cl-3"); err != nil || rec.Terms != nil {
		t.Fatalf("cl-3 = %+v, %v; want no terms", rec, err)
	}

	// ErrStop ends a Lookup early without error; another error comes back unchanged.
	mustApply(t, d, Op{Key: "cl-4", Terms: []string{"repo=r2"}}, Op{Key: "cl-5", Terms: []string{"repo=r2"}})
	var seen []string
	err = d.Lookup(t.Context(), "repo=r2", ScanOptions{Reverse: true}, func(k string) error {
		seen = append(seen, k)
		if len(seen) == 2 {
			return ErrStop
		}
		return nil
	})
	if err != nil || !slices.Equal(seen, []string{"cl-5", "cl-4"}) {
		t.Fatalf("Lookup with ErrStop = %q, %v; want [cl-5 cl-4], nil", seen, err)
	}
	boom := errors.New("boom")
	if err := d.Lookup(t.Context(), "repo=r2", ScanOptions{}, func(string) error { return boom }); err != boom {
		t.Fatalf("Lookup callback error = %v, want it unchanged", err)
	}
	if err := d.Lookup(t.Context(), "a\x00b", ScanOptions{}, func(string) error { return nil }); !errors.Is(err, ErrInvalid) {
		t.Fatalf("Lookup with a NUL term = %v, want ErrInvalid", err)
	}
}

func TestScan(t *testing.T) {
	t.Parallel()
	d := openMem(t, Config{})
	for _, k := range []string{"cl-2", "app-1", "cl-1", "app-3", "app-2", "cl-10"} {
		mustApply(t, d, Op{Key: k, Value: []byte("v:" + k), Terms: []string{"k=" + k}})
	}
	tests := []struct {
		opts ScanOptions
		want []string
	}{
		{ScanOptions{}, []string{"app-1", "app-2", "app-3", "cl-1", "cl-10", "cl-2"}},
		{ScanOptions{Prefix: "app-"}, []string{"app-1", "app-2", "app-3"}},
		{ScanOptions{Prefix: "app-", Reverse: true}, []string{"app-3", "app-2", "app-1"}},
		{ScanOptions{Prefix: "cl-1"}, []string{"cl-1", "cl-10"}},
		{ScanOptions{Prefix: "cl-10"}, []string{"cl-10"}},
		{ScanOptions{Reverse: true}, []string{"cl-2", "cl-10", "cl-1", "app-3", "app-2", "app-1"}},
		{ScanOptions{Prefix: "zzz"}, []string{}},
		{ScanOptions{Prefix: "\xff\xff"}, []string{}},
	}
	for _, tc := range tests {
		if got := scanKeys(t, d, tc.opts); !slices.Equal(got, tc.want) {
			t.Errorf("Scan %+v = %q, want %q", tc.opts, got, tc.want)
		}
	}

	t.Run("records are complete copies", func(t *testing.T) {
		var recs []Record
		if err := d.Scan(t.Context(), ScanOptions{Prefix: "app-"}, func(r Record) error {
			recs = append(recs, r)
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		for _, r := range recs {
			if string(r.Value) != "v:"+r.Key || !slices.Equal(r.Terms, []string{"k=" + r.Key}) || r.Version == 0 {
				t.Fatalf("record %+v is not what was written", r)
			}
			r.Value[0] = 'X' // the caller owns it: the store must not see this
		}
		if rec, err := d.Get(t.Context(), "app-1"); err != nil || string(rec.Value) != "v:app-1" {
			t.Fatalf("after mutating a scanned record, Get = %+v, %v", rec, err)
		}
	})
	t.Run("ErrStop and callback errors", func(t *testing.T) {
		n := 0
		err := d.Scan(t.Context(), ScanOptions{}, func(Record) error {
			n++
			if n == 2 {
				return ErrStop
			}
			return nil
		})
		if err != nil || n != 2 {
			t.Fatalf("Scan with ErrStop visited %d, err %v; want 2, nil", n, err)
		}
		boom := errors.New("boom")
		if err := d.Scan(t.Context(), ScanOptions{}, func(Record) error { return boom }); err != boom {
			t.Fatalf("Scan callback error = %v, want it unchanged", err)
		}
	})
	t.Run("callback may write", func(t *testing.T) {
		// The scan reads a snapshot, so the copies it writes are not visited.
		err := d.Scan(t.Context(), ScanOptions{Prefix: "app-"}, func(r Record) error {
			_, err := d.Apply(t.Context(), Op{Key: "copy-" + r.Key, Value: r.Value})
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		if got := scanKeys(t, d, ScanOptions{Prefix: "copy-"}); len(got) != 3 {
			t.Fatalf("copies = %q, want 3", got)
		}
	})
}

func TestGetNotFound(t *testing.T) {
	t.Parallel()
	d := openMem(t, Config{})
	_, err := d.Get(t.Context(), "missing")
	if !errors.Is(err, ErrNotFound) || !strings.Contains(err.Error(), `"missing"`) {
		t.Fatalf("Get missing = %v, want ErrNotFound naming the key", err)
	}
	if _, err := d.Get(t.Context(), ""); !errors.Is(err, ErrInvalid) {
		t.Fatalf("Get empty key = %v, want ErrInvalid", err)
	}
}

func TestReopenKeepsDataAndIndex(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	d := openDir(t, dir)
	mustApply(t, d, Op{Key: "a", Value: []byte("1"), Terms: []string{"x"}})
	last := mustApply(t, d, Op{Key: "b", Value: []byte("2"), Terms: []string{"x"}}, Op{Key: "a", Delete: true, Expect: 1})
	if err := d.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}

	d = openDir(t, dir)
	defer d.Close()
	if d.LastIndex() != last {
		t.Fatalf("LastIndex after reopen = %d, want %d", d.LastIndex(), last)
	}
	rec, err := d.Get(t.Context(), "b")
	if err != nil || string(rec.Value) != "2" || rec.Version != last {
		t.Fatalf("b after reopen = %+v, %v", rec, err)
	}
	if _, err := d.Get(t.Context(), "a"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("deleted a after reopen: %v", err)
	}
	if got := lookupAll(t, d, "x", ScanOptions{}); !slices.Equal(got, []string{"b"}) {
		t.Fatalf("Lookup x after reopen = %q", got)
	}
	if idx := mustApply(t, d, Op{Key: "b", Value: []byte("3"), Expect: last}); idx != last+1 {
		t.Fatalf("first index after reopen = %d, want %d", idx, last+1)
	}
}

func TestCanceledContext(t *testing.T) {
	t.Parallel()
	d := openMem(t, Config{})
	mustApply(t, d, Op{Key: "k", Terms: []string{"t"}})
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := d.Apply(ctx, Op{Key: "other"}); !errors.Is(err, context.Canceled) {
		t.Fatalf("Apply = %v, want context.Canceled", err)
	}
	if _, err := d.Get(ctx, "k"); !errors.Is(err, context.Canceled) {
		t.Fatalf("Get = %v, want context.Canceled", err)
	}
	if err := d.Scan(ctx, ScanOptions{}, func(Record) error { return nil }); !errors.Is(err, context.Canceled) {
		t.Fatalf("Scan = %v, want context.Canceled", err)
	}
	if err := d.Lookup(ctx, "t", ScanOptions{}, func(string) error { return nil }); !errors.Is(err, context.Canceled) {
		t.Fatalf("Lookup = %v, want context.Canceled", err)
	}
	if _, err := d.Get(t.Context(), "other"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("a canceled Apply wrote: %v", err)
	}
	if d.LastIndex() != 1 {
		t.Fatalf("LastIndex = %d, want 1", d.LastIndex())
	}
}

func TestScanStopsWhenContextEnds(t *testing.T) {
	t.Parallel()
	d := openMem(t, Config{})
	ops := make([]Op, 1000)
	for i := range ops {
		ops[i] = Op{Key: "k" + strings.Repeat("0", 4-len(itoa(i))) + itoa(i)}
	}
	mustApply(t, d, ops...)
	ctx, cancel := context.WithCancel(t.Context())
	n := 0
	err := d.Scan(ctx, ScanOptions{}, func(Record) error {
		n++
		if n == 10 {
			cancel()
		}
		return nil
	})
	if !errors.Is(err, context.Canceled) || n >= len(ops) {
		t.Fatalf("Scan canceled midway: visited %d, err %v", n, err)
	}
}

func itoa(i int) string {
	if i == 0 {
		return "0"
	}
	var b []byte
	for ; i > 0; i /= 10 {
		b = append([]byte{byte('0' + i%10)}, b...)
	}
	return string(b)
}

func TestClosedStore(t *testing.T) {
	t.Parallel()
	d, err := Open("mem", Config{InMemory: true, Logger: testLogger(t)})
	if err != nil {
		t.Fatal(err)
	}
	mustApply(t, d, Op{Key: "k"})
	if err := d.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if err := d.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	if _, err := d.Apply(t.Context(), Op{Key: "k"}); !errors.Is(err, ErrClosed) {
		t.Fatalf("Apply = %v, want ErrClosed", err)
	}
	if _, err := d.Get(t.Context(), "k"); !errors.Is(err, ErrClosed) {
		t.Fatalf("Get = %v, want ErrClosed", err)
	}
	if err := d.Scan(t.Context(), ScanOptions{}, func(Record) error { return nil }); !errors.Is(err, ErrClosed) {
		t.Fatalf("Scan = %v, want ErrClosed", err)
	}
	if err := d.Lookup(t.Context(), "t", ScanOptions{}, func(string) error { return nil }); !errors.Is(err, ErrClosed) {
		t.Fatalf("Lookup = %v, want ErrClosed", err)
	}
	if d.LastIndex() != 1 {
		t.Fatalf("LastIndex after Close = %d", d.LastIndex())
	}
}

func TestCloseWaitsForReaders(t *testing.T) {
	t.Parallel()
	d, err := Open("mem", Config{InMemory: true, Logger: testLogger(t)})
	if err != nil {
		t.Fatal(err)
	}
	mustApply(t, d, Op{Key: "a"}, Op{Key: "b"})
	closed := make(chan error, 1)
	var visited []string
	err = d.Scan(t.Context(), ScanOptions{}, func(r Record) error {
		visited = append(visited, r.Key)
		if r.Key != "a" {
			return nil
		}
		go func() { closed <- d.Close() }()
		waitFor(t, "Close to begin", func() bool { return d.users.Load()&closedBit != 0 })
		if _, err := d.Get(t.Context(), "a"); !errors.Is(err, ErrClosed) {
			t.Errorf("Get after Close began = %v, want ErrClosed", err)
		}
		select {
		case err := <-closed:
			t.Errorf("Close returned (%v) while a scan was in progress", err)
		default:
		}
		return nil
	})
	if err != nil || !slices.Equal(visited, []string{"a", "b"}) {
		t.Fatalf("Scan racing Close visited %q, err %v; want both records", visited, err)
	}
	if err := <-closed; err != nil {
		t.Fatalf("Close: %v", err)
	}
}

// waitFor polls cond until it holds, failing the test after a generous deadline.
func waitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	testutil.Eventually(t, 10*time.Second, what, func() (bool, string) { return cond(), "" })
}

func TestConfigValidate(t *testing.T) {
	t.Parallel()
	if err := (Config{}).Validate(); err != nil {
		t.Fatalf("zero Config: %v", err)
	}
	err := Config{MaxGroupOps: -1, MaxGroupBytes: -2, QueueLength: -3, CacheSize: -4}.Validate()
	for _, field := range []string{"MaxGroupOps", "MaxGroupBytes", "QueueLength", "CacheSize"} {
		if err == nil || !strings.Contains(err.Error(), field) {
			t.Fatalf("Validate = %v, want it to name %s", err, field)
		}
	}
	if _, err := Open(t.TempDir(), Config{MaxGroupOps: -1}); err == nil {
		t.Fatal("Open accepted an invalid Config")
	}
	if _, err := Open("", Config{}); !errors.Is(err, ErrInvalid) {
		t.Fatalf("Open with no directory = %v, want ErrInvalid", err)
	}
}

func TestValueIsCopiedByApply(t *testing.T) {
	t.Parallel()
	d := openMem(t, Config{})
	v := []byte("original")
	terms := []string{"t=1"}
	mustApply(t, d, Op{Key: "k", Value: v, Terms: terms})
	copy(v, "MUTATED!")
	terms[0] = "t=2"
	rec, err := d.Get(t.Context(), "k")
	if err != nil || !bytes.Equal(rec.Value, []byte("original")) || rec.Terms[0] != "t=1" {
		t.Fatalf("Get = %+v, %v; want the value and terms as they were at Apply", rec, err)
	}
}

func TestOpenCreatesDirectory(t *testing.T) {
	t.Parallel()
	dir := t.TempDir() + "/nested/state"
	d := openDir(t, dir)
	mustApply(t, d, Op{Key: "k"})
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
}
