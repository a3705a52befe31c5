package confd

import (
	"errors"
	"fmt"
	"path"
	"slices"
	"strconv"
	"strings"

	"github.com/pitrix/pitrix/internal/confdres"
)

// DefaultPrefix is AppCenter's confd prefix: templates see /self.
const DefaultPrefix = "/self"

// Paths of the resources inside a package.
const (
	confDir     = "confd/conf.d/"
	templateDir = "confd/templates/"
	configFile  = "confd/confd.toml"
)

// Resource is one template resource: its toml and its template text.
type Resource struct {
	Name string // the toml's path in the package, e.g. "confd/conf.d/redis.toml"
	confdres.TemplateResource
	Template string // the text of templates/<Src>
}

// Bundle is a package's confd resources, in render order (by Name).
type Bundle struct {
	Prefix    string // metadata prefix the keys are relative to; DefaultPrefix unless confd.toml says
	Resources []Resource
}

// Load reads the confd resources from a package's files (paths relative to
// its top folder, as pkgfile.Read and spec.Package.Files hold them). Every
// bad file is reported, by name, in one error. A package without confd/
// gives an empty Bundle.
func Load(files map[string][]byte) (Bundle, error) {
	b := Bundle{Prefix: DefaultPrefix}
	var errs []error
	if data, ok := files[configFile]; ok {
		p, err := ParsePrefix(data)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", configFile, err))
		} else if p != "" {
			b.Prefix = p
		}
	}
	for name, data := range files {
		rest, ok := strings.CutPrefix(name, confDir)
		if !ok || strings.Contains(rest, "/") || path.Ext(rest) != ".toml" {
			continue
		}
		tr, err := confdres.Parse(data)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", name, err))
			continue
		}
		text, ok := files[templateDir+tr.Src]
		if !ok {
			errs = append(errs, fmt.Errorf("%s: src %q: no file %s%s", name, tr.Src, templateDir, tr.Src))
			continue
		}
		b.Resources = append(b.Resources, Resource{Name: name, TemplateResource: *tr, Template: string(text)})
	}
	if len(errs) > 0 {
		slices.SortFunc(errs, func(a, b error) int { return strings.Compare(a.Error(), b.Error()) })
		return Bundle{}, fmt.Errorf("load confd resources: %w", errors.Join(errs...))
	}
	slices.SortFunc(b.Resources, func(x, y Resource) int { return strings.Compare(x.Name, y.Name) })
	return b, nil
}

// ParsePrefix reads the top-level prefix setting of a confd.toml
// (`prefix = "/self"`); other settings are ignored. It returns "" when the
// file sets none. The prefix must be a clean absolute path.
func ParsePrefix(data []byte) (string, error) {
	prefix := ""
	for i, line := range strings.Split(string(data), "\n") {
		line = strings.TrimSpace(line)
		if strings.HasPrefix(line, "[") {
			break // settings after a table header belong to the table
		}
		key, val, ok := strings.Cut(line, "=")
		if !ok || strings.TrimSpace(key) != "prefix" {
			continue
		}
		val = strings.TrimSpace(val)
		s, err := tomlString(val)
		if err != nil {
			return "", fmt.Errorf("line %d: prefix: %w", i+1, err)
		}
		if !strings.HasPrefix(s, "/") || path.Clean(s) != s {
			return "", fmt.Errorf("line %d: prefix %q must be a clean absolute path", i+1, s)
		}
		prefix = s
	}
	return prefix, nil
}

// tomlString reads one TOML basic or literal string, allowing a trailing
// comment.
func tomlString(val string) (string, error) {
	if val == "" || (val[0] != '"' && val[0] != '\'') {
		return "", errors.New("want a quoted string")
	}
	q := val[0]
	for i := 1; i < len(val); i++ {
		switch {
		case q == '"' && val[i] == '\\':
			i++
		case val[i] == q:
			rest := strings.TrimSpace(val[i+1:])
			if rest != "" && !strings.HasPrefix(rest, "#") {
				return "", fmt.Errorf("unexpected %q after the string", rest)
			}
			if q == '\'' {
				return val[1:i], nil
			}
			s, err := strconv.Unquote(val[:i+1])
			if err != nil {
				return "", fmt.Errorf("bad string %s", val[:i+1])
			}
			return s, nil
		}
	}
	return "", errors.New("unterminated string")
}
