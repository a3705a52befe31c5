package spec

import (
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
)

func TestDefaults(t *testing.T) {
	t.Parallel()
	p := mustLoad(t, readPackage(t, "minimal"))
	want := map[string]any{
		"cluster": map[string]any{"name": "hello", "node": map[string]any{"count": int64(1)}},
		"env":     map[string]any{"greeting": "hello"},
	}
	if got := p.Defaults(); !reflect.DeepEqual(got, want) {
		t.Errorf("Defaults = %#v, want %#v", got, want)
	}
}

const mergeConfig = `[
  {"key": "cluster", "type": "array", "properties": [
    {"key": "name", "type": "string", "default": "c"},
    {"key": "vxnet", "type": "string", "required": "yes"},
    {"key": "db", "type": "array", "properties": [
      {"key": "count", "type": "integer", "default": 3, "min": 1, "max": 9, "step": 2},
      {"key": "cpu", "type": "integer", "default": 1, "range": [1, 2, 4]},
      {"key": "ratio", "type": "number", "default": 0.5, "min": 0, "max": 1}
    ]}
  ]},
  {"key": "env", "type": "array", "properties": [
    {"key": "hash-max-ziplist-entries", "type": "integer", "default": 512},
    {"key": "log.level", "type": "string", "default": "info", "range": ["debug", "info", "warn"]},
    {"key": "modules", "type": "string", "multichoice": true, "separator": ",", "range": ["a", "b", "c"]},
    {"key": "token", "type": "password", "pattern": "^[a-z]{4,}$"},
    {"key": "aof", "type": "boolean", "default": "false"}
  ]}
]`

func mergePackage(t *testing.T) *Package {
	t.Helper()
	cfg, err := ParseConfig([]byte(mergeConfig))
	if err != nil {
		t.Fatalf("ParseConfig: %v", err)
	}
	return &Package{Config: cfg}
}

// conf decodes JSON as the HTTP layer does, so numbers arrive as float64.
func conf(t *testing.T, s string) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(s), &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func TestMergeAccepts(t *testing.T) {
	t.Parallel()
	p := mergePackage(t)
	tests := []struct {
		name string
		conf string
		path string
		want any
	}{
		{name: "default integer", conf: `{"cluster": {"vxnet": "v"}}`, path: "cluster.db.count", want: int64(3)},
		{name: "override integer from float64", conf: `{"cluster": {"vxnet": "v", "db": {"count": 7}}}`, path: "cluster.db.count", want: int64(7)},
		{name: "subnet alias fills vxnet", conf: `{"cluster": {"subnet": "sn-1"}}`, path: "cluster.vxnet", want: "sn-1"},
		{name: "number", conf: `{"cluster": {"vxnet": "v", "db": {"ratio": 0.25}}}`, path: "cluster.db.ratio", want: 0.25},
		{name: "dashed key", conf: `{"cluster": {"vxnet": "v"}, "env": {"hash-max-ziplist-entries": 64}}`, path: "env.hash-max-ziplist-entries", want: int64(64)},
		{name: "dotted key", conf: `{"cluster": {"vxnet": "v"}, "env": {"log.level": "warn"}}`, path: "env.log.level", want: "warn"},
		{name: "multichoice list joined", conf: `{"cluster": {"vxnet": "v"}, "env": {"modules": ["a", "c"]}}`, path: "env.modules", want: "a,c"},
		{name: "multichoice string", conf: `{"cluster": {"vxnet": "v"}, "env": {"modules": "b,c"}}`, path: "env.modules", want: "b,c"},
		{name: "boolean default from string", conf: `{"cluster": {"vxnet": "v"}}`, path: "env.aof", want: false},
		{name: "null keeps default", conf: `{"cluster": {"vxnet": "v", "name": null}}`, path: "cluster.name", want: "c"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			values, err := p.Merge(conf(t, tt.conf))
			if err != nil {
				t.Fatalf("Merge: %v", err)
			}
			got, ok := resolve(values, tt.path)
			if !ok || got != tt.want {
				t.Errorf("%s = %#v (found %v), want %#v", tt.path, got, ok, tt.want)
			}
		})
	}
}

