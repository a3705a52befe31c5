package entity

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/pitrix/pitrix/actors/store"
)

// Get reads the record at key and decodes it into a T. It returns the record's version, or
// store.ErrNotFound (wrapped with the key).
func Get[T any](ctx context.Context, r store.Reader, key string) (T, uint64, error) {
	var v T
	rec, err := r.Get(ctx, key)
	if err != nil {
		return v, 0, fmt.Errorf("get %q: %w", key, err)
	}
	if err := json.Unmarshal(rec.Value, &v); err != nil {
		return v, 0, fmt.Errorf("decode %q: %w", key, err)
	}
	return v, rec.Version, nil
}

// Put returns the op that writes v at key if the key's version is still expect (store.Absent
// for a new record), with the record's index terms.
func Put(key string, v any, expect uint64, terms ...string) (store.Op, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return store.Op{}, fmt.Errorf("encode %q: %w", key, err)
	}
	return store.Op{Key: key, Value: b, Expect: expect, Terms: terms}, nil
}

// MustPut is Put for values that always encode (plain structs of strings, numbers, maps);
// an encoding failure there is a programmer error.
func MustPut(key string, v any, expect uint64, terms ...string) store.Op {
	op, err := Put(key, v, expect, terms...)
	if err != nil {
		panic(err)
	}
	return op
}

// Delete returns the op that removes key if its version is still expect.
func Delete(key string, expect uint64) store.Op {
	return store.Op{Key: key, Delete: true, Expect: expect}
}

// Query selects records for List.
type Query[T any] struct {
	Prefix string            // key prefix of the kind, e.g. "app/"
	Term   string            // optional index term to walk instead of the whole prefix
	Keep   func(T) bool      // optional filter applied to each decoded record
	Less   func(a, b T) bool // optional order; nil = key order reversed (newest first)
	Limit  int               // page size; <= 0 means all
	Offset int
	Cache  *Cache[T] // optional: decoded records by version, so unchanged ones are not decoded again
}

// List returns one page of the records selected by q and the total count of matches.
func List[T any](ctx context.Context, r store.Reader, q Query[T]) ([]T, int, error) {
	var all []T
	total := 0
	// With a cache, v is the cache's own value: Keep and Less only read it, and only the
	// records returned are copied.
	keepRef := func(v *T) {
		if q.Keep != nil && !q.Keep(*v) {
			return
		}
		total++
		if q.Less != nil || q.Limit <= 0 || (total > q.Offset && total <= q.Offset+q.Limit) {
			all = append(all, *v)
		}
	}
	keep := func(v T) { keepRef(&v) }
	opts := store.ScanOptions{Prefix: q.Prefix, Reverse: true}
	// walk visits every record of the prefix (or term), newest first.
	walk := func(keep func(T)) error {
		var err error
		if q.Term != "" {
			err = r.Lookup(ctx, q.Term, opts, func(key string) error {
				v, _, gerr := getShared(ctx, r, key, q.Cache)
				if errors.Is(gerr, store.ErrNotFound) {
					return nil // deleted between the index read and the get
				}
				if gerr != nil {
					return gerr
				}
				keep(v)
				return nil
			})
		} else if bs, ok := r.(store.BorrowScanner); ok && q.Cache != nil {
			err = bs.ScanBorrowed(ctx, opts, func(key []byte, version uint64, value []byte) error {
				v, derr := q.Cache.borrowed(key, version, value)
				if derr != nil {
					return derr
				}
				keep(v)
				return nil
			})
		} else {
			err = r.Scan(ctx, opts, func(rec store.Record) error {
				if q.Cache != nil {
					v, derr := q.Cache.shared(rec)
					if derr != nil {
						return derr
					}
					keep(v)
					return nil
				}
				var v T
				if derr := json.Unmarshal(rec.Value, &v); derr != nil {
					return fmt.Errorf("decode %q: %w", rec.Key, derr)
				}
				keep(v)
				return nil
			})
		}
		return err
	}
	var err error
	if li, ok := r.(lastIndexer); ok && q.Cache != nil {
		err = q.Cache.eachListed(q.Prefix+"\x00"+q.Term, li.LastIndex(), walk, keepRef)
	} else {
		err = walk(keep)
	}
	if err != nil {
		return nil, 0, fmt.Errorf("list %s%s: %w", q.Prefix, q.Term, err)
	}
	if q.Less != nil {
		sort.SliceStable(all, func(i, j int) bool { return q.Less(all[i], all[j]) })
		if q.Limit > 0 {
			lo := min(q.Offset, len(all))
			hi := min(q.Offset+q.Limit, len(all))
			all = all[lo:hi]
		}
	}
	if q.Cache != nil {
		for i := range all {
			all[i] = q.Cache.copy(all[i])
		}
	}
	if all == nil {
		all = []T{}
	}
	return all, total, nil
}

// Contains reports whether s contains the lower-case needle, ignoring case; an empty needle
// matches everything. It is the "q" search of list endpoints.
func Contains(needle string, fields ...string) bool {
	if needle == "" {
		return true
	}
	needle = strings.ToLower(needle)
	for _, f := range fields {
		if strings.Contains(strings.ToLower(f), needle) {
			return true
		}
	}
	return false
}

// Each calls fn with every record under prefix that has term (all under prefix when term is
// ""), with its version, in key order. fn returning store.ErrStop ends the walk.
func Each[T any](ctx context.Context, r store.Reader, prefix, term string, fn func(v T, version uint64) error) error {
	opts := store.ScanOptions{Prefix: prefix}
	if term == "" {
		return r.Scan(ctx, opts, func(rec store.Record) error {
			var v T
			if err := json.Unmarshal(rec.Value, &v); err != nil {
				return fmt.Errorf("decode %q: %w", rec.Key, err)
			}
			return fn(v, rec.Version)
		})
	}
	return r.Lookup(ctx, term, opts, func(key string) error {
		v, ver, err := Get[T](ctx, r, key)
		if errors.Is(err, store.ErrNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		return fn(v, ver)
	})
}
