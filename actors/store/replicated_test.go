package store

import (
	"bytes"
	"context"
	"errors"
	"path/filepath"
	"testing"
)

func openReplicated(t testing.TB, dir string) *DB {
	t.Helper()
	d, err := Open(dir, Config{Replicated: true, Logger: testLogger(t)})
	if err != nil {
		t.Fatalf("open replicated %s: %v", dir, err)
	}
	return d
}

func entry(t testing.TB, index uint64, ops ...Op) LogEntry {
	t.Helper()
	b, err := EncodeEntry(ops)
	if err != nil {
		t.Fatalf("encode entry %d: %v", index, err)
	}
	return LogEntry{Index: index, Data: b}
}

// dump returns every record of d, for comparing replicas.
func dump(t testing.TB, d *DB) []Record {
	t.Helper()
	var out []Record
	if err := d.Scan(context.Background(), ScanOptions{}, func(r Record) error { out = append(out, r); return nil }); err != nil {
		t.Fatal(err)
	}
	return out
}

func sameRecords(t testing.TB, a, b []Record) {
	t.Helper()
	if len(a) != len(b) {
		t.Fatalf("replicas differ: %d records vs %d", len(a), len(b))
	}
	for i := range a {
		if a[i].Key != b[i].Key || a[i].Version != b[i].Version || !bytes.Equal(a[i].Value, b[i].Value) ||
			len(a[i].Terms) != len(b[i].Terms) {
			t.Fatalf("record %d differs: %+v vs %+v", i, a[i], b[i])
		}
	}
}

func TestEntryRoundTrip(t *testing.T) {
	ops := []Op{
		{Key: "a", Value: []byte("one"), Terms: []string{"x=1", "x=1", "y=2"}, Expect: Absent},
		{Key: "b", Delete: true, Expect: 7},
		{Key: "c", Value: nil, Expect: Any},
	}
	b, err := EncodeEntry(ops)
	if err != nil {
		t.Fatal(err)
	}
	got, err := DecodeEntry(b)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 3 || got[0].Key != "a" || string(got[0].Value) != "one" || len(got[0].Terms) != 2 ||
		!got[1].Delete || got[1].Expect != 7 || got[2].Expect != Any || got[2].Value == nil && len(got[2].Value) != 0 {
		t.Fatalf("round trip: %+v", got)
	}
	if _, err := EncodeEntry([]Op{{Key: ""}}); !errors.Is(err, ErrInvalid) {
		t.Fatalf("empty key: %v, want ErrInvalid", err)
	}
	for _, bad := range [][]byte{nil, {2}, b[:len(b)-1], append(bytes.Clone(b), 0)} {
		if _, err := DecodeEntry(bad); !errors.Is(err, ErrInvalid) {
			t.Fatalf("decode %x: %v, want ErrInvalid", bad, err)
		}
	}
}

// Two replicas fed the same entries agree record for record, conflicts included, and a
// replica replaying entries it already applied (a restart) changes nothing.
func TestApplyLogIsDeterministic(t *testing.T) {
	dir := t.TempDir()
	a := openReplicated(t, filepath.Join(dir, "a"))
	b := openReplicated(t, filepath.Join(dir, "b"))
	entries := []LogEntry{
		entry(t, 1, Op{Key: "k1", Value: []byte("v1"), Terms: []string{"s=new"}}),
		entry(t, 2, Op{Key: "k2", Value: []byte("v2")}, Op{Key: "k3", Value: []byte("v3")}),
		entry(t, 3, Op{Key: "k1", Value: []byte("stale"), Expect: Absent}), // conflict
		entry(t, 5, Op{Key: "k1", Value: []byte("v1b"), Expect: 1, Terms: []string{"s=old"}}),
		{Index: 6, Data: []byte{9, 9}}, // garbage: refused the same way everywhere
	}
	resA := a.ApplyLog(entries[:2])
	resA = append(resA, a.ApplyLog(entries[2:])...)
	resB := b.ApplyLog(entries)
	for i := range entries {
		if resA[i].Index != resB[i].Index || (resA[i].Err == nil) != (resB[i].Err == nil) {
			t.Fatalf("entry %d: %+v vs %+v", i, resA[i], resB[i])
		}
	}
	if resA[0].Index != 1 || resA[1].Index != 2 || resA[3].Index != 3 {
		t.Fatalf("commit indexes %+v: want 1, 2, -, 3", resA)
	}
	if !errors.Is(resA[2].Err, ErrConflict) || !errors.Is(resA[4].Err, ErrInvalid) {
		t.Fatalf("errors %v, %v: want conflict, invalid", resA[2].Err, resA[4].Err)
	}
	if a.AppliedLogIndex() != 6 || a.LastIndex() != 3 {
		t.Fatalf("applied %d last %d, want 6 and 3", a.AppliedLogIndex(), a.LastIndex())
	}
	sameRecords(t, dump(t, a), dump(t, b))
	keys := lookupAll(t, a, "s=old", ScanOptions{})
	if len(keys) != 1 || keys[0] != "k1" {
		t.Fatalf("index s=old: %v", keys)
	}

	// A restart replays from an older point: the store skips what it has.
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	a = openReplicated(t, filepath.Join(dir, "a"))
	defer a.Close()
	defer b.Close()
	if a.AppliedLogIndex() != 6 {
		t.Fatalf("applied after reopen %d", a.AppliedLogIndex())
	}
	res := a.ApplyLog(entries)
	for i, r := range res {
		if !errors.Is(r.Err, ErrAlreadyApplied) {
			t.Fatalf("replayed entry %d: %+v, want ErrAlreadyApplied", i, r)
		}
	}
	sameRecords(t, dump(t, a), dump(t, b))
	if _, err := a.Apply(context.Background(), Op{Key: "x"}); !errors.Is(err, ErrReplicated) {
		t.Fatalf("Apply on a replica: %v, want ErrReplicated", err)
	}
}

