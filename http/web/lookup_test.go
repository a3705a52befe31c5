package web

import "testing"

func TestLookup(t *testing.T) {
	idx, ok := Lookup("/ui/clusters/cl-1", true)
	if !ok || idx.Encoding != "gzip" || idx.CacheControl != cacheIndex || idx.ContentType != "text/html; charset=utf-8" {
		t.Fatalf("client route: %+v %v", idx.CacheControl, ok)
	}
	var js string
	for _, f := range Files() {
		if len(f) > 3 && f[len(f)-3:] == ".js" {
			js = f
		}
	}
	a, ok := Lookup(AssetPrefix+js, false)
	if !ok || a.Encoding != "" || a.CacheControl != cacheImmutable || a.ContentType != "text/javascript; charset=utf-8" {
		t.Fatalf("asset %s: %+v %v", js, a.CacheControl, ok)
	}
	for _, p := range []string{"/v1/apps", "/ui/x.png", AssetPrefix + "index.html", AssetPrefix + js + ".gz", AssetPrefix + "a/b.js", "/uix"} {
		if _, ok := Lookup(p, true); ok {
			t.Errorf("Lookup(%q) found a file", p)
		}
	}
}
