package spec

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

func TestLoadTestdataPackages(t *testing.T) {
	t.Parallel()
	for _, dir := range []string{"redis", "minimal"} {
		t.Run(dir, func(t *testing.T) {
			t.Parallel()
			p := mustLoad(t, readPackage(t, dir))
			values, err := p.Merge(nil)
			if err != nil {
				t.Fatalf("Merge(nil): %v", err)
			}
			c, err := p.Render(values)
			if err != nil {
				t.Fatalf("Render: %v", err)
			}
			var got bytes.Buffer
			enc := json.NewEncoder(&got)
			enc.SetEscapeHTML(false)
			enc.SetIndent("", "  ")
			if err := enc.Encode(c); err != nil {
				t.Fatal(err)
			}
			golden(t, dir+".cluster.golden.json", got.Bytes())
		})
	}
}

func TestRedisPackage(t *testing.T) {
	t.Parallel()
	p := mustLoad(t, readPackage(t, "redis"))
	if p.Meta.Name != "redis" || p.Meta.Version != "1.0.0" || p.Meta.AppVersion != "7.2" || len(p.Meta.Maintainers) != 1 {
		t.Errorf("Meta = %+v", p.Meta)
	}
	values, err := p.Merge(map[string]any{
		"cluster": map[string]any{"name": `my "redis"`, "vxnet": "sn-1", "replica": map[string]any{"count": 4}},
		"env":     map[string]any{"maxmemory": "1gb", "hash-max-ziplist-entries": 128, "appendonly": false},
	})
	if err != nil {
		t.Fatalf("Merge: %v", err)
	}
	c, err := p.Render(values)
	if err != nil {
		t.Fatalf("Render: %v", err)
	}
	if c.Name != `my "redis"` || c.Subnet != "sn-1" {
		t.Errorf("name %q subnet %q", c.Name, c.Subnet)
	}
	if len(c.Nodes) != 2 || c.Nodes[0].Role != "master" || c.Nodes[0].Count != 1 || c.Nodes[1].Role != "replica" || c.Nodes[1].Count != 4 {
		t.Fatalf("nodes = %+v", c.Nodes)
	}
	if got := c.Env["hash-max-ziplist-entries"]; got != float64(128) {
		t.Errorf("env hash-max-ziplist-entries = %#v", got)
	}
	if got := c.Env["appendonly"]; got != false {
		t.Errorf("env appendonly = %#v, want bare false", got)
	}
	if got := c.Nodes[0].Services["stop"].Cmd; got != "redis-cli -p 6379 shutdown || true" {
		t.Errorf("stop cmd = %q", got)
	}
	if start := c.Nodes[0].Services["start"]; !strings.HasPrefix(start.Cmd, `redis-server "$PITRIX_ROOT/data/redis/redis.conf"`) || start.ServiceTimeout() != DefaultServiceTimeout {
		t.Errorf("start = %+v", start)
	}
	if c.Endpoints["client"].Port != 6379 {
		t.Errorf("endpoints = %+v", c.Endpoints)
	}
	res, err := ParseTemplateResource(p.Files["confd/conf.d/redis.toml"])
	if err != nil {
		t.Fatal(err)
	}
	if res.Src != "redis.conf.tmpl" || res.Dest != "/data/redis/redis.conf" || strings.Join(res.Keys, ",") != "/host,/hosts,/env" {
		t.Errorf("resource = %+v", res)
	}
}

func TestLoadWithoutPackageJSON(t *testing.T) {
	t.Parallel()
	files := with(readPackage(t, "minimal"), map[string]string{FileMeta: deleted})
	var ve *ValidationError
	if _, err := Load(files); !errors.As(err, &ve) || !strings.Contains(ve.Files["name"], "nothing gives its name") || !strings.Contains(ve.Files["version"], "nothing gives its version") {
		t.Fatalf("Load without package.json = %v", err)
	}
	p, err := LoadWith(files, LoadOptions{Name: "hello", Version: "0.2.0"})
	if err != nil {
		t.Fatalf("LoadWith: %v", err)
	}
	if p.Meta.Name != "hello" || p.Meta.Version != "0.2.0" {
		t.Errorf("Meta = %+v", p.Meta)
	}
	_, err = LoadWith(readPackage(t, "minimal"), LoadOptions{Name: "other"})
	if err == nil || !strings.Contains(err.Error(), `name "hello" does not match "other"`) {
		t.Errorf("LoadWith mismatched name = %v", err)
	}
}

