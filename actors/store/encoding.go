package store

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"strings"
)

// Internal layout of the pebble keyspace. Each kind of entry lives under its own first byte:
//
//	'd' key              -> value encoding below (one entry per record)
//	'i' term 0x00 key    -> empty (one entry per index term of a record)
//	'm' "last_index"     -> 8-byte big-endian commit index of the last Apply
//
// Terms contain no NUL byte, so the first NUL of an index key ends the term. Keys and terms
// are validated before anything is encoded.
//
// A record's value is
//
//	0x01 | version (8 bytes, big-endian) | uvarint n | n × (uvarint len | term) | user value
//
// The version has a fixed width so the committer can stamp the commit index into a value that
// Apply encoded beforehand on the caller's goroutine. The term list is stored so that a later
// write can delete exactly the index entries it replaces.
const (
	prefixData  byte = 'd'
	prefixIndex byte = 'i'
	prefixMeta  byte = 'm'

	keyLastIndex = "mlast_index"

	valueFormatV1  byte = 1
	valueHeaderLen      = 1 + 8
)

var errCorrupt = errors.New("store: corrupt entry")

func validateKey(key string) error {
	switch {
	case key == "":
		return fmt.Errorf("%w: key is empty", ErrInvalid)
	case len(key) > MaxKeyLen:
		return fmt.Errorf("%w: key %.64q… is %d bytes, more than %d", ErrInvalid, key, len(key), MaxKeyLen)
	case strings.IndexByte(key, 0) >= 0:
		return fmt.Errorf("%w: key %.64q contains a NUL byte", ErrInvalid, key)
	}
	return nil
}

func validateTerm(term string) error {
	switch {
	case term == "":
		return fmt.Errorf("%w: index term is empty", ErrInvalid)
	case len(term) > MaxTermLen:
		return fmt.Errorf("%w: index term %.64q… is %d bytes, more than %d", ErrInvalid, term, len(term), MaxTermLen)
	case strings.IndexByte(term, 0) >= 0:
		return fmt.Errorf("%w: index term %.64q contains a NUL byte", ErrInvalid, term)
	}
	return nil
}

func dataKey(key string) []byte {
	b := make([]byte, 1+len(key))
	b[0] = prefixData
	copy(b[1:], key)
	return b
}

func decodeDataKey(k []byte) (string, error) {
	if len(k) < 2 || k[0] != prefixData {
		return "", fmt.Errorf("%w: data key %q", errCorrupt, k)
	}
	key := string(k[1:])
	if err := validateKey(key); err != nil {
		return "", fmt.Errorf("%w: data key: %w", errCorrupt, err)
	}
	return key, nil
}

// indexPrefix is the start of every index key of term whose record key starts with keyPrefix.
func indexPrefix(term, keyPrefix string) []byte {
	b := make([]byte, 0, 2+len(term)+len(keyPrefix))
	b = append(b, prefixIndex)
	b = append(b, term...)
	b = append(b, 0)
	return append(b, keyPrefix...)
}

func indexKey(term, key string) []byte { return indexPrefix(term, key) }

func decodeIndexKey(k []byte) (term, key string, err error) {
	if len(k) < 1 || k[0] != prefixIndex {
		return "", "", fmt.Errorf("%w: index key %q", errCorrupt, k)
	}
	rest := k[1:]
	i := bytes.IndexByte(rest, 0)
	if i < 0 {
		return "", "", fmt.Errorf("%w: index key %q has no term separator", errCorrupt, k)
	}
	term, key = string(rest[:i]), string(rest[i+1:])
	if err := validateTerm(term); err != nil {
		return "", "", fmt.Errorf("%w: index key: %w", errCorrupt, err)
	}
	if err := validateKey(key); err != nil {
		return "", "", fmt.Errorf("%w: index key: %w", errCorrupt, err)
	}
	return term, key, nil
}

// encodeValue encodes a record value with version 0; setValueVersion stamps the real one.
// The result shares no memory with terms or value.
func encodeValue(terms []string, value []byte) []byte {
	n := valueHeaderLen + binary.MaxVarintLen64 + len(value)
	for _, t := range terms {
		n += binary.MaxVarintLen64 + len(t)
	}
	b := make([]byte, valueHeaderLen, n)
	b[0] = valueFormatV1
	b = binary.AppendUvarint(b, uint64(len(terms)))
	for _, t := range terms {
		b = binary.AppendUvarint(b, uint64(len(t)))
		b = append(b, t...)
	}
	return append(b, value...)
}

func setValueVersion(b []byte, version uint64) {
	binary.BigEndian.PutUint64(b[1:valueHeaderLen], version)
}

// decodeValue decodes a record value. The returned value aliases b; terms are copies.
func decodeValue(b []byte) (version uint64, terms []string, value []byte, err error) {
	if len(b) < valueHeaderLen || b[0] != valueFormatV1 {
		return 0, nil, nil, fmt.Errorf("%w: value header", errCorrupt)
	}
	version = binary.BigEndian.Uint64(b[1:valueHeaderLen])
	if version == 0 {
		return 0, nil, nil, fmt.Errorf("%w: value has version 0", errCorrupt)
	}
	rest := b[valueHeaderLen:]
	n, w := binary.Uvarint(rest)
	if w <= 0 || n > uint64(len(rest)) {
		return 0, nil, nil, fmt.Errorf("%w: value term count", errCorrupt)
	}
	rest = rest[w:]
	if n > 0 {
		terms = make([]string, 0, n)
	}
	for range n {
		l, w := binary.Uvarint(rest)
		if w <= 0 || l > uint64(len(rest)-w) {
			return 0, nil, nil, fmt.Errorf("%w: value term length", errCorrupt)
		}
		t := string(rest[w : w+int(l)])
		if err := validateTerm(t); err != nil {
			return 0, nil, nil, fmt.Errorf("%w: value: %w", errCorrupt, err)
		}
		terms = append(terms, t)
		rest = rest[w+int(l):]
	}
	return version, terms, rest, nil
}

// prefixEnd returns the smallest key greater than every key with prefix p, or nil if there is
// none (p is all 0xff). Every prefix used here starts with a kind byte below 0xff.
func prefixEnd(p []byte) []byte {
	end := append([]byte(nil), p...)
	for i := len(end) - 1; i >= 0; i-- {
		end[i]++
		if end[i] != 0 {
			return end[:i+1]
		}
	}
	return nil
}
