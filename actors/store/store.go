package store

import (
	"context"
	"errors"
	"fmt"
	"math"
)

// ErrNotFound is returned (wrapped, naming the key) by Get when the key holds no record.
var ErrNotFound = errors.New("store: not found")

// ErrClosed is returned by every method called after Close has begun.
var ErrClosed = errors.New("store: closed")

// ErrStop may be returned by a Scan or Lookup callback to end the iteration early; the
// iterating method then returns nil.
var ErrStop = errors.New("store: stop")

// ErrConflict is matched by errors.Is for every *ConflictError.
var ErrConflict = errors.New("store: version conflict")

// ErrInvalid is wrapped by every error about a malformed input (bad key, bad term, empty
// batch, a key written twice in one batch). Such an error is permanent: retrying the same
// input fails the same way.
var ErrInvalid = errors.New("store: invalid input")

// ErrUnavailable is wrapped by the errors of a replicated store that cannot serve a write or
// a linearizable read now: no leader (this node is on the minority side of a partition, or an
// election is under way) or shutting down. Retrying later may succeed.
var ErrUnavailable = errors.New("store: unavailable")

// ConflictError reports a failed compare-and-set: Op.Expect did not match the key's current
// version. errors.Is(err, ErrConflict) is true for it.
type ConflictError struct {
	Key      string
	Expected uint64 // the Op.Expect that failed; Absent (0) means "must not exist"
	Actual   uint64 // the key's version when the batch was checked; 0 means the key was absent
}

func (e *ConflictError) Error() string {
	exp := fmt.Sprintf("version %d", e.Expected)
	if e.Expected == Absent {
		exp = "absent"
	}
	act := fmt.Sprintf("version %d", e.Actual)
	if e.Actual == 0 {
		act = "absent"
	}
	return fmt.Sprintf("store: version conflict on key %.64q: expected %s, found %s", e.Key, exp, act)
}

// Unwrap makes errors.Is(err, ErrConflict) true.
func (e *ConflictError) Unwrap() error { return ErrConflict }

const (
	// Absent as Op.Expect requires that the key does not exist yet.
	Absent uint64 = 0
	// Any as Op.Expect writes unconditionally.
	Any uint64 = math.MaxUint64
)

// Limits on the sizes of keys and index terms, in bytes.
const (
	MaxKeyLen  = 512
	MaxTermLen = 512
)

// Record is one stored entity. Version is the commit index of the Apply that last wrote it
// (always >= 1). Terms are the secondary index terms the entity was last written with.
type Record struct {
	Key     string
	Value   []byte
	Version uint64
	Terms   []string
}

// Op is one write in an atomic batch.
type Op struct {
	// Key names the entity: non-empty, no NUL byte, at most MaxKeyLen bytes. A key may appear
	// only once per Apply.
	Key string
	// Value is the new value; ignored when Delete is set. Apply copies it before returning.
	Value []byte
	// Delete removes the key and all its index terms. Deleting an absent key is a no-op when
	// Expect is Any or Absent, and a conflict when Expect is a version.
	Delete bool
	// Expect is the compare-and-set condition on the key's current version: Absent, Any, or
	// an exact version (a commit index returned by an earlier Apply or read from a Record).
	Expect uint64
	// Terms are the secondary index terms of the entity, such as "repo_id=repo-1". They
	// replace the key's previous terms; duplicates are dropped. Each is non-empty, has no NUL
	// byte and is at most MaxTermLen bytes.
	Terms []string
}

// ScanOptions selects the records a Scan or Lookup visits.
type ScanOptions struct {
	// Prefix keeps records whose key starts with it; "" visits every record.
	Prefix string
	// Reverse visits keys in descending order. Ids are time-ordered, so Reverse is newest first.
	Reverse bool
}

// Reader is the read side of the store. Its methods may be called from any goroutine and
// concurrently with each other and with Apply; each call reads one consistent snapshot.
type Reader interface {
	// Get returns the record stored under key, or an error wrapping ErrNotFound.
	// The returned Record and its slices belong to the caller.
	Get(ctx context.Context, key string) (Record, error)
	// Scan calls fn for each record whose key starts with opts.Prefix, in key order (or
	// reverse). The Record passed to fn is a copy that fn may keep. fn returning ErrStop ends
	// the scan and Scan returns nil; any other error ends it and is returned unchanged.
	// fn may call Get and Apply, but not Close.
	Scan(ctx context.Context, opts ScanOptions, fn func(Record) error) error
	// Lookup calls fn with the key of each record that has index term `term` and whose key
	// starts with opts.Prefix, in key order (or reverse). fn's error is handled as in Scan.
	Lookup(ctx context.Context, term string, opts ScanOptions, fn func(key string) error) error
}

// Writer is the write side of the store.
type Writer interface {
	// Apply commits ops atomically: all or none. On success it returns the commit index,
	// which becomes the Version of every key written. A failed compare-and-set returns a
	// *ConflictError for the first failing op and writes nothing. Apply returns only after
	// the batch is durable (its WAL record fsynced). It may be called from any goroutine;
	// concurrent calls are group-committed. Apply keeps no reference to ops after it returns.
	//
	// If ctx ends before the batch reaches the committer, Apply returns ctx's error and
	// nothing is written. If ctx ends while the batch waits to commit, Apply returns ctx's
	// error and the outcome is unknown: the batch may still commit. A caller that must know
	// reads the keys back; their versions tell.
	Apply(ctx context.Context, ops ...Op) (uint64, error)
}

// Store is a durable, versioned key-value store with secondary indexes.
type Store interface {
	Reader
	Writer
	Close() error
}

var _ Store = (*DB)(nil)

// Syncer is implemented by a store whose local reads may lag behind acknowledged writes (a
// replica of the replicated log): Sync returns once they include every write acknowledged
// before it was called.
type Syncer interface {
	Sync(ctx context.Context) error
}

// Linearize makes the reads of r that follow linearizable: it calls Sync when r is a Syncer
// and does nothing for a single-node store, whose reads always are. Actors call it before
// loading their state on activation, so an activation never starts from a stale record.
func Linearize(ctx context.Context, r Reader) error {
	if s, ok := r.(Syncer); ok {
		return s.Sync(ctx)
	}
	return nil
}
