package chart

import (
	"slices"
	"strings"
	"testing"
)

func TestSecretPaths(t *testing.T) {
	schema := []byte(`{"type": "object", "properties": {
	  "adminPassword": {"type": "string", "writeOnly": true},
	  "db": {"type": "object", "properties": {"password": {"type": "string", "format": "password"}, "user": {"type": "string"}}},
	  "replicaCount": {"type": "integer"}}}`)
	var got []string
	for _, p := range SecretPaths(schema) {
		got = append(got, strings.Join(p, "."))
	}
	slices.Sort(got)
	if !slices.Equal(got, []string{"adminPassword", "db.password"}) {
		t.Fatalf("SecretPaths = %v", got)
	}
	if SecretPaths([]byte(`not json`)) != nil || SecretPaths(nil) != nil {
		t.Fatal("a schema that does not parse has secret paths")
	}
}
