package repo_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pitrix/pitrix/actors/catalog"
	"github.com/pitrix/pitrix/actors/entity"
	"github.com/pitrix/pitrix/providers/pkgrepo"
)

// appCenterRepo builds a local repo of AppCenter folders (no package.json): a good one, and a
// broken one whose config.json does not parse and whose template is missing.
func appCenterRepo(t *testing.T) string {
	t.Helper()
	src, out := t.TempDir(), t.TempDir()
	write := func(dir string, files map[string]string) {
		for name, body := range files {
			p := filepath.Join(src, dir, name)
			if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	write("zookeeper-3.4.13", map[string]string{
		"config.json":           `{"type": "array", "properties": [{"key": "cluster", "type": "array", "properties": [{"key": "name", "type": "string", "default": "zk"}]}]}`,
		"cluster.json.mustache": `{"name": {{cluster.name}}, "nodes": [{"container": {"type": "process"}, "count": 1}]}`,
		"locale/zh-cn.json":     `{"Name": "名称"}`,
	})
	write("broken-1.0.0", map[string]string{"config.json": `{"type": "array"`, "locale/en.json": `[`})
	if _, err := pkgrepo.Build(src, out, time.Now()); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestIndexChecksPackages: the indexer lists an AppCenter package named by its index entry and
// refuses a broken one, naming it with every problem; a package it cannot fetch is refused and
// tried again by the next run although the index did not change.
func TestIndexChecksPackages(t *testing.T) {
	f := newFixture(t)
	dir := appCenterRepo(t)
	// Hide the good package: the first run cannot fetch it.
	good := filepath.Join(dir, "zookeeper-3.4.13.tgz")
	if err := os.Rename(good, good+".away"); err != nil {
		t.Fatal(err)
	}
	id := f.putRepo("local", dir, 0)
	ev, fault := f.index(id)
	if fault != nil {
		t.Fatal(fault)
	}
	evs := f.waitEvents(id, "the first run ends", func(evs []catalog.RepoEvent) bool {
		return len(evs) == 1 && evs[0].Status == catalog.EventSuccessful
	})
	ev = evs[0]
	if ev.VersionsAdded != 0 || len(ev.Refused) != 2 {
		t.Fatalf("first run = %+v", ev)
	}
	byName := map[string]catalog.RefusedPackage{}
	for _, r := range ev.Refused {
		byName[r.Name] = r
	}
	if p := byName["broken"].Problems; p["config.json"] == "" || p["cluster.json.tmpl"] == "" || p["locale/en.json"] == "" {
		t.Fatalf("broken's problems = %v", p)
	}
	if p := byName["zookeeper"].Problems; !strings.Contains(p["package"], "cannot be fetched") {
		t.Fatalf("zookeeper's problems = %v", p)
	}
	if !strings.Contains(ev.Result, "2 refused") || !strings.Contains(ev.Result, "broken 1.0.0") {
		t.Fatalf("result = %q", ev.Result)
	}
	if apps, total, _ := entity.List(t.Context(), f.st, entity.Query[catalog.App]{Prefix: catalog.AppPrefix, Term: catalog.TermRepo(id)}); total != 0 {
		t.Fatalf("apps after the first run = %+v", apps)
	}

	// The package is back; the index is the same, but the run is not skipped.
	if err := os.Rename(good+".away", good); err != nil {
		t.Fatal(err)
	}
	if _, fault := f.index(id); fault != nil {
		t.Fatal(fault)
	}
	evs = f.waitEvents(id, "the second run ends", func(evs []catalog.RepoEvent) bool {
		return len(evs) == 2 && evs[0].Status == catalog.EventSuccessful && evs[1].Status == catalog.EventSuccessful
	})
	var second catalog.RepoEvent
	for _, e := range evs {
		if e.ID != ev.ID {
			second = e
		}
	}
	if second.Skipped || second.VersionsAdded != 1 || len(second.Refused) != 1 || second.Refused[0].Name != "broken" {
		t.Fatalf("second run = %+v", second)
	}
	apps, total, err := entity.List(t.Context(), f.st, entity.Query[catalog.App]{Prefix: catalog.AppPrefix, Term: catalog.TermRepo(id)})
	if err != nil || total != 1 || apps[0].Name != "zookeeper" {
		t.Fatalf("apps = %+v, %v", apps, err)
	}
	vs, _, err := entity.List(t.Context(), f.st, entity.Query[catalog.Version]{Prefix: catalog.VersionPrefix, Term: catalog.TermApp(apps[0].ID)})
	if err != nil || len(vs) != 1 || vs[0].Name != "3.4.13" {
		t.Fatalf("versions = %+v, %v", vs, err)
	}
	// A third run has nothing new: skipped.
	if _, fault := f.index(id); fault != nil {
		t.Fatal(fault)
	}
	f.waitEvents(id, "the third run is skipped", func(evs []catalog.RepoEvent) bool {
		n := 0
		for _, e := range evs {
			if e.Skipped && e.Status == catalog.EventSuccessful {
				n++
			}
		}
		return len(evs) == 3 && n == 1
	})
}
