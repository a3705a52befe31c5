package chart

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Bounds that keep hostile schemas cheap.
const (
	maxRefDepth   = 64      // nested $ref expansions while validating one value
	maxPatternLen = 4096    // bytes of one regular expression
	maxSchemaErrs = 100     // problems reported per validation
	maxSteps      = 1 << 20 // subschema visits per validation (anyOf/oneOf nest multiplicatively)
)

// Schema is a parsed values.schema.json.
type Schema struct {
	root     any
	patterns map[string]*regexp.Regexp
}

// ParseSchema parses and checks a JSON schema: it must be JSON, patterns
// must compile, and every "$ref" must point inside the document.
func ParseSchema(data []byte) (*Schema, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var root any
	if err := dec.Decode(&root); err != nil {
		return nil, fmt.Errorf("not valid JSON: %w", err)
	}
	if dec.More() {
		return nil, fmt.Errorf("trailing data after the JSON value")
	}
	switch root.(type) {
	case map[string]any, bool:
	default:
		return nil, fmt.Errorf("a schema must be an object or a boolean")
	}
	s := &Schema{root: root, patterns: map[string]*regexp.Regexp{}}
	if err := s.check(root, "#", 0); err != nil {
		return nil, err
	}
	return s, nil
}

// check walks every subschema once, compiling patterns and resolving refs.
func (s *Schema) check(node any, where string, depth int) error {
	if depth > 256 {
		return fmt.Errorf("%s: schema nested too deep", where)
	}
	m, ok := node.(map[string]any)
	if !ok {
		if _, isBool := node.(bool); isBool {
			return nil
		}
		return fmt.Errorf("%s: a schema must be an object or a boolean", where)
	}
	if t, ok := m["type"]; ok {
		if err := checkType(t); err != nil {
			return fmt.Errorf("%s/type: %w", where, err)
		}
	}
	if p, ok := m["pattern"]; ok {
		ps, ok := p.(string)
		if !ok {
			return fmt.Errorf("%s/pattern: must be a string", where)
		}
		if _, err := s.compile(ps); err != nil {
			return fmt.Errorf("%s/pattern: %w", where, err)
		}
	}
	if ref, ok := m["$ref"]; ok {
		rs, ok := ref.(string)
		if !ok {
			return fmt.Errorf("%s/$ref: must be a string", where)
		}
		if _, err := s.resolve(rs); err != nil {
			return fmt.Errorf("%s/$ref: %w", where, err)
		}
	}
	for _, kw := range []string{"properties", "patternProperties", "definitions", "$defs", "dependentSchemas"} {
		sub, ok := m[kw]
		if !ok {
			continue
		}
		sm, ok := sub.(map[string]any)
		if !ok {
			return fmt.Errorf("%s/%s: must be an object", where, kw)
		}
		for k, v := range sm {
			if kw == "patternProperties" {
				if _, err := s.compile(k); err != nil {
					return fmt.Errorf("%s/%s: %w", where, kw, err)
				}
			}
			if err := s.check(v, where+"/"+kw+"/"+k, depth+1); err != nil {
				return err
			}
		}
	}
	for _, kw := range []string{"additionalProperties", "items", "additionalItems", "not", "if", "then", "else", "contains", "propertyNames"} {
		sub, ok := m[kw]
		if !ok {
			continue
		}
		if list, ok := sub.([]any); ok && kw == "items" {
			for i, v := range list {
				if err := s.check(v, fmt.Sprintf("%s/items/%d", where, i), depth+1); err != nil {
					return err
				}
			}
			continue
		}
		if err := s.check(sub, where+"/"+kw, depth+1); err != nil {
			return err
		}
	}
	for _, kw := range []string{"allOf", "anyOf", "oneOf", "prefixItems"} {
		sub, ok := m[kw]
		if !ok {
			continue
		}
		list, ok := sub.([]any)
		if !ok || (len(list) == 0 && kw != "prefixItems") {
			return fmt.Errorf("%s/%s: must be a non-empty array", where, kw)
		}
		for i, v := range list {
			if err := s.check(v, fmt.Sprintf("%s/%s/%d", where, kw, i), depth+1); err != nil {
				return err
			}
		}
	}
	if r, ok := m["required"]; ok {
		list, ok := r.([]any)
		if !ok {
			if _, draft3 := r.(bool); draft3 {
				return nil
			}
			return fmt.Errorf("%s/required: must be an array of strings", where)
		}
		for _, e := range list {
			if _, ok := e.(string); !ok {
				return fmt.Errorf("%s/required: must be an array of strings", where)
			}
		}
	}
	return nil
}

