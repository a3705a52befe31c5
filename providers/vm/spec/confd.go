package spec

import (
	"fmt"
	"path"
	"strconv"
	"strings"
	"text/template/parse"
)

// Paths of the confd resources inside a package.
const (
	confdDir       = "confd/"
	confdConfDir   = "confd/conf.d/"
	confdTemplates = "confd/templates/"
	confdConfig    = "confd/confd.toml"
)

// TemplateResource is the [template] table of a confd/conf.d/*.toml file.
type TemplateResource struct {
	Src       string   // under confd/templates/
	Dest      string   // absolute path on the instance
	Keys      []string // metadata prefixes, e.g. "/host"
	CheckCmd  string
	ReloadCmd string
	Mode      string
}

// checkConfd validates the confd resources in files, adding a message per
// bad file to errs.
func checkConfd(files map[string][]byte, errs problems) {
	for name, data := range files {
		switch {
		case name == confdConfig:
			if _, err := parseTOML(string(data)); err != nil {
				errs.add(name, err.Error())
			}
		case strings.HasPrefix(name, confdConfDir):
			if path.Ext(name) != ".toml" {
				continue
			}
			res, err := ParseTemplateResource(data)
			if err != nil {
				errs.add(name, err.Error())
				continue
			}
			if _, ok := files[confdTemplates+res.Src]; !ok {
				errs.add(name, fmt.Sprintf("src %q: no file %s%s in the package", res.Src, confdTemplates, res.Src))
			}
		case strings.HasPrefix(name, confdTemplates):
			if err := checkGoTemplate(name, string(data)); err != nil {
				errs.add(name, err.Error())
			}
		}
	}
}

// checkGoTemplate parses a confd template for syntax only: the functions
// (getv, gets, ...) belong to the Drone's renderer and are not checked.
func checkGoTemplate(name, text string) error {
	t := parse.New(name)
	t.Mode = parse.SkipFuncCheck | parse.ParseComments
	_, err := t.Parse(text, "", "", map[string]*parse.Tree{})
	return err
}

