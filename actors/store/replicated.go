package store

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"hash"
	"hash/crc32"
	"io"

	"github.com/cockroachdb/pebble/v2"
)

// ErrReplicated is returned by Apply on a DB opened with Config.Replicated: its writes come
// only from the replicated log, through ApplyLog.
var ErrReplicated = errors.New("store: writes go through the replicated log")

// ErrAlreadyApplied is the LogResult error of an entry at or below the applied log index: it
// was applied before (a replay after a restart) and is skipped.
var ErrAlreadyApplied = errors.New("store: log entry already applied")

const (
	keyAppliedLog = "mapplied_log"
	keyRestoring  = "mrestoring"
)

// LogEntry is one entry of the replicated log: its log index and the bytes EncodeEntry made.
type LogEntry struct {
	Index uint64
	Data  []byte
}

// LogResult is the outcome of one LogEntry: the commit index it was given (the version of the
// keys it wrote), or why it wrote nothing (a *ConflictError, ErrInvalid, ErrAlreadyApplied).
type LogResult struct {
	Index uint64
	Err   error
}

// ApplyLog applies committed log entries in order, as the replicated log's state machine: every
// replica calls it with the same entries in the same order and reaches the same state. The
// entries' effects, the new last commit index and the applied log index are written in one
// pebble batch, so a replica that restarts knows exactly which entries it has (entries at or
// below AppliedLogIndex are skipped). The batch is not fsynced: the entries are durable in the
// raft log already, and a replica that lost its last batches replays them from there. It panics if pebble cannot write: a
// replica that cannot apply committed entries must stop rather than diverge.
func (d *DB) ApplyLog(entries []LogEntry) []LogResult {
	out := make([]LogResult, len(entries))
	if err := d.acquire(); err != nil {
		for i := range out {
			out[i].Err = err
		}
		return out
	}
	defer d.release()
	d.logMu.Lock()
	defer d.logMu.Unlock()
	applied := d.appliedLog.Load()
	group := make([]*request, 0, len(entries))
	slot := make([]int, 0, len(entries))
	last := applied
	for i, e := range entries {
		if e.Index <= applied {
			out[i].Err = ErrAlreadyApplied
			continue
		}
		last = max(last, e.Index)
		ops, err := DecodeEntry(e.Data)
		if err == nil {
			var r *request
			if r, err = prepare(context.Background(), ops); err == nil {
				group = append(group, r)
				slot = append(slot, i)
				continue
			}
		}
		out[i].Err = fmt.Errorf("log entry %d: %w", e.Index, err)
	}
	if last == applied {
		return out
	}
	c := d.rc
	b := d.db.NewBatch()
	defer b.Close()
	results := make([]result, len(group))
	index := c.evaluate(b, group, results)
	var buf [8]byte
	binary.BigEndian.PutUint64(buf[:], last)
	if err := c.commit(b, index, func(b *pebble.Batch) { must(b.Set([]byte(keyAppliedLog), buf[:], nil)) }); err != nil {
		panic(fmt.Sprintf("store: apply log entries up to %d: %v", last, err))
	}
	d.appliedLog.Store(last)
	for j, r := range group {
		c.count(r, results[j])
		out[slot[j]] = LogResult{Index: results[j].index, Err: results[j].err}
	}
	return out
}

// AppliedLogIndex is the index of the last replicated-log entry applied (0 if none).
func (d *DB) AppliedLogIndex() uint64 { return d.appliedLog.Load() }

// RestoreIncomplete reports whether a Restore began and did not finish (the process died in
// it): the state is partial and must be restored again before use.
func (d *DB) RestoreIncomplete() bool { return d.restoring.Load() }

// snapshotMagic starts every snapshot stream; a CRC-32C of everything before it ends it.
const snapshotMagic = "PTXSNAP1"

var crcTable = crc32.MakeTable(crc32.Castagnoli)

// Snapshot is a point-in-time image of the whole store, for the replicated log's snapshots.
// Take it on the goroutine that calls ApplyLog, so it matches AppliedLogIndex exactly; write it
// out from any goroutine, then Close it.
type Snapshot struct {
	d    *DB
	snap *pebble.Snapshot
	// AppliedLog is the applied log index the image contains.
	AppliedLog uint64
}

// Snapshot returns an image of the store as of now.
func (d *DB) Snapshot() (*Snapshot, error) {
	if err := d.acquire(); err != nil {
		return nil, err
	}
	d.logMu.Lock()
	defer d.logMu.Unlock()
	return &Snapshot{d: d, snap: d.db.NewSnapshot(), AppliedLog: d.appliedLog.Load()}, nil
}

