package readme

import (
	"bytes"
	"fmt"
	"path"
	"strings"

	"github.com/microcosm-cc/bluemonday"
	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/extension"
)

// MaxBytes is the largest README rendered; a longer one is cut there.
const MaxBytes = 256 << 10

var (
	md     = goldmark.New(goldmark.WithExtensions(extension.GFM))
	policy = func() *bluemonday.Policy {
		p := bluemonday.UGCPolicy()
		p.RequireNoFollowOnLinks(true)
		p.AddTargetBlankToFullyQualifiedLinks(true)
		p.AllowURLSchemes("http", "https", "mailto")
		return p
	}()
)

// Render renders markdown to sanitized HTML.
func Render(src []byte) (string, error) {
	if len(src) > MaxBytes {
		src = src[:MaxBytes]
	}
	var buf bytes.Buffer
	if err := md.Convert(src, &buf); err != nil {
		return "", fmt.Errorf("readme: render: %w", err)
	}
	return policy.Sanitize(buf.String()), nil
}

// Find returns the README of a package's files: README.md (any case) at the top, else the
// shallowest one. ok is false when there is none.
func Find(files map[string][]byte) (name string, data []byte, ok bool) {
	best := ""
	for n := range files {
		if !strings.EqualFold(path.Base(n), "README.md") {
			continue
		}
		if best == "" || strings.Count(n, "/") < strings.Count(best, "/") || (strings.Count(n, "/") == strings.Count(best, "/") && n < best) {
			best = n
		}
	}
	if best == "" {
		return "", nil, false
	}
	return best, files[best], true
}