func TestOrigin(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		file, name, version string
		ok                  bool
	}{
		{"zookeeper-3.4.13.tar.gz", "zookeeper", "3.4.13", true},
		{"/tmp/x/redis-cluster-5.0.5-1.tgz", "redis-cluster", "5.0.5-1", true},
		{"etcd-v3.4.0.TGZ", "etcd", "v3.4.0", true},
		{"memcached-1.6.tar", "memcached", "1.6", true},
		{"package.tgz", "", "", false},
		{"app-latest.tgz", "", "", false},
		{"", "", "", false},
	} {
		n, v, ok := IdentFromFileName(tc.file)
		if n != tc.name || v != tc.version || ok != tc.ok {
			t.Errorf("IdentFromFileName(%q) = %q %q %v", tc.file, n, v, ok)
		}
	}
	files := with(readPackage(t, "minimal"), map[string]string{FileMeta: deleted})
	load := func(o Origin) (*Package, error) { return LoadWith(files, o.Options()) }
	// The index entry first, then the upload, then the file name; each field on its own.
	for _, tc := range []struct {
		o             Origin
		name, version string
	}{
		{Origin{Index: Ident{"zk", "1.0"}, Upload: Ident{"up", "2.0"}, FileName: "f-3.0.tgz"}, "zk", "1.0"},
		{Origin{Upload: Ident{"up", ""}, FileName: "f-3.0.tgz"}, "up", "3.0"},
		{Origin{FileName: "zookeeper-3.4.13.tar.gz"}, "zookeeper", "3.4.13"},
	} {
		p, err := load(tc.o)
		if err != nil || p.Meta.Name != tc.name || p.Meta.Version != tc.version {
			t.Errorf("%+v: %+v, %v", tc.o, p, err)
		}
	}
	var ve *ValidationError
	_, err := load(Origin{Upload: Ident{Name: "zk"}, FileName: "upload.tgz"})
	if !errors.As(err, &ve) || ve.Files["name"] != "" || !strings.Contains(ve.Files["version"], `the file name "upload.tgz" has none`) {
		t.Errorf("no version anywhere = %v", err)
	}
	if _, err := load(Origin{Upload: Ident{"Bad Name", "1"}}); !errors.As(err, &ve) || !strings.Contains(ve.Files[FileMeta], "from the upload") {
		t.Errorf("bad upload name = %v", err)
	}
	// With package.json, the file name never contradicts it; the upload and index must agree.
	withMeta := readPackage(t, "minimal")
	if _, err := LoadWith(withMeta, Origin{FileName: "whatever-9.9.tgz"}.Options()); err != nil {
		t.Errorf("package.json and an unrelated file name: %v", err)
	}
	if _, err := LoadWith(withMeta, Origin{Index: Ident{Name: "other"}}.Options()); err == nil || !strings.Contains(err.Error(), "from the repo index") {
		t.Errorf("package.json and another index name: %v", err)
	}
}

func TestLoadMustacheName(t *testing.T) {
	t.Parallel()
	files := readPackage(t, "minimal")
	files[FileMustache] = files[FileTemplate]
	delete(files, FileTemplate)
	p := mustLoad(t, files)
	if p.TemplateFile != FileMustache {
		t.Errorf("TemplateFile = %q", p.TemplateFile)
	}
	files[FileTemplate] = files[FileMustache]
	if _, err := Load(files); err == nil || !strings.Contains(err.Error(), "give only one of") {
		t.Errorf("both template names: %v", err)
	}
}

