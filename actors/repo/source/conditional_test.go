package source

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// TestFetchIndexIfLastModified checks the conditional fetch against a server that sends only
// Last-Modified (net/http's ServeContent, which answers If-Modified-Since): the second fetch
// sends the stored value, gets 304 and no body, and the validators are kept.
func TestFetchIndexIfLastModified(t *testing.T) {
	t.Parallel()
	var mod atomic.Int64 // the index's modification time, Unix seconds
	mod.Store(time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC).Unix())
	var gotIMS, gotINM atomic.Value
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		gotIMS.Store(r.Header.Get("If-Modified-Since"))
		gotINM.Store(r.Header.Get("If-None-Match"))
		http.ServeContent(w, r, "index.yaml", time.Unix(mod.Load(), 0), strings.NewReader(indexYAML))
	}))
	t.Cleanup(srv.Close)
	s := newSource(t, Config{})
	repo := Repo{Type: "http", URL: srv.URL + "/charts/"}
	f, err := s.FetchIndexIf(t.Context(), repo, Validators{})
	if err != nil || f.NotModified || f.Body == nil {
		t.Fatalf("first FetchIndexIf = %+v, %v", f, err)
	}
	if got := readAll(t, f.Body); got != indexYAML || f.ETag != "" || f.LastModified != time.Unix(mod.Load(), 0).UTC().Format(http.TimeFormat) {
		t.Fatalf("first fetch: body %q, validators %+v", got, f.Validators)
	}
	if ims := gotIMS.Load(); ims != "" {
		t.Fatalf("first fetch sent If-Modified-Since %q", ims)
	}
	g, err := s.FetchIndexIf(t.Context(), repo, f.Validators)
	if err != nil || !g.NotModified || g.Body != nil || g.Validators != f.Validators {
		t.Fatalf("second FetchIndexIf = %+v, %v; want not modified with the same validators", g, err)
	}
	if ims, inm := gotIMS.Load(), gotINM.Load(); ims != f.LastModified || inm != "" {
		t.Fatalf("second fetch sent If-Modified-Since %q, If-None-Match %q", ims, inm)
	}
	// A changed index (newer than the stored date) comes back whole.
	mod.Add(3600)
	h, err := s.FetchIndexIf(t.Context(), repo, f.Validators)
	if err != nil || h.NotModified || h.Body == nil {
		t.Fatalf("after a change FetchIndexIf = %+v, %v", h, err)
	}
	readAll(t, h.Body)
}
