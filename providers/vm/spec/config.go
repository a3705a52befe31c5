package spec

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/dlclark/regexp2/v2"
)

// Item types of config.json.
const (
	TypeGroup    = "array" // a group of items, in Properties
	TypeString   = "string"
	TypeInteger  = "integer"
	TypeNumber   = "number"
	TypeBoolean  = "boolean"
	TypePassword = "password"
	// TypeService is a link to another cluster (AppCenter's external
	// service, such as the ZooKeeper a Kafka uses): its value is that
	// cluster's ID, a string. The value is recorded and passed to the app;
	// a runtime that cannot link clusters refuses a cluster that sets one.
	TypeService = "service"
	// TypeLoadBalancer is a role's load balancers: a list of IDs or
	// objects ({"listener": ..., "port": 80}); "port" in config.json names
	// the backend port(s). Recorded and passed on like TypeService.
	TypeLoadBalancer = "loadbalancer"
	// TypeAccessKey and TypeEIP are QingCloud resources AppCenter's form
	// picks (an API access key, an elastic IP): the value is the
	// resource's ID, recorded and passed on like TypeService.
	TypeAccessKey = "accesskey"
	TypeEIP       = "eip"
)

const (
	maxConfigDepth = 16
	maxPatternLen  = 1024
	maxKeyLen      = 128
)

// PatternTimeout bounds one match of a config.json pattern, so a pattern
// that backtracks without end (`(a+)+$`) cannot hold a request.
const PatternTimeout = 100 * time.Millisecond

// patternBudgetTotal bounds the pattern matches of one ParseConfig or Merge
// together.
const patternBudgetTotal = time.Second

// patternBudget is the time the pattern matches of one call have taken.
type patternBudget struct{ spent time.Duration }

// keyRE is what AppCenter allows as a key: no white space (its rule),
// and no braces or quotes, which would not survive the cluster template.
// A slash would split its metadata path. Dots, dashes and a leading dash
// ("-p") are fine.
var keyRE = regexp.MustCompile(`^[^\s{}"\\/[:cntrl:]]{1,128}$`)

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
	// Port is a loadbalancer item's backend port or ports, as written.
	Port json.RawMessage

	re *regexp2.Regexp
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
	Port        json.RawMessage   `json:"port"`
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
	t := &ConfigTree{Items: parseItems(items, "", 1, &errs, &patternBudget{})}
	if len(errs) > 0 {
		return t, fmt.Errorf("%s", strings.Join(errs, "; "))
	}
	return t, nil
}

func parseItems(raws []rawItem, prefix string, depth int, errs *[]string, b *patternBudget) []*Item {
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
		if !keyRE.MatchString(r.Key) || strings.Trim(r.Key, ".") == "" {
			fail("key %q must be 1 to %d characters without white space, braces or quotes", truncate(r.Key, 40), maxKeyLen)
			continue
		}
		if seen[r.Key] {
			fail("duplicate key")
			continue
		}
		seen[r.Key] = true
		if it := parseItem(r, where, depth, fail, errs, b); it != nil {
			out = append(out, it)
		} else {
			// Kept by name only, so that a template naming it is not
			// blamed too; ParseConfig returns such a tree with its error.
			out = append(out, brokenItem(r, where, depth, b))
		}
	}
	return out
}

// parseItem checks one item and reports every problem it has through fail;
// it returns nil when the item is unusable.
func parseItem(r *rawItem, where string, depth int, fail func(string, ...any), errs *[]string, b *patternBudget) *Item {
	it := &Item{Key: r.Key, Type: r.Type, Pattern: r.Pattern, Separator: r.Separator, Port: r.Port}
	it.Label = looseText(r.Label)
	it.Description = looseText(r.Description)
	bad := false
	check := func(field string, err error) {
		if err != nil {
			fail("%s: %s", field, err)
			bad = true
		}
	}
	var err error
	it.Required, err = looseBool(r.Required, false)
	check("required", err)
	it.Changeable, err = looseBool(r.Changeable, true)
	check("changeable", err)
	it.Multichoice, err = looseBool(r.Multichoice, false)
	check("multichoice", err)
	switch it.Type {
	case TypeGroup:
		if depth >= maxConfigDepth {
			fail("groups nested deeper than %d", maxConfigDepth)
			return nil
		}
		if len(r.Properties) == 0 {
			fail("group has no properties")
			return nil
		}
		it.Properties = parseItems(r.Properties, where+".", depth+1, errs, b)
		if bad {
			return nil
		}
		return it
	case TypeString, TypePassword, TypeInteger, TypeNumber, TypeBoolean, TypeService, TypeLoadBalancer, TypeAccessKey, TypeEIP:
	case "":
		fail("type is required")
		return nil
	default:
		fail("unknown type %q (want array, string, password, integer, number, boolean, service, loadbalancer, accesskey or eip)", truncate(it.Type, 40))
		return nil
	}
	if len(r.Properties) > 0 {
		fail("only groups (type array) have properties")
		bad = true
	}
	if it.Separator == "" {
		it.Separator = ","
	}
	it.Min, err = looseNumber(r.Min)
	check("min", err)
	it.Max, err = looseNumber(r.Max)
	check("max", err)
	it.Step, err = looseNumber(r.Step)
	check("step", err)
	if it.Step != nil && *it.Step <= 0 {
		check("step", fmt.Errorf("must be positive"))
	}
	if it.Min != nil && it.Max != nil && *it.Min > *it.Max {
		fail("min %v is above max %v", *it.Min, *it.Max)
		bad = true
	}
	if it.Pattern != "" {
		re, err := compilePattern(it.Pattern)
		check("pattern", err)
		it.re = re
	}
	if bad {
		// Range and default are checked against the constraints, which
		// are not known.
		return nil
	}
	for i, raw := range r.Range {
		v, err := it.coerce(decodeLoose(raw))
		if err != nil {
			check(fmt.Sprintf("range[%d]", i), err)
			continue
		}
		it.Range = append(it.Range, v)
	}
	if len(r.Default) > 0 && string(r.Default) != "null" {
		v, err := it.coerce(decodeLoose(r.Default))
		switch {
		case err != nil:
			check("default", err)
		case isEmptyValue(v) && !it.Required, isRef(it) && isEmptyValue(v):
			// An empty default of an optional item means "no value" in
			// AppCenter's forms, as does an empty link; only check real
			// values.
			it.Default = v
		default:
			it.Default = v
			check("default", it.check(v, b))
		}
	}
	if bad {
		return nil
	}
	return it
}

