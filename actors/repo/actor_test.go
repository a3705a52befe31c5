package repo_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/pitrix/pitrix/actors/actorpb"
	"github.com/pitrix/pitrix/actors/catalog"
	"github.com/pitrix/pitrix/actors/entity"
	"github.com/pitrix/pitrix/actors/idgen"
	"github.com/pitrix/pitrix/actors/repo"
	"github.com/pitrix/pitrix/actors/repo/source"
	"github.com/pitrix/pitrix/actors/seal"
	"github.com/pitrix/pitrix/actors/store"
	"github.com/pitrix/pitrix/cluster/node"
	"github.com/pitrix/pitrix/internal/netguard"
	"github.com/pitrix/pitrix/providers/pkgrepo"
)

type fixture struct {
	t    *testing.T
	st   *store.DB
	node *node.Node
	ids  *idgen.Generator
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	dir := t.TempDir()
	st, err := store.Open(filepath.Join(dir, "store"), store.Config{})
	if err != nil {
		t.Fatal(err)
	}
	sealer, err := seal.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	loopback, err := netguard.ParseAllow("127.0.0.0/8")
	if err != nil {
		t.Fatal(err)
	}
	guard, err := netguard.New(netguard.Config{Allow: loopback})
	if err != nil {
		t.Fatal(err)
	}
	src, err := source.New(source.Config{Guard: guard, AllowDirs: []string{os.TempDir()}})
	if err != nil {
		t.Fatal(err)
	}
	ids := idgen.New(nil)
	ix := &repo.Indexer{Store: st, Source: src, Sealer: sealer, IDs: ids}
	n, err := node.Start(t.Context(), node.Config{GossipAddr: "127.0.0.1:0", FastGossip: true},
		repo.Kind(repo.Deps{Store: st, Indexer: ix, IDs: ids, MinInterval: time.Second}))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		n.Close()
		st.Close()
	})
	return &fixture{t: t, st: st, node: n, ids: ids}
}

// localRepo packs one tiny VM package into a folder with an index.
func localRepo(t *testing.T, version string) string {
	t.Helper()
	src, out := t.TempDir(), t.TempDir()
	files := map[string]string{
		"package.json":      `{"name": "hello", "version": "` + version + `"}`,
		"config.json":       `{"type": "array", "properties": [{"key": "cluster", "type": "array", "properties": [{"key": "name", "type": "string", "default": "h"}]}]}`,
		"cluster.json.tmpl": `{"name": "{{cluster.name}}", "nodes": [{"container": {"type": "process"}, "count": 1}]}`,
	}
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(src, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	e, err := pkgrepo.Pack(src, out, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if err := pkgrepo.WriteIndex(out, []pkgrepo.Entry{e}, time.Now()); err != nil {
		t.Fatal(err)
	}
	return out
}

func (f *fixture) putRepo(typ, url string, interval int) string {
	f.t.Helper()
	r := catalog.StoredRepo{Repo: catalog.Repo{ID: f.ids.Next("repo"), Name: "r", Type: typ, URL: url, Visibility: catalog.VisibilityPublic,
		Providers: []string{"local"}, AppDefaultStatus: catalog.StatusActive, IndexInterval: interval, Owner: "usr-admin", Status: catalog.StatusActive}}
	if _, err := f.st.Apply(f.t.Context(), entity.MustPut(catalog.RepoKey(r.ID), r, store.Absent, r.Terms()...)); err != nil {
		f.t.Fatal(err)
	}
	return r.ID
}

func (f *fixture) index(id string) (catalog.RepoEvent, *actorpb.Fault) {
	f.t.Helper()
	res, err := f.node.Request(f.t.Context(), repo.KindName, id, &actorpb.IndexRepo{Trigger: repo.TriggerManual})
	if err != nil {
		f.t.Fatal(err)
	}
	r := res.(*actorpb.IndexRepoResult)
	var ev catalog.RepoEvent
	if len(r.Event) > 0 {
		if err := json.Unmarshal(r.Event, &ev); err != nil {
			f.t.Fatal(err)
		}
	}
	return ev, r.Fault
}

func (f *fixture) events(id string) []catalog.RepoEvent {
	f.t.Helper()
	evs, _, err := entity.List(f.t.Context(), f.st, entity.Query[catalog.RepoEvent]{Prefix: catalog.EventPrefix + id + "/"})
	if err != nil {
		f.t.Fatal(err)
	}
	return evs
}

func (f *fixture) waitEvents(id string, what string, cond func([]catalog.RepoEvent) bool) []catalog.RepoEvent {
	f.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		evs := f.events(id)
		if cond(evs) {
			return evs
		}
		if time.Now().After(deadline) {
			f.t.Fatalf("%s: not after 20s; events %+v", what, evs)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestOneRunAtATime(t *testing.T) {
	f := newFixture(t)
	dir := localRepo(t, "1.0.0")
	release := make(chan struct{})
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/index.yaml" {
			<-release
		}
		http.FileServer(http.Dir(dir)).ServeHTTP(w, r)
	}))
	defer hs.Close()
	id := f.putRepo("http", hs.URL, 0)
	first, fault := f.index(id)
	if fault != nil || first.Status != catalog.EventWorking {
		t.Fatalf("first index = %+v, %v", first, fault)
	}
	second, fault := f.index(id)
	if fault != nil || second.ID != first.ID {
		t.Fatalf("a second index while one runs = %+v, want the running %s", second, first.ID)
	}
	close(release)
	evs := f.waitEvents(id, "the run finishes", func(evs []catalog.RepoEvent) bool {
		return len(evs) == 1 && evs[0].Status == catalog.EventSuccessful
	})
	if evs[0].AppsAdded != 1 || evs[0].VersionsAdded != 1 || evs[0].FinishedAt == nil {
		t.Fatalf("event = %+v", evs[0])
	}
	apps, total, err := entity.List(t.Context(), f.st, entity.Query[catalog.App]{Prefix: catalog.AppPrefix, Term: catalog.TermRepo(id)})
	if err != nil || total != 1 || apps[0].Status != catalog.StatusActive {
		t.Fatalf("apps = %+v (%d), %v; app_default_status active publishes at once", apps, total, err)
	}
}

