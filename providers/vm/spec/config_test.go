package spec

import (
	"strings"
	"testing"
)

func TestParseConfig(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, json, want string // want "" means valid
	}{
		{"bare array top", `[{"key": "a", "type": "string"}]`, ""},
		{"appcenter loose fields", `{"type": "array", "properties": [{"key": "a", "type": "integer", "required": "yes", "min": "1", "max": 10, "changeable": "no", "default": "5", "label": {"en": "A", "zh-cn": "甲"}}]}`, "default: want an integer, got string"},
		{"numeric strings for limits", `[{"key": "a", "type": "integer", "required": true, "min": "1", "max": "10", "default": 5}]`, ""},
		{"no items", `{"type": "array", "properties": []}`, "no items"},
		{"bad json", `{"type": "array",`, "not valid JSON"},
		{"trailing", `[{"key": "a", "type": "string"}] []`, "trailing data"},
		{"duplicate key", `[{"key": "a", "type": "string"}, {"key": "a", "type": "string"}]`, "a: duplicate key"},
		{"bad key", `[{"key": "a b", "type": "string"}]`, `key "a b" must be`},
		{"empty key", `[{"type": "string"}]`, "item 0: key"},
		{"missing type", `[{"key": "a"}]`, "a: type is required"},
		{"unknown type", `[{"key": "a", "type": "date"}]`, `unknown type "date"`},
		{"group without properties", `[{"key": "g", "type": "array"}]`, "group has no properties"},
		{"leaf with properties", `[{"key": "a", "type": "string", "properties": [{"key": "b", "type": "string"}]}]`, "only groups"},
		{"bad pattern", `[{"key": "a", "type": "string", "pattern": "("}]`, "pattern:"},
		{"min above max", `[{"key": "a", "type": "integer", "min": 5, "max": 1}]`, "min 5 is above max 1"},
		{"zero step", `[{"key": "a", "type": "integer", "step": 0}]`, "step: must be positive"},
		{"range of wrong type", `[{"key": "a", "type": "integer", "range": [1, "two"]}]`, "range[1]"},
		{"default not in range", `[{"key": "a", "type": "string", "range": ["x"], "default": "y"}]`, `default: "y" is not one of ["x"]`},
		{"bad required", `[{"key": "a", "type": "string", "required": "maybe"}]`, "required:"},
		{"nested errors named by path", `[{"key": "g", "type": "array", "properties": [{"key": "h", "type": "array", "properties": [{"key": "x", "type": "nope"}]}]}]`, "g.h.x: unknown type"},
		{"top type", `{"type": "string"}`, `top-level type must be "array"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := ParseConfig([]byte(tt.json))
			switch {
			case tt.want == "" && err != nil:
				t.Errorf("ParseConfig: %v", err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Errorf("ParseConfig = %v, want %q", err, tt.want)
			}
		})
	}
}

func TestParseConfigDepthBounded(t *testing.T) {
	t.Parallel()
	deep := strings.Repeat(`[{"key": "g", "type": "array", "properties": `, 40) + `[{"key": "x", "type": "string"}]` + strings.Repeat(`}]`, 40)
	_, err := ParseConfig([]byte(deep))
	if err == nil || !strings.Contains(err.Error(), "nested deeper") {
		t.Errorf("ParseConfig = %v", err)
	}
}

func TestItemFields(t *testing.T) {
	t.Parallel()
	tree, err := ParseConfig([]byte(`[{"key": "env", "type": "array", "properties": [{"key": "a.b", "label": "AB", "type": "number", "default": 1.5, "min": 0, "changeable": false, "required": "yes"}]}]`))
	if err != nil {
		t.Fatal(err)
	}
	it := tree.Lookup("env.a.b")
	if it == nil || it.Label != "AB" || it.Default != 1.5 || !it.Required || it.Changeable || *it.Min != 0 {
		t.Errorf("item = %+v", it)
	}
	if tree.Lookup("env.a") != nil || tree.Lookup("env.a.b.c") != nil {
		t.Error("Lookup found a path that does not exist")
	}
}
