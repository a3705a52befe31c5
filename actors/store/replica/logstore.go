package replica

import (
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/cockroachdb/pebble/v2"
	"github.com/hashicorp/raft"
)

// logStore keeps raft's log and its stable values (current term, last vote) in a pebble
// database of their own, beside the state machine's: raft.LogStore and raft.StableStore.
// Every write is fsynced before it returns, as raft requires.
//
//	'l' index (8 bytes, big-endian) -> term | type | appended-at | uvarint len data | extensions
//	's' key                         -> value
type logStore struct {
	db *pebble.DB
}

var (
	_ raft.LogStore    = (*logStore)(nil)
	_ raft.StableStore = (*logStore)(nil)
)

func openLogStore(dir string, log *slog.Logger) (*logStore, error) {
	db, err := pebble.Open(dir, &pebble.Options{FormatMajorVersion: pebble.FormatNewest, Logger: pebbleLogger{log}})
	if err != nil {
		return nil, fmt.Errorf("replica: open raft log %s: %w", dir, err)
	}
	return &logStore{db: db}, nil
}

func (s *logStore) Close() error { return s.db.Close() }

func logKey(index uint64) []byte {
	k := make([]byte, 9)
	k[0] = 'l'
	binary.BigEndian.PutUint64(k[1:], index)
	return k
}

var logLower, logUpper = []byte{'l'}, []byte{'l' + 1}

func (s *logStore) edge(last bool) (uint64, error) {
	it, err := s.db.NewIter(&pebble.IterOptions{LowerBound: logLower, UpperBound: logUpper})
	if err != nil {
		return 0, fmt.Errorf("replica: raft log iterator: %w", err)
	}
	defer it.Close()
	ok := it.First()
	if last {
		ok = it.Last()
	}
	if !ok {
		return 0, it.Error()
	}
	return binary.BigEndian.Uint64(it.Key()[1:]), nil
}

func (s *logStore) FirstIndex() (uint64, error) { return s.edge(false) }
func (s *logStore) LastIndex() (uint64, error)  { return s.edge(true) }

func (s *logStore) GetLog(index uint64, l *raft.Log) error {
	v, closer, err := s.db.Get(logKey(index))
	if errors.Is(err, pebble.ErrNotFound) {
		return raft.ErrLogNotFound
	}
	if err != nil {
		return fmt.Errorf("replica: read raft log %d: %w", index, err)
	}
	defer closer.Close()
	if len(v) < 17 {
		return fmt.Errorf("replica: raft log %d: %d bytes", index, len(v))
	}
	l.Index = index
	l.Term = binary.BigEndian.Uint64(v)
	l.Type = raft.LogType(v[8])
	l.AppendedAt = time.Unix(0, int64(binary.BigEndian.Uint64(v[9:17])))
	rest := v[17:]
	n, w := binary.Uvarint(rest)
	if w <= 0 || n > uint64(len(rest)-w) {
		return fmt.Errorf("replica: raft log %d: bad data length", index)
	}
	l.Data = append([]byte(nil), rest[w:w+int(n)]...)
	l.Extensions = nil
	if ext := rest[w+int(n):]; len(ext) > 0 {
		l.Extensions = append([]byte(nil), ext...)
	}
	return nil
}

func (s *logStore) StoreLog(l *raft.Log) error { return s.StoreLogs([]*raft.Log{l}) }

func (s *logStore) StoreLogs(logs []*raft.Log) error {
	b := s.db.NewBatch()
	defer b.Close()
	var v []byte
	for _, l := range logs {
		v = binary.BigEndian.AppendUint64(v[:0], l.Term)
		v = append(v, byte(l.Type))
		v = binary.BigEndian.AppendUint64(v, uint64(l.AppendedAt.UnixNano()))
		v = binary.AppendUvarint(v, uint64(len(l.Data)))
		v = append(v, l.Data...)
		v = append(v, l.Extensions...)
		if err := b.Set(logKey(l.Index), v, nil); err != nil {
			return fmt.Errorf("replica: store raft log %d: %w", l.Index, err)
		}
	}
	if err := b.Commit(pebble.Sync); err != nil {
		return fmt.Errorf("replica: store %d raft log entries: %w", len(logs), err)
	}
	return nil
}

func (s *logStore) DeleteRange(lo, hi uint64) error {
	if hi < lo {
		return nil
	}
	end := logUpper
	if hi < ^uint64(0) {
		end = logKey(hi + 1)
	}
	if err := s.db.DeleteRange(logKey(lo), end, pebble.Sync); err != nil {
		return fmt.Errorf("replica: delete raft log %d..%d: %w", lo, hi, err)
	}
	return nil
}

func stableKey(k []byte) []byte { return append([]byte{'s'}, k...) }

func (s *logStore) Set(k, v []byte) error {
	if err := s.db.Set(stableKey(k), v, pebble.Sync); err != nil {
		return fmt.Errorf("replica: set %s: %w", k, err)
	}
	return nil
}

func (s *logStore) Get(k []byte) ([]byte, error) {
	v, closer, err := s.db.Get(stableKey(k))
	if errors.Is(err, pebble.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("replica: get %s: %w", k, err)
	}
	defer closer.Close()
	return append([]byte(nil), v...), nil
}

func (s *logStore) SetUint64(k []byte, v uint64) error {
	return s.Set(k, binary.BigEndian.AppendUint64(nil, v))
}

func (s *logStore) GetUint64(k []byte) (uint64, error) {
	v, err := s.Get(k)
	if err != nil || len(v) == 0 {
		return 0, err
	}
	if len(v) != 8 {
		return 0, fmt.Errorf("replica: %s is %d bytes", k, len(v))
	}
	return binary.BigEndian.Uint64(v), nil
}

// pebbleLogger puts pebble's log on slog; its chatter goes to Debug.
type pebbleLogger struct{ l *slog.Logger }

func (p pebbleLogger) Infof(format string, args ...any)  { p.l.Debug(fmt.Sprintf(format, args...)) }
func (p pebbleLogger) Errorf(format string, args ...any) { p.l.Error(fmt.Sprintf(format, args...)) }
func (p pebbleLogger) Fatalf(format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	p.l.Error(msg, "fatal", true)
	panic("replica: pebble fatal: " + msg)
}
