package cli

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

func decode(t *testing.T, s string) any {
	t.Helper()
	v, err := decodeJSON(json.RawMessage(s))
	if err != nil {
		t.Fatalf("decodeJSON(%s): %v", s, err)
	}
	return v
}

func TestCellText(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		in   string
		want string
	}{
		{"null", `null`, "-"},
		{"empty string", `""`, "-"},
		{"big integer kept exact", `12345678901234567890`, "12345678901234567890"},
		{"float", `1.5`, "1.5"},
		{"bool", `false`, "false"},
		{"list", `["a","b",3]`, "a,b,3"},
		{"empty list", `[]`, "-"},
		{"labels", `{"b":"2","a":"1"}`, "a=1,b=2"},
		{"selectors", `{"env":["prod","dev"]}`, "env=prod|dev"},
		{"nested", `{"a":{"b":1}}`, `{"a":{"b":1}}`},
		{"list of objects", `[{"role":"zk","count":3}]`, `[{"count":3,"role":"zk"}]`},
		{"escape sequence", `"red\u001b[31mtext\nnext\tcol"`, "red [31mtext next col"},
		{"C1 control", `"a\u009bb"`, "a b"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := cellText(decode(t, tt.in)); got != tt.want {
				t.Errorf("cellText(%s) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestRenderList(t *testing.T) {
	t.Parallel()
	v := view{col("ID"), col("VERSION", "version", "app_version"), col("STATUS")}
	tests := []struct {
		name string
		in   string
		want string
	}{
		{"envelope", `{"total_count":7,"items":[{"id":"appv-1","app_version":"1.2","status":"active"},{"id":"appv-22","version":"0.1"}]}`,
			"ID       VERSION  STATUS\nappv-1   1.2      active\nappv-22  0.1      -\ntotal_count: 7\n"},
		{"bare array", `[{"id":"x","status":"s"}]`, "ID  VERSION  STATUS\nx   -        s\n"},
		{"scalars", `["a","b"]`, "ID  VERSION  STATUS\na   -        -\nb   -        -\n"},
		{"long cell truncated", `[{"id":"` + strings.Repeat("x", 80) + `"}]`,
			"ID" + strings.Repeat(" ", 58) + "  VERSION  STATUS\n" + strings.Repeat("x", 57) + "...  -        -\n"},
		{"object instead of list", `{"id":"x","status":"s"}`, "id:     x\nstatus: s\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var b bytes.Buffer
			renderList(&b, decode(t, tt.in), v)
			if b.String() != tt.want {
				t.Errorf("renderList(%s) =\n%q\nwant\n%q", tt.in, b.String(), tt.want)
			}
		})
	}
}

func TestRenderListInfersColumns(t *testing.T) {
	t.Parallel()
	var b bytes.Buffer
	renderList(&b, decode(t, `{"items":[{"path":"config.json","size":120,"meta":{"x":1}}]}`), nil)
	if want := "PATH         SIZE\nconfig.json  120\n"; b.String() != want {
		t.Errorf("got %q, want %q", b.String(), want)
	}
}

func TestRenderObject(t *testing.T) {
	t.Parallel()
	var b bytes.Buffer
	renderObject(&b, decode(t, `{"zeta":1,"status":"active","name":"zk","id":"app-1","alpha":null}`), view{col("STATUS")})
	want := "id:     app-1\nname:   zk\nstatus: active\nalpha:  -\nzeta:   1\n"
	if b.String() != want {
		t.Errorf("got\n%s\nwant\n%s", b.String(), want)
	}
}

func TestWriteJSONIndents(t *testing.T) {
	t.Parallel()
	var b bytes.Buffer
	if err := writeJSON(&b, json.RawMessage(`{"a":[1,2],"b":"x"}`)); err != nil {
		t.Fatal(err)
	}
	if want := "{\n  \"a\": [\n    1,\n    2\n  ],\n  \"b\": \"x\"\n}\n"; b.String() != want {
		t.Errorf("got %q", b.String())
	}
	b.Reset()
	if err := writeJSON(&b, nil); err != nil || b.Len() != 0 {
		t.Errorf("empty answer wrote %q, %v", b.String(), err)
	}
}
