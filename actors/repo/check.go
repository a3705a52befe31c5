package repo

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"

	"github.com/pitrix/pitrix/actors/catalog"
	"github.com/pitrix/pitrix/actors/repo/source"
	"github.com/pitrix/pitrix/providers/helm/chart"
	"github.com/pitrix/pitrix/providers/pkgcheck"
	"github.com/pitrix/pitrix/providers/pkgfile"
	"github.com/pitrix/pitrix/providers/vm/spec"
)

// checkWorkers bounds the packages one run fetches and checks at once.
const checkWorkers = 4

// maxRefusedListed bounds the refused versions an event lists (and names in its result).
const maxRefusedListed = 100

// checkEntries fetches and checks (pkgcheck, the rules of upload and create) the package of
// every entry in todo, named by the index entry. It returns the refused ones with their
// problems, and whether any could not be fetched (a transient failure: the run must not record
// the index as read, so the next run tries again).
func (ix *Indexer) checkEntries(ctx context.Context, r catalog.StoredRepo, appType string, todo []entry) ([]catalog.RefusedPackage, bool) {
	if len(todo) == 0 {
		return nil, false
	}
	src, err := Source(ix.Sealer, r)
	if err != nil {
		out := make([]catalog.RefusedPackage, 0, len(todo))
		for _, e := range todo {
			out = append(out, refused(e, map[string]string{"package": err.Error()}))
		}
		return out, true
	}
	var (
		mu        sync.Mutex
		out       []catalog.RefusedPackage
		transient bool
		wg        sync.WaitGroup
	)
	work := make(chan entry)
	for range min(checkWorkers, len(todo)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for e := range work {
				problems, fetchFailed := ix.checkEntry(ctx, src, appType, e)
				if problems == nil {
					continue
				}
				mu.Lock()
				out = append(out, refused(e, problems))
				transient = transient || fetchFailed
				mu.Unlock()
			}
		}()
	}
	for _, e := range todo {
		work <- e
	}
	close(work)
	wg.Wait()
	sort.Slice(out, func(i, j int) bool {
		if out[i].Name != out[j].Name {
			return out[i].Name < out[j].Name
		}
		return out[i].Version < out[j].Version
	})
	return out, transient
}

// checkEntry checks one package; nil problems means it passes.
func (ix *Indexer) checkEntry(ctx context.Context, src source.Repo, appType string, e entry) (map[string]string, bool) {
	pkg, err := ix.Source.FetchPackage(ctx, src, e.url)
	if err != nil {
		return map[string]string{"package": fmt.Sprintf("cannot be fetched from %s: %v", e.url, err)}, true
	}
	if e.digest != "" {
		sum := sha256.Sum256(pkg)
		if got := hex.EncodeToString(sum[:]); !strings.EqualFold(got, e.digest) {
			return map[string]string{"digest": fmt.Sprintf("the package from %s has digest %s, the index says %s", e.url, got, e.digest)}, false
		}
	}
	_, err = pkgcheck.Check(appType, pkg, spec.Origin{Index: spec.Ident{Name: e.name, Version: e.version}})
	if err == nil {
		return nil, false
	}
	var sv *spec.ValidationError
	var cv *chart.ValidationError
	switch {
	case errors.As(err, &sv):
		return sv.Files, false
	case errors.As(err, &cv):
		return cv.Files, false
	case errors.Is(err, pkgfile.ErrTooLarge):
		return map[string]string{"package": err.Error()}, false
	}
	return map[string]string{"package": "does not open: " + err.Error()}, false
}

func refused(e entry, problems map[string]string) catalog.RefusedPackage {
	return catalog.RefusedPackage{Name: e.name, Version: e.version, URL: e.url, Problems: problems}
}

// refusedSummary is the refused packages for the event's result text.
func refusedSummary(rs []catalog.RefusedPackage) string {
	parts := make([]string, 0, min(len(rs), maxRefusedListed)+1)
	for i, r := range rs {
		if i == maxRefusedListed {
			parts = append(parts, fmt.Sprintf("and %d more", len(rs)-i))
			break
		}
		keys := make([]string, 0, len(r.Problems))
		for k := range r.Problems {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		ps := make([]string, 0, len(keys))
		for _, k := range keys {
			ps = append(ps, k+": "+r.Problems[k])
		}
		parts = append(parts, fmt.Sprintf("%s %s (%s)", r.Name, r.Version, strings.Join(ps, "; ")))
	}
	return strings.Join(parts, ", ")
}
