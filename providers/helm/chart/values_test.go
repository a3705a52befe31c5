package chart

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

func TestValidateValues(t *testing.T) {
	t.Parallel()
	_, ch, err := Load(tgz(t, "web", readChart(t, "web")))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		values map[string]any
		want   map[string]string // path -> substring; nil means valid
	}{
		{name: "defaults", values: nil},
		{name: "override within limits", values: map[string]any{"replicaCount": 3, "image": map[string]any{"tag": "1.28"}}},
		{name: "yaml int types", values: map[string]any{"replicaCount": int64(2), "service": map[string]any{"port": uint16(8080)}}},
		{
			name: "every bad path at once",
			values: map[string]any{
				"replicaCount": 11,
				"image":        map[string]any{"tag": "bad tag!", "pullPolicy": "Sometimes", "extra": true},
				"service":      map[string]any{"port": 0},
			},
			want: map[string]string{
				"replicaCount":     "11 is above the maximum 10",
				"image.tag":        "does not match the pattern",
				"image.pullPolicy": "not one of the allowed values",
				"image.extra":      "additionalProperties is false",
				"service.port":     "below the minimum 1",
			},
		},
		{name: "wrong type", values: map[string]any{"replicaCount": "two"}, want: map[string]string{"replicaCount": "got string, want integer"}},
		{name: "not an integer", values: map[string]any{"replicaCount": 1.5}, want: map[string]string{"replicaCount": "got number, want integer"}},
		{name: "null removes a required default", values: map[string]any{"image": nil}, want: map[string]string{"image": "is required"}},
		{name: "required nested", values: map[string]any{"image": map[string]any{"repository": nil}}, want: map[string]string{"image.repository": "is required"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := ValidateValues(ch, tt.values)
			if tt.want == nil {
				if err != nil {
					t.Fatalf("ValidateValues: %v", err)
				}
				return
			}
			var ve *ValuesError
			if !errors.As(err, &ve) || !errors.Is(err, ErrInvalidValues) {
				t.Fatalf("ValidateValues = %v, want *ValuesError", err)
			}
			for p, sub := range tt.want {
				if !strings.Contains(ve.Paths[p], sub) {
					t.Errorf("Paths[%q] = %q, want %q", p, ve.Paths[p], sub)
				}
			}
			if len(ve.Paths) != len(tt.want) {
				t.Errorf("got %d paths, want %d: %v", len(ve.Paths), len(tt.want), ve.Paths)
			}
		})
	}
}

func TestSchemaKeywords(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, schema string
		value        any
		wantPath     string // "" means valid
	}{
		{"anyOf ok", `{"anyOf": [{"type": "string"}, {"type": "integer"}]}`, 3.0, ""},
		{"anyOf none", `{"anyOf": [{"type": "string"}, {"type": "integer"}]}`, true, "(root)"},
		{"oneOf two", `{"oneOf": [{"type": "number"}, {"type": "integer"}]}`, 3.0, "(root)"},
		{"not", `{"not": {"type": "null"}}`, nil, "(root)"},
		{"const", `{"properties": {"a": {"const": "x"}}}`, map[string]any{"a": "y"}, "a"},
		{"items", `{"items": {"type": "string"}}`, []any{"a", 1.0}, "[1]"},
		{"tuple", `{"items": [{"type": "string"}], "additionalItems": false}`, []any{"a", "b"}, "[1]"},
		{"unique", `{"uniqueItems": true}`, []any{"a", "a"}, "[1]"},
		{"min items", `{"minItems": 2}`, []any{"a"}, "(root)"},
		{"pattern properties", `{"patternProperties": {"^x-": {"type": "integer"}}, "additionalProperties": false}`, map[string]any{"x-a": "s"}, "x-a"},
		{"additional schema", `{"additionalProperties": {"type": "integer"}}`, map[string]any{"b": 1.0, "c": "s"}, "c"},
		{"if then", `{"if": {"properties": {"kind": {"const": "db"}}}, "then": {"required": ["size"]}}`, map[string]any{"kind": "db"}, "size"},
		{"if else ok", `{"if": {"properties": {"kind": {"const": "db"}}}, "then": {"required": ["size"]}}`, map[string]any{"kind": "web"}, ""},
		{"draft4 exclusive", `{"minimum": 1, "exclusiveMinimum": true}`, 1.0, "(root)"},
		{"draft6 exclusive", `{"exclusiveMaximum": 5}`, 5.0, "(root)"},
		{"multipleOf", `{"multipleOf": 0.5}`, 1.25, "(root)"},
		{"maxLength runes", `{"maxLength": 2}`, "日本", ""},
		{"false schema", `{"properties": {"a": false}}`, map[string]any{"a": 1.0}, "a"},
		{"recursive ref", `{"type": "object", "properties": {"child": {"$ref": "#"}, "n": {"type": "integer"}}}`, map[string]any{"child": map[string]any{"child": map[string]any{"n": "x"}}}, "child.child.n"},
		{"type list", `{"type": ["string", "null"]}`, nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s, err := ParseSchema([]byte(tt.schema))
			if err != nil {
				t.Fatalf("ParseSchema: %v", err)
			}
			errs := s.Validate(tt.value)
			switch {
			case tt.wantPath == "" && errs != nil:
				t.Errorf("Validate = %v, want valid", errs)
			case tt.wantPath != "" && errs[tt.wantPath] == "":
				t.Errorf("Validate = %v, want a problem at %q", errs, tt.wantPath)
			}
		})
	}
}

func TestSchemaRefusesRemoteAndBounds(t *testing.T) {
	t.Parallel()
	for name, schema := range map[string]string{
		"http ref":     `{"$ref": "http://127.0.0.1:1/x.json"}`,
		"file ref":     `{"properties": {"a": {"$ref": "file:///etc/passwd"}}}`,
		"dangling ref": `{"$ref": "#/definitions/nope"}`,
		"not a schema": `[1]`,
		"bad type":     `{"type": "float"}`,
		"bad required": `{"required": "a"}`,
		"empty anyOf":  `{"anyOf": []}`,
	} {
		if _, err := ParseSchema([]byte(schema)); err == nil {
			t.Errorf("%s: ParseSchema accepted %s", name, schema)
		}
	}
	// A self-reference without progress stops at the depth bound.
	s, err := ParseSchema([]byte(`{"$ref": "#"}`))
	if err != nil {
		t.Fatal(err)
	}
	if errs := s.Validate(1.0); !strings.Contains(errs["(root)"], "recursion") {
		t.Errorf("Validate = %v, want a recursion bound", errs)
	}
	// Each definition tries the next twice: linear text, 2^40 work. The
	// step budget stops it.
	var defs []string
	for i := range 40 {
		defs = append(defs, fmt.Sprintf(`"a%d": {"anyOf": [{"$ref": "#/definitions/a%d"}, {"$ref": "#/definitions/a%d"}]}`, i, i+1, i+1))
	}
	defs = append(defs, `"a40": {"type": "string"}`)
	s, err = ParseSchema([]byte(`{"$ref": "#/definitions/a0", "definitions": {` + strings.Join(defs, ", ") + `}}`))
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	if errs := s.Validate(true); len(errs) == 0 {
		t.Error("Validate of an explosive schema returned no problem")
	}
	t.Logf("explosive schema refused after %v", time.Since(start))
}
