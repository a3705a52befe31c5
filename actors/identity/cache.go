package identity

import (
	"sync"
	"time"
)

// CacheTTL is how long a resolved token is trusted without reading the store again. It bounds
// how long a revoked token, a deactivated user or a change of role takes to apply on a node
// other than the one that made the change (that node drops the token from its cache at once).
// A bounded TTL was chosen over a replicated revocation version: checking a version costs a
// store read on every request, which is what the cache saves, while 5 s of grace after a
// revocation is within what an operator expects; each node still reads a busy token from the
// store only once per TTL.
const CacheTTL = 5 * time.Second

// principalCache remembers recently resolved tokens (by their hash), so a busy client costs one
// map lookup per request instead of two store reads and decodes.
type principalCache struct {
	mu      sync.Mutex
	ttl     time.Duration
	max     int
	entries map[string]cached
}

type cached struct {
	p     Principal
	until time.Time
}

func newPrincipalCache(ttl time.Duration, max int) *principalCache {
	return &principalCache{ttl: ttl, max: max, entries: make(map[string]cached)}
}

func (c *principalCache) get(key string, now time.Time) (Principal, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.entries[key]
	if !ok || !now.Before(e.until) {
		return Principal{}, false
	}
	return e.p, true
}

// put remembers p until the TTL or the token's own expiry, whichever is first.
func (c *principalCache) put(key string, p Principal, now time.Time, expires *time.Time) {
	until := now.Add(c.ttl)
	if expires != nil && expires.Before(until) {
		until = *expires
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.entries) >= c.max {
		for k, e := range c.entries { // drop the expired, or else everything: the cache refills
			if !now.Before(e.until) {
				delete(c.entries, k)
			}
		}
		if len(c.entries) >= c.max {
			c.entries = make(map[string]cached)
		}
	}
	c.entries[key] = cached{p: p, until: until}
}

// drop forgets key, so a revoked token fails on this node at once.
func (c *principalCache) drop(key string) {
	c.mu.Lock()
	delete(c.entries, key)
	c.mu.Unlock()
}
