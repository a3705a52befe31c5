package frontgate

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func testBundle() map[string][]byte {
	return map[string][]byte{
		"conf.d/a.toml":    []byte("[template]\nsrc = \"a.tmpl\"\ndest = \"/a.conf\"\n"),
		"templates/a.tmpl": []byte("x\n"),
	}
}

func TestBundleStore(t *testing.T) {
	dir := t.TempDir()
	bs, err := openBundles(dir)
	if err != nil {
		t.Fatal(err)
	}
	changed := bs.changes()
	if err := bs.put("cl-1", testBundle()); err != nil {
		t.Fatal(err)
	}
	select {
	case <-changed:
	default:
		t.Error("put did not signal a change")
	}
	b, ok := bs.get("cl-1")
	if !ok || b.hash != bundleHash(testBundle()) || len(b.files) != 2 {
		t.Fatalf("get: %v %v", b, ok)
	}
	// The same content again is no change.
	changed = bs.changes()
	if err := bs.put("cl-1", testBundle()); err != nil {
		t.Fatal(err)
	}
	select {
	case <-changed:
		t.Error("an identical put signalled a change")
	default:
	}
	// A leftover temp file is cleaned up; the bundle survives a reopen.
	if err := os.WriteFile(filepath.Join(dir, ".tmp-cl-9.json-123"), []byte("junk"), 0o600); err != nil {
		t.Fatal(err)
	}
	bs2, err := openBundles(dir)
	if err != nil {
		t.Fatal(err)
	}
	if b2, ok := bs2.get("cl-1"); !ok || b2.hash != b.hash {
		t.Fatalf("after reopen: %v %v", b2, ok)
	}
	if _, err := os.Stat(filepath.Join(dir, ".tmp-cl-9.json-123")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("temp file left: %v", err)
	}
	if err := bs2.delete("cl-1"); err != nil {
		t.Fatal(err)
	}
	if err := bs2.delete("cl-1"); err != nil {
		t.Fatalf("second delete: %v", err)
	}
	bs3, err := openBundles(dir)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := bs3.get("cl-1"); ok {
		t.Error("deleted bundle came back")
	}
}

func TestOpenBundlesRefusesBadFiles(t *testing.T) {
	tests := []struct {
		name, file, data, want string
	}{
		{"not json", "cl-1.json", "{", "cl-1.json"},
		{"wrong version", "cl-1.json", `{"version":9,"cluster_id":"cl-1","files":{}}`, "format version"},
		{"wrong name", "cl-2.json", `{"version":1,"cluster_id":"cl-1","files":{}}`, `holds cluster "cl-1"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			if err := os.WriteFile(filepath.Join(dir, tc.file), []byte(tc.data), 0o600); err != nil {
				t.Fatal(err)
			}
			if _, err := openBundles(dir); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("got %v, want an error mentioning %q", err, tc.want)
			}
		})
	}
}

func TestCheckBundle(t *testing.T) {
	tests := []struct {
		name    string
		cluster string
		files   map[string][]byte
		want    string // "" = valid
	}{
		{"valid", "cl-1", testBundle(), ""},
		{"empty", "cl-1", nil, ""},
		{"no cluster id", "", nil, "cluster_id"},
		{"dot cluster id", ".cl", nil, "dot"},
		{"climbing name", "cl-1", map[string][]byte{"../a": nil}, "../a"},
		{"absolute name", "cl-1", map[string][]byte{"/a": nil}, "/a"},
		{"unclean name", "cl-1", map[string][]byte{"a//b": nil}, "a//b"},
		{"too big", "cl-1", map[string][]byte{"a": make([]byte, maxBundleBytes+1)}, "at most"},
		{"bad toml", "cl-1", map[string][]byte{"conf.d/a.toml": []byte("[template\n")}, "a.toml"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := checkBundle(tc.cluster, tc.files)
			switch {
			case tc.want == "" && err != nil:
				t.Errorf("unexpected %v", err)
			case tc.want != "" && (!errors.Is(err, errBadBundle) || !strings.Contains(err.Error(), tc.want)):
				t.Errorf("got %v, want errBadBundle mentioning %q", err, tc.want)
			}
		})
	}
}

func TestBundleHash(t *testing.T) {
	a := bundleHash(map[string][]byte{"ab": []byte("c")})
	b := bundleHash(map[string][]byte{"a": []byte("bc")})
	if a == b {
		t.Error("different bundles, same hash")
	}
	if bundleHash(testBundle()) != bundleHash(testBundle()) {
		t.Error("equal bundles, different hashes")
	}
}
