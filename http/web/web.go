package web

import (
	"embed"
	"path"
	"strings"
)

//go:embed dist
var dist embed.FS

// AssetPrefix is where the hashed bundle files are served.
const AssetPrefix = "/ui/assets/"

// Cache policies of the two kinds of files.
const (
	cacheImmutable = "public, max-age=31536000, immutable"
	cacheIndex     = "no-cache"
)

// CSP is the Content-Security-Policy of the page: its own scripts and styles only, API calls to
// its own origin, images from itself or fetched through the API (blob:) or inline data.
const CSP = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; " +
	"connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"

// Asset is one embedded file ready to send.
type Asset struct {
	Body         []byte
	ContentType  string
	CacheControl string
	Encoding     string // "gzip" when Body is the gzip twin
}

var contentTypes = map[string]string{
	".html": "text/html; charset=utf-8",
	".js":   "text/javascript; charset=utf-8",
	".css":  "text/css; charset=utf-8",
}

// Lookup returns the file for a request path (as routed: "/", "/ui", "/ui/..."), the gzip twin
// when gzipOK. ok is false for a path that names no embedded file.
func Lookup(p string, gzipOK bool) (Asset, bool) {
	name := ""
	cache := cacheIndex
	switch {
	case strings.HasPrefix(p, AssetPrefix):
		name = p[len(AssetPrefix):]
		if name == "" || strings.Contains(name, "/") || name == "index.html" || strings.HasSuffix(name, ".gz") {
			return Asset{}, false
		}
		cache = cacheImmutable
	case p == "/" || p == "/ui" || strings.HasPrefix(p, "/ui/"):
		if path.Ext(p) != "" {
			return Asset{}, false // a missing file, not a client route
		}
		name = "index.html"
	default:
		return Asset{}, false
	}
	ct, ok := contentTypes[path.Ext(name)]
	if !ok {
		return Asset{}, false
	}
	if gzipOK {
		if b, err := dist.ReadFile("dist/" + name + ".gz"); err == nil {
			return Asset{Body: b, ContentType: ct, CacheControl: cache, Encoding: "gzip"}, true
		}
	}
	b, err := dist.ReadFile("dist/" + name)
	if err != nil {
		return Asset{}, false
	}
	return Asset{Body: b, ContentType: ct, CacheControl: cache}, true
}

// Files lists the embedded bundle's file names (without the gzip twins), for tests and benches.
func Files() []string {
	es, _ := dist.ReadDir("dist")
	var out []string
	for _, e := range es {
		if !strings.HasSuffix(e.Name(), ".gz") {
			out = append(out, e.Name())
		}
	}
	return out
}
