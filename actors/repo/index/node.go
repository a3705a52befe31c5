package index

import (
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// decodeChunk parses one piece of the index. first is the file line of the piece's first
// line, so that yaml's piece-relative line numbers can be reported as file lines.
func decodeChunk(chunk []byte, first int, chart string) (*yaml.Node, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(chunk, &doc); err != nil {
		return nil, syntaxErr(err, first, chart)
	}
	if doc.Kind == yaml.DocumentNode && len(doc.Content) == 1 {
		return doc.Content[0], nil
	}
	return nil, nil // empty piece: only comments or blanks
}

var yamlLineRE = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

// syntaxErr turns a yaml error into a *LineError with a file line.
func syntaxErr(err error, first int, chart string) error {
	msg := err.Error()
	line := first
	if m := yamlLineRE.FindStringSubmatch(msg); m != nil {
		if n, convErr := strconv.Atoi(m[1]); convErr == nil {
			line = first + n - 1
		}
		msg = m[2]
	} else {
		msg = strings.TrimPrefix(msg, "yaml: ")
	}
	return &LineError{Line: line, Chart: chart, Kind: ErrSyntax, Err: &yamlError{msg: msg, err: err}}
}

// yamlError keeps the yaml package's error reachable while printing only its detail.
type yamlError struct {
	msg string
	err error
}

func (e *yamlError) Error() string { return e.msg }
func (e *yamlError) Unwrap() error { return e.err }

// nodes converts yaml nodes of one piece to Versions. off is added to node lines.
type nodes struct {
	off   int
	chart string
}

func (c nodes) line(n *yaml.Node) int { return n.Line + c.off }

func (c nodes) errAt(kind error, n *yaml.Node, version, format string, args ...any) *LineError {
	e := lineErr(kind, c.line(n), c.chart, format, args...)
	e.Version = version
	return e
}

// resolve follows aliases (bounded: yaml refuses alias cycles, and aliases point backwards).
func resolve(n *yaml.Node) *yaml.Node {
	for i := 0; n != nil && n.Kind == yaml.AliasNode && i < 64; i++ {
		n = n.Alias
	}
	return n
}

func isNull(n *yaml.Node) bool {
	return n == nil || (n.Kind == yaml.ScalarNode && n.Tag == "!!null")
}

// mapPairs checks that n is a mapping with unique scalar keys and calls fn for each pair.
func (c nodes) mapPairs(n *yaml.Node, version, what string, fn func(key string, k, v *yaml.Node) error) error {
	if n.Kind != yaml.MappingNode {
		return c.errAt(ErrInvalidEntry, n, version, "%s: expected a mapping", what)
	}
	var seen map[string]bool
	if len(n.Content) > 2 {
		seen = make(map[string]bool, len(n.Content)/2)
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := resolve(n.Content[i]), resolve(n.Content[i+1])
		if k == nil || k.Kind != yaml.ScalarNode {
			return c.errAt(ErrInvalidEntry, n.Content[i], version, "%s: keys must be strings", what)
		}
		if k.Tag == "!!merge" || k.Value == "<<" && k.Style == 0 {
			return c.errAt(ErrInvalidEntry, k, version, "%s: merge keys are not supported", what)
		}
		if seen != nil {
			if seen[k.Value] {
				return c.errAt(ErrSyntax, k, version, "%s: key %s is defined twice", what, quote(k.Value))
			}
			seen[k.Value] = true
		}
		if err := fn(k.Value, k, v); err != nil {
			return err
		}
	}
	return nil
}

func (c nodes) str(n *yaml.Node, version, field string) (string, error) {
	if isNull(n) {
		return "", nil
	}
	if n.Kind != yaml.ScalarNode {
		return "", c.errAt(ErrInvalidEntry, n, version, "%s: expected a string", field)
	}
	return n.Value, nil
}

func (c nodes) strList(n *yaml.Node, version, field string, clean bool) ([]string, error) {
	if isNull(n) {
		return nil, nil
	}
	if n.Kind != yaml.SequenceNode {
		return nil, c.errAt(ErrInvalidEntry, n, version, "%s: expected a list", field)
	}
	out := make([]string, 0, len(n.Content))
	for _, item := range n.Content {
		s, err := c.str(resolve(item), version, field)
		if err != nil {
			return nil, err
		}
		if clean {
			s = sanitize(s)
		}
		out = append(out, s)
	}
	return out, nil
}

// timestampFormats are the layouts YAML timestamps may take (as in yaml.v3).
var timestampFormats = []string{
	time.RFC3339Nano,
	"2006-1-2T15:4:5.999999999Z07:00",
	"2006-1-2t15:4:5.999999999Z07:00",
	"2006-1-2 15:4:5.999999999",
	"2006-1-2",
}

func (c nodes) timestamp(n *yaml.Node, version string) (time.Time, error) {
	s, err := c.str(n, version, "created")
	if err != nil || s == "" {
		return time.Time{}, err
	}
	for _, layout := range timestampFormats {
		if t, err := time.Parse(layout, s); err == nil {
			return t, nil
		}
	}
	return time.Time{}, c.errAt(ErrInvalidEntry, n, version, "created: %s is not a timestamp", quote(s))
}

func (c nodes) boolean(n *yaml.Node, version, field string) (bool, error) {
	s, err := c.str(n, version, field)
	if err != nil {
		return false, err
	}
	switch strings.ToLower(s) {
	case "", "false", "no", "off":
		return false, nil
	case "true", "yes", "on":
		return true, nil
	}
	return false, c.errAt(ErrInvalidEntry, n, version, "%s: %s is not a boolean", field, quote(s))
}

// version converts one version mapping node of c.chart.
func (c nodes) version(n *yaml.Node) (Version, error) {
	var v Version
	n = resolve(n)
	if isNull(n) {
		return v, c.errAt(ErrInvalidEntry, n, "", "empty version entry")
	}
	if n.Kind != yaml.MappingNode {
		return v, c.errAt(ErrInvalidEntry, n, "", "version entry: expected a mapping")
	}
	// Read the version first so that errors about other fields can name it.
	for i := 0; i+1 < len(n.Content); i += 2 {
		if k := resolve(n.Content[i]); k != nil && k.Kind == yaml.ScalarNode && k.Value == "version" {
			if val := resolve(n.Content[i+1]); val != nil && val.Kind == yaml.ScalarNode && !isNull(val) {
				v.Version = sanitize(val.Value)
			}
		}
	}
	err := c.mapPairs(n, v.Version, "version entry", func(key string, _, val *yaml.Node) error {
		var err error
		switch key {
		case "name":
			v.Name, err = c.str(val, v.Version, key)
			v.Name = sanitize(v.Name)
		case "version":
			_, err = c.str(val, v.Version, key)
		case "appVersion":
			v.AppVersion, err = c.str(val, v.Version, key)
			v.AppVersion = sanitize(v.AppVersion)
		case "description":
			v.Description, err = c.str(val, v.Version, key)
			v.Description = sanitize(v.Description)
		case "home":
			v.Home, err = c.str(val, v.Version, key)
			v.Home = sanitize(v.Home)
		case "icon":
			v.Icon, err = c.str(val, v.Version, key)
			v.Icon = sanitize(v.Icon)
		case "digest":
			v.Digest, err = c.str(val, v.Version, key)
		case "keywords":
			v.Keywords, err = c.strList(val, v.Version, key, true)
		case "urls":
			v.URLs, err = c.strList(val, v.Version, key, false)
		case "created":
			v.Created, err = c.timestamp(val, v.Version)
		case "deprecated":
			v.Deprecated, err = c.boolean(val, v.Version, key)
		case "maintainers":
			v.Maintainers, err = c.maintainers(val, v.Version)
		case "annotations":
			v.Annotations, err = c.annotations(val, v.Version)
		}
		return err
	})
	if err != nil {
		return v, err
	}
	if msg, ok := v.check(c.chart); !ok {
		return v, c.errAt(ErrInvalidEntry, n, v.Version, "%s", msg)
	}
	return v, nil
}

func (c nodes) maintainers(n *yaml.Node, version string) ([]Maintainer, error) {
	if isNull(n) {
		return nil, nil
	}
	if n.Kind != yaml.SequenceNode {
		return nil, c.errAt(ErrInvalidEntry, n, version, "maintainers: expected a list")
	}
	out := make([]Maintainer, 0, len(n.Content))
	for _, item := range n.Content {
		item = resolve(item)
		if isNull(item) {
			continue
		}
		var m Maintainer
		err := c.mapPairs(item, version, "maintainer", func(key string, _, val *yaml.Node) error {
			var err error
			switch key {
			case "name":
				m.Name, err = c.str(val, version, "maintainer name")
			case "email":
				m.Email, err = c.str(val, version, "maintainer email")
			case "url":
				m.URL, err = c.str(val, version, "maintainer url")
			}
			return err
		})
		if err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, nil
}

func (c nodes) annotations(n *yaml.Node, version string) (map[string]string, error) {
	if isNull(n) {
		return nil, nil
	}
	out := make(map[string]string, len(n.Content)/2)
	err := c.mapPairs(n, version, "annotations", func(key string, _, val *yaml.Node) error {
		s, err := c.str(val, version, "annotation "+quote(key))
		out[key] = s
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// errStop ends a walk early without an error of its own.
var errStop = errors.New("index: stop")

// chartVersions walks a chart's list of versions and calls emit for each valid one.
func (c nodes) chartVersions(list *yaml.Node, emit func(Version, int) error) error {
	list = resolve(list)
	if isNull(list) {
		return nil
	}
	if list.Kind != yaml.SequenceNode {
		return c.errAt(ErrInvalidEntry, list, "", "versions: expected a list")
	}
	for _, item := range list.Content {
		v, err := c.version(item)
		if err != nil {
			return err
		}
		if err := emit(v, c.line(item)); err != nil {
			return err
		}
	}
	return nil
}

func describeKind(n *yaml.Node) string {
	switch n.Kind {
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		return fmt.Sprintf("a scalar (%s)", quote(n.Value))
	}
	return "not a mapping"
}
