package spec

import (
	"flag"
	"maps"
	"os"
	"path/filepath"
	"testing"

	"github.com/pitrix/pitrix/internal/testutil"
)

var update = flag.Bool("update", false, "rewrite golden files")

// readPackage reads a package directory under testdata into the map Load
// takes.
func readPackage(t testing.TB, dir string) map[string][]byte {
	t.Helper()
	return testutil.ReadTree(t, filepath.Join("testdata", dir))
}

// with returns a copy of files with changes applied; a nil value deletes.
func with(files map[string][]byte, changes map[string]string) map[string][]byte {
	out := maps.Clone(files)
	for name, data := range changes {
		if data == "\x00delete" {
			delete(out, name)
			continue
		}
		out[name] = []byte(data)
	}
	return out
}

const deleted = "\x00delete"

func mustLoad(t testing.TB, files map[string][]byte) *Package {
	t.Helper()
	p, err := Load(files)
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	return p
}

// golden compares got with testdata/<name>, rewriting it under -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("golden %s: %v (run with -update)", path, err)
	}
	if string(got) != string(want) {
		t.Errorf("%s differs from golden:\n got: %s\nwant: %s", name, got, want)
	}
}
