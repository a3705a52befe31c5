package spec

import (
	"errors"
	"maps"
	"slices"
	"strings"
)

// Sentinel errors. ValidationError matches ErrInvalid and ConfError matches
// ErrInvalidConf under errors.Is.
var (
	ErrInvalid     = errors.New("spec: invalid package")
	ErrInvalidConf = errors.New("spec: invalid conf")
)

// ValidationError lists every problem found in a package, by file name
// ("config.json", "cluster.json.tmpl", "confd/conf.d/redis.toml").
type ValidationError struct {
	Files map[string]string
}

func (e *ValidationError) Error() string {
	return ErrInvalid.Error() + ": " + joinSorted(e.Files)
}

// Is reports whether target is ErrInvalid.
func (e *ValidationError) Is(target error) bool { return target == ErrInvalid }

// ConfError lists every bad key of a user's conf, by dotted path
// ("cluster.redis.count") with a message.
type ConfError struct {
	Fields map[string]string
}

func (e *ConfError) Error() string {
	return ErrInvalidConf.Error() + ": " + joinSorted(e.Fields)
}

// Is reports whether target is ErrInvalidConf.
func (e *ConfError) Is(target error) bool { return target == ErrInvalidConf }

func joinSorted(m map[string]string) string {
	var b strings.Builder
	for i, k := range slices.Sorted(maps.Keys(m)) {
		if i > 0 {
			b.WriteString("; ")
		}
		b.WriteString(k)
		b.WriteString(": ")
		b.WriteString(m[k])
	}
	return b.String()
}

// problems collects messages per name; several messages for one name are
// joined with "; ".
type problems map[string]string

func (p problems) add(name, msg string) {
	if old, ok := p[name]; ok {
		p[name] = old + "; " + msg
		return
	}
	p[name] = msg
}

func sortStrings(s []string) { slices.Sort(s) }
