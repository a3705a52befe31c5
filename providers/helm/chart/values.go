package chart

import (
	"fmt"
	"maps"

	"helm.sh/helm/v3/pkg/chart"
)

// ValidateValues checks user values against the chart's values.schema.json
// and, for each subchart with a schema, its part of the values (under the
// subchart's name), as Helm does at install. The user's values are first
// laid over the chart's defaults (values.yaml), a null removing a default,
// so a schema's required keys may be satisfied by defaults. A chart without
// a schema accepts any values. Problems come back as one *ValuesError with
// a path each; a subchart's paths start with its name.
func ValidateValues(ch *chart.Chart, values map[string]any) error {
	errs := map[string]string{}
	validateChart(ch, values, "", errs, 0)
	if len(errs) > 0 {
		return &ValuesError{Paths: errs}
	}
	return nil
}

func validateChart(ch *chart.Chart, user map[string]any, prefix string, errs map[string]string, depth int) {
	if ch == nil || depth > maxSubchartDepth {
		return
	}
	merged := coalesce(ch.Values, user)
	if len(ch.Schema) > 0 {
		s, err := ParseSchema(ch.Schema)
		if err != nil {
			errs[prefix+"(schema)"] = fmt.Sprintf("values.schema.json: %s", err)
		} else {
			for p, msg := range s.Validate(merged) {
				if prefix != "" && p == "(root)" {
					errs[prefix[:len(prefix)-1]] = msg
					continue
				}
				errs[prefix+p] = msg
			}
		}
	}
	for _, sub := range ch.Dependencies() {
		raw, ok := merged[sub.Name()]
		if !ok || raw == nil {
			validateChart(sub, nil, prefix+sub.Name()+".", errs, depth+1)
			continue
		}
		m, ok := raw.(map[string]any)
		if !ok {
			errs[prefix+sub.Name()] = fmt.Sprintf("got %s, want an object for subchart %q", typeName(normalize(raw)), sub.Name())
			continue
		}
		validateChart(sub, m, prefix+sub.Name()+".", errs, depth+1)
	}
}

// coalesce lays over on top of base: maps merge key by key, a nil in over
// deletes the key, anything else replaces. Neither input is modified.
func coalesce(base, over map[string]any) map[string]any {
	out := maps.Clone(base)
	if out == nil {
		out = map[string]any{}
	}
	for k, v := range over {
		if v == nil {
			delete(out, k)
			continue
		}
		bm, bok := out[k].(map[string]any)
		om, ook := v.(map[string]any)
		if bok && ook {
			out[k] = coalesce(bm, om)
			continue
		}
		out[k] = v
	}
	return out
}
