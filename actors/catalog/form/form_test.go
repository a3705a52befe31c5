package form

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"

	"github.com/pitrix/pitrix/internal/testutil"
	"github.com/pitrix/pitrix/providers/vm/spec"
)

func loadDir(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	return testutil.ReadTree(t, dir)
}

func field(t *testing.T, f Form, key string) Field {
	t.Helper()
	for _, x := range f.Fields {
		if x.Key == key {
			return x
		}
	}
	t.Fatalf("no field %q in %+v", key, f.Fields)
	return Field{}
}

// TestVMForm: the demo VM app's config.json gives one field per leaf, with its constraints,
// the role as group, and labels through the translate seam.
func TestVMForm(t *testing.T) {
	p, err := spec.Load(loadDir(t, "../../../demo/packages/vm/hello"))
	if err != nil {
		t.Fatal(err)
	}
	f := VM(p, "zh-CN", func(lang, s string) string { return lang + ":" + s })
	if f.AppType != "vm" || f.Lang != "zh-CN" || len(f.Fields) != 3 {
		t.Fatalf("form %+v", f)
	}
	count := field(t, f, "cluster.node.count")
	if count.Type != "integer" || *count.Min != 1 || *count.Max != 3 || count.Default != int64(1) || count.Group != "node" || count.Label != "zh-CN:count" {
		t.Errorf("count %+v", count)
	}
	if !slices.Equal(count.Path, []string{"cluster", "node", "count"}) {
		t.Errorf("count path %q", count.Path)
	}
	g := field(t, f, "env.greeting")
	if g.Pattern == "" || g.Group != "" || g.Default != "hello" {
		t.Errorf("greeting %+v", g)
	}
	// The form's constraints are the server's: a value the form's max refuses is refused by Merge.
	_, err = p.Merge(map[string]any{"cluster": map[string]any{"node": map[string]any{"count": 4}}})
	if err == nil || !strings.Contains(err.Error(), "cluster.node.count") {
		t.Errorf("Merge over max: %v", err)
	}
	if _, err := json.Marshal(f); err != nil {
		t.Fatal(err)
	}
	if VM(p, "en", nil).Fields[0].Label != "name" {
		t.Errorf("identity translate: %+v", VM(p, "en", nil).Fields[0])
	}
}

// TestHelmForm: values.schema.json's leaves become fields (local $refs followed), defaults come
// from values.yaml; a chart without a schema has only the YAML editor.
// TestVMFormRoles: a package with roles groups each role's fields under the role's label.
func TestVMFormRoles(t *testing.T) {
	p, err := spec.Load(loadDir(t, "../../../demo/packages/vm/redis"))
	if err != nil {
		t.Fatal(err)
	}
	f := VM(p, "en", nil)
	cpu := field(t, f, "cluster.master.cpu")
	if cpu.Group != "master" || cpu.GroupLabel != "Master" || len(cpu.Enum) != 4 || !cpu.Required {
		t.Errorf("master cpu %+v", cpu)
	}
	if c := field(t, f, "cluster.master.count"); c.Changeable {
		t.Errorf("master count is changeable: %+v", c)
	}
}

func TestHelmForm(t *testing.T) {
	files := loadDir(t, "../../../demo/packages/helm/web")
	var values map[string]any
	if err := yaml.Unmarshal(files["values.yaml"], &values); err != nil {
		t.Fatal(err)
	}
	f, err := Helm(files["values.schema.json"], files["values.yaml"], values, "en")
	if err != nil {
		t.Fatal(err)
	}
	if f.AppType != "helm" || !strings.Contains(f.ValuesYAML, "replicaCount") {
		t.Fatalf("form %+v", f)
	}
	rc := field(t, f, "replicaCount")
	if rc.Type != "integer" || !rc.Required || *rc.Min != 0 || *rc.Max != 10 || rc.Default != float64(1) {
		t.Errorf("replicaCount %+v", rc)
	}
	pp := field(t, f, "image.pullPolicy")
	if len(pp.Enum) != 3 || pp.Type != "string" || pp.Default != "IfNotPresent" {
		t.Errorf("pullPolicy %+v", pp)
	}
	if r := field(t, f, "image.repository"); !r.Required {
		t.Errorf("repository %+v", r)
	}
	if port := field(t, f, "service.port"); port.Type != "integer" || *port.Max != 65535 {
		t.Errorf("service.port (via $ref) %+v", port)
	}
	var keys []string
	for _, x := range f.Fields {
		keys = append(keys, x.Key)
	}
	if want := "replicaCount image.repository image.tag image.pullPolicy service.port"; strings.Join(keys, " ") != want {
		t.Errorf("fields in order %q, want the schema's %q", strings.Join(keys, " "), want)
	}
	none, err := Helm(nil, []byte("a: 1\n"), nil, "en")
	if err != nil || len(none.Fields) != 0 || none.ValuesYAML != "a: 1\n" {
		t.Errorf("no schema: %+v %v", none, err)
	}
	if _, err := Helm([]byte("{"), nil, nil, "en"); err == nil {
		t.Error("bad schema JSON accepted")
	}
}

func TestCheckLang(t *testing.T) {
	for in, want := range map[string]string{"": "en", "en": "en", "zh-cn": "zh-CN"} {
		if got, err := CheckLang(in); err != nil || got != want {
			t.Errorf("CheckLang(%q) = %q, %v", in, got, err)
		}
	}
	if _, err := CheckLang("fr"); err == nil || !strings.Contains(err.Error(), "zh-CN") {
		t.Errorf("CheckLang(fr): %v", err)
	}
}

// FuzzHelm: any schema bytes give a form or an error, never a panic, and every field has a key
// and a known type.
func FuzzHelm(f *testing.F) {
	f.Add([]byte(`{"properties": {"a": {"$ref": "#/definitions/x"}}, "definitions": {"x": {"$ref": "#/definitions/x"}}}`))
	f.Add([]byte(`{"type": "object", "properties": {"a~/b": {"type": ["integer", "null"], "minimum": 1}}, "required": ["a~/b"]}`))
	f.Add([]byte(`{"properties": {"a": {"properties": {"b": {"enum": [1, "x", null]}}}}}`))
	f.Add([]byte(`[1, {"properties": 3}]`))
	f.Fuzz(func(t *testing.T, schema []byte) {
		form, err := Helm(schema, nil, map[string]any{"a": map[string]any{"b": 1}}, "en")
		if err != nil {
			return
		}
		for _, fd := range form.Fields {
			if fd.Key == "" || !slices.Contains([]string{"string", "integer", "number", "boolean", TypeYAML}, fd.Type) {
				t.Fatalf("bad field %+v from %q", fd, schema)
			}
		}
	})
}
