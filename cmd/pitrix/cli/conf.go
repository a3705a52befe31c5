package cli

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"

	"sigs.k8s.io/yaml"
)

// setFlag is a repeatable --set key.path=value flag. Values are kept in order: later ones win.
type setFlag []string

func (f *setFlag) String() string { return strings.Join(*f, " ") }

func (f *setFlag) Type() string { return "key.path=value" }

func (f *setFlag) Set(v string) error {
	k, _, ok := strings.Cut(v, "=")
	if !ok || strings.TrimSpace(k) == "" {
		return fmt.Errorf("want KEY.PATH=VALUE")
	}
	*f = append(*f, v)
	return nil
}

// maxConfBytes bounds a conf or env file.
const maxConfBytes = 8 << 20

// readConfFile reads a JSON or YAML document whose top level is an object; "-" is stdin.
func readConfFile(stdin io.Reader, name string) (map[string]any, error) {
	var r io.Reader = stdin
	if name != "-" {
		f, err := os.Open(name)
		if err != nil {
			return nil, fmt.Errorf("read %s: %w", name, err)
		}
		defer f.Close()
		r = f
	}
	data, err := io.ReadAll(io.LimitReader(r, maxConfBytes+1))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", name, err)
	}
	if len(data) > maxConfBytes {
		return nil, fmt.Errorf("read %s: over %d bytes", name, maxConfBytes)
	}
	return parseConf(name, data)
}

// parseConf parses JSON or YAML (JSON is YAML) into an object, keeping numbers exact.
func parseConf(name string, data []byte) (map[string]any, error) {
	if len(bytes.TrimSpace(data)) == 0 {
		return map[string]any{}, nil
	}
	js, err := yaml.YAMLToJSON(data)
	if err != nil {
		return nil, fmt.Errorf("parse %s: %w", name, err)
	}
	d := json.NewDecoder(bytes.NewReader(js))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil {
		return nil, fmt.Errorf("parse %s: %w", name, err)
	}
	switch m := v.(type) {
	case map[string]any:
		return m, nil
	case nil:
		return map[string]any{}, nil
	}
	return nil, fmt.Errorf("parse %s: the top level must be an object of keys", name)
}

// applySets merges "a.b.c=value" assignments into conf, making objects on the way. A value that
// parses as a JSON scalar (number, true, false, null, "quoted") is that scalar; anything else is
// the string as given.
func applySets(conf map[string]any, sets []string) error {
	for _, s := range sets {
		key, raw, _ := strings.Cut(s, "=")
		path := strings.Split(strings.TrimSpace(key), ".")
		for _, p := range path {
			if p == "" {
				return fmt.Errorf("--set %s: empty key in %q", s, key)
			}
		}
		m := conf
		for i, p := range path[:len(path)-1] {
			next, ok := m[p]
			if !ok || next == nil {
				child := map[string]any{}
				m[p] = child
				m = child
				continue
			}
			child, ok := next.(map[string]any)
			if !ok {
				return fmt.Errorf("--set %s: %s is not an object", s, strings.Join(path[:i+1], "."))
			}
			m = child
		}
		m[path[len(path)-1]] = scalar(raw)
	}
	return nil
}

// scalar is the JSON scalar raw spells, or raw itself as a string.
func scalar(raw string) any {
	d := json.NewDecoder(strings.NewReader(raw))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil || d.More() {
		return raw
	}
	if _, err := d.Token(); err != io.EOF {
		return raw
	}
	switch v.(type) {
	case map[string]any, []any:
		return raw
	}
	return v
}

// confBody builds an object from an optional file and --set assignments; nil when neither was
// given.
func (c *cmd) confBody(file string, sets setFlag) (map[string]any, error) {
	if file == "" && len(sets) == 0 {
		return nil, nil
	}
	conf := map[string]any{}
	if file != "" {
		m, err := readConfFile(c.s.env.Stdin, file)
		if err != nil {
			return nil, err
		}
		conf = m
	}
	if err := applySets(conf, sets); err != nil {
		return nil, c.usageErr("%v", err)
	}
	return conf, nil
}
