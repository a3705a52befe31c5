package chart

import (
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

func TestSchemaKeywords(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, schema string
		value        any
		wantPath     string // "" means valid
		wantMsg      string // substring of the problem at wantPath; "" skips the check
	}{
		{"anyOf ok", `{"anyOf": [{"type": "string"}, {"type": "integer"}]}`, 3.0, "", ""},
		{"anyOf none", `{"anyOf": [{"type": "string"}, {"type": "integer"}]}`, true, "(root)", "none of the anyOf"},
		{"oneOf two", `{"oneOf": [{"type": "number"}, {"type": "integer"}]}`, 3.0, "(root)", "matches 2 of the oneOf"},
		{"not", `{"not": {"type": "null"}}`, nil, "(root)", `"not" schema`},
		{"const", `{"properties": {"a": {"const": "x"}}}`, map[string]any{"a": "y"}, "a", `"y" is not the allowed value "x"`},
		{"enum", `{"enum": ["a", "b"]}`, "c", "(root)", `"c" is not one of the allowed values`},
		{"items", `{"items": {"type": "string"}}`, []any{"a", 1.0}, "[1]", "got number, want string"},
		{"tuple", `{"items": [{"type": "string"}], "additionalItems": false}`, []any{"a", "b"}, "[1]", "additionalItems is false"},
		{"unique", `{"uniqueItems": true}`, []any{"a", "a"}, "[1]", "duplicates item 0"},
		{"min items", `{"minItems": 2}`, []any{"a"}, "(root)", "has 1 items, want at least 2"},
		{"pattern properties", `{"patternProperties": {"^x-": {"type": "integer"}}, "additionalProperties": false}`, map[string]any{"x-a": "s"}, "x-a", "want integer"},
		{"additional schema", `{"additionalProperties": {"type": "integer"}}`, map[string]any{"b": 1.0, "c": "s"}, "c", "got string, want integer"},
		{"if then", `{"if": {"properties": {"kind": {"const": "db"}}}, "then": {"required": ["size"]}}`, map[string]any{"kind": "db"}, "size", "is required"},
		{"if else ok", `{"if": {"properties": {"kind": {"const": "db"}}}, "then": {"required": ["size"]}}`, map[string]any{"kind": "web"}, "", ""},
		{"draft4 exclusive", `{"$schema": "http://json-schema.org/draft-04/schema#", "minimum": 1, "exclusiveMinimum": true}`, 1.0, "(root)", "must be greater than 1"},
		{"draft6 exclusive", `{"exclusiveMaximum": 5}`, 5.0, "(root)", "must be less than 5"},
		{"draft2020 prefixItems", `{"$schema": "https://json-schema.org/draft/2020-12/schema", "prefixItems": [{"type": "string"}], "items": false}`, []any{"a", "b"}, "[1]", ""},
		{"multipleOf", `{"multipleOf": 0.5}`, 1.25, "(root)", "not a multiple of 0.5"},
		{"maxLength runes", `{"maxLength": 2}`, "日本", "", ""},
		{"maximum", `{"maximum": 10}`, 11, "(root)", "11 is above the maximum 10"},
		{"yaml int", `{"type": "integer", "minimum": 1}`, uint16(0), "(root)", "0 is below the minimum 1"},
		{"false schema", `{"properties": {"a": false}}`, map[string]any{"a": 1.0}, "a", "no value is allowed"},
		{"recursive ref", `{"type": "object", "properties": {"child": {"$ref": "#"}, "n": {"type": "integer"}}}`, map[string]any{"child": map[string]any{"child": map[string]any{"n": "x"}}}, "child.child.n", "got string, want integer"},
		{"ref to definition", `{"properties": {"port": {"$ref": "#/definitions/port"}}, "definitions": {"port": {"type": "integer", "maximum": 65535}}}`, map[string]any{"port": 70000}, "port", "above the maximum 65535"},
		{"array path", `{"properties": {"ports": {"items": {"required": ["containerPort"]}}}}`, map[string]any{"ports": []any{map[string]any{"containerPort": 80}, map[string]any{}}}, "ports[1].containerPort", "is required"},
		{"type list", `{"type": ["string", "null"]}`, nil, "", ""},
		{"draft-07 format asserted", `{"format": "email"}`, "not an email", "(root)", "not valid email"},
		{"draft 2020 format annotation", `{"$schema": "https://json-schema.org/draft/2020-12/schema", "format": "email"}`, "not an email", "", ""},
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
			case tt.wantPath != "" && !strings.Contains(errs[tt.wantPath], tt.wantMsg):
				t.Errorf("Validate[%q] = %q, want %q", tt.wantPath, errs[tt.wantPath], tt.wantMsg)
			}
		})
	}
}

