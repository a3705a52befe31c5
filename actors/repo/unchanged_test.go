package repo_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pitrix/pitrix/actors/catalog"
	"github.com/pitrix/pitrix/actors/repo"
	"github.com/pitrix/pitrix/actors/repo/source"
	"github.com/pitrix/pitrix/actors/seal"
	"github.com/pitrix/pitrix/internal/netguard"
)

const webIndex = `apiVersion: v1
entries:
  web:
  - name: web
    version: 1.0.0
    description: a web app
    digest: aaa
    urls:
    - web-1.0.0.tgz
`

// TestIndexerSkipsUnchangedIndex: over HTTP, a second run of an unchanged index is skipped
// with whatever the server offers — an ETag (304), a Last-Modified only (304) or neither (the
// digest of the raw bytes, before parsing) — and a changed index is indexed again.
func TestIndexerSkipsUnchangedIndex(t *testing.T) {
	f := newFixture(t)
	ctx := t.Context()
	sealer, err := seal.Open(t.TempDir())
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
	src, err := source.New(source.Config{Guard: guard})
	if err != nil {
		t.Fatal(err)
	}
	ix := &repo.Indexer{Store: f.st, Source: src, Sealer: sealer, IDs: f.ids}

	var body atomic.Value
	body.Store(webIndex)
	var mod atomic.Int64
	mod.Store(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC).Unix())
	var served atomic.Int64 // whole bodies sent
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b := body.Load().(string)
		modTime := time.Time{}
		switch {
		case strings.HasPrefix(r.URL.Path, "/etag/"):
			w.Header().Set("ETag", fmt.Sprintf(`"len-%d"`, len(b)))
		case strings.HasPrefix(r.URL.Path, "/lastmod/"):
			modTime = time.Unix(mod.Load(), 0)
		}
		rec := &countingWriter{ResponseWriter: w}
		http.ServeContent(rec, r, "index.yaml", modTime, strings.NewReader(b))
		if rec.status == http.StatusOK {
			served.Add(1)
		}
	}))
	t.Cleanup(srv.Close)

	for _, way := range []struct{ path, skipped string }{
		{"etag", "index unchanged (ETag)"},
		{"lastmod", "index unchanged (Last-Modified)"},
		{"plain", "index unchanged (digest)"},
	} {
		body.Store(webIndex)
		r := catalog.StoredRepo{Repo: catalog.Repo{ID: f.ids.Next("repo"), Name: way.path, Type: "http", URL: srv.URL + "/" + way.path,
			Visibility: catalog.VisibilityPublic, Providers: []string{"kubernetes"}, Status: catalog.StatusActive}}
		var ev catalog.RepoEvent
		if err := ix.Run(ctx, r, &ev); err != nil || ev.Skipped || ev.VersionsAdded != 1 {
			t.Fatalf("%s: first run = %+v, %v; want one version added", way.path, ev, err)
		}
		before := served.Load()
		ev = catalog.RepoEvent{}
		if err := ix.Run(ctx, r, &ev); err != nil || !ev.Skipped || ev.Result != way.skipped {
			t.Fatalf("%s: second run = %+v, %v; want skipped: %s", way.path, ev, err, way.skipped)
		}
		if sent := served.Load() - before; (way.path == "plain") != (sent == 1) {
			t.Fatalf("%s: the server sent the whole index %d times on the second run", way.path, sent)
		}
		body.Store(webIndex + "  - name: web\n    version: 1.1.0\n    urls:\n    - web-1.1.0.tgz\n")
		mod.Add(60)
		ev = catalog.RepoEvent{}
		if err := ix.Run(ctx, r, &ev); err != nil || ev.Skipped || ev.VersionsAdded != 1 {
			t.Fatalf("%s: run after a change = %+v, %v; want one more version", way.path, ev, err)
		}
	}
}

type countingWriter struct {
	http.ResponseWriter
	status int
}

func (w *countingWriter) WriteHeader(code int) {
	w.status = code
	w.ResponseWriter.WriteHeader(code)
}

func (w *countingWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}