func TestMergeRejectsEveryBadKeyAtOnce(t *testing.T) {
	t.Parallel()
	p := mergePackage(t)
	_, err := p.Merge(conf(t, `{
		"cluster": {"db": {"count": 4, "cpu": 3, "ratio": "high", "disk": 1}, "name": 5},
		"env": {"log.level": "trace", "modules": "a,x", "token": "AB", "aof": "maybe", "hash-max-ziplist-entries": 1.5},
		"extra": {}
	}`))
	var ce *ConfError
	if !errors.As(err, &ce) || !errors.Is(err, ErrInvalidConf) {
		t.Fatalf("Merge = %v, want *ConfError", err)
	}
	want := map[string]string{
		"cluster.vxnet":                "is required",
		"cluster.db.count":             "4 is not a multiple of the step 2 from 1",
		"cluster.db.cpu":               "3 is not one of [1, 2, 4]",
		"cluster.db.ratio":             `want a number, got string "high"`,
		"cluster.db.disk":              "unknown key",
		"cluster.name":                 "want a string, got number 5",
		"env.log.level":                `"trace" is not one of ["debug", "info", "warn"]`,
		"env.modules":                  `"x" is not one of`,
		"env.token":                    `does not match the pattern "^[a-z]{4,}$"`,
		"env.aof":                      `want a boolean, got string "maybe"`,
		"env.hash-max-ziplist-entries": "want an integer, got 1.5",
		"extra":                        "unknown key",
	}
	for k, msg := range want {
		if got := ce.Fields[k]; got != msg && !contains(got, msg) {
			t.Errorf("Fields[%q] = %q, want %q", k, got, msg)
		}
	}
	if len(ce.Fields) != len(want) {
		t.Errorf("got %d bad keys, want %d: %v", len(ce.Fields), len(want), ce.Fields)
	}
}

func TestMergeLimits(t *testing.T) {
	t.Parallel()
	p := mergePackage(t)
	tests := []struct {
		name, conf, key, msg string
	}{
		{"below min", `{"cluster": {"vxnet": "v", "db": {"count": -1}}}`, "cluster.db.count", "-1 is below the minimum 1"},
		{"above max", `{"cluster": {"vxnet": "v", "db": {"count": 11}}}`, "cluster.db.count", "11 is above the maximum 9"},
		{"group not object", `{"cluster": "x"}`, "cluster", `want an object, got string "x"`},
		{"both subnet and vxnet", `{"cluster": {"vxnet": "v", "subnet": "w"}}`, "cluster.subnet", "give only one of"},
		{"empty required", `{"cluster": {"vxnet": ""}}`, "cluster.vxnet", "is required"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := p.Merge(conf(t, tt.conf))
			var ce *ConfError
			if !errors.As(err, &ce) || !contains(ce.Fields[tt.key], tt.msg) {
				t.Errorf("Merge = %v, want %s: %s", err, tt.key, tt.msg)
			}
		})
	}
}

func contains(s, sub string) bool { return sub != "" && strings.Contains(s, sub) }

// TestKnown: a conf carried to another version keeps what that version knows (through groups,
// and subnet given as vxnet) and drops the rest, values untouched.
func TestKnown(t *testing.T) {
	t.Parallel()
	p := mustLoad(t, readPackage(t, "minimal"))
	conf := map[string]any{
		"cluster": map[string]any{"name": "x", "node": map[string]any{"count": 2, "gone": 1}, "proxy": map[string]any{"count": 1}},
		"env":     map[string]any{"greeting": 7, "dropped": "y"},
		"extra":   true,
	}
	want := map[string]any{
		"cluster": map[string]any{"name": "x", "node": map[string]any{"count": 2}},
		"env":     map[string]any{"greeting": 7},
	}
	if got := p.Known(conf); !reflect.DeepEqual(got, want) {
		t.Errorf("Known = %#v, want %#v", got, want)
	}
	if got := p.Known(nil); len(got) != 0 {
		t.Errorf("Known(nil) = %#v", got)
	}
}
