package spec

import (
	"strings"
	"testing"
)

func TestRenderPlaceholders(t *testing.T) {
	t.Parallel()
	values := map[string]any{
		"cluster": map[string]any{"name": `a "quoted"` + "\nname", "count": int64(3), "ratio": 0.5, "on": true, "vxnet": "vx-1"},
		"env": map[string]any{"hash-max-ziplist-entries": int64(512), "log.level": "info", "log": map[string]any{"file": "/var/log/x"},
			"4lw.commands.whitelist": "stat, ruok", "-p": "x"},
		"lbs":  []any{"lb-1", "lb-2"},
		"objs": []any{map[string]any{"port": int64(80)}, map[string]any{"port": int64(443)}},
		"none": []any{},
	}
	values["cluster"].(map[string]any)["off"] = false
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
		{"triple mustache string is raw text", `"x-{{{cluster.vxnet}}}"`, `"x-vx-1"`},
		{"ampersand is raw", `[{{& cluster.vxnet}}]`, `[vx-1]`},
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
		{"key starting with a digit", `{{env.4lw.commands.whitelist}}`, `"stat, ruok"`},
		{"dashed leading key", `{{env.-p}}`, `"x"`},
		{"section over an object", `{{#env.log}}{{file}}{{/env.log}}`, `"/var/log/x"`},
		{"section on true", `{{#cluster.on}}"on"{{/cluster.on}}`, `"on"`},
		{"section on false is skipped", `[{{#cluster.off}}1{{/cluster.off}}]`, `[]`},
		{"inverted section on false", `[{{^cluster.off}}1{{/cluster.off}}]`, `[1]`},
		{"inverted section on empty text", `[{{^cluster.missing}}"none"{{/cluster.missing}}]`, `["none"]`},
		{"section over a list", `[{{#lbs}}{{.}},{{/lbs}}"end"]`, `["lb-1","lb-2","end"]`},
		{"section over a list of objects", `[{{#objs}}{{port}},{{/objs}}0]`, `[80,443,0]`},
		{"empty list section skipped", `[{{#none}}1{{/none}}]`, `[]`},
		{"parent context inside a section", `{{#env.log}}{{cluster.count}}{{/env.log}}`, `3`},
		{"set delimiter", `{{=<% %>=}}<% cluster.count %>`, `3`},
		{"standalone section lines vanish", "[\n  {{#cluster.on}}\n  1\n  {{/cluster.on}}\n]", "[\n  1\n]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tp, err := parseTemplate(tt.tmpl)
			if err != nil {
				t.Fatalf("parse: %v", err)
			}
			out, err := tp.execute(values, tree)
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
		{"unclosed", "{\n \"a\": {{cluster.name", "line 2: unmatched open tag"},
		{"unclosed section", "{{#cluster.x}}1", "line 1: Section cluster.x has no closing tag"},
		{"interleaved", "{{#a}}{{#b}}{{/a}}{{/b}}", "interleaved closing tag: a"},
		{"partial", "{\n{{> other}}}", "line 2 col 1: partials are not supported"},
		{"empty", `{{}}`, "empty tag"},
		{"control byte", "{\x00}", "control character"},
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
	// Every unknown key is named with its place, not only the first.
	tp, err := parseTemplate("{{a}}\n  {{b.c}} {{a}} {{cluster name}}\n{{^a}}{{d}}{{/a}}{{#a}}{{relative}}{{/a}}")
	if err != nil {
		t.Fatal(err)
	}
	_, err = tp.execute(map[string]any{"a": 1}, nil)
	for _, want := range []string{`line 2 col 3: unknown key "b.c"`, `line 2 col 17: unknown key "cluster name"`, `line 3 col 7: unknown key "d"`} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("execute = %v, want %q", err, want)
		}
	}
	if err != nil && strings.Contains(err.Error(), "relative") {
		t.Errorf("a name inside a section may be relative to it: %v", err)
	}
}

