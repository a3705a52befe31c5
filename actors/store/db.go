package store

import (
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"

	"github.com/cockroachdb/pebble/v2"
	"github.com/cockroachdb/pebble/v2/vfs"
)

// DB is the pebble-backed Store. Create it with Open and release it with Close.
type DB struct {
	cfg Config
	log *slog.Logger
	db  *pebble.DB

	// users counts Apply and read calls in progress; closedBit is set once Close begins.
	// Close waits for users to drop to zero before it stops the committer and pebble, so no
	// call ever touches a closed pebble. drained is closed by the call that ends last.
	users   atomic.Int64
	drained chan struct{}

	reqs chan *request // Apply -> committer
	stop chan struct{} // closed by Close once no Apply can enqueue any more
	wg   sync.WaitGroup

	lastIndex atomic.Uint64
	stats     counters

	// Replicated mode (Config.Replicated): rc is the committer ApplyLog drives on the log's
	// goroutine; no committer goroutine runs. logMu orders ApplyLog, Snapshot and Restore.
	rc         *committer
	logMu      sync.Mutex
	appliedLog atomic.Uint64
	restoring  atomic.Bool

	closeOnce sync.Once
	closeErr  error
}

const closedBit = int64(1) << 62

type counters struct {
	applies, conflicts, commits, ops, failures atomic.Uint64
}

// Stats are cumulative counters since Open, for metrics and benchmarks.
type Stats struct {
	// Applies is the number of Apply calls that committed.
	Applies uint64
	// Ops is the number of ops in those Apply calls.
	Ops uint64
	// Conflicts is the number of Apply calls rejected by a compare-and-set.
	Conflicts uint64
	// Commits is the number of group commits: pebble batches each written with one WAL
	// fsync. Applies/Commits is the mean group size.
	Commits uint64
	// Failures is the number of Apply calls that failed in the committer for another reason
	// than a conflict: I/O error, or ctx done while queued.
	Failures uint64
	// LastIndex is the commit index of the last committed Apply.
	LastIndex uint64
}

// Open opens (creating if needed) the store in directory dir.
func Open(dir string, cfg Config) (*DB, error) {
	return open(dir, cfg, nil)
}

// open is Open on a given filesystem; nil means the one cfg selects. Tests pass pebble's
// crashable in-memory filesystem to simulate power loss.
func open(dir string, cfg Config, fs vfs.FS) (*DB, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	opts := &pebble.Options{
		CacheSize:          cfg.CacheSize,
		FormatMajorVersion: pebble.FormatNewest,
		Logger:             pebbleLogger{cfg.Logger.With("component", "pebble")},
	}
	switch {
	case fs != nil:
		opts.FS = fs
	case cfg.InMemory:
		opts.FS = vfs.NewMem()
		if dir == "" {
			dir = "store"
		}
	case dir == "":
		return nil, fmt.Errorf("store: open: %w: directory is empty", ErrInvalid)
	}
	pdb, err := pebble.Open(dir, opts)
	if err != nil {
		return nil, fmt.Errorf("store: open %q: %w", dir, err)
	}
	last, err := readLastIndex(pdb)
	if err != nil {
		return nil, errors.Join(fmt.Errorf("store: open %q: %w", dir, err), pdb.Close())
	}
	d := &DB{
		cfg:     cfg,
		log:     cfg.Logger.With("component", "store"),
		db:      pdb,
		drained: make(chan struct{}),
		reqs:    make(chan *request, cfg.QueueLength),
		stop:    make(chan struct{}),
	}
	d.lastIndex.Store(last)
	c := newCommitter(d, last)
	if cfg.Replicated {
		applied, err := readUint64(pdb, keyAppliedLog)
		if err != nil {
			return nil, errors.Join(fmt.Errorf("store: open %q: %w", dir, err), pdb.Close())
		}
		d.appliedLog.Store(applied)
		_, closer, err := pdb.Get([]byte(keyRestoring))
		if err == nil {
			closer.Close()
			d.restoring.Store(true)
		}
		d.rc = c
	} else {
		d.wg.Go(c.run)
	}
	d.log.Info("store opened", "dir", dir, "in_memory", cfg.InMemory, "last_index", last, "replicated", cfg.Replicated,
		"applied_log", d.appliedLog.Load())
	return d, nil
}

func readLastIndex(pdb *pebble.DB) (uint64, error) { return readUint64(pdb, keyLastIndex) }

// readUint64 reads an 8-byte meta entry; an absent one is 0.
func readUint64(pdb *pebble.DB, key string) (uint64, error) {
	v, closer, err := pdb.Get([]byte(key))
	if errors.Is(err, pebble.ErrNotFound) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("read %s: %w", key[1:], err)
	}
	defer closer.Close()
	if len(v) != 8 {
		return 0, fmt.Errorf("%w: %s is %d bytes", errCorrupt, key[1:], len(v))
	}
	return binary.BigEndian.Uint64(v), nil
}

// Close stops accepting calls, waits for the calls in progress (queued Applies commit),
// stops the committer and closes pebble. It is idempotent; later calls return the first
// result. It must not be called from a Scan or Lookup callback.
func (d *DB) Close() error {
	d.closeOnce.Do(func() {
		if d.users.Add(closedBit) != closedBit {
			<-d.drained
		}
		close(d.stop)
		d.wg.Wait()
		if err := d.db.Close(); err != nil {
			d.closeErr = fmt.Errorf("store: close: %w", err)
		}
		d.log.Info("store closed", "last_index", d.lastIndex.Load())
	})
	return d.closeErr
}

// acquire registers a call in progress, or returns ErrClosed once Close has begun.
func (d *DB) acquire() error {
	for {
		n := d.users.Load()
		if n&closedBit != 0 {
			return ErrClosed
		}
		if d.users.CompareAndSwap(n, n+1) {
			return nil
		}
	}
}

func (d *DB) release() {
	if d.users.Add(-1) == closedBit {
		close(d.drained)
	}
}

// LastIndex returns the commit index of the last committed Apply (0 for an empty store).
func (d *DB) LastIndex() uint64 { return d.lastIndex.Load() }

// Stats returns the counters since Open.
func (d *DB) Stats() Stats {
	return Stats{
		Applies:   d.stats.applies.Load(),
		Ops:       d.stats.ops.Load(),
		Conflicts: d.stats.conflicts.Load(),
		Commits:   d.stats.commits.Load(),
		Failures:  d.stats.failures.Load(),
		LastIndex: d.lastIndex.Load(),
	}
}

// pebbleLogger puts pebble's log onto our slog logger. Pebble's informational messages (WAL
// recovery details and the like) are internals, so they go to Debug; errors stay errors.
type pebbleLogger struct{ l *slog.Logger }

func (p pebbleLogger) Infof(format string, args ...any) {
	p.l.Debug(fmt.Sprintf(format, args...))
}

func (p pebbleLogger) Errorf(format string, args ...any) {
	p.l.Error(fmt.Sprintf(format, args...))
}

// Fatalf is called by pebble on an unrecoverable invariant violation; pebble expects it not
// to return.
func (p pebbleLogger) Fatalf(format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	p.l.Error(msg, "fatal", true)
	panic("store: pebble fatal: " + msg)
}
