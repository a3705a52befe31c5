package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/pitrix/pitrix/actors/catalog"
	"github.com/pitrix/pitrix/actors/control"
	"github.com/pitrix/pitrix/actors/entity"
	"github.com/pitrix/pitrix/actors/identity"
	"github.com/pitrix/pitrix/actors/store"
	"github.com/pitrix/pitrix/providers/local"
	"github.com/pitrix/pitrix/providers/pkgrepo"
)

// seedApp is the app whose GET the benchmark measures.
const seedApp = "redis"

// seedPackage is one package of the seeded repo, with the metadata a store listing shows.
type seedPackage struct {
	name, version, desc, home string
	keywords                  []string
}

// seedPackages are the packages of the seeded repo: a few apps with a few versions each.
func seedPackages() []seedPackage {
	return []seedPackage{
		{"redis", "7.0.15", "Redis with one master and read replicas, configured by confd from cluster metadata.", "https://redis.io", []string{"redis", "cache", "key-value"}},
		{"redis", "7.2.4", "Redis with one master and read replicas, configured by confd from cluster metadata.", "https://redis.io", []string{"redis", "cache", "key-value"}},
		{"redis", "7.4.1", "Redis with one master and read replicas, configured by confd from cluster metadata.", "https://redis.io", []string{"redis", "cache", "key-value", "replication"}},
		{"postgres", "16.4.0", "PostgreSQL primary with streaming replicas and daily base backups.", "https://www.postgresql.org", []string{"postgres", "sql", "database"}},
		{"postgres", "17.0.0", "PostgreSQL primary with streaming replicas and daily base backups.", "https://www.postgresql.org", []string{"postgres", "sql", "database"}},
		{"hello", "0.1.0", "A greeting written to a file: the smallest VM app.", "", nil},
	}
}

const seedConfig = `{"type": "array", "properties": [
  {"key": "cluster", "type": "array", "properties": [
    {"key": "name", "type": "string", "default": "app"},
    {"key": "node", "type": "array", "properties": [{"key": "count", "type": "integer", "default": 1, "min": 1, "max": 9}]}
  ]},
  {"key": "env", "type": "array", "properties": [{"key": "port", "type": "integer", "default": 6379, "min": 1024, "max": 65535}]}
]}`

const seedTemplate = `{"name": "{{cluster.name}}", "nodes": [{"container": {"type": "process"}, "count": {{cluster.node.count}},
  "services": {"start": {"cmd": "echo 'port {{env.port}}' > \"$PITRIX_ROOT/app.conf\""}}}]}`

// buildSeedRepo packs seedPackages into a local repo under dir and returns the repo's folder.
func buildSeedRepo(dir string) (string, error) {
	out := filepath.Join(dir, "repo")
	created := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	if err := os.MkdirAll(out, 0o755); err != nil {
		return "", err
	}
	var entries []pkgrepo.Entry
	for i, p := range seedPackages() {
		meta, err := json.Marshal(map[string]any{"name": p.name, "version": p.version, "app_version": p.version,
			"description": p.desc, "home": p.home, "icon": p.home + "/favicon-32x32.png", "keywords": p.keywords})
		if err != nil {
			return "", err
		}
		src := filepath.Join(dir, "src", fmt.Sprint(i))
		if err := os.MkdirAll(src, 0o755); err != nil {
			return "", err
		}
		for name, b := range map[string][]byte{"package.json": meta, "config.json": []byte(seedConfig), "cluster.json.tmpl": []byte(seedTemplate)} {
			if err := os.WriteFile(filepath.Join(src, name), b, 0o644); err != nil {
				return "", err
			}
		}
		e, err := pkgrepo.Pack(src, out, created)
		if err != nil {
			return "", err
		}
		entries = append(entries, e)
	}
	return out, pkgrepo.WriteIndex(out, entries, created)
}

