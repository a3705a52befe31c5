package control

import (
	"encoding/json"
	"reflect"
	"testing"

	"github.com/pitrix/pitrix/actors/fault"
)

func TestConfObject(t *testing.T) {
	cases := []struct {
		name string
		raw  string
		want map[string]any
		bad  bool
	}{
		{"absent", ``, map[string]any{}, false},
		{"null", `null`, map[string]any{}, false},
		{"object", `{"replicas": 2, "image": {"tag": "1.27"}}`, map[string]any{"replicas": 2.0, "image": map[string]any{"tag": "1.27"}}, false},
		{"yaml string", `"replicas: 3\nimage:\n  tag: \"1.28\"\n"`, map[string]any{"replicas": 3.0, "image": map[string]any{"tag": "1.28"}}, false},
		{"empty yaml", `""`, map[string]any{}, false},
		{"array", `[1, 2]`, nil, true},
		{"number", `3`, nil, true},
		{"bad yaml", `"a: [1"`, nil, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := confObject(json.RawMessage(c.raw))
			if c.bad {
				if fault.Code(err) != fault.CodeInvalid {
					t.Fatalf("confObject(%s) = %v, %v; want invalid_argument", c.raw, got, err)
				}
				return
			}
			if err != nil || !reflect.DeepEqual(got, c.want) {
				t.Fatalf("confObject(%s) = %v, %v; want %v", c.raw, got, err, c.want)
			}
		})
	}
}

func TestMergeValues(t *testing.T) {
	base := map[string]any{"replicas": 2.0, "image": map[string]any{"repo": "nginx", "tag": "1.27"}, "debug": true}
	over := map[string]any{"image": map[string]any{"tag": "1.28"}, "debug": nil, "extra": "x"}
	want := map[string]any{"replicas": 2.0, "image": map[string]any{"repo": "nginx", "tag": "1.28"}, "extra": "x"}
	if got := mergeValues(base, over); !reflect.DeepEqual(got, want) {
		t.Fatalf("mergeValues = %v, want %v", got, want)
	}
	if base["debug"] != true || base["image"].(map[string]any)["tag"] != "1.27" {
		t.Fatalf("mergeValues changed its base: %v", base)
	}
}
