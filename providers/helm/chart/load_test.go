package chart

import (
	"bytes"
	"errors"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pitrix/pitrix/providers/pkgfile"
)

// readChart reads testdata/<dir> into a file map.
func readChart(t testing.TB, dir string) map[string][]byte {
	t.Helper()
	files := map[string][]byte{}
	root := filepath.Join("testdata", dir)
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		files[filepath.ToSlash(rel)] = data
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

func tgz(t testing.TB, top string, files map[string][]byte) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := pkgfile.Write(&b, top, files); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestLoadValidChart(t *testing.T) {
	t.Parallel()
	info, ch, err := Load(tgz(t, "web", readChart(t, "web")))
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	want := Info{Name: "web", Version: "0.1.0", AppVersion: "1.27", Home: "https://nginx.org", Icon: "https://nginx.org/nginx.png", HasSchema: true}
	if info.Name != want.Name || info.Version != want.Version || info.AppVersion != want.AppVersion || info.Home != want.Home ||
		info.Icon != want.Icon || !info.HasSchema || info.Deprecated || len(info.Keywords) != 2 ||
		len(info.Maintainers) != 1 || info.Maintainers[0].Email != "apps@pitrix.dev" || !strings.HasPrefix(info.Description, "A tiny web") {
		t.Errorf("Info = %+v", info)
	}
	if len(ch.Templates) != 3 || ch.Values["replicaCount"] != float64(1) {
		t.Errorf("chart templates %d values %v", len(ch.Templates), ch.Values)
	}
}

func TestLoadSubchartArchive(t *testing.T) {
	t.Parallel()
	sub := map[string][]byte{
		"Chart.yaml":         []byte("apiVersion: v2\nname: cache\nversion: 1.0.0\n"),
		"values.yaml":        []byte("size: 1\n"),
		"values.schema.json": []byte(`{"type": "object", "properties": {"size": {"type": "integer", "maximum": 4}}}`),
	}
	files := readChart(t, "web")
	files["charts/cache-1.0.0.tgz"] = tgz(t, "cache", sub)
	_, ch, err := Load(tgz(t, "web", files))
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	if deps := ch.Dependencies(); len(deps) != 1 || deps[0].Name() != "cache" {
		t.Fatalf("dependencies = %v", deps)
	}
	err = ValidateValues(ch, map[string]any{"cache": map[string]any{"size": 9}})
	var ve *ValuesError
	if !errors.As(err, &ve) || !strings.Contains(ve.Paths["cache.size"], "above the maximum 4") {
		t.Errorf("ValidateValues = %v, want cache.size named", err)
	}

	// A broken subchart archive is named by its path.
	files["charts/cache-1.0.0.tgz"] = []byte("not gzip")
	_, _, err = Load(tgz(t, "web", files))
	var le *ValidationError
	if !errors.As(err, &le) || !strings.Contains(le.Files["charts/cache-1.0.0.tgz"], "not a gzip stream") {
		t.Errorf("Load with bad subchart = %v", err)
	}
}

func TestLoadInvalidCharts(t *testing.T) {
	t.Parallel()
	base := readChart(t, "web")
	tests := []struct {
		name    string
		top     string
		changes map[string]string // "" deletes
		want    map[string]string // file -> substring
	}{
		{name: "no Chart.yaml", changes: map[string]string{"Chart.yaml": ""}, want: map[string]string{"Chart.yaml": "is required"}},
		{name: "bad version", changes: map[string]string{"Chart.yaml": "apiVersion: v2\nname: web\nversion: one\n"}, want: map[string]string{"Chart.yaml": `version "one" is invalid`}},
		{name: "bad name", changes: map[string]string{"Chart.yaml": "apiVersion: v2\nname: ../x\nversion: 1.0.0\n"}, want: map[string]string{"Chart.yaml": "is invalid"}},
		{name: "bad type", changes: map[string]string{"Chart.yaml": "apiVersion: v2\nname: web\nversion: 1.0.0\ntype: plugin\n"}, want: map[string]string{"Chart.yaml": "application or library"}},
		{name: "yaml syntax", changes: map[string]string{"Chart.yaml": "name: [web\n"}, want: map[string]string{"Chart.yaml": "not valid YAML"}},
		{
			name: "every file at once",
			changes: map[string]string{
				"values.yaml":               "replicaCount: [1\n",
				"values.schema.json":        `{"type": "object", "properties": {"a": {"$ref": "https://evil.example/schema.json"}}}`,
				"templates/deployment.yaml": "replicas: {{ .Values.replicaCount }\n",
				"templates/NOTES.txt":       "{{ end }}",
				"charts/sub/values.yaml":    "a: 1\n",
			},
			want: map[string]string{
				"values.yaml":               "not valid YAML",
				"values.schema.json":        "only local references",
				"templates/deployment.yaml": "templates/deployment.yaml:1",
				"templates/NOTES.txt":       "unexpected {{end}}",
				"charts/sub/Chart.yaml":     "is required",
			},
		},
		{name: "no top folder", top: "-", want: map[string]string{"(archive)": "one top folder"}},
		{name: "bad schema pattern", changes: map[string]string{"values.schema.json": `{"properties": {"a": {"pattern": "("}}}`}, want: map[string]string{"values.schema.json": "pattern"}},
		{name: "schema not json", changes: map[string]string{"values.schema.json": `{`}, want: map[string]string{"values.schema.json": "not valid JSON"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			files := maps.Clone(base)
			for name, data := range tt.changes {
				if data == "" {
					delete(files, name)
				} else {
					files[name] = []byte(data)
				}
			}
			top := "web"
			if tt.top == "-" {
				top = ""
			}
			_, _, err := Load(tgz(t, top, files))
			var ve *ValidationError
			if !errors.As(err, &ve) || !errors.Is(err, ErrInvalid) {
				t.Fatalf("Load = %v, want *ValidationError", err)
			}
			for file, sub := range tt.want {
				if !strings.Contains(ve.Files[file], sub) {
					t.Errorf("Files[%q] = %q, want %q", file, ve.Files[file], sub)
				}
			}
			if len(ve.Files) != len(tt.want) {
				t.Errorf("got %d files with errors, want %d: %v", len(ve.Files), len(tt.want), ve.Files)
			}
		})
	}
}

func TestLoadArchiveErrors(t *testing.T) {
	t.Parallel()
	if _, _, err := Load([]byte("plain text")); !errors.Is(err, pkgfile.ErrNotGzip) {
		t.Errorf("Load(text) = %v, want ErrNotGzip", err)
	}
	big := tgz(t, "web", map[string][]byte{"Chart.yaml": bytes.Repeat([]byte("#"), 4096)})
	if _, _, err := LoadLimits(big, pkgfile.Limits{MaxFile: 1024}); !errors.Is(err, pkgfile.ErrTooLarge) {
		t.Errorf("LoadLimits = %v, want ErrTooLarge", err)
	}
}

func FuzzLoad(f *testing.F) {
	f.Add(tgz(f, "web", readChart(f, "web")))
	f.Add(tgz(f, "x", map[string][]byte{"Chart.yaml": []byte("apiVersion: v2\nname: x\nversion: 1.0.0\n"), "charts/y.tgz": tgz(f, "y", map[string][]byte{"Chart.yaml": []byte("name: y\nversion: 1.0.0\n")})}))
	f.Add(tgz(f, "x", map[string][]byte{"Chart.yaml": []byte("name: [")}))
	f.Add([]byte("not gzip"))
	f.Fuzz(func(t *testing.T, data []byte) {
		info, ch, err := LoadLimits(data, pkgfile.Limits{MaxTotal: 1 << 20, MaxFile: 1 << 19, MaxFiles: 200})
		if err != nil {
			if info != nil || ch != nil {
				t.Fatal("Load returned a chart with an error")
			}
			return
		}
		if info.Name == "" || info.Version == "" || ch.Metadata == nil {
			t.Fatalf("accepted chart without name or version: %+v", info)
		}
		_ = ValidateValues(ch, map[string]any{"replicaCount": 3})
	})
}

// What helm install refuses is refused at load (upload, validate, index, install) with Helm's
// own message; a vendored dependency named in Chart.yaml loads.
func TestLoadDependenciesAndType(t *testing.T) {
	t.Parallel()
	sub := map[string][]byte{"Chart.yaml": []byte("apiVersion: v2\nname: cache\nversion: 1.0.0\n")}
	files := readChart(t, "web")
	chartYAML := string(files["Chart.yaml"]) + "dependencies:\n  - name: cache\n    version: 1.0.0\n    repository: https://charts.example.invalid\n"
	files["Chart.yaml"] = []byte(chartYAML)

	// Named but not vendored.
	_, _, err := Load(tgz(t, "web", files))
	var ve *ValidationError
	if !errors.As(err, &ve) || !strings.Contains(ve.Files["Chart.yaml"], "found in Chart.yaml, but missing in charts/ directory: cache") {
		t.Fatalf("missing dependency: %v", err)
	}
	// Vendored.
	files["charts/cache-1.0.0.tgz"] = tgz(t, "cache", sub)
	if _, ch, err := Load(tgz(t, "web", files)); err != nil || len(ch.Dependencies()) != 1 {
		t.Fatalf("vendored dependency: %v", err)
	}
	// A library chart.
	lib := map[string][]byte{"Chart.yaml": []byte("apiVersion: v2\nname: common\nversion: 1.0.0\ntype: library\n"),
		"templates/_helpers.tpl": []byte(`{{- define "common.name" -}}x{{- end -}}`)}
	_, _, err = Load(tgz(t, "common", lib))
	if !errors.As(err, &ve) || ve.Files["Chart.yaml"] != "library charts are not installable" {
		t.Fatalf("library chart: %v", err)
	}
}
