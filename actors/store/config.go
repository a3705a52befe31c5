package store

import (
	"errors"
	"fmt"
	"log/slog"
)

// Config holds the options of Open. The zero value of every field means "use the default".
type Config struct {
	// MaxGroupOps bounds the number of ops one group commit carries. A larger group shares
	// one fsync among more writers but makes each of them wait for more work. A single Apply
	// with more ops than this still commits, alone. Default 4096.
	MaxGroupOps int
	// MaxGroupBytes bounds the approximate size in bytes (keys, encoded values, index
	// entries) of one group commit, with the same trade-off as MaxGroupOps. A single larger
	// Apply still commits, alone. Default 4 MiB.
	MaxGroupBytes int
	// QueueLength is how many Apply calls may wait for the committer before further callers
	// block in Apply (still honouring their ctx). Default 1024.
	QueueLength int
	// CacheSize is the size in bytes of pebble's block cache, which serves reads of data
	// already flushed from the memtable. More memory, fewer disk reads. Default 32 MiB.
	CacheSize int64
	// InMemory keeps everything on pebble's in-memory filesystem (vfs.NewMem): nothing
	// survives Close. For tests. The dir passed to Open is then only a name.
	InMemory bool
	// Replicated opens the store as the state machine of a replicated log: Apply is refused
	// (ErrReplicated) and writes come only through ApplyLog, in log order, with Snapshot and
	// Restore for the log's snapshots. Reads work as usual.
	Replicated bool
	// Logger receives lifecycle messages and pebble's own log. Default: discard.
	Logger *slog.Logger
}

const (
	defaultMaxGroupOps   = 4096
	defaultMaxGroupBytes = 4 << 20
	defaultQueueLength   = 1024
	defaultCacheSize     = 32 << 20
)

func (c Config) withDefaults() Config {
	if c.MaxGroupOps == 0 {
		c.MaxGroupOps = defaultMaxGroupOps
	}
	if c.MaxGroupBytes == 0 {
		c.MaxGroupBytes = defaultMaxGroupBytes
	}
	if c.QueueLength == 0 {
		c.QueueLength = defaultQueueLength
	}
	if c.CacheSize == 0 {
		c.CacheSize = defaultCacheSize
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	return c
}

// Validate reports every field that is out of range. Zero values are valid (they mean the
// default).
func (c Config) Validate() error {
	var errs []error
	if c.MaxGroupOps < 0 {
		errs = append(errs, fmt.Errorf("store: config: MaxGroupOps %d is negative", c.MaxGroupOps))
	}
	if c.MaxGroupBytes < 0 {
		errs = append(errs, fmt.Errorf("store: config: MaxGroupBytes %d is negative", c.MaxGroupBytes))
	}
	if c.QueueLength < 0 {
		errs = append(errs, fmt.Errorf("store: config: QueueLength %d is negative", c.QueueLength))
	}
	if c.CacheSize < 0 {
		errs = append(errs, fmt.Errorf("store: config: CacheSize %d is negative", c.CacheSize))
	}
	return errors.Join(errs...)
}