func TestScheduleAndDelete(t *testing.T) {
	f := newFixture(t)
	id := f.putRepo("local", localRepo(t, "1.0.0"), 1)
	// Any message activates the actor, which schedules its index.
	if _, err := f.node.Request(t.Context(), repo.KindName, id, &actorpb.Inspect{}); err != nil {
		t.Fatal(err)
	}
	f.waitEvents(id, "two scheduled runs", func(evs []catalog.RepoEvent) bool {
		n := 0
		for _, e := range evs {
			if e.Trigger == repo.TriggerSchedule && e.Status == catalog.EventSuccessful {
				n++
			}
		}
		return n >= 2
	})
	// The second scheduled run found the same index and skipped it.
	evs := f.events(id)
	if !evs[0].Skipped && !evs[1].Skipped {
		t.Fatalf("an unchanged index was not skipped: %+v", evs[:2])
	}
	// Deleted: the schedule stops and an index is refused.
	r, v, err := entity.Get[catalog.StoredRepo](t.Context(), f.st, catalog.RepoKey(id))
	if err != nil {
		t.Fatal(err)
	}
	r.Status = catalog.StatusDeleted
	if _, err := f.st.Apply(t.Context(), entity.MustPut(catalog.RepoKey(id), r, v)); err != nil {
		t.Fatal(err)
	}
	if _, err := f.node.Request(t.Context(), repo.KindName, id, &actorpb.RepoChanged{}); err != nil {
		t.Fatal(err)
	}
	if _, fault := f.index(id); fault == nil || fault.Code != "not_found" {
		t.Fatalf("index of a deleted repo: %v, want not_found", fault)
	}
	res, err := f.node.Request(t.Context(), repo.KindName, id, &actorpb.Inspect{})
	if err != nil {
		t.Fatal(err)
	}
	var state struct {
		Repo        *catalog.Repo `json:"repo"`
		NextIndexAt time.Time     `json:"next_index_at"`
	}
	if err := json.Unmarshal(res.(*actorpb.InspectResult).State, &state); err != nil || state.Repo != nil || !state.NextIndexAt.IsZero() {
		t.Fatalf("deleted repo's actor state = %+v, %v", state, err)
	}
}

func TestInterruptedEventFailsOnActivation(t *testing.T) {
	f := newFixture(t)
	id := f.putRepo("local", localRepo(t, "1.0.0"), 0)
	now := time.Now().UTC()
	stale := catalog.RepoEvent{ID: f.ids.Next("repoev"), RepoID: id, Trigger: repo.TriggerManual, Status: catalog.EventWorking, CreatedAt: now, StartedAt: &now}
	if _, err := f.st.Apply(t.Context(), entity.MustPut(catalog.EventKey(id, stale.ID), stale, store.Absent)); err != nil {
		t.Fatal(err)
	}
	ev, fault := f.index(id)
	if fault != nil || ev.ID == stale.ID {
		t.Fatalf("index = %+v, %v: the stale run must not count as running", ev, fault)
	}
	got, _, err := entity.Get[catalog.RepoEvent](t.Context(), f.st, catalog.EventKey(id, stale.ID))
	if err != nil || got.Status != catalog.EventFailed || got.FinishedAt == nil {
		t.Fatalf("the interrupted event = %+v, %v; want failed", got, err)
	}
}
