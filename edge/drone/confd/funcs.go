package confd

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"path"
	"slices"
	"strconv"
	"strings"
	"text/template"
	"time"

	"sigs.k8s.io/yaml"

	"github.com/pitrix/pitrix/edge/metadata"
)

// Errors of template functions; text/template wraps them, so errors.Is finds
// them in a render error.
var (
	ErrMissingKey = errors.New("confd: key not found")
	ErrTooLarge   = errors.New("confd: output too large")
	ErrBudget     = errors.New("confd: template ran too long")
)

// Bounds on what one template may ask for.
const (
	maxSeq = 100_000 // elements of one seq
)

// funcMap returns confd's and AppCenter's template functions over v. b
// meters work and size; every function is total (no panics) and bounded.
func funcMap(v metadata.View, b *budget, h host) template.FuncMap {
	return template.FuncMap{
		tickFunc: b.tick,

		// Metadata (confd).
		"getv": func(key string, def ...string) (string, error) {
			if val, ok := v.Get(key); ok {
				return val, nil
			}
			if len(def) > 0 {
				return def[0], nil
			}
			return "", fmt.Errorf("%w: %q", ErrMissingKey, key)
		},
		"get": func(key string) (metadata.KV, error) {
			k := path.Clean("/" + key)
			if val, ok := v[k]; ok {
				return metadata.KV{Key: k, Value: val}, nil
			}
			return metadata.KV{}, fmt.Errorf("%w: %q", ErrMissingKey, key)
		},
		"gets": v.GetAll,
		"getvs": func(pattern string) ([]string, error) {
			kvs, err := v.GetAll(pattern)
			if err != nil {
				return nil, err
			}
			out := make([]string, len(kvs))
			for i, kv := range kvs {
				out[i] = kv.Value
			}
			slices.Sort(out) // confd sorts values
			return out, nil
		},
		"ls":     v.List,
		"lsdir":  v.ListDir,
		"exists": v.Exists,

		// Data (confd).
		"json": func(s string) (map[string]any, error) {
			var m map[string]any
			if err := json.Unmarshal([]byte(s), &m); err != nil {
				return nil, fmt.Errorf("json: %w", err)
			}
			return m, nil
		},
		"jsonArray": func(s string) ([]any, error) {
			var a []any
			if err := json.Unmarshal([]byte(s), &a); err != nil {
				return nil, fmt.Errorf("jsonArray: %w", err)
			}
			return a, nil
		},
		"map": func(kv ...any) (map[string]any, error) {
			if len(kv)%2 != 0 {
				return nil, errors.New("map: want key and value pairs")
			}
			m := make(map[string]any, len(kv)/2)
			for i := 0; i < len(kv); i += 2 {
				k, ok := kv[i].(string)
				if !ok {
					return nil, fmt.Errorf("map: key %d is not a string", i/2)
				}
				m[k] = kv[i+1]
			}
			return m, nil
		},
		"base64Encode": base64Encode,
		"base64Decode": func(s string) (string, error) {
			d, err := base64.StdEncoding.DecodeString(s)
			return string(d), err
		},
		"parseBool": strconv.ParseBool,

		// Strings (confd).
		"split": strings.Split,
		// join, like printf and the escapers, is metered: see meterBuiltins.
		"base":       path.Base,
		"dir":        path.Dir,
		"toUpper":    strings.ToUpper,
		"toLower":    strings.ToLower,
		"contains":   strings.Contains,
		"trimSuffix": strings.TrimSuffix,
		"replace": func(s, old, repl string, n int) (string, error) {
			if err := b.grow(replacedLen(s, old, repl, n)); err != nil {
				return "", err
			}
			return strings.Replace(s, old, repl, n), nil
		},

		// Lists (confd).
		"reverse": func(x any) (any, error) {
			switch l := x.(type) {
			case []string:
				c := slices.Clone(l)
				slices.Reverse(c)
				return c, nil
			case []metadata.KV:
				c := slices.Clone(l)
				slices.Reverse(c)
				return c, nil
			}
			return nil, fmt.Errorf("reverse: want a list of strings or key-values, got %T", x)
		},
		"sortByLength": func(l []string) []string {
			c := slices.Clone(l)
			slices.SortStableFunc(c, func(a, b string) int { return len(a) - len(b) })
			return c
		},
		"sort": sortList,
		"sortKVByLength": func(l []metadata.KV) []metadata.KV {
			c := slices.Clone(l)
			slices.SortStableFunc(c, func(a, b metadata.KV) int { return len(a.Key) - len(b.Key) })
			return c
		},
		"seq": func(first, last int) ([]int, error) {
			if last < first {
				return []int{}, nil
			}
			if last-first >= maxSeq || last-first < 0 {
				return nil, fmt.Errorf("seq %d %d: longer than %d", first, last, maxSeq)
			}
			out := make([]int, 0, last-first+1)
			for i := first; i <= last; i++ {
				out = append(out, i)
			}
			return out, nil
		},

		// Numbers: AppCenter's confd reads numeric strings (see numeric.go).
		"atoi": strconv.Atoi,
		"add":  func(a, b any) (any, error) { return arith("add", '+', a, b) },
		"sub":  func(a, b any) (any, error) { return arith("sub", '-', a, b) },
		"mul":  func(a, b any) (any, error) { return arith("mul", '*', a, b) },
		"div":  func(a, b any) (any, error) { return arith("div", '/', a, b) },
		"mod":  mod,
		"eq":   eq,
		"ne":   ne,
		"gt":   func(a, b any) bool { return compare(a, b) > 0 },
		"ge":   func(a, b any) bool { return compare(a, b) >= 0 },
		"lt":   func(a, b any) bool { return compare(a, b) < 0 },
		"le":   func(a, b any) bool { return compare(a, b) <= 0 },

		// The instance (confd): its clock, the Drone's command environment, its files under
		// the instance root, and names through the system resolver.
		"datetime":   time.Now,
		"getenv":     h.getenv,
		"fileExists": h.fileExists,
		"lookupIP":   h.lookupIP,

		// AppCenter's additions.
		"filter": filter,
		"toJson": func(x any) (string, error) {
			d, err := json.Marshal(x)
			if err != nil {
				return "", fmt.Errorf("toJson: %w", err)
			}
			return string(d), b.grow(len(d))
		},
		"toYaml": func(x any) (string, error) {
			d, err := yaml.Marshal(x)
			if err != nil {
				return "", fmt.Errorf("toYaml: %w", err)
			}
			return string(d), b.grow(len(d))
		},
		"min": func(a, b any) (float64, error) { return extreme("min", a, b) },
		"max": func(a, b any) (float64, error) { return extreme("max", a, b) },
	}
}

// replacedLen returns the length strings.Replace(s, old, repl, n) would
// produce, without building it.
func replacedLen(s, old, repl string, n int) int {
	count := 0
	if old == "" {
		count = len([]rune(s)) + 1 // Replace inserts at every rune boundary
	} else {
		count = strings.Count(s, old)
	}
	if n >= 0 && n < count {
		count = n
	}
	return len(s) + count*(len(repl)-len(old))
}
