package idgen

import (
	"crypto/rand"
	"encoding/binary"
	"sync"
	"time"
)

// alphabet is base32hex in lower case: its byte order equals its digit order, so ids sort by time.
const alphabet = "0123456789abcdefghijklmnopqrstuv"

// Generator makes time-ordered ids. Ids made by one Generator are strictly increasing even
// within one millisecond. The zero value is not usable: use New.
type Generator struct {
	mu   sync.Mutex
	now  func() time.Time
	last uint64 // last (ms<<40 | rand) issued
}

// New returns a Generator over the given clock (time.Now when nil).
func New(now func() time.Time) *Generator {
	if now == nil {
		now = time.Now
	}
	return &Generator{now: now}
}

// Next returns prefix + "-" + 16 characters: 10 of milliseconds since the epoch and 6 random,
// e.g. "repo-0ku7h3b2c1x9qf0z".
func (g *Generator) Next(prefix string) string {
	var rb [8]byte
	_, _ = rand.Read(rb[:])
	ms := uint64(g.now().UnixMilli())
	g.mu.Lock()
	v := ms<<30 | binary.BigEndian.Uint64(rb[:])&(1<<30-1)
	if v <= g.last {
		v = g.last + 1
	}
	g.last = v
	g.mu.Unlock()
	var b [16]byte
	for i := 15; i >= 0; i-- {
		b[i] = alphabet[v&31]
		v >>= 5
	}
	return prefix + "-" + string(b[:])
}
