package control

import (
	"fmt"
	"maps"
	"slices"
	"sync"

	"github.com/pitrix/pitrix/actors/identity"
	"github.com/pitrix/pitrix/actors/store"

	"github.com/pitrix/pitrix/actors/catalog"
	"github.com/pitrix/pitrix/actors/entity"
)

// cacheRecords bounds each decoded-record cache of the plane.
const cacheRecords = 16384

// newAppCache caches decoded app records: listing apps, the store page's hot path, walks every
// app record to filter it by visibility; decoding only the ones that changed since the last
// walk leaves the store read and the filter.
func newAppCache() *entity.Cache[catalog.App] {
	return entity.NewCache(cacheRecords, func(a catalog.App) catalog.App {
		a.Keywords, a.Maintainers, a.CategoryIDs = slices.Clone(a.Keywords), slices.Clone(a.Maintainers), slices.Clone(a.CategoryIDs)
		return a
	})
}

// newRepoCache caches decoded repo records, read for each caller's visibility checks.
func newRepoCache() *entity.Cache[catalog.Repo] {
	return entity.NewCache(cacheRecords, cloneRepo)
}

func cloneRepo(r catalog.Repo) catalog.Repo {
	r.Providers, r.CategoryIDs, r.GroupIDs = slices.Clone(r.Providers), slices.Clone(r.CategoryIDs), slices.Clone(r.GroupIDs)
	r.Labels = cloneMap(r.Labels)
	if r.Selectors != nil {
		sel := make(map[string][]string, len(r.Selectors))
		for k, v := range r.Selectors {
			sel[k] = slices.Clone(v)
		}
		r.Selectors = sel
	}
	if r.LastIndexedAt != nil {
		t := *r.LastIndexedAt
		r.LastIndexedAt = &t
	}
	return r
}

func cloneMap(m map[string]string) map[string]string {
	if m == nil {
		return nil
	}
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// pageCache remembers app list pages by caller and query as of the store's last commit index.
// Everything a page depends on — apps, repos, the caller's groups — is in the store, and the
// caller's user and role are in the key, so while the index stays the same the page is the
// same; any write moves the index and the next listing computes the page again. A page whose
// computation met a read error is not kept.
type pageCache struct {
	mu    sync.Mutex
	pages map[string]cachedPage
}

type cachedPage struct {
	index uint64
	page  catalog.Page[catalog.App]
}

// maxPages bounds a pageCache; past it, it is emptied.
const maxPages = 4096

// key returns the cache key of (pr, q) and the store's last index; ok is false when the store
// does not tell its last index.
func (c *pageCache) key(st store.Reader, pr identity.Principal, q catalog.ListQuery) (string, uint64, bool) {
	li, ok := st.(interface{ LastIndex() uint64 })
	if !ok {
		return "", 0, false
	}
	idx := li.LastIndex() // before the walk: the page sees at least every write up to idx
	filters := slices.Sorted(maps.Keys(q.Filters))
	key := fmt.Sprintf("%q %q %d %d %q %q", pr.UserID, pr.Role, q.Limit, q.Offset, q.Q, q.Sort)
	for _, k := range filters {
		key += fmt.Sprintf(" %q=%q", k, q.Filters[k])
	}
	return key, idx, true
}

func (c *pageCache) get(key string, idx uint64) (catalog.Page[catalog.App], bool) {
	c.mu.Lock()
	e, ok := c.pages[key]
	c.mu.Unlock()
	if !ok || e.index != idx {
		return catalog.Page[catalog.App]{}, false
	}
	return clonePage(e.page), true
}

func (c *pageCache) put(key string, idx uint64, pg catalog.Page[catalog.App]) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.pages == nil || len(c.pages) >= maxPages {
		c.pages = make(map[string]cachedPage)
	}
	c.pages[key] = cachedPage{index: idx, page: clonePage(pg)}
}

func clonePage(pg catalog.Page[catalog.App]) catalog.Page[catalog.App] {
	items := make([]catalog.App, len(pg.Items))
	for i, a := range pg.Items {
		a.Keywords, a.Maintainers, a.CategoryIDs = slices.Clone(a.Keywords), slices.Clone(a.Maintainers), slices.Clone(a.CategoryIDs)
		items[i] = a
	}
	pg.Items = items
	return pg
}