// WriteTo streams the image: every entry of the keyspace, then a checksum.
func (s *Snapshot) WriteTo(w io.Writer) (int64, error) {
	cw := &countingWriter{w: bufio.NewWriterSize(w, 1<<20)}
	h := crc32.New(crcTable)
	mw := io.MultiWriter(cw, h)
	if _, err := io.WriteString(mw, snapshotMagic); err != nil {
		return cw.n, fmt.Errorf("store: write snapshot: %w", err)
	}
	it, err := s.snap.NewIter(&pebble.IterOptions{})
	if err != nil {
		return cw.n, fmt.Errorf("store: snapshot iterator: %w", err)
	}
	var hdr []byte
	for ok := it.First(); ok; ok = it.Next() {
		v, err := it.ValueAndErr()
		if err != nil {
			it.Close()
			return cw.n, fmt.Errorf("store: read %q for snapshot: %w", it.Key(), err)
		}
		hdr = binary.AppendUvarint(hdr[:0], uint64(len(it.Key())))
		hdr = binary.AppendUvarint(hdr, uint64(len(v)))
		for _, p := range [][]byte{hdr, it.Key(), v} {
			if _, err := mw.Write(p); err != nil {
				it.Close()
				return cw.n, fmt.Errorf("store: write snapshot: %w", err)
			}
		}
	}
	if err := errors.Join(it.Error(), it.Close()); err != nil {
		return cw.n, fmt.Errorf("store: iterate for snapshot: %w", err)
	}
	hdr = binary.AppendUvarint(hdr[:0], 0) // key length 0 ends the entries
	hdr = binary.AppendUvarint(hdr, 0)
	if _, err := mw.Write(hdr); err != nil {
		return cw.n, fmt.Errorf("store: write snapshot: %w", err)
	}
	var sum [4]byte
	binary.BigEndian.PutUint32(sum[:], h.Sum32())
	if _, err := cw.Write(sum[:]); err != nil {
		return cw.n, fmt.Errorf("store: write snapshot: %w", err)
	}
	if err := cw.w.(*bufio.Writer).Flush(); err != nil {
		return cw.n, fmt.Errorf("store: write snapshot: %w", err)
	}
	return cw.n, nil
}

// Close releases the image.
func (s *Snapshot) Close() error {
	defer s.d.release()
	return s.snap.Close()
}

type countingWriter struct {
	w io.Writer
	n int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

// restoreBatchBytes bounds one pebble batch while a snapshot is loaded.
const restoreBatchBytes = 4 << 20

// Restore replaces the whole store with the image r carries (written by Snapshot.WriteTo on
// any replica). It must not run concurrently with ApplyLog. Until it returns nil the store is
// marked as restoring (RestoreIncomplete), across a crash too; a checksum mismatch or a
// truncated stream returns an error and leaves that mark.
func (d *DB) Restore(r io.Reader) error {
	if err := d.acquire(); err != nil {
		return err
	}
	defer d.release()
	d.logMu.Lock()
	defer d.logMu.Unlock()
	b := d.db.NewBatch()
	must(b.DeleteRange([]byte{0}, []byte{0xff}, nil))
	must(b.Set([]byte(keyRestoring), nil, nil))
	if err := b.Commit(pebble.Sync); err != nil {
		b.Close()
		return fmt.Errorf("store: restore: clear: %w", err)
	}
	b.Close()
	d.restoring.Store(true)

	cr := &crcReader{r: bufio.NewReaderSize(r, 1<<20), h: crc32.New(crcTable)}
	magic := make([]byte, len(snapshotMagic))
	if _, err := io.ReadFull(cr, magic); err != nil || string(magic) != snapshotMagic {
		return fmt.Errorf("store: restore: not a snapshot stream (magic %q, %v)", magic, err)
	}
	b = d.db.NewBatch()
	defer func() { b.Close() }()
	for {
		kl, err1 := binary.ReadUvarint(cr)
		vl, err2 := binary.ReadUvarint(cr)
		if err := errors.Join(err1, err2); err != nil {
			return fmt.Errorf("store: restore: truncated snapshot: %w", err)
		}
		if kl == 0 {
			break
		}
		if kl > 1<<20 || vl > 1<<30 {
			return fmt.Errorf("store: restore: entry sizes %d/%d out of range", kl, vl)
		}
		kv := make([]byte, kl+vl)
		if _, err := io.ReadFull(cr, kv); err != nil {
			return fmt.Errorf("store: restore: truncated snapshot: %w", err)
		}
		if string(kv[:kl]) == keyRestoring {
			continue
		}
		must(b.Set(kv[:kl], kv[kl:], nil))
		if b.Len() >= restoreBatchBytes {
			if err := b.Commit(pebble.NoSync); err != nil {
				return fmt.Errorf("store: restore: write: %w", err)
			}
			b.Close()
			b = d.db.NewBatch()
		}
	}
	want := cr.h.Sum32()
	var sum [4]byte
	if _, err := io.ReadFull(cr.r, sum[:]); err != nil {
		return fmt.Errorf("store: restore: truncated snapshot: %w", err)
	}
	if got := binary.BigEndian.Uint32(sum[:]); got != want {
		return fmt.Errorf("store: restore: snapshot checksum %08x, computed %08x", got, want)
	}
	// Done: drop the mark in the last batch, fsynced, then load the image's indexes.
	must(b.Delete([]byte(keyRestoring), nil))
	if err := b.Commit(pebble.Sync); err != nil {
		return fmt.Errorf("store: restore: write: %w", err)
	}
	last, err := readUint64(d.db, keyLastIndex)
	if err != nil {
		return fmt.Errorf("store: restore: %w", err)
	}
	applied, err := readUint64(d.db, keyAppliedLog)
	if err != nil {
		return fmt.Errorf("store: restore: %w", err)
	}
	d.rc.last = last
	d.lastIndex.Store(last)
	d.appliedLog.Store(applied)
	d.restoring.Store(false)
	d.log.Info("store restored from a snapshot", "last_index", last, "applied_log", applied)
	return nil
}

// crcReader hashes exactly the bytes it hands out.
type crcReader struct {
	r *bufio.Reader
	h hash.Hash32
}

func (c *crcReader) ReadByte() (byte, error) {
	b, err := c.r.ReadByte()
	if err == nil {
		c.h.Write([]byte{b})
	}
	return b, err
}

func (c *crcReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.h.Write(p[:n])
	return n, err
}
