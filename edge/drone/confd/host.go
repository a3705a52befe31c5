package confd

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"net"
	"path"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/pitrix/pitrix/edge/metadata"
)

// lookupTimeout bounds one lookupIP.
const lookupTimeout = 5 * time.Second

// host is what confd's instance functions read: the environment getenv sees (the Drone's
// command environment, not the Drone's own, which is none of a package's business), the
// instance's files (fileExists), and the system resolver (lookupIP).
type host struct {
	env     map[string]string
	fs      fsys // nil: fileExists is false
	resolve func(ctx context.Context, network, name string) ([]net.IP, error)
}

// getenv is the variable's value, else the default (or "") when it is unset or empty.
func (h host) getenv(key string, def ...string) string {
	if v := h.env[key]; v != "" {
		return v
	}
	if len(def) > 0 {
		return def[0]
	}
	return ""
}

// fileExists reports whether name exists on the instance (under its root).
func (h host) fileExists(name string) bool {
	if h.fs == nil {
		return false
	}
	rel := strings.TrimPrefix(path.Clean("/"+name), "/")
	if rel == "" {
		rel = "."
	}
	_, err := h.fs.Stat(rel)
	return err == nil
}

// lookupIP resolves name through the system resolver (/etc/hosts, then DNS as the system
// configures it) to its IPv4 addresses, sorted; nothing (not an error) when it does not
// resolve, as AppCenter's confd does.
func (h host) lookupIP(name string) []string {
	resolve := h.resolve
	if resolve == nil {
		resolve = net.DefaultResolver.LookupIP
	}
	ctx, cancel := context.WithTimeout(context.Background(), lookupTimeout)
	defer cancel()
	ips, err := resolve(ctx, "ip4", name)
	if err != nil {
		return nil
	}
	out := make([]string, 0, len(ips))
	for _, ip := range ips {
		if ip.To4() != nil {
			out = append(out, ip.String())
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// envMap turns "K=V" entries into a map, later entries winning.
func envMap(env []string) map[string]string {
	m := make(map[string]string, len(env))
	for _, kv := range env {
		if k, v, ok := strings.Cut(kv, "="); ok {
			m[k] = v
		}
	}
	return m
}

// filter keeps the strings of list (and the key-values whose value) matching the regular
// expression, as AppCenter's confd does; list is any slice or array.
func filter(pattern string, list any) ([]any, error) {
	re, err := regexp.Compile(pattern)
	if err != nil {
		return nil, fmt.Errorf("filter: %w", err)
	}
	v := reflect.ValueOf(list)
	if v.Kind() != reflect.Slice && v.Kind() != reflect.Array {
		return nil, fmt.Errorf("filter: want a list, got %T", list)
	}
	out := make([]any, 0, v.Len())
	for i := range v.Len() {
		switch e := v.Index(i).Interface().(type) {
		case string:
			if re.MatchString(e) {
				out = append(out, e)
			}
		case metadata.KV:
			if re.MatchString(e.Value) {
				out = append(out, e)
			}
		}
	}
	return out, nil
}

// sortList returns a sorted copy of a list of strings (by text) or key-values (by key).
func sortList(x any) (any, error) {
	switch l := x.(type) {
	case []string:
		c := slices.Clone(l)
		slices.Sort(c)
		return c, nil
	case []metadata.KV:
		c := slices.Clone(l)
		slices.SortStableFunc(c, func(a, b metadata.KV) int { return strings.Compare(a.Key, b.Key) })
		return c, nil
	}
	return nil, fmt.Errorf("sort: want a list of strings or key-values, got %T", x)
}

// base64Encode encodes a string or bytes.
func base64Encode(x any) (string, error) {
	switch s := x.(type) {
	case string:
		return base64.StdEncoding.EncodeToString([]byte(s)), nil
	case []byte:
		return base64.StdEncoding.EncodeToString(s), nil
	}
	return "", errors.New("base64Encode: want a string")
}