func TestSnapshotRestore(t *testing.T) {
	dir := t.TempDir()
	a := openReplicated(t, filepath.Join(dir, "a"))
	defer a.Close()
	var entries []LogEntry
	for i := uint64(1); i <= 300; i++ {
		entries = append(entries, entry(t, i, Op{Key: "key-" + itoa(int(i)), Value: bytes.Repeat([]byte{byte(i)}, 100),
			Terms: []string{"n=" + itoa(int(i%7))}}))
	}
	a.ApplyLog(entries)
	snap, err := a.Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	// Writes after the image was taken are not in it.
	a.ApplyLog([]LogEntry{entry(t, 301, Op{Key: "late", Value: []byte("x")})})
	var buf bytes.Buffer
	if _, err := snap.WriteTo(&buf); err != nil {
		t.Fatal(err)
	}
	if err := snap.Close(); err != nil {
		t.Fatal(err)
	}
	if snap.AppliedLog != 300 {
		t.Fatalf("image applied log %d, want 300", snap.AppliedLog)
	}

	// A replica with other data is replaced wholesale.
	b := openReplicated(t, filepath.Join(dir, "b"))
	defer b.Close()
	b.ApplyLog([]LogEntry{entry(t, 1, Op{Key: "only-on-b", Value: []byte("x"), Terms: []string{"n=1"}})})
	if err := b.Restore(bytes.NewReader(buf.Bytes())); err != nil {
		t.Fatal(err)
	}
	if b.AppliedLogIndex() != 300 || b.LastIndex() != 300 || b.RestoreIncomplete() {
		t.Fatalf("after restore: applied %d last %d restoring %v", b.AppliedLogIndex(), b.LastIndex(), b.RestoreIncomplete())
	}
	if _, err := b.Get(context.Background(), "only-on-b"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("old data survived restore: %v", err)
	}
	if n := len(lookupAll(t, b, "n=1", ScanOptions{})); n != 43 {
		t.Fatalf("index n=1 has %d keys after restore, want 43", n)
	}
	// It continues from the image as the source did.
	late := entry(t, 301, Op{Key: "late", Value: []byte("x")})
	if r := b.ApplyLog([]LogEntry{late}); r[0].Err != nil || r[0].Index != 301 {
		t.Fatalf("apply after restore: %+v", r[0])
	}
	sameRecords(t, dump(t, a), dump(t, b))

	// A damaged stream is refused and leaves the store marked, across a reopen.
	bad := bytes.Clone(buf.Bytes())
	bad[len(bad)/2] ^= 0xff
	c := openReplicated(t, filepath.Join(dir, "c"))
	if err := c.Restore(bytes.NewReader(bad)); err == nil {
		t.Fatal("restore of a damaged snapshot succeeded")
	}
	if err := c.Restore(bytes.NewReader(buf.Bytes()[:len(buf.Bytes())-10])); err == nil {
		t.Fatal("restore of a truncated snapshot succeeded")
	}
	c.Close()
	c = openReplicated(t, filepath.Join(dir, "c"))
	defer c.Close()
	if !c.RestoreIncomplete() {
		t.Fatal("a failed restore is not marked after reopen")
	}
	if err := c.Restore(bytes.NewReader(buf.Bytes())); err != nil || c.RestoreIncomplete() {
		t.Fatalf("restore again: %v (incomplete %v)", err, c.RestoreIncomplete())
	}
}
