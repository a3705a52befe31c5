package repo_test

import (
	"os"
	"testing"

	"github.com/pitrix/pitrix/actors/catalog"
	"github.com/pitrix/pitrix/actors/entity"
	"github.com/pitrix/pitrix/actors/repo"
	"github.com/pitrix/pitrix/actors/repo/source"
	"github.com/pitrix/pitrix/actors/seal"
	"github.com/pitrix/pitrix/actors/store"
)

// TestIndexerNeverPublishesUnreviewed: versions a private repo's app_default_status makes
// active are marked unreviewed; once the repo is public an index run sends them back to
// draft, and a run that started with a stale private copy of the repo takes its current
// visibility.
func TestIndexerNeverPublishesUnreviewed(t *testing.T) {
	f := newFixture(t)
	ctx := t.Context()
	sealer, err := seal.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	src, err := source.New(source.Config{AllowDirs: []string{os.TempDir()}})
	if err != nil {
		t.Fatal(err)
	}
	ix := &repo.Indexer{Store: f.st, Source: src, Sealer: sealer, IDs: f.ids}

	put := func(r catalog.StoredRepo) {
		t.Helper()
		_, ver, err := entity.Get[catalog.StoredRepo](ctx, f.st, catalog.RepoKey(r.ID))
		if err != nil {
			ver = store.Absent
		}
		if _, err := f.st.Apply(ctx, entity.MustPut(catalog.RepoKey(r.ID), r, ver, r.Terms()...)); err != nil {
			t.Fatal(err)
		}
	}
	run := func(r catalog.StoredRepo) {
		t.Helper()
		// Forget the ETag so the run applies the index again.
		if _, ver, err := entity.Get[catalog.RepoState](ctx, f.st, catalog.RepoStateKey(r.ID)); err == nil {
			if _, err := f.st.Apply(ctx, entity.Delete(catalog.RepoStateKey(r.ID), ver)); err != nil {
				t.Fatal(err)
			}
		}
		var ev catalog.RepoEvent
		if err := ix.Run(ctx, r, &ev); err != nil {
			t.Fatal(err)
		}
	}
	versions := func(id string) []catalog.Version {
		t.Helper()
		var out []catalog.Version
		if err := entity.Each(ctx, f.st, catalog.VersionPrefix, catalog.TermRepo(id), func(v catalog.Version, _ uint64) error {
			out = append(out, v)
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		if len(out) == 0 {
			t.Fatal("no versions indexed")
		}
		return out
	}

	private := catalog.StoredRepo{Repo: catalog.Repo{ID: f.ids.Next("repo"), Name: "r", Type: "local", URL: localRepo(t, "1.0.0"),
		Visibility: catalog.VisibilityPrivate, Providers: []string{"local"}, AppDefaultStatus: catalog.StatusActive,
		Owner: "usr-isv", Status: catalog.StatusActive}}
	put(private)
	run(private)
	for _, v := range versions(private.ID) {
		if v.Status != catalog.StatusActive || !v.Unreviewed {
			t.Fatalf("private shortcut version = %s unreviewed %v, want active and unreviewed", v.Status, v.Unreviewed)
		}
	}

	public := private
	public.Visibility, public.AppDefaultStatus = catalog.VisibilityPublic, catalog.StatusDraft
	put(public)
	run(private) // a run holding the stale private copy
	for _, v := range versions(private.ID) {
		if v.Status != catalog.StatusDraft || v.Unreviewed {
			t.Fatalf("after going public: version %s unreviewed %v, want draft", v.Status, v.Unreviewed)
		}
	}
	apps, _, err := entity.List(ctx, f.st, entity.Query[catalog.App]{Prefix: catalog.AppPrefix, Term: catalog.TermRepo(private.ID)})
	if err != nil || len(apps) != 1 || apps[0].Status != catalog.StatusDraft {
		t.Fatalf("apps after going public = %+v, %v; want one draft app", apps, err)
	}
}
