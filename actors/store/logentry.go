package store

import (
	"encoding/binary"
	"fmt"
)

// The replicated log carries each Apply as one entry: the ops exactly as the caller gave them,
// validated first on the caller's node. Every replica decodes the entry and validates it again
// (the same rules, so the same verdict everywhere) before the committer checks and writes it.
//
//	0x01 | uvarint n | n × op
//	op:  flags (bit 0 delete) | uvarint expect | bytes key | uvarint t | t × bytes term | bytes value
//	bytes: uvarint len | len bytes
const entryFormatV1 byte = 1

// EncodeEntry validates ops as Apply does and returns them as one replicated-log entry.
func EncodeEntry(ops []Op) ([]byte, error) {
	r, err := prepare(nil, ops)
	if err != nil {
		return nil, err
	}
	b := make([]byte, 0, 16+r.bytes+len(ops)*8)
	b = append(b, entryFormatV1)
	b = binary.AppendUvarint(b, uint64(len(ops)))
	for i := range r.ops {
		op := &r.ops[i]
		var flags byte
		if op.delete {
			flags = 1
		}
		b = append(b, flags)
		b = binary.AppendUvarint(b, op.expect)
		b = appendBytes(b, []byte(op.key))
		b = binary.AppendUvarint(b, uint64(len(op.terms)))
		for _, t := range op.terms {
			b = appendBytes(b, []byte(t))
		}
		if !op.delete {
			_, _, v, err := decodeEntryValue(op.value)
			if err != nil {
				return nil, err
			}
			b = appendBytes(b, v)
		} else {
			b = appendBytes(b, nil)
		}
	}
	return b, nil
}

// decodeEntryValue returns the user value of an encodeValue output (whose version is still 0).
func decodeEntryValue(enc []byte) (uint64, []string, []byte, error) {
	setValueVersion(enc, 1) // decodeValue refuses version 0; the committer stamps the real one
	v, terms, val, err := decodeValue(enc)
	setValueVersion(enc, 0)
	return v, terms, val, err
}

// DecodeEntry returns the ops of a replicated-log entry. An entry that does not decode is
// reported as ErrInvalid, the same on every replica.
func DecodeEntry(b []byte) ([]Op, error) {
	if len(b) < 1 || b[0] != entryFormatV1 {
		return nil, fmt.Errorf("%w: log entry format", ErrInvalid)
	}
	d := entryDecoder{b: b[1:]}
	n := d.uvarint()
	if d.err == nil && n > uint64(len(d.b)) {
		d.err = fmt.Errorf("%w: log entry op count %d", ErrInvalid, n)
	}
	var ops []Op
	for i := uint64(0); i < n && d.err == nil; i++ {
		var op Op
		flags := d.byte()
		op.Delete = flags&1 != 0
		op.Expect = d.uvarint()
		op.Key = string(d.bytes())
		nt := d.uvarint()
		if d.err == nil && nt > uint64(len(d.b)) {
			d.err = fmt.Errorf("%w: log entry term count %d", ErrInvalid, nt)
		}
		for j := uint64(0); j < nt && d.err == nil; j++ {
			op.Terms = append(op.Terms, string(d.bytes()))
		}
		if v := d.bytes(); !op.Delete {
			op.Value = v
		}
		ops = append(ops, op)
	}
	if d.err == nil && len(d.b) != 0 {
		d.err = fmt.Errorf("%w: log entry has %d trailing bytes", ErrInvalid, len(d.b))
	}
	if d.err != nil {
		return nil, d.err
	}
	return ops, nil
}

func appendBytes(b, p []byte) []byte {
	b = binary.AppendUvarint(b, uint64(len(p)))
	return append(b, p...)
}

type entryDecoder struct {
	b   []byte
	err error
}

func (d *entryDecoder) uvarint() uint64 {
	if d.err != nil {
		return 0
	}
	v, w := binary.Uvarint(d.b)
	if w <= 0 {
		d.err = fmt.Errorf("%w: log entry truncated", ErrInvalid)
		return 0
	}
	d.b = d.b[w:]
	return v
}

func (d *entryDecoder) byte() byte {
	if d.err != nil {
		return 0
	}
	if len(d.b) == 0 {
		d.err = fmt.Errorf("%w: log entry truncated", ErrInvalid)
		return 0
	}
	c := d.b[0]
	d.b = d.b[1:]
	return c
}

func (d *entryDecoder) bytes() []byte {
	n := d.uvarint()
	if d.err != nil {
		return nil
	}
	if n > uint64(len(d.b)) {
		d.err = fmt.Errorf("%w: log entry truncated", ErrInvalid)
		return nil
	}
	p := d.b[:n:n]
	d.b = d.b[n:]
	return p
}
