package rest

import (
	"bytes"
	"compress/gzip"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/pitrix/pitrix/http/web"
)

// TestDashboardRoutes: the dashboard's routes are public, serve only the embedded files (index
// for client routes, hashed assets with a year's cache, gzip when accepted) and nothing else.
func TestDashboardRoutes(t *testing.T) {
	e := startServer(t, Config{})
	get := func(path string, gz bool) response {
		t.Helper()
		req, err := http.NewRequestWithContext(t.Context(), "GET", e.base+path, nil)
		if err != nil {
			t.Fatal(err)
		}
		if gz {
			req.Header.Set("Accept-Encoding", "gzip") // set by hand: the transport leaves the body compressed
		} else {
			req.Header.Set("Accept-Encoding", "identity")
		}
		resp, err := e.client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return response{status: resp.StatusCode, header: resp.Header, body: b}
	}
	index, ok := web.Lookup("/", false)
	if !ok {
		t.Fatal("no embedded index.html")
	}
	for _, p := range []string{"/", "/ui", "/ui/store", "/ui/apps/app-1", "/ui/clusters/cl-1?x=1"} {
		r := get(p, false) // no token: public
		if r.status != 200 || !bytes.Equal(r.body, index.Body) {
			t.Fatalf("GET %s: %d, want the index (%d bytes), got %d bytes", p, r.status, len(index.Body), len(r.body))
		}
		if cc := r.header.Get("Cache-Control"); cc != "no-cache" {
			t.Errorf("GET %s: Cache-Control %q", p, cc)
		}
		if csp := r.header.Get("Content-Security-Policy"); !strings.Contains(csp, "script-src 'self'") {
			t.Errorf("GET %s: CSP %q", p, csp)
		}
		if ct := r.header.Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
			t.Errorf("GET %s: Content-Type %q", p, ct)
		}
	}
	assets := regexp.MustCompile(`/ui/assets/app-[A-Z0-9]+\.(js|css)`).FindAllString(string(index.Body), -1)
	if len(assets) != 2 {
		t.Fatalf("index names %v, want one .js and one .css", assets)
	}
	for _, a := range assets {
		plain := get(a, false)
		if plain.status != 200 || len(plain.body) == 0 || plain.header.Get("Content-Encoding") != "" {
			t.Fatalf("GET %s: %d, %d bytes, encoding %q", a, plain.status, len(plain.body), plain.header.Get("Content-Encoding"))
		}
		if cc := plain.header.Get("Cache-Control"); !strings.Contains(cc, "immutable") || !strings.Contains(cc, "max-age=31536000") {
			t.Errorf("GET %s: Cache-Control %q", a, cc)
		}
		gz := get(a, true)
		if gz.header.Get("Content-Encoding") != "gzip" || len(gz.body) >= len(plain.body) {
			t.Fatalf("GET %s gzip: encoding %q, %d bytes vs %d", a, gz.header.Get("Content-Encoding"), len(gz.body), len(plain.body))
		}
		zr, err := gzip.NewReader(bytes.NewReader(gz.body))
		if err != nil {
			t.Fatal(err)
		}
		unz, _ := io.ReadAll(zr)
		if !bytes.Equal(unz, plain.body) {
			t.Errorf("GET %s: the gzip twin is not the file", a)
		}
	}
	// Nothing but embedded files: no traversal, no gzip twins or index by asset name, no other file.
	name := strings.TrimPrefix(assets[0], "/ui/assets/")
	for _, p := range []string{"/ui/assets/index.html", "/ui/assets/%2e%2e/web.go", "/ui/assets/" + name + ".gz", "/ui/favicon.ico", "/ui/assets/", "/ui/x/../../v1/whoami.js"} {
		if r := get(p, false); r.status != 404 {
			t.Errorf("GET %s: %d, want 404", p, r.status)
		}
	}
	// Writes are not routed; the API next to it still wants a token.
	if r := e.request("POST", "/ui/store", "", "", nil); r.status != 405 {
		t.Errorf("POST /ui/store: %d, want 405", r.status)
	}
	if r := get("/v1/whoami", false); r.status != 401 {
		t.Errorf("GET /v1/whoami without a token: %d, want 401", r.status)
	}
}
