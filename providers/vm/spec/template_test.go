package spec

import (
	"strings"
	"testing"
)

func TestRenderPlaceholders(t *testing.T) {
	t.Parallel()
	values := map[string]any{
		"cluster": map[string]any{"name": `a "quoted"` + "\nname", "count": int64(3), "ratio": 0.5, "on": true, "vxnet": "vx-1"},
		"env":     map[string]any{"hash-max-ziplist-entries": int64(512), "log.level": "info", "log": map[string]any{"file": "/var/log/x"}},
	}
	tree, err := ParseConfig([]byte(`[{"key": "cluster", "type": "array", "properties": [{"key": "missing", "type": "string"}, {"key": "missing_n", "type": "integer"}]}]`))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, tmpl, want string
	}{
		{"bare string is quoted", `{{cluster.name}}`, `"a \"quoted\"\nname"`},
		{"quoted string is not double quoted", `"{{cluster.name}}"`, `"a \"quoted\"\nname"`},
		{"go dot form", `{{ .cluster.name }}`, `"a \"quoted\"\nname"`},
		{"triple mustache", `{{{cluster.count}}}`, `3`},
		{"bare integer", `{{cluster.count}}`, `3`},
		{"quoted integer stays a number", `"{{cluster.count}}"`, `3`},
		{"quoted boolean stays a boolean", `"{{cluster.on}}"`, `true`},
		{"number", `{{cluster.ratio}}`, `0.5`},
		{"embedded in text is escaped", `"redis-{{cluster.name}}-x"`, `"redis-a \"quoted\"\nname-x"`},
		{"embedded number as text", `"port {{cluster.count}}"`, `"port 3"`},
		{"two in one string", `"{{cluster.count}}{{cluster.count}}"`, `"33"`},
		{"dashed key", `{{env.hash-max-ziplist-entries}}`, `512`},
		{"dotted key longest match", `{{env.log.level}}`, `"info"`},
		{"nested after dotted fallback", `{{env.log.file}}`, `"/var/log/x"`},
		{"subnet alias of vxnet", `"{{cluster.subnet}}"`, `"vx-1"`},
		{"declared text without value", `"{{cluster.missing}}"`, `""`},
		{"declared number without value", `{{cluster.missing_n}}`, `null`},
		{"builtin", `"{{cluster.cluster_id}}"`, `""`},
		{"comment", `[{{! a comment }}1]`, `[1]`},
		{"escaped quote before placeholder", `"\"{{cluster.count}}"`, `"\"3"`},
		{"key position", `{"{{cluster.count}}": 1}`, `{3: 1}`},
		{"group as object", `{{env.log}}`, `{"file":"/var/log/x"}`},
		{"html not escaped", `"{{env.log.file}}<&>"`, `"/var/log/x<&>"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tp, err := parseTemplate(tt.tmpl)
			if err != nil {
				t.Fatalf("parse: %v", err)
			}
			out, _, err := tp.execute(lookupFunc(values, tree))
			if err != nil {
				t.Fatalf("execute: %v", err)
			}
			if string(out) != tt.want {
				t.Errorf("got %s, want %s", out, tt.want)
			}
		})
	}
}

func TestTemplateErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, tmpl, want string
	}{
		{"unclosed", "{\n \"a\": {{cluster.name", "line 2 col 7: unclosed"},
		{"section", "{{#cluster.x}}1{{/cluster.x}}", "sections and partials are not supported"},
		{"not a path", `{{cluster name}}`, "is not a placeholder"},
		{"function call", `{{ printf "%s" .x }}`, "is not a placeholder"},
		{"empty", `{{}}`, "is not a placeholder"},
		{"double dot", `{{a..b}}`, "is not a placeholder"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := parseTemplate(tt.tmpl)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("parse = %v, want %q", err, tt.want)
			}
		})
	}
	tp, err := parseTemplate("{{a}}\n  {{b.c}} {{a}}")
	if err != nil {
		t.Fatal(err)
	}
	_, _, err = tp.execute(lookupFunc(map[string]any{"a": 1}, nil))
	if err == nil || !strings.Contains(err.Error(), `line 2 col 3: unknown key "b.c"`) {
		t.Errorf("execute = %v", err)
	}
}

func TestRenderOutputBounded(t *testing.T) {
	t.Parallel()
	big := strings.Repeat("x", 1<<20)
	tp, err := parseTemplate(strings.Repeat("{{a}}", 40))
	if err != nil {
		t.Fatal(err)
	}
	_, _, err = tp.execute(lookupFunc(map[string]any{"a": big}, nil))
	if err == nil || !strings.Contains(err.Error(), "exceeds") {
		t.Errorf("execute = %v, want a size error", err)
	}
}

func BenchmarkRenderRedis(b *testing.B) {
	p := mustLoad(b, readPackage(b, "redis"))
	values, err := p.Merge(nil)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := p.Render(values); err != nil {
			b.Fatal(err)
		}
	}
}
