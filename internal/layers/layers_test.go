package layers

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

const module = "github.com/pitrix/pitrix/"

// rules are the imports the floors forbid: a package under from may not import one under any
// of to. Test files are not checked (a test may drive a lower floor through a higher one).
var rules = []struct {
	from string
	to   []string
	why  string
}{
	{"providers/", []string{"actors/", "http/"}, "providers know no actors and no HTTP front"},
	{"edge/", []string{"actors/", "http/", "providers/"}, "the edge knows no actors, no HTTP front and no provider"},
	{"cluster/", []string{"actors/", "http/", "providers/", "edge/"}, "membership and trust sit below everything but the store"},
	{"actors/", []string{"http/"}, "actors are driven by the front, never the reverse"},
	{"internal/", []string{"actors/", "http/", "providers/", "edge/", "cluster/", "cmd/"}, "internal helpers sit at the bottom"},
}

func moduleRoot(t *testing.T) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("no go.mod above the test's directory")
		}
		dir = parent
	}
}

// TestFloors fails when a package imports across a floor, naming both and the rule.
func TestFloors(t *testing.T) {
	cmd := exec.Command("go", "list", "-f", "{{.ImportPath}}{{range .Imports}} {{.}}{{end}}", "./...")
	cmd.Dir = moduleRoot(t)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	checked := 0
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		fields := strings.Fields(line)
		if len(fields) == 0 || !strings.HasPrefix(fields[0], module) {
			continue
		}
		pkg := strings.TrimPrefix(fields[0], module) + "/"
		checked++
		for _, imp := range fields[1:] {
			if !strings.HasPrefix(imp, module) {
				continue
			}
			dep := strings.TrimPrefix(imp, module) + "/"
			for _, r := range rules {
				if !strings.HasPrefix(pkg, r.from) {
					continue
				}
				for _, to := range r.to {
					if strings.HasPrefix(dep, to) {
						t.Errorf("%s imports %s: %s", strings.TrimSuffix(pkg, "/"), strings.TrimSuffix(dep, "/"), r.why)
					}
				}
			}
		}
	}
	if checked < 50 {
		t.Fatalf("go list named only %d packages of the module: the check saw too little", checked)
	}
}
