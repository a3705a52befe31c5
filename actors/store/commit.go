package store

import (
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"slices"

	"github.com/cockroachdb/pebble/v2"
)

// committer is the single writer of pebble. It takes a group of queued requests, checks each
// one's compare-and-sets against pebble plus the effect of the earlier requests of the same
// group (the overlay), gives each passing request the next commit index, writes them all in
// ONE pebble batch together with the new last index, commits it with one WAL fsync, and only
// then answers. A conflicting request fails alone; the rest of its group commits.
//
// Being the only writer is what makes the compare-and-set sound: between the check and the
// commit nothing else can change a key.
type committer struct {
	d        *DB
	log      *slog.Logger
	last     uint64 // commit index of the last durable group
	failed   error  // sticky: set when a group could not be committed
	overlay  map[string]keyState
	current  []keyState // per op of the request being checked
	group    []*request
	carry    *request // received but did not fit the previous group
	maxOps   int
	maxBytes int
}

// keyState is what the committer knows of a key: from pebble, or from the overlay.
type keyState struct {
	exists  bool
	version uint64
	terms   []string
}

func newCommitter(d *DB, last uint64) *committer {
	return &committer{
		d:        d,
		log:      d.log,
		last:     last,
		overlay:  make(map[string]keyState),
		maxOps:   d.cfg.MaxGroupOps,
		maxBytes: d.cfg.MaxGroupBytes,
	}
}

// run commits groups until Close closes d.stop. By then no Apply can enqueue any more, so run
// first drains the queue: every queued request is answered.
func (c *committer) run() {
	for {
		if c.carry == nil {
			select {
			case r := <-c.d.reqs:
				c.carry = r
			case <-c.d.stop:
				select {
				case r := <-c.d.reqs:
					c.carry = r
				default:
					return
				}
			}
		}
		c.collect()
		c.commitGroup()
	}
}

// collect moves c.carry and whatever else is queued into c.group, within the group bounds.
func (c *committer) collect() {
	c.group = append(c.group[:0], c.carry)
	ops, bytes := len(c.carry.ops), c.carry.bytes
	c.carry = nil
	for {
		select {
		case r := <-c.d.reqs:
			if ops+len(r.ops) > c.maxOps || bytes+r.bytes > c.maxBytes {
				c.carry = r
				return
			}
			c.group = append(c.group, r)
			ops += len(r.ops)
			bytes += r.bytes
		default:
			return
		}
	}
}

func (c *committer) commitGroup() {
	b := c.d.db.NewBatch()
	defer b.Close()
	results := make([]result, len(c.group))
	index := c.evaluate(b, c.group, results)
	if index > c.last {
		if err := c.commit(b, index, nil); err != nil {
			for i := range results {
				if results[i].err == nil {
					results[i] = result{err: err}
				}
			}
		}
	}
	for i, r := range c.group {
		c.count(r, results[i])
		r.done <- results[i]
		c.group[i] = nil
	}
}

// evaluate checks the requests of one group in order and adds the survivors to b, each at the
// next commit index; it fills results and returns the last index given (c.last if none).
func (c *committer) evaluate(b *pebble.Batch, group []*request, results []result) uint64 {
	clear(c.overlay)
	index := c.last
	for i, r := range group {
		switch {
		case c.failed != nil:
			results[i].err = c.failed
		case r.ctx != nil && r.ctx.Err() != nil:
			// Its caller has given up; committing it would only spend an index.
			results[i].err = r.ctx.Err()
		default:
			results[i].err = c.check(r)
			if results[i].err == nil {
				index++
				results[i].index = index
				c.write(b, r, index)
			}
		}
	}
	return index
}

