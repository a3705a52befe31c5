package form

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/pitrix/pitrix/providers/vm/spec"
)

// Field types beyond config.json's: "text" (multi-line string) and "yaml" (any JSON value,
// edited as JSON, for schema parts without a simple type).
const (
	TypeText = "text"
	TypeYAML = "yaml"
)

// Langs are the languages a form may be asked in; "" means English.
var Langs = []string{"en", "zh-CN"}

// Form is a version's deploy form.
type Form struct {
	AppType    string  `json:"app_type"` // vm | helm
	Lang       string  `json:"lang"`
	Fields     []Field `json:"fields"`
	ValuesYAML string  `json:"values_yaml,omitempty"` // helm: the chart's values.yaml, for the YAML editor
}

// Field is one value of the form, by its dotted key in the conf ("cluster.node.count").
type Field struct {
	Key         string   `json:"key"`
	Path        []string `json:"path"` // Key's segments (a VM item's key may itself hold dots)
	Label       string   `json:"label"`
	Description string   `json:"description,omitempty"`
	Type        string   `json:"type"` // string|integer|number|boolean|password|text|yaml
	Default     any      `json:"default,omitempty"`
	Required    bool     `json:"required"`
	Min         *float64 `json:"min,omitempty"`
	Max         *float64 `json:"max,omitempty"`
	Pattern     string   `json:"pattern,omitempty"`
	Enum        []any    `json:"enum,omitempty"`
	Multichoice bool     `json:"multichoice,omitempty"`
	Changeable  bool     `json:"changeable"`
	Group       string   `json:"group"`                 // the VM role the field belongs to, or ""
	GroupLabel  string   `json:"group_label,omitempty"` // the role's label (translated)
}

// Translate maps a text of the package to lang; nil is the identity.
type Translate func(lang, text string) string

// CheckLang returns the canonical language for lang ("" → "en"), or an error naming the choices.
func CheckLang(lang string) (string, error) {
	if lang == "" {
		return "en", nil
	}
	for _, l := range Langs {
		if strings.EqualFold(l, lang) {
			return l, nil
		}
	}
	return "", fmt.Errorf("lang %q: want one of %s", lang, strings.Join(Langs, ", "))
}

// VM builds the form of a VM package from its config tree. Items under cluster.<role> carry the
// role as their group.
func VM(p *spec.Package, lang string, tr Translate) Form {
	if tr == nil {
		tr = func(_, s string) string { return s }
	}
	f := Form{AppType: "vm", Lang: lang, Fields: []Field{}}
	if p == nil || p.Config == nil {
		return f
	}
	groupLabels := map[string]string{} // role → its group item's label
	var walk func(items []*spec.Item, prefix []string)
	walk = func(items []*spec.Item, prefix []string) {
		for _, it := range items {
			path := append(slices.Clone(prefix), it.Key)
			if !it.Leaf() {
				if len(path) == 2 && path[0] == "cluster" && it.Label != "" {
					groupLabels[it.Key] = tr(lang, it.Label)
				}
				walk(it.Properties, path)
				continue
			}
			group := ""
			if len(path) >= 3 && path[0] == "cluster" {
				group = path[1]
			}
			label := it.Label
			if label == "" {
				label = it.Key
			}
			fd := Field{
				Key: strings.Join(path, "."), Path: path, Label: tr(lang, label), Description: tr(lang, it.Description),
				Type: it.Type, Default: it.Default, Required: it.Required, Min: it.Min, Max: it.Max,
				Pattern: it.Pattern, Multichoice: it.Multichoice, Changeable: it.Changeable, Group: group,
				GroupLabel: groupLabels[group],
			}
			if len(it.Range) > 0 {
				fd.Enum = slices.Clone(it.Range)
			}
			f.Fields = append(f.Fields, fd)
		}
	}
	walk(p.Config.Items, nil)
	return f
}

// maxSchemaDepth bounds how deep Helm builds fields into nested objects; deeper parts become
// one yaml field.
const maxSchemaDepth = 8

// Helm builds the form of a chart from its values.schema.json (may be empty: then the form has
// no fields and only the YAML editor) and values.yaml. Defaults come from the schema's
// "default", else from values.yaml. Only local "#/..." references are followed.
func Helm(schema, valuesYAML []byte, values map[string]any, lang string) (Form, error) {
	f := Form{AppType: "helm", Lang: lang, Fields: []Field{}, ValuesYAML: string(valuesYAML)}
	if len(strings.TrimSpace(string(schema))) == 0 {
		return f, nil
	}
	var doc map[string]any
	if err := json.Unmarshal(schema, &doc); err != nil {
		return f, fmt.Errorf("values.schema.json: %w", err)
	}
	b := helmBuilder{doc: doc, values: values, order: keyOrder(schema)}
	b.object(doc, "", nil, &f.Fields, 0)
	return f, nil
}

type helmBuilder struct {
	doc    map[string]any
	values map[string]any
	order  map[string][]string // JSON pointer of a "properties" object → its keys as written
}

