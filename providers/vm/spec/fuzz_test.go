package spec

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

func FuzzConfigJSON(f *testing.F) {
	f.Add([]byte(mergeConfig))
	f.Add([]byte(`{"type": "array", "properties": [{"key": "a", "type": "integer", "min": "1", "step": 0.5, "default": 2}]}`))
	f.Add([]byte(`[{"key": "a", "type": "string", "pattern": "^a+$", "range": ["a", "aa"], "multichoice": "yes"}]`))
	f.Add([]byte(`[`))
	f.Fuzz(func(t *testing.T, data []byte) {
		tree, err := ParseConfig(data)
		if err != nil {
			return
		}
		p := &Package{Config: tree}
		values, err := p.Merge(nil)
		if err == nil {
			// A merged conf must merge again to itself.
			again, err := p.Merge(values)
			if err != nil {
				t.Fatalf("Merge(Merge(nil)) = %v", err)
			}
			a, _ := json.Marshal(values)
			b, _ := json.Marshal(again)
			if !bytes.Equal(a, b) {
				t.Fatalf("merge not idempotent: %s vs %s", a, b)
			}
		}
		p.Defaults()
	})
}

func FuzzTemplate(f *testing.F) {
	f.Add(`{"name": "{{cluster.name}}", "nodes": [{"count": {{cluster.n}}}]}`)
	f.Add(`"a-{{env.hash-max-ziplist-entries}}-\"{{.x}}"`)
	f.Add(`{{{a}}} {{! c }} {{#s}}`)
	f.Add(`"{{cluster.name}}"`)
	f.Add(`[{{#env}}{{a.b}},{{/env}}{{^x}}"{{{cluster.name}}}"{{/x}}]`)
	values := map[string]any{
		"cluster": map[string]any{"name": "x\"y", "n": int64(2), "subnet": "s"},
		"env":     map[string]any{"hash-max-ziplist-entries": 512.5, "a.b": true},
		"x":       nil,
	}
	f.Fuzz(func(t *testing.T, src string) {
		tp, err := parseTemplate(src)
		if err != nil {
			return
		}
		out, err := tp.execute(values, nil)
		if err != nil {
			return
		}
		if bytes.ContainsAny(out, "\x00\x01") {
			t.Fatalf("a value marker is left in %q", out)
		}
		// A template without "{{" renders unchanged.
		if !strings.Contains(src, "{{") && string(out) != src {
			t.Fatalf("literal template changed: %q -> %q", src, out)
		}
	})
}

func FuzzLoad(f *testing.F) {
	f.Add([]byte(`{"name": "x", "version": "1"}`), []byte(mergeConfig), `{"name": {{cluster.name}}, "nodes": [{"count": {{cluster.db.count}}}]}`, "[template]\nsrc = \"a\"\ndest = \"/a\"")
	f.Add([]byte(`{}`), []byte(`[]`), `{{`, ``)
	f.Fuzz(func(t *testing.T, meta, config []byte, tmpl, toml string) {
		files := map[string][]byte{
			FileMeta:              meta,
			FileConfig:            config,
			FileTemplate:          []byte(tmpl),
			"confd/conf.d/a.toml": []byte(toml),
			"confd/templates/a":   []byte(tmpl),
		}
		p, err := Load(files)
		if err != nil {
			if _, ok := err.(*ValidationError); !ok {
				t.Fatalf("Load returned %T, want *ValidationError", err)
			}
			return
		}
		values, err := p.Merge(nil)
		if err != nil {
			return
		}
		c, err := p.Render(values)
		if err != nil {
			return
		}
		if len(c.Nodes) == 0 {
			t.Fatal("Render accepted a cluster without nodes")
		}
	})
}
