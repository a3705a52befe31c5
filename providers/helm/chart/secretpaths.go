package chart

import "encoding/json"

// maxSecretDepth bounds how deep SecretPaths walks nested "properties".
const maxSecretDepth = 16

// SecretPaths returns the value paths (keys from the top) that a values.schema.json marks as
// secret: a property with "writeOnly": true or "format": "password". Only nested "properties"
// are followed ("$ref", combinators and array items are not). A schema that does not parse has
// none.
func SecretPaths(schema []byte) [][]string {
	var root map[string]any
	if len(schema) == 0 || json.Unmarshal(schema, &root) != nil {
		return nil
	}
	var out [][]string
	var walk func(node map[string]any, prefix []string)
	walk = func(node map[string]any, prefix []string) {
		if len(prefix) >= maxSecretDepth {
			return
		}
		props, _ := node["properties"].(map[string]any)
		for key, v := range props {
			child, ok := v.(map[string]any)
			if !ok {
				continue
			}
			path := append(append([]string{}, prefix...), key)
			if wo, _ := child["writeOnly"].(bool); wo || child["format"] == "password" {
				out = append(out, path)
				continue
			}
			walk(child, path)
		}
	}
	walk(root, nil)
	return out
}