// seed registers a local repo of seedPackages through the control plane, waits for its first
// index to succeed, gives the benchmarked app maintainers and returns that app's id.
func seed(ctx context.Context, plane *control.Plane, dir string) (string, error) {
	repoDir, err := buildSeedRepo(dir)
	if err != nil {
		return "", fmt.Errorf("build the seed repo in %s: %w", dir, err)
	}
	zero := 0
	r, err := plane.CreateRepo(ctx, admin(), catalog.RepoInput{Name: "bench", Description: "apps for the API benchmark",
		Type: "local", URL: repoDir, Visibility: catalog.VisibilityPublic, Providers: []string{local.Name},
		AppDefaultStatus: catalog.StatusActive, IndexInterval: &zero})
	if err != nil {
		return "", fmt.Errorf("create repo %s: %w", repoDir, err)
	}
	if err := waitIndexed(ctx, plane, r.ID); err != nil {
		return "", err
	}
	apps, err := plane.ListApps(ctx, admin(), catalog.ListQuery{Limit: 200, Filters: map[string]string{"repo_id": r.ID}})
	if err != nil {
		return "", fmt.Errorf("list apps of repo %s: %w", r.ID, err)
	}
	for _, a := range apps.Items {
		if a.Name != seedApp {
			continue
		}
		ms := []catalog.Maintainer{{Name: "Pitrix apps", Email: "apps@pitrix.dev", URL: "https://pitrix.dev"}}
		if _, err := plane.UpdateApp(ctx, admin(), a.ID, catalog.AppPatch{Maintainers: &ms}); err != nil {
			return "", fmt.Errorf("update app %s: %w", a.ID, err)
		}
		return a.ID, nil
	}
	return "", fmt.Errorf("repo %s indexed without app %q: %d apps", r.ID, seedApp, len(apps.Items))
}

// waitIndexed polls the repo's events until its first index run finishes; it fails if the run
// failed or ctx ends first.
func waitIndexed(ctx context.Context, plane *control.Plane, repoID string) error {
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	last := "no event yet"
	for {
		evs, err := plane.ListRepoEvents(ctx, admin(), repoID, catalog.ListQuery{Limit: 20})
		if err != nil {
			return fmt.Errorf("list events of repo %s: %w", repoID, err)
		}
		if len(evs.Items) > 0 {
			ev := evs.Items[len(evs.Items)-1] // newest first: the first run is last
			last = ev.Status + " " + ev.Result
			switch ev.Status {
			case catalog.EventSuccessful:
				return nil
			case catalog.EventFailed:
				return fmt.Errorf("index repo %s: %s", repoID, ev.Result)
			}
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("wait for repo %s's first index (last seen: %s): %w", repoID, last, ctx.Err())
		case <-tick.C:
		}
	}
}

// seedApps writes n more apps into the store, as the indexer writes an index's charts: active
// apps of the seed repo (public; it is not indexed again during the run), in batches. They have
// no versions: a listing does not read them.
func seedApps(ctx context.Context, p *pitrix, appID string, n int) error {
	if n == 0 {
		return nil
	}
	seeded, err := p.plane.GetApp(ctx, admin(), appID)
	if err != nil {
		return fmt.Errorf("read app %s: %w", appID, err)
	}
	r := struct{ ID string }{seeded.RepoID}
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	var ops []store.Op
	for i := range n {
		a := catalog.App{ID: fmt.Sprintf("app-bulk%06d", i), Name: fmt.Sprintf("bulk-app-%04d", i),
			Description: "A generated app of the list benchmark, with a description about as long as a real one's.",
			Icon:        "https://example.com/icons/bulk.svg", Home: "https://example.com/apps/bulk",
			Keywords: []string{"bulk", "generated"}, Maintainers: []catalog.Maintainer{{Name: "Bench", Email: "bench@example.com"}},
			RepoID: r.ID, CategoryIDs: []string{}, Type: catalog.AppTypeOf([]string{local.Name}), Status: catalog.StatusActive,
			LatestVersionID: fmt.Sprintf("appv-bulk%06d", i), Owner: identity.AdminID, CreatedAt: now, UpdatedAt: now}
		ops = append(ops, entity.MustPut(catalog.AppKey(a.ID), a, store.Absent, a.Terms()...))
		if len(ops) == 256 || i == n-1 {
			if _, err := p.st.Apply(ctx, ops...); err != nil {
				return fmt.Errorf("write %d apps: %w", n, err)
			}
			ops = ops[:0]
		}
	}
	return nil
}
