package chart

import (
	"encoding/json"
	"fmt"
	"maps"
	"reflect"

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

// normalize turns a value from YAML or JSON decoding into the types the validator knows:
// maps become map[string]any and slices []any; numbers keep their Go type (the validator
// compares them exactly) unless it is a named type, which becomes int64, uint64 or float64.
func normalize(v any) any {
	switch x := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = normalize(e)
		}
		return out
	case map[any]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[fmt.Sprint(k)] = normalize(e)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = normalize(e)
		}
		return out
	case nil, bool, string, json.Number, float64, float32,
		int, int8, int16, int32, int64, uint, uint8, uint16, uint32, uint64:
		return x
	}
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Bool:
		return rv.Bool()
	case reflect.String:
		return rv.String()
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return rv.Int()
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return rv.Uint()
	case reflect.Float32, reflect.Float64:
		return rv.Float()
	case reflect.Slice, reflect.Array:
		out := make([]any, rv.Len())
		for i := range out {
			out[i] = normalize(rv.Index(i).Interface())
		}
		return out
	case reflect.Map:
		out := make(map[string]any, rv.Len())
		for it := rv.MapRange(); it.Next(); {
			out[fmt.Sprint(it.Key().Interface())] = normalize(it.Value().Interface())
		}
		return out
	}
	return fmt.Sprint(v)
}

// typeName is the JSON type of a normalized value, for messages.
func typeName(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case bool:
		return "boolean"
	case string:
		return "string"
	case []any:
		return "array"
	case map[string]any:
		return "object"
	case json.Number, float64, float32, int, int8, int16, int32, int64, uint, uint8, uint16, uint32, uint64:
		return "number"
	}
	return fmt.Sprintf("%T", v)
}
