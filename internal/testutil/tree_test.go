package testutil

import (
	"os"
	"path/filepath"
	"testing"
)

func TestReadTree(t *testing.T) {
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "locale"), 0o755); err != nil {
		t.Fatal(err)
	}
	for p, s := range map[string]string{"config.json": "{}", "locale/zh-cn.json": `{"a":"b"}`} {
		if err := os.WriteFile(filepath.Join(dir, p), []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got := ReadTree(t, dir)
	if len(got) != 2 || string(got["config.json"]) != "{}" || string(got["locale/zh-cn.json"]) != `{"a":"b"}` {
		t.Fatalf("ReadTree = %q", got)
	}
}
