package spec

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
)

// Item types of config.json.
const (
	TypeGroup    = "array" // a group of items, in Properties
	TypeString   = "string"
	TypeInteger  = "integer"
	TypeNumber   = "number"
	TypeBoolean  = "boolean"
	TypePassword = "password"
)

const (
	maxConfigDepth = 16
	maxPatternLen  = 1024
)

var keyRE = regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$`)

// ConfigTree is config.json: the deploy form's items.
type ConfigTree struct {
	Items []*Item
}

// Item is one entry of config.json: a group (Type "array", with Properties)
// or a leaf with a type and constraints. Default and Range values are of the
// item's Go type: string for string and password, int64 for integer, float64
// for number, bool for boolean.
type Item struct {
	Key         string
	Label       string
	Description string
	Type        string
	Default     any // nil when the item has no default
	Required    bool
	Range       []any
	Min         *float64
	Max         *float64
	Step        *float64
	Pattern     string
	Changeable  bool
	Multichoice bool
	Separator   string // multichoice separator, "," by default
	Properties  []*Item

	re *regexp.Regexp
}

// rawItem is an item as written; loose fields are decoded by hand because
// AppCenter packages write them in several ways ("yes"/true, "1"/1).
type rawItem struct {
	Key         string            `json:"key"`
	Label       json.RawMessage   `json:"label"`
	Description json.RawMessage   `json:"description"`
	Type        string            `json:"type"`
	Default     json.RawMessage   `json:"default"`
	Required    json.RawMessage   `json:"required"`
	Range       []json.RawMessage `json:"range"`
	Min         json.RawMessage   `json:"min"`
	Max         json.RawMessage   `json:"max"`
	Step        json.RawMessage   `json:"step"`
	Pattern     string            `json:"pattern"`
	Changeable  json.RawMessage   `json:"changeable"`
	Multichoice json.RawMessage   `json:"multichoice"`
	Separator   string            `json:"separator"`
	Properties  []rawItem         `json:"properties"`
}

// ParseConfig parses config.json and checks every item. The top may be an
// object {"type": "array", "properties": [...]} (AppCenter's form) or a bare
// array of items. All problems are returned at once, each prefixed with the
// item's dotted key.
func ParseConfig(data []byte) (*ConfigTree, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var items []rawItem
	trimmed := bytes.TrimLeft(data, " \t\r\n")
	if len(trimmed) > 0 && trimmed[0] == '[' {
		if err := dec.Decode(&items); err != nil {
			return nil, fmt.Errorf("not valid JSON: %w", jsonErr(data, err))
		}
	} else {
		var top rawItem
		if err := dec.Decode(&top); err != nil {
			return nil, fmt.Errorf("not valid JSON: %w", jsonErr(data, err))
		}
		if top.Type != "" && top.Type != TypeGroup {
			return nil, fmt.Errorf(`top-level type must be "array", not %q`, top.Type)
		}
		items = top.Properties
	}
	if dec.More() {
		return nil, fmt.Errorf("trailing data after the JSON value")
	}
	if len(items) == 0 {
		return nil, fmt.Errorf("no items")
	}
	var errs []string
	t := &ConfigTree{Items: parseItems(items, "", 1, &errs)}
	if len(errs) > 0 {
		return t, fmt.Errorf("%s", strings.Join(errs, "; "))
	}
	return t, nil
}

func parseItems(raws []rawItem, prefix string, depth int, errs *[]string) []*Item {
	seen := map[string]bool{}
	out := make([]*Item, 0, len(raws))
	for i := range raws {
		r := &raws[i]
		where := prefix + r.Key
		if r.Key == "" {
			where = fmt.Sprintf("%s[%d]", strings.TrimSuffix(prefix, "."), i)
			if prefix == "" {
				where = fmt.Sprintf("item %d", i)
			}
		}
		fail := func(format string, args ...any) {
			*errs = append(*errs, where+": "+fmt.Sprintf(format, args...))
		}
		if !keyRE.MatchString(r.Key) {
			fail("key %q must be letters, digits, '_', '-' or '.' (at most 128)", r.Key)
			continue
		}
		if seen[r.Key] {
			fail("duplicate key")
			continue
		}
		seen[r.Key] = true
		it, err := parseItem(r, where, depth, errs)
		if err != nil {
			fail("%s", err)
			continue
		}
		out = append(out, it)
	}
	return out
}

func parseItem(r *rawItem, where string, depth int, errs *[]string) (*Item, error) {
	it := &Item{Key: r.Key, Type: r.Type, Pattern: r.Pattern, Separator: r.Separator}
	it.Label = looseText(r.Label)
	it.Description = looseText(r.Description)
	var err error
	if it.Required, err = looseBool(r.Required, false); err != nil {
		return nil, fmt.Errorf("required: %w", err)
	}
	if it.Changeable, err = looseBool(r.Changeable, true); err != nil {
		return nil, fmt.Errorf("changeable: %w", err)
	}
	if it.Multichoice, err = looseBool(r.Multichoice, false); err != nil {
		return nil, fmt.Errorf("multichoice: %w", err)
	}
	switch it.Type {
	case TypeGroup:
		if depth >= maxConfigDepth {
			return nil, fmt.Errorf("groups nested deeper than %d", maxConfigDepth)
		}
		if len(r.Properties) == 0 {
			return nil, fmt.Errorf("group has no properties")
		}
		it.Properties = parseItems(r.Properties, where+".", depth+1, errs)
		return it, nil
	case TypeString, TypePassword, TypeInteger, TypeNumber, TypeBoolean:
	case "":
		return nil, fmt.Errorf("type is required")
	default:
		return nil, fmt.Errorf("unknown type %q (want array, string, password, integer, number or boolean)", it.Type)
	}
	if len(r.Properties) > 0 {
		return nil, fmt.Errorf("only groups (type array) have properties")
	}
	if it.Separator == "" {
		it.Separator = ","
	}
	if it.Min, err = looseNumber(r.Min); err != nil {
		return nil, fmt.Errorf("min: %w", err)
	}
	if it.Max, err = looseNumber(r.Max); err != nil {
		return nil, fmt.Errorf("max: %w", err)
	}
	if it.Step, err = looseNumber(r.Step); err != nil {
		return nil, fmt.Errorf("step: %w", err)
	}
	if it.Step != nil && *it.Step <= 0 {
		return nil, fmt.Errorf("step must be positive")
	}
	if it.Min != nil && it.Max != nil && *it.Min > *it.Max {
		return nil, fmt.Errorf("min %v is above max %v", *it.Min, *it.Max)
	}
	if it.Pattern != "" {
		if len(it.Pattern) > maxPatternLen {
			return nil, fmt.Errorf("pattern longer than %d", maxPatternLen)
		}
		if it.re, err = regexp.Compile(it.Pattern); err != nil {
			return nil, fmt.Errorf("pattern: %w", err)
		}
	}
	for i, raw := range r.Range {
		v, err := it.coerce(decodeLoose(raw))
		if err != nil {
			return nil, fmt.Errorf("range[%d]: %w", i, err)
		}
		it.Range = append(it.Range, v)
	}
	if len(r.Default) > 0 && string(r.Default) != "null" {
		v, err := it.coerce(decodeLoose(r.Default))
		if err != nil {
			return nil, fmt.Errorf("default: %w", err)
		}
		it.Default = v
		// An empty default of an optional item means "no value" in
		// AppCenter's forms; only check real values.
		if !(v == "" && !it.Required) {
			if err := it.check(v); err != nil {
				return nil, fmt.Errorf("default: %w", err)
			}
		}
	}
	return it, nil
}

// Leaf reports whether the item holds a value rather than a group.
func (it *Item) Leaf() bool { return it.Type != TypeGroup }

// coerce converts a decoded JSON value (or a value from a YAML or Go caller)
// to the item's Go type, refusing values of another type.
func (it *Item) coerce(v any) (any, error) {
	switch it.Type {
	case TypeString, TypePassword:
		if s, ok := v.(string); ok {
			return s, nil
		}
		if it.Multichoice {
			if list, ok := v.([]any); ok {
				parts := make([]string, len(list))
				for i, e := range list {
					s, ok := e.(string)
					if !ok {
						return nil, fmt.Errorf("want a list of strings, got %s", describe(e))
					}
					parts[i] = s
				}
				return strings.Join(parts, it.Separator), nil
			}
		}
		return nil, fmt.Errorf("want a string, got %s", describe(v))
	case TypeInteger:
		f, ok := toFloat(v)
		if !ok {
			return nil, fmt.Errorf("want an integer, got %s", describe(v))
		}
		if n, ok := v.(json.Number); ok {
			if i, err := n.Int64(); err == nil {
				return i, nil
			}
		}
		if f != math.Trunc(f) || math.Abs(f) > 1<<53 {
			return nil, fmt.Errorf("want an integer, got %v", f)
		}
		return int64(f), nil
	case TypeNumber:
		f, ok := toFloat(v)
		if !ok {
			return nil, fmt.Errorf("want a number, got %s", describe(v))
		}
		return f, nil
	case TypeBoolean:
		switch b := v.(type) {
		case bool:
			return b, nil
		case string:
			if b == "true" || b == "false" {
				return b == "true", nil
			}
		}
		return nil, fmt.Errorf("want a boolean, got %s", describe(v))
	}
	return nil, fmt.Errorf("%q is a group, want an object", it.Key)
}

// check applies range, min, max, step and pattern to a coerced value.
func (it *Item) check(v any) error {
	if len(it.Range) > 0 {
		if s, ok := v.(string); ok && it.Multichoice {
			if s != "" {
				for part := range strings.SplitSeq(s, it.Separator) {
					if !inRange(it.Range, part) {
						return fmt.Errorf("%q is not one of %s", part, rangeText(it.Range))
					}
				}
			}
		} else if !inRange(it.Range, v) {
			return fmt.Errorf("%s is not one of %s", valueText(v), rangeText(it.Range))
		}
	}
	if f, ok := toFloat(v); ok && (it.Type == TypeInteger || it.Type == TypeNumber) {
		if it.Min != nil && f < *it.Min {
			return fmt.Errorf("%v is below the minimum %v", valueText(v), *it.Min)
		}
		if it.Max != nil && f > *it.Max {
			return fmt.Errorf("%v is above the maximum %v", valueText(v), *it.Max)
		}
		if it.Step != nil {
			base := 0.0
			if it.Min != nil {
				base = *it.Min
			}
			q := (f - base) / *it.Step
			if math.Abs(q-math.Round(q)) > 1e-9 {
				return fmt.Errorf("%v is not a multiple of the step %v from %v", valueText(v), *it.Step, base)
			}
		}
	}
	if s, ok := v.(string); ok && it.re != nil && !it.re.MatchString(s) {
		return fmt.Errorf("does not match the pattern %q", it.Pattern)
	}
	return nil
}

func inRange(rng []any, v any) bool {
	for _, r := range rng {
		if r == v {
			return true
		}
	}
	return false
}

func rangeText(rng []any) string {
	parts := make([]string, len(rng))
	for i, r := range rng {
		parts[i] = valueText(r)
	}
	return "[" + strings.Join(parts, ", ") + "]"
}

func valueText(v any) string {
	if s, ok := v.(string); ok {
		return strconv.Quote(s)
	}
	return fmt.Sprint(v)
}

func describe(v any) string {
	switch v := v.(type) {
	case nil:
		return "null"
	case string:
		return "string " + strconv.Quote(truncate(v, 40))
	case bool:
		return "boolean " + strconv.FormatBool(v)
	case map[string]any:
		return "an object"
	case []any:
		return "a list"
	case json.Number:
		return "number " + v.String()
	}
	if f, ok := toFloat(v); ok {
		return "number " + strconv.FormatFloat(f, 'g', -1, 64)
	}
	return fmt.Sprintf("%T", v)
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}

// toFloat converts any numeric value to float64.
func toFloat(v any) (float64, bool) {
	switch n := v.(type) {
	case json.Number:
		f, err := n.Float64()
		return f, err == nil && !math.IsInf(f, 0)
	case float64:
		return n, !math.IsNaN(n) && !math.IsInf(n, 0)
	case float32:
		return float64(n), !math.IsNaN(float64(n)) && !math.IsInf(float64(n), 0)
	case int:
		return float64(n), true
	case int8:
		return float64(n), true
	case int16:
		return float64(n), true
	case int32:
		return float64(n), true
	case int64:
		return float64(n), true
	case uint:
		return float64(n), true
	case uint8:
		return float64(n), true
	case uint16:
		return float64(n), true
	case uint32:
		return float64(n), true
	case uint64:
		return float64(n), true
	}
	return 0, false
}

func decodeLoose(raw json.RawMessage) any {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil
	}
	return v
}

// looseBool reads true/false, "yes"/"no", "true"/"false" or absent (def).
func looseBool(raw json.RawMessage, def bool) (bool, error) {
	switch v := decodeLoose(raw).(type) {
	case nil:
		return def, nil
	case bool:
		return v, nil
	case string:
		switch strings.ToLower(v) {
		case "yes", "true":
			return true, nil
		case "no", "false", "":
			return false, nil
		}
	}
	return false, fmt.Errorf(`want "yes", "no" or a boolean, got %s`, raw)
}

// looseNumber reads a number or a numeric string; absent gives nil.
func looseNumber(raw json.RawMessage) (*float64, error) {
	v := decodeLoose(raw)
	switch n := v.(type) {
	case nil:
		return nil, nil
	case string:
		if n == "" {
			return nil, nil
		}
		f, err := strconv.ParseFloat(n, 64)
		if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
			return nil, fmt.Errorf("want a number, got %q", n)
		}
		return &f, nil
	}
	f, ok := toFloat(v)
	if !ok {
		return nil, fmt.Errorf("want a number, got %s", raw)
	}
	return &f, nil
}

// looseText reads a string, or a locale map {"en": ..., "zh-cn": ...} from
// which it takes "en" (or any entry).
func looseText(raw json.RawMessage) string {
	switch v := decodeLoose(raw).(type) {
	case string:
		return v
	case map[string]any:
		if s, ok := v["en"].(string); ok {
			return s
		}
		for _, e := range v {
			if s, ok := e.(string); ok {
				return s
			}
		}
	}
	return ""
}

// Lookup finds the item at a dotted path, trying the longest keys first so
// that keys which contain dots resolve.
func (t *ConfigTree) Lookup(path string) *Item {
	if t == nil {
		return nil
	}
	return lookupItem(t.Items, strings.Split(path, "."))
}

func lookupItem(items []*Item, segs []string) *Item {
	for n := len(segs); n >= 1; n-- {
		key := strings.Join(segs[:n], ".")
		for _, it := range items {
			if it.Key != key {
				continue
			}
			if n == len(segs) {
				return it
			}
			if found := lookupItem(it.Properties, segs[n:]); found != nil {
				return found
			}
		}
	}
	return nil
}

// jsonErr adds a line and column to a JSON syntax or type error.
func jsonErr(data []byte, err error) error {
	var off int64 = -1
	switch e := err.(type) {
	case *json.SyntaxError:
		off = e.Offset
	case *json.UnmarshalTypeError:
		off = e.Offset
	}
	if off < 0 {
		return err
	}
	line, col := lineCol(data, int(off))
	return fmt.Errorf("line %d col %d: %w", line, col, err)
}

// lineCol turns a byte offset into a 1-based line and column.
func lineCol(data []byte, off int) (int, int) {
	off = min(max(off, 0), len(data))
	line := 1 + bytes.Count(data[:off], []byte("\n"))
	col := off - bytes.LastIndexByte(data[:off], '\n')
	return line, col
}