// TestSchemaValidDocument checks that a realistic schema accepts a document that follows it,
// and reports every problem of one that does not, each at its own path.
func TestSchemaValidDocument(t *testing.T) {
	t.Parallel()
	s, err := ParseSchema([]byte(`{
		"$schema": "http://json-schema.org/draft-07/schema#",
		"type": "object",
		"required": ["image", "replicas"],
		"properties": {
			"replicas": {"type": "integer", "minimum": 1, "maximum": 5},
			"image": {
				"type": "object",
				"required": ["repository"],
				"additionalProperties": false,
				"properties": {
					"repository": {"type": "string", "minLength": 1},
					"tag": {"type": "string", "pattern": "^[a-z0-9.]+$"}
				}
			},
			"ports": {"type": "array", "items": {"$ref": "#/definitions/port"}},
			"env": {"type": "object", "additionalProperties": {"type": "string"}}
		},
		"definitions": {"port": {"type": "integer", "minimum": 1, "maximum": 65535}}
	}`))
	if err != nil {
		t.Fatal(err)
	}
	good := map[string]any{
		"replicas": 3,
		"image":    map[string]any{"repository": "nginx", "tag": "1.27"},
		"ports":    []any{80, 443},
		"env":      map[string]any{"MODE": "prod"},
	}
	if errs := s.Validate(good); errs != nil {
		t.Fatalf("Validate(valid document) = %v", errs)
	}
	bad := map[string]any{
		"replicas": 0,
		"image":    map[string]any{"tag": "Bad Tag", "extra": 1},
		"ports":    []any{80, 70000, "http"},
		"env":      map[string]any{"N": 1},
	}
	want := map[string]string{
		"replicas":         "0 is below the minimum 1",
		"image.repository": "is required",
		"image.tag":        `"Bad Tag" does not match the pattern`,
		"image.extra":      "additionalProperties is false",
		"ports[1]":         "70000 is above the maximum 65535",
		"ports[2]":         "got string, want integer",
		"env.N":            "got number, want string",
	}
	errs := s.Validate(bad)
	for p, sub := range want {
		if !strings.Contains(errs[p], sub) {
			t.Errorf("Validate[%q] = %q, want %q", p, errs[p], sub)
		}
	}
	if len(errs) != len(want) {
		t.Errorf("got %d problems, want %d: %v", len(errs), len(want), errs)
	}
}

