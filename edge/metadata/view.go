package metadata

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"path"
	"slices"
	"strings"
)

// Errors of views.
var (
	ErrUnknownInstance = errors.New("metadata: unknown instance")
	ErrBadView         = errors.New("metadata: bad view")
)

// Limits of a view on the wire.
const (
	MaxViewBytes = 16 << 20 // a JSON view larger than this is refused
	maxKeyBytes  = 4096
)

// View is the /self subtree one instance sees, with the /self prefix
// stripped: "/host/ip" -> "127.1.2.3". A View is a value: the functions
// returning one hand over a fresh map that nobody else holds.
type View map[string]string

// KV is a key and its value, as confd's gets returns them.
type KV struct {
	Key   string
	Value string
}

// SelfView returns the view of the instance instanceID in t: its own host
// entry under /host (looked up in /hosts, then /adding-hosts, so a node
// being added sees itself), its role's env merged over the cluster-wide env
// under /env, and /hosts, /cluster, /links, /adding-hosts and
// /deleting-hosts as they are. It fails with ErrUnknownInstance when t has no
// such instance.
func SelfView(t Tree, instanceID string) (View, error) {
	hostDir := findHost(t, "/hosts/", instanceID)
	if hostDir == "" {
		hostDir = findHost(t, "/adding-hosts/", instanceID)
	}
	if hostDir == "" {
		return nil, fmt.Errorf("%w %q", ErrUnknownInstance, instanceID)
	}
	v := View{}
	for k, val := range t {
		if rest, ok := strings.CutPrefix(k, hostDir); ok {
			v["/host/"+rest] = val
		}
		switch topDir(k) {
		case "hosts", "cluster", "links", "adding-hosts", "deleting-hosts", "env":
			v[k] = val
		}
	}
	// The role's env overrides the cluster-wide env, so it goes second.
	if role := t[hostDir+"role"]; role != "" {
		prefix := "/roles/" + role + "/env/"
		for k, val := range t {
			if rest, ok := strings.CutPrefix(k, prefix); ok {
				v["/env/"+rest] = val
			}
		}
	}
	return v, nil
}

// findHost returns the directory ("/hosts/<role>/<id>/") under base whose
// instance_id is id, or "".
func findHost(t Tree, base, id string) string {
	if id == "" {
		return ""
	}
	for k, val := range t {
		if val != id || !strings.HasPrefix(k, base) {
			continue
		}
		dir, ok := strings.CutSuffix(k, "/"+id+"/instance_id")
		if ok {
			return dir + "/" + id + "/"
		}
	}
	return ""
}

// topDir returns the first segment of an absolute key.
func topDir(k string) string {
	k = strings.TrimPrefix(k, "/")
	top, _, _ := strings.Cut(k, "/")
	return top
}

// cleanKey makes key absolute and clean, as confd does.
func cleanKey(key string) string { return path.Clean("/" + key) }

// Get returns the value of key (relative to /self, e.g. "/host/ip").
func (v View) Get(key string) (string, bool) {
	val, ok := v[cleanKey(key)]
	return val, ok
}

// GetAll returns the leaves whose keys match the glob pattern (path.Match
// syntax: "/env/*", "/hosts/*/*/ip"), sorted by key.
func (v View) GetAll(pattern string) ([]KV, error) {
	pattern = cleanKey(pattern)
	if _, err := path.Match(pattern, ""); err != nil {
		return nil, fmt.Errorf("pattern %q: %w", pattern, err)
	}
	var out []KV
	for k, val := range v {
		if ok, _ := path.Match(pattern, k); ok {
			out = append(out, KV{Key: k, Value: val})
		}
	}
	slices.SortFunc(out, func(a, b KV) int { return strings.Compare(a.Key, b.Key) })
	return out, nil
}

// List returns the sorted names of dir's children, leaves and directories
// alike.
func (v View) List(dir string) []string { return v.children(dir, false) }

// ListDir returns the sorted names of dir's children that are directories.
func (v View) ListDir(dir string) []string { return v.children(dir, true) }

func (v View) children(dir string, dirsOnly bool) []string {
	prefix := cleanKey(dir)
	if prefix != "/" {
		prefix += "/"
	}
	seen := map[string]bool{}
	for k := range v {
		rest, ok := strings.CutPrefix(k, prefix)
		if !ok || rest == "" {
			continue
		}
		name, _, isDir := strings.Cut(rest, "/")
		if isDir || !dirsOnly {
			seen[name] = true
		}
	}
	return slices.Sorted(maps.Keys(seen))
}

// Exists reports whether key is a leaf or a non-empty directory.
func (v View) Exists(key string) bool {
	key = cleanKey(key)
	if _, ok := v[key]; ok {
		return true
	}
	if key == "/" {
		return len(v) > 0
	}
	for k := range v {
		if strings.HasPrefix(k, key+"/") {
			return true
		}
	}
	return false
}

// JSON returns the wire form of v: a JSON object of keys to values, keys
// sorted, so equal views give equal bytes.
func (v View) JSON() []byte {
	if v == nil {
		return []byte("{}")
	}
	b, err := json.Marshal(map[string]string(v))
	if err != nil {
		// A map of strings always marshals.
		panic(fmt.Sprintf("metadata: marshal view: %v", err))
	}
	return b
}

// ParseView parses the wire form of a view. Every key must be a clean
// absolute path other than "/", and no key may be both a leaf and a
// directory of another key.
func ParseView(data []byte) (View, error) {
	if len(data) > MaxViewBytes {
		return nil, fmt.Errorf("%w: %d bytes, more than %d", ErrBadView, len(data), MaxViewBytes)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	var m map[string]string
	if err := dec.Decode(&m); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrBadView, err)
	}
	if dec.More() {
		return nil, fmt.Errorf("%w: data after the JSON object", ErrBadView)
	}
	if m == nil {
		return nil, fmt.Errorf("%w: not a JSON object", ErrBadView)
	}
	for k := range m {
		if err := checkKey(k); err != nil {
			return nil, fmt.Errorf("%w: key %q: %w", ErrBadView, truncate(k, 80), err)
		}
		for dir := path.Dir(k); dir != "/"; dir = path.Dir(dir) {
			if _, ok := m[dir]; ok {
				return nil, fmt.Errorf("%w: %q is both a value and the directory of %q", ErrBadView, truncate(dir, 80), truncate(k, 80))
			}
		}
	}
	return View(m), nil
}

func checkKey(k string) error {
	switch {
	case len(k) > maxKeyBytes:
		return fmt.Errorf("longer than %d bytes", maxKeyBytes)
	case !strings.HasPrefix(k, "/") || k == "/":
		return errors.New("must be an absolute path below /")
	case path.Clean(k) != k:
		return errors.New("must be a clean path")
	case strings.ContainsRune(k, 0):
		return errors.New("must not contain NUL")
	}
	return nil
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}
