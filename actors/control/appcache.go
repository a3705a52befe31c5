package control

import (
	"slices"

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
