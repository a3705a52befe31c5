package web_test

import (
	"bytes"
	"compress/gzip"
	"io"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/pitrix/pitrix/http/web/webbuild"
)

// TestDistMatchesSources rebuilds the bundle into a temp dir and fails when the committed dist
// differs: run `go generate ./http/web` (or `make web`) after changing src/.
func TestDistMatchesSources(t *testing.T) {
	out := t.TempDir()
	names, err := webbuild.Build(".", out)
	if err != nil {
		t.Fatal(err)
	}
	committed, err := os.ReadDir("dist")
	if err != nil {
		t.Fatal(err)
	}
	var have []string
	for _, e := range committed {
		have = append(have, e.Name())
	}
	slices.Sort(have)
	if !slices.Equal(have, names) {
		t.Fatalf("dist holds %v, a fresh build %v: run go generate ./http/web", have, names)
	}
	for _, n := range names {
		a, b := read(t, filepath.Join("dist", n)), read(t, filepath.Join(out, n))
		if !bytes.Equal(a, b) {
			t.Errorf("dist/%s differs from a fresh build: run go generate ./http/web", n)
		}
	}
}

// read returns a file's bytes, a .gz file's uncompressed (gzip's bytes may change with Go).
func read(t *testing.T, p string) []byte {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	if filepath.Ext(p) != ".gz" {
		return b
	}
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("%s: %v", p, err)
	}
	u, err := io.ReadAll(zr)
	if err != nil {
		t.Fatalf("%s: %v", p, err)
	}
	return u
}