// brokenItem stands for an item with problems: its key, and for a group its
// children (their problems are reported once, by parseItem).
func brokenItem(r *rawItem, where string, depth int, b *patternBudget) *Item {
	it := &Item{Key: r.Key, Type: TypeString}
	if r.Type == TypeGroup && depth < maxConfigDepth && len(r.Properties) > 0 {
		var ignored []string
		it.Type = TypeGroup
		it.Properties = parseItems(r.Properties, where+".", depth+1, &ignored, b)
	}
	return it
}

// compilePattern compiles a config.json pattern as the browser's form does
// (ECMAScript syntax: lookahead, lookbehind, \d, ...), with a match time
// bound.
func compilePattern(pattern string) (*regexp2.Regexp, error) {
	if len(pattern) > maxPatternLen {
		return nil, fmt.Errorf("longer than %d", maxPatternLen)
	}
	re, err := regexp2.Compile(pattern, regexp2.ECMAScript)
	if err != nil {
		return nil, fmt.Errorf("%q is not a valid regular expression: %w", truncate(pattern, 80), err)
	}
	re.MatchTimeout = PatternTimeout
	return re, nil
}

// isRef reports whether the item links to something outside the cluster
// (a service or load balancers).
func isRef(it *Item) bool {
	switch it.Type {
	case TypeService, TypeLoadBalancer, TypeAccessKey, TypeEIP:
		return true
	}
	return false
}

func isEmptyValue(v any) bool {
	switch v := v.(type) {
	case nil:
		return true
	case string:
		return v == ""
	case []any:
		return len(v) == 0
	}
	return false
}

// Leaf reports whether the item holds a value rather than a group.
func (it *Item) Leaf() bool { return it.Type != TypeGroup }

// coerce converts a decoded JSON value (or a value from a YAML or Go caller)
// to the item's Go type, refusing values of another type.
func (it *Item) coerce(v any) (any, error) {
	switch it.Type {
	case TypeService, TypeAccessKey, TypeEIP:
		if s, ok := v.(string); ok {
			return s, nil
		}
		return nil, fmt.Errorf("want an ID (a string), got %s", describe(v))
	case TypeLoadBalancer:
		switch l := v.(type) {
		case []any:
			for i, e := range l {
				switch e.(type) {
				case string, map[string]any:
				default:
					return nil, fmt.Errorf("[%d]: want a load balancer ID or object, got %s", i, describe(e))
				}
			}
			return l, nil
		case string:
			if l == "" {
				return []any{}, nil
			}
			return []any{l}, nil
		}
		return nil, fmt.Errorf("want a list of load balancers, got %s", describe(v))
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
//
// b bounds the time all pattern matches of one call (a ParseConfig, a
// Merge) take together, so that many slow patterns cannot add up.
func (it *Item) check(v any, b *patternBudget) error {
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
	if s, ok := v.(string); ok && it.re != nil {
		if b.spent >= patternBudgetTotal {
			return fmt.Errorf("not checked against the pattern: the patterns took over %v together", patternBudgetTotal)
		}
		start := time.Now()
		matched, err := it.re.MatchString(s)
		b.spent += time.Since(start)
		if err != nil {
			return fmt.Errorf("the pattern %q took longer than %v to match", truncate(it.Pattern, 80), PatternTimeout)
		}
		if !matched {
			return fmt.Errorf("does not match the pattern %q", it.Pattern)
		}
	}
	return nil
}

func inRange(rng []any, v any) bool {
	switch v.(type) {
	case []any, map[string]any:
		return false // not comparable
	}
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
