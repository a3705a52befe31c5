package confdres

import (
	"fmt"
	"path"
	"strconv"
	"strings"

	"github.com/BurntSushi/toml"
)

// TemplateResource is the [template] table of a confd/conf.d/*.toml file.
type TemplateResource struct {
	Src       string   // under confd/templates/
	Dest      string   // absolute path on the instance
	Keys      []string // metadata prefixes, e.g. "/host"
	CheckCmd  string
	ReloadCmd string
	Mode      string
	// ReloadFailsJob (reload_fails_job = true, Pitrix's key) makes a failing reload_cmd fail
	// the job that rendered it. Without it a failing reload is logged and reported as the
	// node's render status, as confd does, and retried at the next render.
	ReloadFailsJob bool
}

// CheckTOML reports whether data is a TOML document (confd/confd.toml).
func CheckTOML(data []byte) error {
	var doc map[string]any
	if _, err := toml.Decode(string(data), &doc); err != nil {
		return err
	}
	return nil
}

// Parse reads a confd template resource and checks it: src must be a plain relative path
// under templates/, dest a clean absolute path, keys absolute metadata paths, mode octal.
func Parse(data []byte) (*TemplateResource, error) {
	var doc map[string]any
	if _, err := toml.Decode(string(data), &doc); err != nil {
		return nil, err
	}
	tbl, ok := doc["template"].(map[string]any)
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
	var err error
	for _, f := range []struct {
		key string
		dst *string
	}{{"src", &res.Src}, {"dest", &res.Dest}, {"check_cmd", &res.CheckCmd}, {"reload_cmd", &res.ReloadCmd}} {
		if *f.dst, err = str(f.key); err != nil {
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
	if v, ok := tbl["reload_fails_job"]; ok {
		b, isBool := v.(bool)
		if !isBool {
			return nil, fmt.Errorf("template.reload_fails_job must be true or false")
		}
		res.ReloadFailsJob = b
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
		list, ok := v.([]any)
		if !ok {
			return nil, fmt.Errorf("template.keys must be a list of strings")
		}
		for _, item := range list {
			k, ok := item.(string)
			if !ok {
				return nil, fmt.Errorf("template.keys must be a list of strings")
			}
			if !strings.HasPrefix(k, "/") {
				return nil, fmt.Errorf("template.keys: %q must start with /", k)
			}
			res.Keys = append(res.Keys, k)
		}
	}
	return res, nil
}
