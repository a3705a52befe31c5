package store

import (
	"context"
	"fmt"
	"slices"
)

// request is one Apply call on its way through the committer. Apply fills it on the caller's
// goroutine (validation and encoding happen there, in parallel across callers); from the
// moment it is queued only the committer touches it, until it sends on done.
type request struct {
	ctx   context.Context
	ops   []preparedOp
	bytes int // approximate size in the pebble batch, for MaxGroupBytes
	done  chan result
}

type result struct {
	index uint64
	err   error
}

// preparedOp is a validated Op whose slices belong to the store.
type preparedOp struct {
	key    string
	dkey   []byte
	value  []byte // encodeValue output, version stamped by the committer; nil for a delete
	terms  []string
	delete bool
	expect uint64
}

// Apply implements Writer.
func (d *DB) Apply(ctx context.Context, ops ...Op) (uint64, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	if d.rc != nil {
		return 0, ErrReplicated
	}
	r, err := prepare(ctx, ops)
	if err != nil {
		return 0, err
	}
	if err := d.acquire(); err != nil {
		return 0, err
	}
	defer d.release()
	select {
	case d.reqs <- r:
	case <-ctx.Done():
		return 0, ctx.Err()
	}
	select {
	case res := <-r.done:
		return res.index, res.err
	case <-ctx.Done():
		return 0, ctx.Err()
	}
}

// prepare validates ops and copies them into a request.
func prepare(ctx context.Context, ops []Op) (*request, error) {
	if len(ops) == 0 {
		return nil, fmt.Errorf("%w: apply with no ops", ErrInvalid)
	}
	r := &request{ctx: ctx, ops: make([]preparedOp, len(ops)), done: make(chan result, 1)}
	var seen map[string]struct{}
	if len(ops) > 8 {
		seen = make(map[string]struct{}, len(ops))
	}
	for i, op := range ops {
		if err := validateKey(op.Key); err != nil {
			return nil, fmt.Errorf("op %d: %w", i, err)
		}
		if seen != nil {
			if _, dup := seen[op.Key]; dup {
				return nil, fmt.Errorf("%w: op %d: key %.64q appears twice in one apply", ErrInvalid, i, op.Key)
			}
			seen[op.Key] = struct{}{}
		} else {
			for _, prev := range ops[:i] {
				if prev.Key == op.Key {
					return nil, fmt.Errorf("%w: op %d: key %.64q appears twice in one apply", ErrInvalid, i, op.Key)
				}
			}
		}
		p := preparedOp{key: op.Key, dkey: dataKey(op.Key), delete: op.Delete, expect: op.Expect}
		r.bytes += len(p.dkey)
		if !op.Delete {
			terms, err := cleanTerms(op.Terms)
			if err != nil {
				return nil, fmt.Errorf("op %d key %.64q: %w", i, op.Key, err)
			}
			p.terms = terms
			p.value = encodeValue(terms, op.Value)
			r.bytes += len(p.value)
			for _, t := range terms {
				r.bytes += 2 + len(t) + len(op.Key)
			}
		}
		r.ops[i] = p
	}
	return r, nil
}

// cleanTerms validates terms and returns a copy without duplicates, in first-seen order.
// The duplicate check is quadratic: term lists are short.
func cleanTerms(terms []string) ([]string, error) {
	if len(terms) == 0 {
		return nil, nil
	}
	out := make([]string, 0, len(terms))
	for _, t := range terms {
		if err := validateTerm(t); err != nil {
			return nil, err
		}
		if !slices.Contains(out, t) {
			out = append(out, t)
		}
	}
	return out, nil
}
