package store

import (
	"bytes"
	"errors"
	"slices"
	"strings"
	"testing"
)

// FuzzKeyEncoding checks the internal encoding: every Op that passes validation encodes to
// data keys, index keys and values that decode back identical, and that sort so prefix scans
// are exact; every invalid Op is rejected with ErrInvalid; and decoding arbitrary bytes (a
// corrupt or foreign entry) returns an error instead of panicking.
func FuzzKeyEncoding(f *testing.F) {
	f.Add("cl-0001", "repo_id=repo-1|status=active", []byte("value"), uint64(1), "cl-")
	f.Add("k", "", []byte(nil), uint64(42), "")
	f.Add("a\x00b", "t", []byte{}, uint64(1), "a")
	f.Add("k", "t\x00x|y", []byte{1, 2}, uint64(7), "k")
	f.Add("k", "x||y", []byte("v"), uint64(1), "k")
	f.Add("\xff\xff", "\xff|\xff", []byte{0xff}, uint64(1<<63), "\xff")
	f.Add("", "t", []byte("v"), uint64(3), "")
	f.Add(strings.Repeat("k", MaxKeyLen+1), "t", []byte("v"), uint64(3), "k")
	f.Add("k", "dup|dup|other", []byte("\x01\x00\x00\x00\x00\x00\x00\x00\x01\x01\x01t"), uint64(5), "k")
	f.Fuzz(func(t *testing.T, key, joinedTerms string, value []byte, version uint64, prefix string) {
		var terms []string
		if joinedTerms != "" {
			terms = strings.Split(joinedTerms, "|")
		}
		valid := validateKey(key) == nil
		for _, term := range terms {
			valid = valid && validateTerm(term) == nil
		}

		// Arbitrary bytes never make a decoder panic, and what decodes re-encodes to
		// something that decodes the same.
		if v, ts, val, err := decodeValue(value); err == nil {
			enc := encodeValue(ts, val)
			setValueVersion(enc, v)
			v2, ts2, val2, err := decodeValue(enc)
			if err != nil || v2 != v || !slices.Equal(ts, ts2) || !bytes.Equal(val, val2) {
				t.Fatalf("decode(encode(decode(%q))) differs: %v", value, err)
			}
		}
		_, _, _ = decodeIndexKey([]byte(key))
		_, _ = decodeDataKey([]byte(key))

		r, err := prepare(t.Context(), []Op{{Key: key, Value: value, Terms: terms}})
		if !valid {
			if err == nil || !errors.Is(err, ErrInvalid) {
				t.Fatalf("invalid op (key %q, terms %q) accepted or wrong error: %v", key, terms, err)
			}
			return
		}
		if err != nil {
			t.Fatalf("valid op (key %q, terms %q) rejected: %v", key, terms, err)
		}
		op := r.ops[0]
		if got, err := decodeDataKey(op.dkey); err != nil || got != key {
			t.Fatalf("data key %q decodes to %q, %v", key, got, err)
		}
		version |= 1 // versions are >= 1
		setValueVersion(op.value, version)
		v, ts, val, err := decodeValue(op.value)
		if err != nil || v != version || !bytes.Equal(val, value) || !slices.Equal(ts, op.terms) {
			t.Fatalf("value round trip: got (%d, %q, %q, %v), want (%d, %q, %q)", v, ts, val, err, version, op.terms, value)
		}
		for _, term := range terms {
			if !slices.Contains(ts, term) {
				t.Fatalf("term %q lost in encoding; have %q", term, ts)
			}
		}
		if len(ts) > len(terms) {
			t.Fatalf("encoding gained terms: %q from %q", ts, terms)
		}
		for _, term := range ts {
			ik := indexKey(term, key)
			gt, gk, err := decodeIndexKey(ik)
			if err != nil || gt != term || gk != key {
				t.Fatalf("index key (%q, %q) decodes to (%q, %q), %v", term, key, gt, gk, err)
			}
			// Lookup(term, prefix) visits exactly the keys starting with prefix.
			lo := indexPrefix(term, prefix)
			hi := prefixEnd(lo)
			inRange := bytes.Compare(ik, lo) >= 0 && (hi == nil || bytes.Compare(ik, hi) < 0)
			if inRange != strings.HasPrefix(key, prefix) {
				t.Fatalf("index key (%q, %q) in range of prefix %q = %v", term, key, prefix, inRange)
			}
		}
		// Scan(prefix) visits exactly the keys starting with prefix.
		lo := dataKey(prefix)
		hi := prefixEnd(lo)
		inRange := bytes.Compare(op.dkey, lo) >= 0 && bytes.Compare(op.dkey, hi) < 0
		if inRange != strings.HasPrefix(key, prefix) {
			t.Fatalf("data key %q in range of prefix %q = %v", key, prefix, inRange)
		}
	})
}

func TestPrefixEnd(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want []byte }{
		{[]byte("d"), []byte("e")},
		{[]byte("dab"), []byte("dac")},
		{[]byte("d\xff"), []byte("e")},
		{[]byte("d\xff\xff"), []byte("e")},
		{[]byte("\xff\xff"), nil},
	}
	for _, tc := range tests {
		if got := prefixEnd(tc.in); !bytes.Equal(got, tc.want) {
			t.Errorf("prefixEnd(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}