func checkType(t any) error {
	names := []any{t}
	if list, ok := t.([]any); ok {
		names = list
	}
	for _, n := range names {
		switch n {
		case "object", "array", "string", "number", "integer", "boolean", "null":
		default:
			return fmt.Errorf("unknown type %v", n)
		}
	}
	return nil
}

func (s *Schema) compile(pattern string) (*regexp.Regexp, error) {
	if re, ok := s.patterns[pattern]; ok {
		return re, nil
	}
	if len(pattern) > maxPatternLen {
		return nil, fmt.Errorf("pattern longer than %d bytes", maxPatternLen)
	}
	re, err := regexp.Compile(pattern)
	if err != nil {
		return nil, err
	}
	s.patterns[pattern] = re
	return re, nil
}

// resolve follows a local reference "#" or "#/a/b" (JSON pointer).
func (s *Schema) resolve(ref string) (any, error) {
	if ref != "#" && !strings.HasPrefix(ref, "#/") {
		return nil, fmt.Errorf("only local references (#/...) are allowed, not %q", ref)
	}
	node := s.root
	if ref == "#" {
		return node, nil
	}
	for _, tok := range strings.Split(ref[2:], "/") {
		tok = strings.ReplaceAll(strings.ReplaceAll(tok, "~1", "/"), "~0", "~")
		switch n := node.(type) {
		case map[string]any:
			v, ok := n[tok]
			if !ok {
				return nil, fmt.Errorf("%q does not resolve", ref)
			}
			node = v
		case []any:
			i, err := strconv.Atoi(tok)
			if err != nil || i < 0 || i >= len(n) {
				return nil, fmt.Errorf("%q does not resolve", ref)
			}
			node = n[i]
		default:
			return nil, fmt.Errorf("%q does not resolve", ref)
		}
	}
	return node, nil
}

// Validate checks a value (decoded from YAML or JSON) against the schema and
// returns each problem by path, or nil.
func (s *Schema) Validate(v any) map[string]string {
	vs := &validation{s: s, errs: map[string]string{}, steps: new(int)}
	vs.validate(s.root, normalize(v), "", 0)
	if len(vs.errs) == 0 {
		return nil
	}
	return vs.errs
}

type validation struct {
	s     *Schema
	errs  map[string]string
	steps *int // shared with nested validations
}

func (vs *validation) fail(path, format string, args ...any) {
	if path == "" {
		path = "(root)"
	}
	if len(vs.errs) >= maxSchemaErrs {
		return
	}
	msg := fmt.Sprintf(format, args...)
	if old, ok := vs.errs[path]; ok {
		if !strings.Contains(old, msg) {
			vs.errs[path] = old + "; " + msg
		}
		return
	}
	vs.errs[path] = msg
}

// valid reports whether v satisfies node, without recording problems.
func (vs *validation) valid(node, v any, path string, depth int) bool {
	sub := &validation{s: vs.s, errs: map[string]string{}, steps: vs.steps}
	sub.validate(node, v, path, depth)
	return len(sub.errs) == 0
}

func (vs *validation) validate(node, v any, path string, depth int) {
	*vs.steps++
	if *vs.steps > maxSteps {
		vs.fail("(schema)", "too complex: more than %d checks", maxSteps)
		return
	}
	if depth > maxRefDepth {
		vs.fail(path, "schema recursion deeper than %d", maxRefDepth)
		return
	}
	switch n := node.(type) {
	case bool:
		if !n {
			vs.fail(path, "no value is allowed here")
		}
		return
	case map[string]any:
		vs.object(n, v, path, depth)
	}
}

