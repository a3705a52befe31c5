package cli

import (
	"fmt"
	"net/url"
	"sort"
	"strconv"
	"strings"

	"github.com/spf13/pflag"
)

// listFlag is a repeatable flag whose values may also be comma-separated:
// --provider kubernetes --provider local, or --provider kubernetes,local.
type listFlag []string

func (l *listFlag) String() string { return strings.Join(*l, ",") }

func (l *listFlag) Type() string { return "list" }

func (l *listFlag) Set(v string) error {
	for _, p := range strings.Split(v, ",") {
		if p = strings.TrimSpace(p); p != "" {
			*l = append(*l, p)
		}
	}
	return nil
}

// kvFlag is a repeatable KEY=VALUE flag (--label env=prod). The value may hold commas.
type kvFlag struct{ m map[string]string }

func (f *kvFlag) String() string {
	if f == nil || len(f.m) == 0 {
		return ""
	}
	keys := sortedKeys(f.m)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k + "=" + f.m[k]
	}
	return strings.Join(parts, ",")
}

func (f *kvFlag) Type() string { return "key=value" }

func (f *kvFlag) Set(v string) error {
	k, val, ok := strings.Cut(v, "=")
	k = strings.TrimSpace(k)
	if !ok || k == "" {
		return fmt.Errorf("want KEY=VALUE")
	}
	if f.m == nil {
		f.m = map[string]string{}
	}
	f.m[k] = val
	return nil
}

// selectorFlag is a repeatable KEY=V1,V2 flag (--selector env=prod,staging); repeating a key
// adds values.
type selectorFlag struct{ m map[string][]string }

func (f *selectorFlag) String() string {
	if f == nil || len(f.m) == 0 {
		return ""
	}
	keys := sortedKeys(f.m)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k + "=" + strings.Join(f.m[k], "|")
	}
	return strings.Join(parts, ";")
}

func (f *selectorFlag) Type() string { return "key=v1,v2" }

func (f *selectorFlag) Set(v string) error {
	k, vals, ok := strings.Cut(v, "=")
	k = strings.TrimSpace(k)
	if !ok || k == "" {
		return fmt.Errorf("want KEY=V1,V2")
	}
	if f.m == nil {
		f.m = map[string][]string{}
	}
	var added bool
	for _, p := range strings.Split(vals, ",") {
		if p = strings.TrimSpace(p); p != "" {
			f.m[k] = append(f.m[k], p)
			added = true
		}
	}
	if !added {
		return fmt.Errorf("want KEY=V1,V2: no value for %q", k)
	}
	return nil
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// listFlags are the paging and search flags of every list verb, plus --filter for filters
// the CLI has no flag for.
type listFlags struct {
	limit, offset int
	q, sort       string
	filters       kvFlag
	fs            *pflag.FlagSet
	named         map[string]string // flag name → query key, for the verb's own filters
	namedVals     map[string]*string
}

func addListFlags(fs *pflag.FlagSet) *listFlags {
	l := &listFlags{fs: fs, named: map[string]string{}, namedVals: map[string]*string{}}
	fs.IntVar(&l.limit, "limit", 0, "page size, at most 200 (default: the server's, 20)")
	fs.IntVar(&l.offset, "offset", 0, "items to skip")
	fs.StringVar(&l.q, "q", "", "search `text`")
	fs.StringVar(&l.sort, "sort", "", "sort `field` (default newest first)")
	fs.Var(&l.filters, "filter", "extra query filter `key=value` (repeatable)")
	return l
}

// filter adds a flag --name that becomes the query parameter key.
func (l *listFlags) filter(name, key, usage string) {
	l.named[name] = key
	l.namedVals[name] = l.fs.String(name, "", usage)
}

// query returns the list query, or an error naming a bad flag.
func (l *listFlags) query() (url.Values, error) {
	if l.limit < 0 {
		return nil, fmt.Errorf("invalid value %d for flag -limit: must not be negative", l.limit)
	}
	if l.offset < 0 {
		return nil, fmt.Errorf("invalid value %d for flag -offset: must not be negative", l.offset)
	}
	q := url.Values{}
	if l.limit > 0 {
		q.Set("limit", strconv.Itoa(l.limit))
	}
	if l.offset > 0 {
		q.Set("offset", strconv.Itoa(l.offset))
	}
	if l.q != "" {
		q.Set("q", l.q)
	}
	if l.sort != "" {
		q.Set("sort", l.sort)
	}
	for _, name := range sortedKeys(l.named) {
		if v := *l.namedVals[name]; v != "" {
			q.Set(l.named[name], v)
		}
	}
	for k, v := range l.filters.m {
		q.Set(k, v)
	}
	return q, nil
}
