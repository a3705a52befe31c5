package entity

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"

	"github.com/pitrix/pitrix/actors/store"
)

// Cache keeps decoded records by key and version, so that reading a record that did not
// change since it was last decoded costs a store read and a map lookup, not a JSON decode.
// A record's version is the commit index of the write that made it, unique across the store,
// so a cached value is returned only for the exact bytes it was decoded from: a write, on
// this node or replicated from another, changes the version and the next read decodes again.
// Nothing is ever stale; the cache saves only work.
//
// List through a cache on a store that tells its last commit index (store.DB and the replica
// over it) also keeps the whole walk — every record of the prefix or term, decoded — as of
// that index, and walks the store again only once anything was written.
//
// Values handed out are copies made by the clone function given to NewCache (nil: plain
// assignment, for types without slices, maps or pointers), so a caller may change what it
// gets. The cache holds at most max entries; when full it drops an arbitrary half.
type Cache[T any] struct {
	mu     sync.RWMutex
	m      map[string]cacheEntry[T]
	max    int
	clone  func(T) T
	lists  map[string]listSnap[T] // by prefix and term
	listed int                    // records held by lists, at most max
}

// listSnap is every record of one prefix (or term), newest first, as of a store's last
// commit index.
type listSnap[T any] struct {
	index uint64
	items []T
}

// maxLists bounds the list snapshots of a cache; past it, or past the cache's bound in records,
// they are all dropped.
const maxLists = 64

// lastIndexer is a store that tells its last commit index, published only after the commit's
// writes are visible (store.DB, the replica over it): a walk that starts at index i sees every
// write up to i, and while the index stays i nothing else was written.
type lastIndexer interface{ LastIndex() uint64 }

// eachListed calls visit with every record walk would give, from the snapshot taken at the
// store's last commit index idx when there is one, else walking and keeping the snapshot.
// The records are the cache's own values, to be read only.
func (c *Cache[T]) eachListed(key string, idx uint64, walk func(func(T)) error, visit func(*T)) error {
	c.mu.RLock()
	l, ok := c.lists[key]
	c.mu.RUnlock()
	if !ok || l.index != idx {
		var items []T
		if err := walk(func(v T) { items = append(items, v) }); err != nil {
			return err
		}
		l = listSnap[T]{index: idx, items: items}
		if len(items) <= c.max { // a walk larger than the cache's bound is not kept
			c.mu.Lock()
			if cur, ok := c.lists[key]; ok {
				c.listed -= len(cur.items)
				delete(c.lists, key)
			}
			if len(c.lists) >= maxLists || c.listed+len(items) > c.max {
				clear(c.lists)
				c.listed = 0
			}
			c.lists[key] = l
			c.listed += len(items)
			c.mu.Unlock()
		}
	}
	for i := range l.items {
		visit(&l.items[i])
	}
	return nil
}

type cacheEntry[T any] struct {
	version uint64
	v       T
}

// NewCache returns a cache of at most max entries (at least 1) whose values are copied with
// clone when handed out.
func NewCache[T any](size int, clone func(T) T) *Cache[T] {
	return &Cache[T]{m: make(map[string]cacheEntry[T]), max: max(size, 1), clone: clone, lists: make(map[string]listSnap[T])}
}

// decode returns the record rec decoded, from the cache when its version was seen before.
func (c *Cache[T]) decode(rec store.Record) (T, error) {
	v, err := c.shared(rec)
	if err != nil {
		return v, err
	}
	return c.copy(v), nil
}

// shared is decode without the copy: the value shares its slices and maps with the cache and
// must only be read.
func (c *Cache[T]) shared(rec store.Record) (T, error) {
	return c.keyed(rec.Key, rec.Version, rec.Value)
}

// borrowed is shared for a record whose key and value are borrowed from a scan: they are
// neither kept nor retained by the decoded value.
func (c *Cache[T]) borrowed(key []byte, version uint64, value []byte) (T, error) {
	c.mu.RLock()
	e, ok := c.m[string(key)] // no copy of key for a lookup
	c.mu.RUnlock()
	if ok && e.version == version {
		return e.v, nil
	}
	return c.add(string(key), version, value)
}

// keyed is borrowed for a key the caller holds as a string.
func (c *Cache[T]) keyed(key string, version uint64, value []byte) (T, error) {
	c.mu.RLock()
	e, ok := c.m[key]
	c.mu.RUnlock()
	if ok && e.version == version {
		return e.v, nil
	}
	return c.add(key, version, value)
}

// add decodes value and keeps it as key's version, unless a newer version is kept already.
func (c *Cache[T]) add(key string, version uint64, value []byte) (T, error) {
	var v T
	if err := json.Unmarshal(value, &v); err != nil {
		return v, fmt.Errorf("decode %q: %w", key, err)
	}
	c.mu.Lock()
	if len(c.m) >= c.max {
		n := 0
		for k := range c.m {
			if n >= c.max/2 {
				break
			}
			delete(c.m, k)
			n++
		}
	}
	if cur, ok := c.m[key]; !ok || cur.version < version {
		c.m[key] = cacheEntry[T]{version: version, v: v}
	}
	c.mu.Unlock()
	return v, nil
}

func (c *Cache[T]) copy(v T) T {
	if c.clone == nil {
		return v
	}
	return c.clone(v)
}

// GetCached is Get through c: the record is read from the store and decoded only when c has
// not decoded this version of it yet. A nil c decodes every time.
func GetCached[T any](ctx context.Context, r store.Reader, key string, c *Cache[T]) (T, uint64, error) {
	if c == nil {
		return Get[T](ctx, r, key)
	}
	v, ver, err := getShared(ctx, r, key, c)
	if err != nil {
		return v, 0, err
	}
	return c.copy(v), ver, nil
}

// getShared reads key through c (nil: decoding every time); the value is c's own, to be read only.
func getShared[T any](ctx context.Context, r store.Reader, key string, c *Cache[T]) (T, uint64, error) {
	if c == nil {
		return Get[T](ctx, r, key)
	}
	var v T
	var ver uint64
	if bg, ok := r.(store.BorrowGetter); ok {
		var decodeErr error
		err := bg.GetBorrowed(ctx, key, func(version uint64, value []byte) error {
			v, decodeErr = c.keyed(key, version, value)
			ver = version
			return decodeErr
		})
		if err != nil && decodeErr == nil {
			err = fmt.Errorf("get %q: %w", key, err)
		}
		return v, ver, err
	}
	rec, err := r.Get(ctx, key)
	if err != nil {
		return v, 0, fmt.Errorf("get %q: %w", key, err)
	}
	v, err = c.keyed(key, rec.Version, rec.Value)
	return v, rec.Version, err
}