// TestLoadInvalid checks that every bad file is named, all at once.
func TestLoadInvalid(t *testing.T) {
	t.Parallel()
	base := readPackage(t, "minimal")
	tests := []struct {
		name    string
		changes map[string]string
		want    map[string]string // file -> substring of its message
	}{
		{
			name:    "missing required files",
			changes: map[string]string{FileConfig: deleted, FileTemplate: deleted},
			want:    map[string]string{FileConfig: "is required", FileTemplate: "is required"},
		},
		{
			name: "every file bad at once",
			changes: map[string]string{
				FileMeta:                     `{"name": "Bad Name", "version": "1"}`,
				FileConfig:                   `{"type": "array", "properties": [{"key": "x", "type": "colour"}]}`,
				FileTemplate:                 `{"name": {{cluster.name}`,
				"confd/conf.d/a.toml":        "[template]\nsrc = \"missing.tmpl\"\ndest = \"/etc/a\"\n",
				"confd/templates/b.tmpl":     "{{if}}",
				"locale/en.json":             "[1,",
				"confd/conf.d/notes.txt":     "ignored",
				"confd/conf.d/bad-dest.toml": "[template]\nsrc = \"b.tmpl\"\ndest = \"relative/path\"\n",
			},
			want: map[string]string{
				FileMeta:                     "name",
				FileConfig:                   `unknown type "colour"`,
				FileTemplate:                 "line 1: unmatched open tag",
				"confd/conf.d/a.toml":        `no file confd/templates/missing.tmpl`,
				"confd/templates/b.tmpl":     "missing value for if",
				"locale/en.json":             "not a JSON object",
				"confd/conf.d/bad-dest.toml": "must be a clean absolute path",
			},
		},
		{
			name:    "template unknown key with position",
			changes: map[string]string{FileTemplate: "{\n  \"name\": \"{{cluster.nmae}}\",\n  \"nodes\": [{\"count\": 1}]\n}"},
			want:    map[string]string{FileTemplate: `line 2 col 12: unknown key "cluster.nmae"`},
		},
		{
			name:    "rendered JSON invalid with template position",
			changes: map[string]string{FileTemplate: "{\n  \"name\": {{cluster.name}},\n  \"nodes\": [{\"count\": {{cluster.node.count}}}]\n  \"extra\": 1\n}"},
			want:    map[string]string{FileTemplate: "line 4 col 3 of the rendered text"},
		},
		{
			name:    "schema violations",
			changes: map[string]string{FileTemplate: `{"name": "x", "nodes": [{"role": "a", "count": -1, "services": {"start": {"cmd": ""}}}, {"role": "a", "container": {"type": "vm"}}]}`},
			want:    map[string]string{FileTemplate: "nodes[0].count: must not be negative"},
		},
		{
			name:    "no nodes",
			changes: map[string]string{FileTemplate: `{"name": "x", "nodes": []}`},
			want:    map[string]string{FileTemplate: "nodes: at least one role is required"},
		},
		{
			name:    "wrong type in cluster",
			changes: map[string]string{FileTemplate: `{"name": "x", "nodes": [{"count": "{{cluster.name}}"}]}`},
			want:    map[string]string{FileTemplate: "cannot unmarshal string"},
		},
		{
			name:    "default outside limits",
			changes: map[string]string{FileConfig: `[{"key": "cluster", "type": "array", "properties": [{"key": "name", "type": "string", "default": "x"}, {"key": "node", "type": "array", "properties": [{"key": "count", "type": "integer", "default": 9, "max": 3}]}]}, {"key": "env", "type": "array", "properties": [{"key": "greeting", "type": "string"}]}]`},
			want:    map[string]string{FileConfig: "cluster.node.count: default: 9 is above the maximum 3"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := Load(with(base, tt.changes))
			var ve *ValidationError
			if !errors.As(err, &ve) || !errors.Is(err, ErrInvalid) {
				t.Fatalf("Load = %v, want a *ValidationError", err)
			}
			for file, sub := range tt.want {
				if msg, ok := ve.Files[file]; !ok || !strings.Contains(msg, sub) {
					t.Errorf("Files[%q] = %q, want it to contain %q", file, msg, sub)
				}
			}
			if len(ve.Files) != len(tt.want) {
				t.Errorf("got errors for %d files, want %d: %v", len(ve.Files), len(tt.want), ve.Files)
			}
		})
	}
}

func TestLoadSchemaViolationsAllReported(t *testing.T) {
	t.Parallel()
	files := with(readPackage(t, "minimal"), map[string]string{
		FileTemplate: `{"name": "x", "nodes": [{"role": "a", "count": -1, "services": {"start": {"cmd": " "}}}, {"role": "a", "container": {"type": "vm"}, "vertical_scaling_policy": "random"}], "endpoints": {"c": {"port": 70000}}}`,
	})
	_, err := Load(files)
	for _, want := range []string{
		"nodes[0].count: must not be negative",
		`nodes[1].role: duplicate role "a"`,
		`nodes[1].container.type: "vm" is not one of`,
		"nodes[1].vertical_scaling_policy",
		"endpoints.c.port: 70000 is not a port",
	} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("error %v does not contain %q", err, want)
		}
	}
}

// TestConfdImageLayout: AppCenter sources keep confd resources as they sit on the image
// (etc/confd/ or vm-image/etc/confd/); they load and check as confd/ does.
func TestConfdImageLayout(t *testing.T) {
	t.Parallel()
	for _, root := range []string{"etc/confd/", "vm-image/etc/confd/"} {
		files := readPackage(t, "minimal")
		files[root+"conf.d/a.toml"] = []byte("[template]\nsrc = \"a.tmpl\"\ndest = \"/etc/a.conf\"\n")
		files[root+"templates/a.tmpl"] = []byte(`a={{getv "/env/a" "1"}}`)
		if _, err := LoadWith(files, LoadOptions{}); err != nil {
			t.Fatalf("%s: %v", root, err)
		}
		if ConfdRoot(files) != root {
			t.Fatalf("ConfdRoot = %q, want %q", ConfdRoot(files), root)
		}
		got := ConfdFiles(files)
		if len(got) != 2 || got["conf.d/a.toml"] == nil || got["templates/a.tmpl"] == nil {
			t.Fatalf("%s: ConfdFiles = %v", root, got)
		}
		files[root+"templates/a.tmpl"] = []byte(`{{if}}`)
		delete(files, root+"templates/a.tmpl")
		var ve *ValidationError
		if _, err := LoadWith(files, LoadOptions{}); !errors.As(err, &ve) || !strings.Contains(ve.Files[root+"conf.d/a.toml"], root+"templates/a.tmpl") {
			t.Fatalf("%s: missing template = %v", root, err)
		}
	}
}