func (vs *validation) object(m map[string]any, v any, path string, depth int) {
	if ref, ok := m["$ref"].(string); ok {
		target, err := vs.s.resolve(ref)
		if err != nil {
			vs.fail(path, "%s", err)
			return
		}
		vs.validate(target, v, path, depth+1)
	}
	if t, ok := m["type"]; ok && !typeMatches(t, v) {
		vs.fail(path, "got %s, want %s", typeName(v), typeText(t))
		return
	}
	if e, ok := m["enum"].([]any); ok {
		if !slices.ContainsFunc(e, func(x any) bool { return equal(normalize(x), v) }) {
			vs.fail(path, "%s is not one of the allowed values", short(v))
		}
	}
	if c, ok := m["const"]; ok && !equal(normalize(c), v) {
		vs.fail(path, "%s is not the allowed value %s", short(v), short(normalize(c)))
	}
	switch x := v.(type) {
	case float64:
		vs.number(m, x, path)
	case string:
		vs.str(m, x, path)
	case []any:
		vs.array(m, x, path, depth)
	case map[string]any:
		vs.props(m, x, path, depth)
	}
	for _, kw := range []string{"allOf", "anyOf", "oneOf"} {
		list, ok := m[kw].([]any)
		if !ok {
			continue
		}
		matches := 0
		for _, sub := range list {
			if kw == "allOf" {
				vs.validate(sub, v, path, depth+1)
			} else if vs.valid(sub, v, path, depth+1) {
				matches++
			}
		}
		switch {
		case kw == "anyOf" && matches == 0:
			vs.fail(path, "matches none of the anyOf schemas")
		case kw == "oneOf" && matches != 1:
			vs.fail(path, "matches %d of the oneOf schemas, want exactly 1", matches)
		}
	}
	if not, ok := m["not"]; ok && vs.valid(not, v, path, depth+1) {
		vs.fail(path, "must not match the \"not\" schema")
	}
	if cond, ok := m["if"]; ok {
		if vs.valid(cond, v, path, depth+1) {
			if then, ok := m["then"]; ok {
				vs.validate(then, v, path, depth+1)
			}
		} else if els, ok := m["else"]; ok {
			vs.validate(els, v, path, depth+1)
		}
	}
}

func (vs *validation) number(m map[string]any, x float64, path string) {
	if f, ok := num(m["minimum"]); ok {
		if excl, _ := m["exclusiveMinimum"].(bool); excl && x <= f {
			vs.fail(path, "%v must be greater than %v", x, f)
		} else if x < f {
			vs.fail(path, "%v is below the minimum %v", x, f)
		}
	}
	if f, ok := num(m["maximum"]); ok {
		if excl, _ := m["exclusiveMaximum"].(bool); excl && x >= f {
			vs.fail(path, "%v must be less than %v", x, f)
		} else if x > f {
			vs.fail(path, "%v is above the maximum %v", x, f)
		}
	}
	if f, ok := num(m["exclusiveMinimum"]); ok && x <= f {
		vs.fail(path, "%v must be greater than %v", x, f)
	}
	if f, ok := num(m["exclusiveMaximum"]); ok && x >= f {
		vs.fail(path, "%v must be less than %v", x, f)
	}
	if f, ok := num(m["multipleOf"]); ok && f > 0 {
		q := x / f
		if math.Abs(q-math.Round(q)) > 1e-9 {
			vs.fail(path, "%v is not a multiple of %v", x, f)
		}
	}
}

func (vs *validation) str(m map[string]any, x string, path string) {
	n := float64(utf8.RuneCountInString(x))
	if f, ok := num(m["minLength"]); ok && n < f {
		vs.fail(path, "shorter than %v characters", f)
	}
	if f, ok := num(m["maxLength"]); ok && n > f {
		vs.fail(path, "longer than %v characters", f)
	}
	if p, ok := m["pattern"].(string); ok {
		if re, err := vs.s.compile(p); err == nil && !re.MatchString(x) {
			vs.fail(path, "%s does not match the pattern %q", short(x), p)
		}
	}
}

