package index

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pitrix/pitrix/actors/repo/index/indextest"
	"helm.sh/helm/v3/pkg/chart"
	"helm.sh/helm/v3/pkg/repo"
)

// record renders a version as one comparable line.
func record(v Version) string {
	if len(v.Keywords) == 0 {
		v.Keywords = nil
	}
	if len(v.Annotations) == 0 {
		v.Annotations = nil
	}
	if len(v.Maintainers) == 0 {
		v.Maintainers = nil
	}
	created := v.Created.UTC().Format(time.RFC3339Nano)
	v.Created = time.Time{}
	return fmt.Sprintf("%+v created=%s", v, created)
}

// helmRecords loads path with Helm and returns its versions as records.
func helmRecords(t *testing.T, path string) []string {
	t.Helper()
	idx, err := repo.LoadIndexFile(path)
	if err != nil {
		t.Fatalf("helm LoadIndexFile: %v", err)
	}
	var out []string
	for _, cvs := range idx.Entries {
		for _, cv := range cvs {
			v := Version{Name: cv.Name, Version: cv.Version, AppVersion: cv.AppVersion, Description: cv.Description,
				Home: cv.Home, Icon: cv.Icon, Keywords: cv.Keywords, URLs: cv.URLs, Digest: cv.Digest,
				Created: cv.Created, Deprecated: cv.Deprecated, Annotations: cv.Annotations}
			for _, m := range cv.Maintainers {
				v.Maintainers = append(v.Maintainers, Maintainer{Name: m.Name, Email: m.Email, URL: m.URL})
			}
			out = append(out, record(v))
		}
	}
	slices.Sort(out)
	return out
}

func ourRecords(t *testing.T, path string) []string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []string
	if _, err := Read(f, Limits{}, func(v Version) error {
		out = append(out, record(v))
		return nil
	}); err != nil {
		t.Fatalf("Read %s: %v", path, err)
	}
	slices.Sort(out)
	return out
}

func compareRecords(t *testing.T, ours, helms []string) {
	t.Helper()
	if len(ours) != len(helms) {
		t.Fatalf("Read gave %d versions, helm %d", len(ours), len(helms))
	}
	for i := range ours {
		if ours[i] != helms[i] {
			t.Fatalf("version %d differs:\nours: %s\nhelm: %s", i, ours[i], helms[i])
		}
	}
}

// TestEquivalentToHelm checks that Read yields the same set of versions as Helm's loader,
// for our generated layout and for indexes Helm itself writes as YAML and as JSON.
func TestEquivalentToHelm(t *testing.T) {
	dir := t.TempDir()

	generated := filepath.Join(dir, "generated.yaml")
	var buf bytes.Buffer
	if _, err := indextest.Generate(&buf, indextest.Options{Versions: 800, PerChart: 30, Seed: 7}); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(generated, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}

	idx := repo.NewIndexFile()
	for c := range 40 {
		name := fmt.Sprintf("chart-%02d", c)
		for v := range 1 + c%7 {
			md := &chart.Metadata{APIVersion: "v2", Name: name, Version: fmt.Sprintf("1.%d.%d", c, v),
				AppVersion: fmt.Sprintf("%d.0", v), Description: fmt.Sprintf("Chart %d: a \"quoted\" thing\nover lines", c),
				Home: "https://example.com/" + name, Icon: "https://example.com/i.png", Keywords: []string{"k1", "yes", "1.0"},
				Maintainers: []*chart.Maintainer{{Name: "M: one", Email: "m@example.com"}},
				Annotations: map[string]string{"a": "multi\nline\n", "b": "true", "c": "#not a comment"},
				Deprecated:  c%5 == 0}
			if err := idx.MustAdd(md, fmt.Sprintf("%s-%s.tgz", name, md.Version), "https://charts.example.com/x", "sha256:abc"); err != nil {
				t.Fatal(err)
			}
		}
	}
	for _, cvs := range idx.Entries {
		for i, cv := range cvs {
			cv.Created = time.Date(2024, 1, 2, 3, 4, 5, 600+i, time.UTC)
		}
	}
	helmYAML := filepath.Join(dir, "helm.yaml")
	helmJSON := filepath.Join(dir, "helm.json")
	if err := idx.WriteFile(helmYAML, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := idx.WriteJSONFile(helmJSON, 0o644); err != nil {
		t.Fatal(err)
	}

	for _, path := range []string{generated, helmYAML, helmJSON} {
		t.Run(filepath.Base(path), func(t *testing.T) {
			ours, helms := ourRecords(t, path), helmRecords(t, path)
			compareRecords(t, ours, helms)
			if !strings.Contains(strings.Join(ours, "\n"), "Deprecated:true") {
				t.Error("no deprecated version seen; the comparison misses a field")
			}
		})
	}
}
