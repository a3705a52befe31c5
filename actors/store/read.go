package store

import (
	"bytes"
	"context"
	"errors"
	"fmt"

	"github.com/cockroachdb/pebble/v2"
)

// ctxCheckEvery is how many entries a scan visits between checks of its ctx.
const ctxCheckEvery = 64

// Get implements Reader. A single pebble read is its snapshot.
func (d *DB) Get(ctx context.Context, key string) (Record, error) {
	if err := ctx.Err(); err != nil {
		return Record{}, err
	}
	if err := validateKey(key); err != nil {
		return Record{}, fmt.Errorf("get: %w", err)
	}
	if err := d.acquire(); err != nil {
		return Record{}, err
	}
	defer d.release()
	v, closer, err := d.db.Get(dataKey(key))
	if errors.Is(err, pebble.ErrNotFound) {
		return Record{}, fmt.Errorf("get %.64q: %w", key, ErrNotFound)
	}
	if err != nil {
		return Record{}, fmt.Errorf("store: get %.64q: %w", key, err)
	}
	defer closer.Close()
	version, terms, value, err := decodeValue(v)
	if err != nil {
		return Record{}, fmt.Errorf("store: get %.64q: %w", key, err)
	}
	return Record{Key: key, Value: bytes.Clone(value), Version: version, Terms: terms}, nil
}

// Scan implements Reader. The iterator is its snapshot: records committed after Scan began
// are not visited. Each Record handed to fn is a fresh copy.
func (d *DB) Scan(ctx context.Context, opts ScanOptions, fn func(Record) error) error {
	return d.iterate(ctx, dataKey(opts.Prefix), func(k, v []byte) error {
		key, err := decodeDataKey(k)
		if err != nil {
			return err
		}
		version, terms, value, err := decodeValue(v)
		if err != nil {
			return fmt.Errorf("key %.64q: %w", key, err)
		}
		return fn(Record{Key: key, Value: bytes.Clone(value), Version: version, Terms: terms})
	}, opts.Reverse, true)
}

// Lookup implements Reader. The iterator is its snapshot.
func (d *DB) Lookup(ctx context.Context, term string, opts ScanOptions, fn func(key string) error) error {
	if err := validateTerm(term); err != nil {
		return fmt.Errorf("lookup: %w", err)
	}
	return d.iterate(ctx, indexPrefix(term, opts.Prefix), func(k, _ []byte) error {
		_, key, err := decodeIndexKey(k)
		if err != nil {
			return err
		}
		return fn(key)
	}, opts.Reverse, false)
}

// iterate calls visit for every pebble entry whose key starts with prefix. It returns nil
// when visit returns ErrStop, and visit's other errors unchanged.
func (d *DB) iterate(ctx context.Context, prefix []byte, visit func(k, v []byte) error, reverse, values bool) (err error) {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := d.acquire(); err != nil {
		return err
	}
	defer d.release()
	it, err := d.db.NewIterWithContext(ctx, &pebble.IterOptions{LowerBound: prefix, UpperBound: prefixEnd(prefix)})
	if err != nil {
		return fmt.Errorf("store: iterate %q: %w", prefix, err)
	}
	defer func() {
		if cerr := it.Close(); cerr != nil && err == nil {
			err = fmt.Errorf("store: iterate %q: %w", prefix, cerr)
		}
	}()
	step := it.Next
	ok := it.First()
	if reverse {
		step = it.Prev
		ok = it.Last()
	}
	for n := 1; ok; n++ {
		if n%ctxCheckEvery == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		var v []byte
		if values {
			if v, err = it.ValueAndErr(); err != nil {
				return fmt.Errorf("store: read %q: %w", it.Key(), err)
			}
		}
		if err := visit(it.Key(), v); err != nil {
			if errors.Is(err, ErrStop) {
				return nil
			}
			return err
		}
		ok = step()
	}
	if err := it.Error(); err != nil {
		return fmt.Errorf("store: iterate %q: %w", prefix, err)
	}
	return nil
}