func (vs *validation) array(m map[string]any, x []any, path string, depth int) {
	n := float64(len(x))
	if f, ok := num(m["minItems"]); ok && n < f {
		vs.fail(path, "has %d items, want at least %v", len(x), f)
	}
	if f, ok := num(m["maxItems"]); ok && n > f {
		vs.fail(path, "has %d items, want at most %v", len(x), f)
	}
	if u, _ := m["uniqueItems"].(bool); u {
		for i := range x {
			for j := range i {
				if equal(x[i], x[j]) {
					vs.fail(fmt.Sprintf("%s[%d]", path, i), "duplicates item %d", j)
				}
			}
		}
	}
	tuple, isTuple := m["items"].([]any)
	if prefix, ok := m["prefixItems"].([]any); ok {
		tuple, isTuple = prefix, true
	}
	for i, e := range x {
		p := fmt.Sprintf("%s[%d]", path, i)
		switch {
		case isTuple && i < len(tuple):
			vs.validate(tuple[i], e, p, depth+1)
		case isTuple:
			rest, ok := m["additionalItems"]
			if _, modern := m["prefixItems"]; modern {
				rest, ok = m["items"]
			}
			if ok {
				vs.validate(rest, e, p, depth+1)
			}
		default:
			if items, ok := m["items"]; ok {
				vs.validate(items, e, p, depth+1)
			}
		}
	}
	if c, ok := m["contains"]; ok && !slices.ContainsFunc(x, func(e any) bool { return vs.valid(c, e, path, depth+1) }) {
		vs.fail(path, "contains no matching item")
	}
}

func (vs *validation) props(m map[string]any, x map[string]any, path string, depth int) {
	join := func(k string) string {
		if path == "" {
			return k
		}
		return path + "." + k
	}
	if req, ok := m["required"].([]any); ok {
		for _, r := range req {
			if k, ok := r.(string); ok {
				if _, has := x[k]; !has {
					vs.fail(join(k), "is required")
				}
			}
		}
	}
	n := float64(len(x))
	if f, ok := num(m["minProperties"]); ok && n < f {
		vs.fail(path, "has %d properties, want at least %v", len(x), f)
	}
	if f, ok := num(m["maxProperties"]); ok && n > f {
		vs.fail(path, "has %d properties, want at most %v", len(x), f)
	}
	props, _ := m["properties"].(map[string]any)
	patterns, _ := m["patternProperties"].(map[string]any)
	additional, hasAdditional := m["additionalProperties"]
	names, hasNames := m["propertyNames"]
	for _, k := range sortedKeys(x) {
		e := x[k]
		if hasNames && !vs.valid(names, k, join(k), depth+1) {
			vs.fail(join(k), "property name is not allowed")
		}
		matched := false
		if sub, ok := props[k]; ok {
			matched = true
			vs.validate(sub, e, join(k), depth+1)
		}
		for pat, sub := range patterns {
			if re, err := vs.s.compile(pat); err == nil && re.MatchString(k) {
				matched = true
				vs.validate(sub, e, join(k), depth+1)
			}
		}
		if !matched && hasAdditional {
			if b, ok := additional.(bool); ok && !b {
				vs.fail(join(k), "is not allowed (additionalProperties is false)")
				continue
			}
			vs.validate(additional, e, join(k), depth+1)
		}
	}
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// normalize turns a value from YAML or JSON decoding into JSON's types:
// numbers become float64, maps map[string]any, slices []any.
func normalize(v any) any {
	switch x := v.(type) {
	case json.Number:
		f, _ := x.Float64()
		return f
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
	case nil, bool, string, float64:
		return x
	}
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return float64(rv.Int())
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return float64(rv.Uint())
	case reflect.Float32:
		return rv.Float()
	case reflect.Slice:
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

func num(v any) (float64, bool) {
	switch n := v.(type) {
	case json.Number:
		f, err := n.Float64()
		return f, err == nil
	case float64:
		return n, true
	}
	return 0, false
}

func typeMatches(t, v any) bool {
	names := []any{t}
	if list, ok := t.([]any); ok {
		names = list
	}
	for _, n := range names {
		switch n {
		case "integer":
			if f, ok := v.(float64); ok && f == math.Trunc(f) {
				return true
			}
		case "number":
			if _, ok := v.(float64); ok {
				return true
			}
		default:
			if n == typeName(v) {
				return true
			}
		}
	}
	return false
}

func typeName(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case bool:
		return "boolean"
	case string:
		return "string"
	case float64:
		return "number"
	case []any:
		return "array"
	case map[string]any:
		return "object"
	}
	return fmt.Sprintf("%T", v)
}

func typeText(t any) string {
	if list, ok := t.([]any); ok {
		parts := make([]string, len(list))
		for i, e := range list {
			parts[i] = fmt.Sprint(e)
		}
		return strings.Join(parts, " or ")
	}
	return fmt.Sprint(t)
}

func equal(a, b any) bool { return reflect.DeepEqual(a, b) }

func short(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	if len(b) > 60 {
		return string(b[:60]) + "..."
	}
	return string(b)
}
