package chart

import (
	"errors"
	"strings"
	"testing"
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
