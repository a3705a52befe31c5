package testutil

import (
	"io/fs"
	"os"
	"path/filepath"
	"testing"
)

// ReadTree reads every file under dir into a map keyed by slash-separated paths relative to
// dir: the shape a package takes in memory (pkgfile.Read, spec.Load).
func ReadTree(t testing.TB, dir string) map[string][]byte {
	t.Helper()
	files := map[string][]byte{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		rel, _ := filepath.Rel(dir, p)
		files[filepath.ToSlash(rel)] = b
		return err
	})
	if err != nil {
		t.Fatalf("read %s: %v", dir, err)
	}
	return files
}