// ParseTemplateResource parses a confd template resource (conf.d/*.toml)
// and checks it: src must be a plain file name under templates/, dest an
// absolute path, keys absolute metadata paths.
func ParseTemplateResource(data []byte) (*TemplateResource, error) {
	tables, err := parseTOML(string(data))
	if err != nil {
		return nil, err
	}
	tbl, ok := tables["template"]
	if !ok {
		return nil, fmt.Errorf("no [template] table")
	}
	str := func(key string) (string, error) {
		v, ok := tbl[key]
		if !ok {
			return "", nil
		}
		s, ok := v.(string)
		if !ok {
			return "", fmt.Errorf("template.%s must be a string", key)
		}
		return s, nil
	}
	res := &TemplateResource{}
	for key, dst := range map[string]*string{"src": &res.Src, "dest": &res.Dest, "check_cmd": &res.CheckCmd, "reload_cmd": &res.ReloadCmd} {
		if *dst, err = str(key); err != nil {
			return nil, err
		}
	}
	if m, ok := tbl["mode"]; ok {
		s, isStr := m.(string)
		if !isStr {
			return nil, fmt.Errorf("template.mode must be a string such as \"0644\"")
		}
		if _, err := strconv.ParseUint(s, 8, 32); err != nil {
			return nil, fmt.Errorf("template.mode %q is not an octal mode", s)
		}
		res.Mode = s
	}
	switch {
	case res.Src == "":
		return nil, fmt.Errorf("template.src is required")
	case path.Clean(res.Src) != res.Src || strings.HasPrefix(res.Src, "/") || strings.HasPrefix(res.Src, "..") || strings.Contains(res.Src, `\`):
		return nil, fmt.Errorf("template.src %q must be a relative path under templates/", res.Src)
	case res.Dest == "":
		return nil, fmt.Errorf("template.dest is required")
	case !strings.HasPrefix(res.Dest, "/") || path.Clean(res.Dest) != res.Dest:
		return nil, fmt.Errorf("template.dest %q must be a clean absolute path", res.Dest)
	}
	if v, ok := tbl["keys"]; ok {
		list, ok := v.([]string)
		if !ok {
			return nil, fmt.Errorf("template.keys must be a list of strings")
		}
		for _, k := range list {
			if !strings.HasPrefix(k, "/") {
				return nil, fmt.Errorf("template.keys: %q must start with /", k)
			}
		}
		res.Keys = list
	}
	return res, nil
}

// maxArrayLines bounds how many lines one array may span, which keeps a
// hostile file of unclosed arrays from costing quadratic time.
const maxArrayLines = 256

// parseTOML reads the small TOML subset confd resources use: [tables],
// key = value with basic or literal strings, integers, booleans and
// (possibly multi-line) arrays of strings. Values are string, int64, bool
// or []string.
func parseTOML(text string) (map[string]map[string]any, error) {
	tables := map[string]map[string]any{"": {}}
	cur := ""
	lines := strings.Split(text, "\n")
	for i := 0; i < len(lines); i++ {
		lineNo := i + 1
		line := strings.TrimSpace(stripComment(lines[i]))
		if line == "" {
			continue
		}
		if strings.HasPrefix(line, "[") {
			if !strings.HasSuffix(line, "]") || strings.HasPrefix(line, "[[") {
				return nil, fmt.Errorf("line %d: bad table header %q", lineNo, truncate(line, 40))
			}
			cur = strings.TrimSpace(line[1 : len(line)-1])
			if !pathRE.MatchString(cur) {
				return nil, fmt.Errorf("line %d: bad table name %q", lineNo, truncate(cur, 40))
			}
			if _, dup := tables[cur]; dup {
				return nil, fmt.Errorf("line %d: table [%s] defined twice", lineNo, cur)
			}
			tables[cur] = map[string]any{}
			continue
		}
		key, val, ok := strings.Cut(line, "=")
		if !ok {
			return nil, fmt.Errorf("line %d: want key = value", lineNo)
		}
		key = strings.TrimSpace(key)
		val = strings.TrimSpace(val)
		if !pathRE.MatchString(key) {
			return nil, fmt.Errorf("line %d: bad key %q", lineNo, truncate(key, 40))
		}
		// Arrays may span lines: gather until the closing bracket.
		for cont := 0; strings.HasPrefix(val, "[") && !arrayClosed(val) && i+1 < len(lines) && cont < maxArrayLines; cont++ {
			i++
			val += " " + strings.TrimSpace(stripComment(lines[i]))
		}
		v, err := tomlValue(val)
		if err != nil {
			return nil, fmt.Errorf("line %d: %s: %w", lineNo, key, err)
		}
		if _, dup := tables[cur][key]; dup {
			return nil, fmt.Errorf("line %d: key %q set twice", lineNo, key)
		}
		tables[cur][key] = v
	}
	return tables, nil
}

// stripComment removes a # comment that is not inside a string.
func stripComment(line string) string {
	var quote byte
	for i := 0; i < len(line); i++ {
		c := line[i]
		switch {
		case quote == '"' && c == '\\':
			i++
		case quote != 0 && c == quote:
			quote = 0
		case quote == 0 && (c == '"' || c == '\''):
			quote = c
		case quote == 0 && c == '#':
			return line[:i]
		}
	}
	return line
}

func arrayClosed(val string) bool {
	_, rest, err := tomlArray(val)
	return err == nil && strings.TrimSpace(rest) == ""
}

func tomlValue(val string) (any, error) {
	switch {
	case strings.HasPrefix(val, `"""`) || strings.HasPrefix(val, "'''"):
		return nil, fmt.Errorf("multi-line strings are not supported")
	case strings.HasPrefix(val, `"`) || strings.HasPrefix(val, "'"):
		s, rest, err := tomlString(val)
		if err != nil {
			return nil, err
		}
		if strings.TrimSpace(rest) != "" {
			return nil, fmt.Errorf("unexpected %q after string", truncate(rest, 20))
		}
		return s, nil
	case strings.HasPrefix(val, "["):
		list, rest, err := tomlArray(val)
		if err != nil {
			return nil, err
		}
		if strings.TrimSpace(rest) != "" {
			return nil, fmt.Errorf("unexpected %q after array", truncate(rest, 20))
		}
		return list, nil
	case val == "true" || val == "false":
		return val == "true", nil
	}
	n, err := strconv.ParseInt(strings.ReplaceAll(val, "_", ""), 0, 64)
	if err != nil {
		return nil, fmt.Errorf("unsupported value %q", truncate(val, 40))
	}
	return n, nil
}

// tomlString reads a basic ("...") or literal ('...') string at the start
// of s and returns it and the rest of s.
func tomlString(s string) (string, string, error) {
	q := s[0]
	for i := 1; i < len(s); i++ {
		switch {
		case q == '"' && s[i] == '\\':
			i++
		case s[i] == q:
			if q == '\'' {
				return s[1:i], s[i+1:], nil
			}
			v, err := strconv.Unquote(s[:i+1])
			if err != nil {
				return "", "", fmt.Errorf("bad string %s", truncate(s[:i+1], 40))
			}
			return v, s[i+1:], nil
		}
	}
	return "", "", fmt.Errorf("unterminated string")
}

// tomlArray reads an array of strings at the start of s.
func tomlArray(s string) ([]string, string, error) {
	rest := strings.TrimSpace(s[1:])
	list := []string{}
	for {
		if strings.HasPrefix(rest, "]") {
			return list, rest[1:], nil
		}
		if rest == "" || (rest[0] != '"' && rest[0] != '\'') {
			return nil, "", fmt.Errorf("arrays may hold only strings")
		}
		v, after, err := tomlString(rest)
		if err != nil {
			return nil, "", err
		}
		list = append(list, v)
		rest = strings.TrimSpace(after)
		if strings.HasPrefix(rest, ",") {
			rest = strings.TrimSpace(rest[1:])
		} else if !strings.HasPrefix(rest, "]") {
			return nil, "", fmt.Errorf("want , or ] in array")
		}
	}
}
