package replica

import (
	"fmt"
	"io"
	"sync"
	"sync/atomic"

	"github.com/hashicorp/raft"

	"github.com/pitrix/pitrix/actors/store"
)

// fsm is raft's state machine: the pebble store, fed committed entries in log order. Raft
// calls it from one goroutine; ApplyBatch applies a run of entries with one fsync.
type fsm struct {
	db *store.DB
	// applied is the index of the last log entry the store has applied, of any type. Raft's
	// own AppliedIndex runs ahead of the state machine (it counts entries handed over), so
	// waits for "applied here" read this.
	applied atomic.Uint64

	mu      sync.Mutex
	changed chan struct{} // closed and replaced whenever applied moves
}

func (f *fsm) advance(i uint64) {
	for {
		cur := f.applied.Load()
		if i <= cur {
			return
		}
		if f.applied.CompareAndSwap(cur, i) {
			f.mu.Lock()
			if f.changed != nil {
				close(f.changed)
				f.changed = nil
			}
			f.mu.Unlock()
			return
		}
	}
}

// waitApplied returns true once the store has applied log index i, false when ctxDone or stop
// closes first.
func (f *fsm) waitApplied(i uint64, ctxDone, stop <-chan struct{}) bool {
	for {
		f.mu.Lock()
		if f.applied.Load() >= i {
			f.mu.Unlock()
			return true
		}
		if f.changed == nil {
			f.changed = make(chan struct{})
		}
		ch := f.changed
		f.mu.Unlock()
		select {
		case <-ch:
		case <-ctxDone:
			return false
		case <-stop:
			return false
		}
	}
}

var _ raft.BatchingFSM = (*fsm)(nil)

// applyResult is what Raft.Apply's future answers on the node that proposed the entry.
type applyResult struct {
	index uint64
	err   error
}

func (f *fsm) Apply(l *raft.Log) any { return f.ApplyBatch([]*raft.Log{l})[0] }

func (f *fsm) ApplyBatch(logs []*raft.Log) []any {
	out := make([]any, len(logs))
	entries := make([]store.LogEntry, 0, len(logs))
	slots := make([]int, 0, len(logs))
	for i, l := range logs {
		if l.Type != raft.LogCommand {
			out[i] = applyResult{}
			continue
		}
		entries = append(entries, store.LogEntry{Index: l.Index, Data: l.Data})
		slots = append(slots, i)
	}
	if len(entries) > 0 {
		for j, r := range f.db.ApplyLog(entries) {
			out[slots[j]] = applyResult{index: r.Index, err: r.Err}
		}
	}
	if len(logs) > 0 {
		f.advance(logs[len(logs)-1].Index)
	}
	return out
}

func (f *fsm) Snapshot() (raft.FSMSnapshot, error) {
	s, err := f.db.Snapshot()
	if err != nil {
		return nil, fmt.Errorf("replica: snapshot: %w", err)
	}
	return &fsmSnapshot{s: s}, nil
}

func (f *fsm) Restore(rc io.ReadCloser) error {
	defer rc.Close()
	if err := f.db.Restore(rc); err != nil {
		return err
	}
	f.applied.Store(0)
	f.advance(f.db.AppliedLogIndex())
	return nil
}

// fsmSnapshot releases the store's image once written: raft's RecoverCluster persists a
// snapshot without ever releasing it, and an unreleased image keeps the store from closing.
type fsmSnapshot struct {
	s    *store.Snapshot
	once sync.Once
}

func (s *fsmSnapshot) Persist(sink raft.SnapshotSink) error {
	defer s.Release()
	if _, err := s.s.WriteTo(sink); err != nil {
		return fmt.Errorf("replica: persist snapshot: %w", fmt.Errorf("%w (cancel: %v)", err, sink.Cancel()))
	}
	return sink.Close()
}

func (s *fsmSnapshot) Release() { s.once.Do(func() { _ = s.s.Close() }) }