// keyOrder returns the keys of every "properties" object of a JSON document in the order they
// are written, by the object's JSON pointer ("/properties/image/properties").
func keyOrder(data []byte) map[string][]string {
	out := map[string][]string{}
	dec := json.NewDecoder(bytes.NewReader(data))
	var walk func(ptr string) bool
	walk = func(ptr string) bool {
		tok, err := dec.Token()
		if err != nil {
			return false
		}
		switch tok {
		case json.Delim('{'):
			var keys []string
			for dec.More() {
				kt, err := dec.Token()
				k, ok := kt.(string)
				if err != nil || !ok {
					return false
				}
				keys = append(keys, k)
				if !walk(ptr + "/" + strings.NewReplacer("~", "~0", "/", "~1").Replace(k)) {
					return false
				}
			}
			if strings.HasSuffix(ptr, "/properties") {
				out[ptr] = keys
			}
			_, err = dec.Token()
			return err == nil
		case json.Delim('['):
			for i := 0; dec.More(); i++ {
				if !walk(ptr + "/" + strconv.Itoa(i)) {
					return false
				}
			}
			_, err = dec.Token()
			return err == nil
		}
		return true
	}
	walk("")
	return out
}

// resolve follows a local $ref chain (bounded), returning the schema and its JSON pointer.
func (b *helmBuilder) resolve(s map[string]any, ptr string) (map[string]any, string) {
	for range 16 {
		ref, ok := s["$ref"].(string)
		if !ok {
			return s, ptr
		}
		if !strings.HasPrefix(ref, "#/") {
			return map[string]any{}, ""
		}
		ptr = ref[1:]
		var cur any = b.doc
		for _, seg := range strings.Split(ref[2:], "/") {
			seg = strings.ReplaceAll(strings.ReplaceAll(seg, "~1", "/"), "~0", "~")
			m, ok := cur.(map[string]any)
			if !ok {
				return map[string]any{}, ""
			}
			cur = m[seg]
		}
		next, ok := cur.(map[string]any)
		if !ok {
			return map[string]any{}, ""
		}
		s = next
	}
	return s, ptr
}

// object adds the fields of schema s (at JSON pointer ptr) for value path, its properties in
// the order the schema writes them.
func (b *helmBuilder) object(s map[string]any, ptr string, path []string, out *[]Field, depth int) {
	s, ptr = b.resolve(s, ptr)
	props, _ := s["properties"].(map[string]any)
	required := map[string]bool{}
	if rs, ok := s["required"].([]any); ok {
		for _, r := range rs {
			if k, ok := r.(string); ok {
				required[k] = true
			}
		}
	}
	keys := slices.Clone(b.order[ptr+"/properties"])
	if len(keys) != len(props) {
		keys = keys[:0]
		for k := range props {
			keys = append(keys, k)
		}
		slices.Sort(keys)
	}
	esc := strings.NewReplacer("~", "~0", "/", "~1")
	for _, k := range keys {
		ps, ok := props[k].(map[string]any)
		if !ok || k == "" || strings.Contains(k, ".") {
			continue // a key a dotted path cannot name is left to the YAML editor
		}
		pptr := ptr + "/properties/" + esc.Replace(k)
		ps, pptr = b.resolve(ps, pptr)
		p := append(slices.Clone(path), k)
		typ := schemaType(ps)
		if typ == "object" && depth < maxSchemaDepth {
			if _, has := ps["properties"]; has {
				b.object(ps, pptr, p, out, depth+1)
				continue
			}
		}
		*out = append(*out, b.leaf(ps, p, typ, required[k]))
	}
}

func (b *helmBuilder) leaf(s map[string]any, path []string, typ string, required bool) Field {
	key := strings.Join(path, ".")
	fd := Field{Key: key, Path: path, Label: key, Required: required, Changeable: true}
	if t, ok := s["title"].(string); ok && t != "" {
		fd.Label = t
	}
	fd.Description, _ = s["description"].(string)
	switch typ {
	case "string", "integer", "number", "boolean":
		fd.Type = typ
	case "":
		if _, ok := s["enum"]; ok {
			fd.Type = "string"
		} else {
			fd.Type = TypeYAML
		}
	default:
		fd.Type = TypeYAML
	}
	if en, ok := s["enum"].([]any); ok {
		fd.Enum = en
	}
	fd.Min = number(s["minimum"])
	fd.Max = number(s["maximum"])
	fd.Pattern, _ = s["pattern"].(string)
	if d, ok := s["default"]; ok {
		fd.Default = d
	} else if v, ok := lookup(b.values, path); ok {
		fd.Default = v
	}
	return fd
}

func schemaType(s map[string]any) string {
	switch t := s["type"].(type) {
	case string:
		return t
	case []any: // ["string", "null"]: the first non-null type
		for _, x := range t {
			if n, ok := x.(string); ok && n != "null" {
				return n
			}
		}
	}
	if _, ok := s["properties"]; ok {
		return "object"
	}
	return ""
}

func number(v any) *float64 {
	if f, ok := v.(float64); ok {
		return &f
	}
	return nil
}

func lookup(m map[string]any, path []string) (any, bool) {
	var cur any = m
	for _, p := range path {
		mm, ok := cur.(map[string]any)
		if !ok {
			return nil, false
		}
		if cur, ok = mm[p]; !ok {
			return nil, false
		}
	}
	return cur, true
}