// commit writes b with the new last commit index (and extra meta entries) and one fsync.
// On failure the store refuses every later write: the outcome of a failed WAL write is
// unknown, so no later index can be trusted.
func (c *committer) commit(b *pebble.Batch, index uint64, extra func(*pebble.Batch)) error {
	var buf [8]byte
	binary.BigEndian.PutUint64(buf[:], index)
	err := b.Set([]byte(keyLastIndex), buf[:], nil)
	if err == nil && extra != nil {
		extra(b)
	}
	if err == nil {
		// A replica need not fsync: its entries are already in a quorum's fsynced raft log,
		// and the applied log index travels in the same batch, so after a crash it replays
		// what it lost (or restores the snapshot it fell behind).
		opt := pebble.Sync
		if c.d.cfg.Replicated {
			opt = pebble.NoSync
		}
		err = b.Commit(opt)
	}
	if err != nil {
		c.failed = fmt.Errorf("store: commit indexes %d..%d: %w", c.last+1, index, err)
		c.log.Error("group commit failed; store refuses further writes",
			"first_index", c.last+1, "last_index", index, "err", err)
		return c.failed
	}
	c.last = index
	c.d.lastIndex.Store(index)
	c.d.stats.commits.Add(1)
	return nil
}

// count adds one answered request to the stats.
func (c *committer) count(r *request, res result) {
	var conflict *ConflictError
	switch {
	case res.err == nil:
		c.d.stats.applies.Add(1)
		c.d.stats.ops.Add(uint64(len(r.ops)))
	case errors.As(res.err, &conflict):
		c.d.stats.conflicts.Add(1)
	default:
		c.d.stats.failures.Add(1)
	}
}

// check evaluates the compare-and-set of every op of r and leaves each key's current state in
// c.current. It returns the *ConflictError of the first failing op.
func (c *committer) check(r *request) error {
	c.current = slices.Grow(c.current[:0], len(r.ops))[:len(r.ops)]
	for i := range r.ops {
		op := &r.ops[i]
		st, err := c.state(op)
		if err != nil {
			return err
		}
		c.current[i] = st
		if op.expect == Any {
			continue
		}
		actual := uint64(0)
		if st.exists {
			actual = st.version
		}
		if actual != op.expect {
			return &ConflictError{Key: op.key, Expected: op.expect, Actual: actual}
		}
	}
	return nil
}

// state returns the key's state as of the requests already accepted into this group.
func (c *committer) state(op *preparedOp) (keyState, error) {
	if st, ok := c.overlay[op.key]; ok {
		return st, nil
	}
	v, closer, err := c.d.db.Get(op.dkey)
	if errors.Is(err, pebble.ErrNotFound) {
		return keyState{}, nil
	}
	if err != nil {
		return keyState{}, fmt.Errorf("store: read key %.64q: %w", op.key, err)
	}
	defer closer.Close()
	version, terms, _, err := decodeValue(v)
	if err != nil {
		return keyState{}, fmt.Errorf("store: read key %.64q: %w", op.key, err)
	}
	return keyState{exists: true, version: version, terms: terms}, nil
}

// write adds r's ops to the batch at commit index and records their effect in the overlay.
// c.current holds the state check found for each op.
func (c *committer) write(b *pebble.Batch, r *request, index uint64) {
	for i := range r.ops {
		op := &r.ops[i]
		old := c.current[i]
		if op.delete {
			if !old.exists {
				continue
			}
			must(b.Delete(op.dkey, nil))
			for _, t := range old.terms {
				must(b.Delete(indexKey(t, op.key), nil))
			}
			c.overlay[op.key] = keyState{}
			continue
		}
		setValueVersion(op.value, index)
		must(b.Set(op.dkey, op.value, nil))
		for _, t := range old.terms {
			if !slices.Contains(op.terms, t) {
				must(b.Delete(indexKey(t, op.key), nil))
			}
		}
		for _, t := range op.terms {
			if !slices.Contains(old.terms, t) {
				must(b.Set(indexKey(t, op.key), nil, nil))
			}
		}
		c.overlay[op.key] = keyState{exists: true, version: index, terms: op.terms}
	}
}

// must panics on an error from adding to a fresh, writable batch, which pebble returns only on
// programmer error (a read-only or committed batch).
func must(err error) {
	if err != nil {
		panic(fmt.Sprintf("store: build batch: %v", err))
	}
}