// TestSchemaRefusesRemoteRefs checks that a reference to another document is refused when the
// schema is parsed, with an error naming the reference, and that nothing is fetched.
func TestSchemaRefusesRemoteRefs(t *testing.T) {
	t.Parallel()
	var hits atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{"type": "string"}`)
	}))
	t.Cleanup(srv.Close)
	for name, tc := range map[string]struct{ schema, ref string }{
		"http":            {`{"$ref": "` + srv.URL + `/x.json"}`, srv.URL + "/x.json"},
		"https":           {`{"properties": {"a": {"$ref": "https://127.0.0.1:1/s.json#/definitions/a"}}}`, "https://127.0.0.1:1/s.json"},
		"file":            {`{"properties": {"a": {"$ref": "file:///etc/passwd"}}}`, "file:///etc/passwd"},
		"relative":        {`{"items": {"$ref": "other.json"}}`, "file:///other.json"},
		"custom $schema":  {`{"$schema": "` + srv.URL + `/meta.json", "type": "object"}`, srv.URL + "/meta.json"},
		"$id rebases ref": {`{"$id": "` + srv.URL + `/root.json", "properties": {"a": {"$ref": "b.json"}}}`, srv.URL + "/b.json"},
	} {
		_, err := ParseSchema([]byte(tc.schema))
		if !errors.Is(err, ErrRemoteRef) || !strings.Contains(err.Error(), tc.ref) || !strings.Contains(err.Error(), "only local references") {
			t.Errorf("%s: ParseSchema = %v, want ErrRemoteRef naming %q", name, err, tc.ref)
		}
	}
	if n := hits.Load(); n != 0 {
		t.Errorf("the schema server was asked %d times; remote references must never be fetched", n)
	}
}

func TestSchemaRefusesBadSchemas(t *testing.T) {
	t.Parallel()
	for name, tc := range map[string]struct{ schema, want string }{
		"dangling ref":  {`{"$ref": "#/definitions/nope"}`, `"#/definitions/nope" does not resolve`},
		"not a schema":  {`[1]`, "not a valid JSON schema"},
		"bad type":      {`{"type": "float"}`, "#/type"},
		"bad required":  {`{"required": "a"}`, "#/required"},
		"empty anyOf":   {`{"anyOf": []}`, "#/anyOf"},
		"bad pattern":   {`{"properties": {"a": {"pattern": "("}}}`, "#/properties/a/pattern: '(' is not valid regex"},
		"long pattern":  {`{"pattern": "` + strings.Repeat("a", maxPatternLen+1) + `"}`, "longer than"},
		"not json":      {`{`, "not valid JSON"},
		"trailing data": {`{} {}`, "not valid JSON"},
		"unknown draft": {`{"$schema": "http://json-schema.org/draft-99/schema#"}`, "draft-99"},
	} {
		_, err := ParseSchema([]byte(tc.schema))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: ParseSchema = %v, want an error containing %q", name, err, tc.want)
		}
	}
}

func TestSchemaBounds(t *testing.T) {
	t.Parallel()
	// A self-reference without progress is reported, not followed forever.
	s, err := ParseSchema([]byte(`{"$ref": "#"}`))
	if err != nil {
		t.Fatal(err)
	}
	if errs := s.Validate(1.0); !strings.Contains(errs["(root)"], "recursion") {
		t.Errorf("Validate = %v, want a recursion bound", errs)
	}
	// Each definition tries the next twice: linear text, 2^40 work. The step budget stops it
	// before the validator runs.
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
	if errs := s.Validate(true); !strings.Contains(errs["(schema)"], "too complex") {
		t.Errorf("Validate of an explosive schema = %v, want too complex", errs)
	}
	t.Logf("explosive schema refused after %v", time.Since(start))
	// The same blow-up spread over the depth of the value instead of one place.
	s, err = ParseSchema([]byte(`{"$ref": "#/definitions/n", "definitions": {"n": {"properties": {"a": {"anyOf": [{"$ref": "#/definitions/n"}, {"$ref": "#/definitions/n"}]}}}}}`))
	if err != nil {
		t.Fatal(err)
	}
	var deep any = "leaf"
	for range 40 {
		deep = map[string]any{"a": deep}
	}
	if errs := s.Validate(deep); !strings.Contains(errs["(schema)"], "too complex") {
		t.Errorf("Validate of a value deep enough to blow up = %v, want too complex", errs)
	}
	// Problems reported per validation are capped.
	s, err = ParseSchema([]byte(`{"additionalProperties": {"type": "string"}}`))
	if err != nil {
		t.Fatal(err)
	}
	many := map[string]any{}
	for i := range 3 * maxSchemaErrs {
		many[fmt.Sprint("k", i)] = i
	}
	if errs := s.Validate(many); len(errs) != maxSchemaErrs {
		t.Errorf("Validate reported %d problems, want the cap %d", len(errs), maxSchemaErrs)
	}
}