// TestMustacheSpec runs cases of the mustache spec
// (github.com/mustache/spec, specs/sections.yml, inverted.yml,
// interpolation.yml, comments.yml, delimiters.yml) that make sense for a
// JSON template: values are the spec's, and text placeholders sit inside
// JSON strings, where they are escaped for JSON rather than for HTML.
func TestMustacheSpec(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		data map[string]any
		tmpl string
		want string
	}{
		{"interpolation: basic integer", map[string]any{"mph": int64(85)}, `"{{mph}} miles an hour!"`, `"85 miles an hour!"`},
		{"interpolation: basic decimal", map[string]any{"power": 1.21}, `"{{power}} jiggawatts!"`, `"1.21 jiggawatts!"`},
		{"interpolation: triple mustache", map[string]any{"forbidden": `& " < >`}, `"{{{forbidden}}}"`, `"& " < >"`},
		{"interpolation: ampersand", map[string]any{"forbidden": `& " < >`}, `"{{&forbidden}}"`, `"& " < >"`},
		{"interpolation: dotted names", map[string]any{"person": map[string]any{"name": "Joe"}}, `"{{person.name}} == {{#person}}{{name}}{{/person}}"`, `"Joe == Joe"`},
		{"interpolation: broken chains inside a section resolve to nothing", map[string]any{"a": map[string]any{}}, `"{{#a}}{{b.c}}{{/a}}"`, `""`},
		{"interpolation: initial resolution", map[string]any{"a": map[string]any{"b": map[string]any{"c": map[string]any{"d": map[string]any{"e": map[string]any{"name": "Phil"}}}}}, "b": map[string]any{"c": map[string]any{"d": map[string]any{"e": map[string]any{"name": "Wrong"}}}}}, `"{{#a}}{{b.c.d.e.name}}{{/a}}"`, `"Phil"`},
		{"interpolation: implicit iterator", map[string]any{"list": []any{"a", "b"}}, `"{{#list}}({{.}}){{/list}}"`, `"(a)(b)"`},
		{"sections: truthy", map[string]any{"boolean": true}, `"{{#boolean}}This should be rendered.{{/boolean}}"`, `"This should be rendered."`},
		{"sections: falsey", map[string]any{"boolean": false}, `"{{#boolean}}This should not be rendered.{{/boolean}}"`, `""`},
		{"sections: null is falsey", map[string]any{"null": nil}, `"{{#null}}This should not be rendered.{{/null}}"`, `""`},
		{"sections: context", map[string]any{"context": map[string]any{"name": "Joe"}}, `"{{#context}}Hi {{name}}.{{/context}}"`, `"Hi Joe."`},
		{"sections: parent contexts", map[string]any{"a": "foo", "b": "wrong", "sec": map[string]any{"b": "bar"}, "c": map[string]any{"d": "baz"}}, `"{{#sec}}{{a}}, {{b}}, {{c.d}}{{/sec}}"`, `"foo, bar, baz"`},
		{"sections: list", map[string]any{"list": []any{map[string]any{"item": int64(1)}, map[string]any{"item": int64(2)}, map[string]any{"item": int64(3)}}}, `"{{#list}}{{item}}{{/list}}"`, `"123"`},
		{"sections: empty list", map[string]any{"list": []any{}}, `"{{#list}}Yay lists!{{/list}}"`, `""`},
		{"sections: doubled", map[string]any{"bool": true, "two": "second"}, "\"{{#bool}}\n* first\n{{/bool}}\n* {{two}}\n{{#bool}}\n* third\n{{/bool}}\"", "\"\n* first\n* second\n* third\n\""},
		{"sections: nested truthy", map[string]any{"bool": true}, `"| A {{#bool}}B {{#bool}}C{{/bool}} D{{/bool}} E |"`, `"| A B C D E |"`},
		{"sections: dotted names truthy", map[string]any{"a": map[string]any{"b": map[string]any{"c": true}}}, `"{{#a.b.c}}Here{{/a.b.c}} == Here"`, `"Here == Here"`},
		{"sections: dotted names broken chains", map[string]any{"a": map[string]any{}}, `"{{#a.b.c}}Here{{/a.b.c}} == "`, `" == "`},
		{"inverted: falsey", map[string]any{"boolean": false}, `"{{^boolean}}This should be rendered.{{/boolean}}"`, `"This should be rendered."`},
		{"inverted: truthy", map[string]any{"boolean": true}, `"{{^boolean}}This should not be rendered.{{/boolean}}"`, `""`},
		{"inverted: list", map[string]any{"list": []any{map[string]any{"n": int64(1)}}}, `"{{^list}}Yay{{/list}}"`, `""`},
		{"inverted: empty list", map[string]any{"list": []any{}}, `"{{^list}}Yay lists!{{/list}}"`, `"Yay lists!"`},
		{"inverted: dotted names falsey", map[string]any{"a": map[string]any{"b": map[string]any{"c": false}}}, `"{{^a.b.c}}Not Here{{/a.b.c}} == Not Here"`, `"Not Here == Not Here"`},
		{"comments: inline", map[string]any{}, `"12345{{! Comment Block! }}67890"`, `"1234567890"`},
		{"comments: multiline", map[string]any{}, "\"12345{{!\n  This is a\n  multi-line comment...\n}}67890\"", `"1234567890"`},
		{"delimiters: pair behavior", map[string]any{"text": "Hey!"}, `"{{=<% %>=}}(<%text%>)"`, `"(Hey!)"`},
		{"delimiters: sections", map[string]any{"section": true, "data": "I got interpolated."}, "\"[\n{{#section}}\n  {{data}}\n  |data|\n{{/section}}\n{{= | | =}}\n|#section|\n  {{data}}\n  |data|\n|/section|\n]\"", "\"[\n  I got interpolated.\n  |data|\n  {{data}}\n  I got interpolated.\n]\""},
		{"whitespace: standalone lines", map[string]any{"boolean": true}, "\"| This Is\n{{#boolean}}\n|\n{{/boolean}}\n| A Line\"", "\"| This Is\n|\n| A Line\""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tp, err := parseTemplate(tt.tmpl)
			if err != nil {
				t.Fatalf("parse: %v", err)
			}
			out, err := tp.execute(tt.data, nil)
			if err != nil {
				t.Fatalf("execute: %v", err)
			}
			// Compare as text: placeholders inside a JSON string are
			// JSON-escaped, so raw newlines of the spec's templates stay.
			if string(out) != tt.want {
				t.Errorf("got %q, want %q", out, tt.want)
			}
		})
	}
}

