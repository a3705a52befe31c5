package confd

import (
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzTemplate renders arbitrary templates to arbitrary dests: rendering
// must never panic and never create anything outside the root, even with a
// symbolic link inside the root that points out of it.
func FuzzTemplate(f *testing.F) {
	f.Add(`{{getv "/host/ip"}}`, "/etc/a.conf")
	f.Add(`{{range gets "/hosts/*/*/ip"}}{{.Value}}{{end}}`, "/link/x")
	f.Add(`{{range 100000000}}{{end}}`, "../x")
	f.Add(`{{define "a"}}{{template "a"}}{{end}}{{template "a"}}`, "/a/../../b")
	f.Add(`{{$x := "ab"}}{{range seq 1 60}}{{$x = printf "%s%s" $x $x}}{{end}}{{$x}}`, "/b")
	f.Add(`{{replace (printf "%9999d" 1) "" "xx" -1}}`, "/c")
	f.Add(`{{toYaml (json (getv "/env/conf"))}}{{index (lsdir "/") 5}}`, "/d/e/f")
	f.Add(`{{div 1 0}}{{seq 9 -9}}{{min "x" 1}}`, "/link/../../out")
	f.Fuzz(func(t *testing.T, text, dest string) {
		dir := t.TempDir()
		root := filepath.Join(dir, "root")
		outside := filepath.Join(dir, "outside")
		for _, d := range []string{root, outside} {
			if err := os.Mkdir(d, 0o755); err != nil {
				t.Fatal(err)
			}
		}
		if err := os.Symlink("../outside", filepath.Join(root, "link")); err != nil {
			t.Fatal(err)
		}
		r, err := New(Config{Root: root, MaxFileSize: 64 << 10, MaxSteps: 20_000})
		if err != nil {
			t.Fatal(err)
		}
		res := resource(dest, text)
		reps := r.Render(t.Context(), Bundle{Resources: []Resource{res}}, funcView)
		if len(reps) != 1 {
			t.Fatalf("%d reports", len(reps))
		}
		if reps[0].Err == nil && !strings.HasPrefix(reps[0].Dest, root+string(filepath.Separator)) {
			t.Fatalf("dest %q rendered to %s, outside %s", dest, reps[0].Dest, root)
		}
		ents, err := os.ReadDir(outside)
		if err != nil || len(ents) != 0 {
			t.Fatalf("outside holds %v (%v)", ents, err)
		}
		top, _ := os.ReadDir(dir)
		if len(top) != 2 {
			t.Fatalf("the root's parent holds %d entries", len(top))
		}
		// Nothing staged is left inside the root either.
		_ = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
			if err == nil && strings.Contains(d.Name(), ".pitrix-") {
				t.Errorf("staged file left: %s", p)
			}
			return nil
		})
	})
}
