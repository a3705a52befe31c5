package store

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/cockroachdb/pebble/v2"
)

// BorrowScanner is implemented by readers (DB, and the replicated store over it) that can
// scan without copying: for a caller that only looks at most records (a cache hit needs the
// key and version alone), the copies and index terms Scan makes for every record are most of
// the cost.
type BorrowScanner interface {
	// ScanBorrowed is Scan passing each record's key, version and value as slices that are
	// valid only during fn; fn must copy what it keeps. Index terms are not decoded.
	ScanBorrowed(ctx context.Context, opts ScanOptions, fn func(key []byte, version uint64, value []byte) error) error
}

// BorrowGetter is implemented by readers (DB, and the replicated store over it) that can read
// one record without copying it.
type BorrowGetter interface {
	// GetBorrowed is Get passing the record's version and value to fn, valid only during fn;
	// it returns an error wrapping ErrNotFound, or fn's error. Index terms are not decoded.
	GetBorrowed(ctx context.Context, key string, fn func(version uint64, value []byte) error) error
}

var (
	_ BorrowScanner = (*DB)(nil)
	_ BorrowGetter  = (*DB)(nil)
)

// GetBorrowed implements BorrowGetter.
func (d *DB) GetBorrowed(ctx context.Context, key string, fn func(version uint64, value []byte) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := validateKey(key); err != nil {
		return fmt.Errorf("get: %w", err)
	}
	if err := d.acquire(); err != nil {
		return err
	}
	defer d.release()
	v, closer, err := d.db.Get(dataKey(key))
	if errors.Is(err, pebble.ErrNotFound) {
		return fmt.Errorf("get %.64q: %w", key, ErrNotFound)
	}
	if err != nil {
		return fmt.Errorf("store: get %.64q: %w", key, err)
	}
	defer closer.Close()
	version, value, err := skipTerms(v)
	if err != nil {
		return fmt.Errorf("store: get %.64q: %w", key, err)
	}
	return fn(version, value)
}

// ScanBorrowed implements BorrowScanner.
func (d *DB) ScanBorrowed(ctx context.Context, opts ScanOptions, fn func(key []byte, version uint64, value []byte) error) error {
	return d.iterate(ctx, dataKey(opts.Prefix), func(k, v []byte) error {
		if len(k) < 2 || k[0] != prefixData {
			return fmt.Errorf("%w: data key %q", errCorrupt, k)
		}
		version, value, err := skipTerms(v)
		if err != nil {
			return fmt.Errorf("key %.64q: %w", k[1:], err)
		}
		return fn(k[1:], version, value)
	}, opts.Reverse, true)
}

// skipTerms is decodeValue without decoding the terms.
func skipTerms(b []byte) (version uint64, value []byte, err error) {
	if len(b) < valueHeaderLen || b[0] != valueFormatV1 {
		return 0, nil, fmt.Errorf("%w: value header", errCorrupt)
	}
	version = binary.BigEndian.Uint64(b[1:valueHeaderLen])
	if version == 0 {
		return 0, nil, fmt.Errorf("%w: value has version 0", errCorrupt)
	}
	rest := b[valueHeaderLen:]
	n, w := binary.Uvarint(rest)
	if w <= 0 || n > uint64(len(rest)) {
		return 0, nil, fmt.Errorf("%w: value term count", errCorrupt)
	}
	rest = rest[w:]
	for range n {
		l, w := binary.Uvarint(rest)
		if w <= 0 || l > uint64(len(rest)-w) {
			return 0, nil, fmt.Errorf("%w: value term length", errCorrupt)
		}
		rest = rest[w+int(l):]
	}
	return version, rest, nil
}