func TestRenderOutputBounded(t *testing.T) {
	t.Parallel()
	big := strings.Repeat("x", 1<<20)
	tp, err := parseTemplate(strings.Repeat("{{a}}", 40))
	if err != nil {
		t.Fatal(err)
	}
	_, err = tp.execute(map[string]any{"a": big}, nil)
	if err == nil || !strings.Contains(err.Error(), "exceeds") {
		t.Errorf("execute = %v, want a size error", err)
	}
}

// TestRenderRepeatsBounded: sections nested over a list multiply; a render
// that would repeat too often is refused before it runs.
func TestRenderRepeatsBounded(t *testing.T) {
	t.Parallel()
	list := make([]any, 40)
	for i := range list {
		list[i] = "x"
	}
	deep := strings.Repeat("{{#l}}", 5) + "{{.}}" + strings.Repeat("{{/l}}", 5)
	tp, err := parseTemplate(deep)
	if err != nil {
		t.Fatal(err)
	}
	_, err = tp.execute(map[string]any{"l": list}, nil)
	if err == nil || !strings.Contains(err.Error(), "nested 5 deep over a list of 40 items") {
		t.Fatalf("execute = %v, want the repeats refused", err)
	}
	// Two levels over the same list are fine.
	tp, err = parseTemplate(`[{{#l}}{{#l}}{{.}},{{/l}}{{/l}}0]`)
	if err != nil {
		t.Fatal(err)
	}
	out, err := tp.execute(map[string]any{"l": list[:3]}, nil)
	if err != nil || string(out) != `["x","x","x","x","x","x","x","x","x",0]` {
		t.Fatalf("execute = %s, %v", out, err)
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
