package spec

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// maxRendered bounds a rendered cluster.json: placeholders that expand to
// large groups could otherwise multiply a small template into gigabytes.
const maxRendered = 16 << 20

var pathRE = regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9_.-]*$`)

// builtinKeys are values the control plane supplies at deploy time rather
// than the config tree; AppCenter templates name them. A template may use
// them; before deploy (on Load) they render as empty strings.
var builtinKeys = map[string]bool{
	"cluster.app_id":      true,
	"cluster.version_id":  true,
	"cluster.global_uuid": true,
	"cluster.cluster_id":  true,
	"cluster.zone":        true,
	"cluster.runtime_id":  true,
	"cluster.owner":       true,
}

// clusterTemplate is a parsed cluster.json template: literal text and
// placeholders, with where each sat in the source.
type clusterTemplate struct {
	src  string
	toks []token
}

type token struct {
	lit   string // literal text; "" for a placeholder
	path  string // dotted path of a placeholder
	pos   int    // offset in src where the token starts
	inStr bool   // the placeholder sits inside a JSON string with other text
	whole bool   // the placeholder was the whole JSON string: quotes dropped
}

// TemplateError is a problem at a position of a template.
type TemplateError struct {
	Line, Col int
	Msg       string
}

func (e *TemplateError) Error() string {
	return fmt.Sprintf("line %d col %d: %s", e.Line, e.Col, e.Msg)
}

func (t *clusterTemplate) errAt(pos int, format string, args ...any) *TemplateError {
	line, col := lineCol([]byte(t.src), pos)
	return &TemplateError{Line: line, Col: col, Msg: fmt.Sprintf(format, args...)}
}

// parseTemplate splits src into literals and placeholders, tracking whether
// each placeholder sits inside a JSON string. "{{path}}", "{{.path}}",
// "{{{path}}}" and "{{& path}}" are placeholders; "{{! ...}}" is a comment.
func parseTemplate(src string) (*clusterTemplate, error) {
	t := &clusterTemplate{src: src}
	var lit strings.Builder
	litStart := 0
	inStr, escaped := false, false
	strStart := -1 // offset of the opening quote of the current string
	flush := func(next int) {
		if lit.Len() > 0 {
			t.toks = append(t.toks, token{lit: lit.String(), pos: litStart})
			lit.Reset()
		}
		litStart = next
	}
	for i := 0; i < len(src); {
		if strings.HasPrefix(src[i:], "{{") {
			open, closing := "{{", "}}"
			if strings.HasPrefix(src[i:], "{{{") {
				open, closing = "{{{", "}}}"
			}
			end := strings.Index(src[i+len(open):], closing)
			if end < 0 {
				return nil, t.errAt(i, "unclosed %q", open)
			}
			body := src[i+len(open) : i+len(open)+end]
			next := i + len(open) + end + len(closing)
			expr := strings.TrimSpace(body)
			if strings.HasPrefix(expr, "!") {
				i = next
				continue
			}
			expr = strings.TrimSpace(strings.TrimPrefix(expr, "&"))
			if expr != "" && strings.ContainsRune("#/^>=<", rune(expr[0])) {
				return nil, t.errAt(i, "mustache sections and partials are not supported: %q", truncate(expr, 40))
			}
			path := strings.TrimPrefix(expr, ".")
			if strings.Contains(path, "{{") || !pathRE.MatchString(path) || strings.Contains(path, "..") || strings.HasSuffix(path, ".") {
				return nil, t.errAt(i, "%q is not a placeholder (want {{key.key}})", truncate(expr, 40))
			}
			tok := token{path: path, pos: i, inStr: inStr}
			if inStr && strStart == i-1 && strings.HasPrefix(src[next:], `"`) {
				// "{{path}}": the value replaces the whole string, quotes
				// and all, so it keeps its type.
				s := lit.String()
				lit.Reset()
				lit.WriteString(s[:len(s)-1])
				tok.inStr, tok.whole, tok.pos = false, true, i-1
				next++
				inStr = false
			}
			flush(next)
			t.toks = append(t.toks, tok)
			i = next
			continue
		}
		c := src[i]
		switch {
		case escaped:
			escaped = false
		case inStr && c == '\\':
			escaped = true
		case inStr && c == '"':
			inStr = false
		case !inStr && c == '"':
			inStr, strStart = true, i
		}
		if lit.Len() == 0 {
			litStart = i
		}
		lit.WriteByte(c)
		i++
	}
	flush(len(src))
	return t, nil
}

// span maps a range of the output back to the template.
type span struct {
	out, src int
	isLit    bool
}

// execute renders the template. lookup returns a placeholder's value, or an
// error when the path is unknown. All unknown placeholders are reported.
func (t *clusterTemplate) execute(lookup func(path string) (any, error)) ([]byte, []span, error) {
	var out bytes.Buffer
	spans := make([]span, 0, len(t.toks))
	var errs []string
	for _, tok := range t.toks {
		spans = append(spans, span{out: out.Len(), src: tok.pos, isLit: tok.path == ""})
		if tok.path == "" {
			out.WriteString(tok.lit)
		} else {
			v, err := lookup(tok.path)
			if err != nil {
				errs = append(errs, t.errAt(tok.pos, "%s", err).Error())
				continue
			}
			if err := writeValue(&out, v, tok.inStr); err != nil {
				errs = append(errs, t.errAt(tok.pos, "{{%s}}: %s", tok.path, err).Error())
				continue
			}
		}
		if out.Len() > maxRendered {
			return nil, nil, t.errAt(tok.pos, "rendered output exceeds %d bytes", maxRendered)
		}
	}
	if len(errs) > 0 {
		return nil, nil, fmt.Errorf("%s", strings.Join(errs, "; "))
	}
	return out.Bytes(), spans, nil
}

// srcPos maps an output offset back to a template offset: inside a literal
// to the same character, inside a placeholder's value to the placeholder.
func srcPos(spans []span, off int) int {
	pos := 0
	for _, s := range spans {
		if s.out > off {
			break
		}
		pos = s.src
		if s.isLit {
			pos += off - s.out
		}
	}
	return pos
}

// writeValue writes v as JSON, or as escaped string content when the
// placeholder sits inside a string with other text.
func writeValue(out *bytes.Buffer, v any, inStr bool) error {
	if inStr {
		var text string
		switch v := v.(type) {
		case nil:
		case string:
			text = v
		default:
			b, err := marshal(v)
			if err != nil {
				return err
			}
			text = string(b)
		}
		b, err := marshal(text)
		if err != nil {
			return err
		}
		out.Write(b[1 : len(b)-1])
		return nil
	}
	b, err := marshal(v)
	if err != nil {
		return err
	}
	out.Write(b)
	return nil
}

func marshal(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil
}

// resolve finds a dotted path in nested maps, trying the longest key first
// at each level so that keys containing dots resolve; "subnet" and "vxnet"
// stand for each other.
func resolve(values map[string]any, path string) (any, bool) {
	segs := strings.Split(path, ".")
	if v, ok := resolveSegs(values, segs); ok {
		return v, true
	}
	last := segs[len(segs)-1]
	if alias, ok := subnetAliases[last]; ok {
		segs[len(segs)-1] = alias
		return resolveSegs(values, segs)
	}
	return nil, false
}

func resolveSegs(m map[string]any, segs []string) (any, bool) {
	for n := len(segs); n >= 1; n-- {
		v, ok := m[strings.Join(segs[:n], ".")]
		if !ok {
			continue
		}
		if n == len(segs) {
			return v, true
		}
		if sub, ok := v.(map[string]any); ok {
			if found, ok := resolveSegs(sub, segs[n:]); ok {
				return found, true
			}
		}
	}
	return nil, false
}

// lookupFunc resolves placeholders against values, then the config tree
// (declared items without a value render as "" for text and null
// otherwise), then the built-in keys.
func lookupFunc(values map[string]any, tree *ConfigTree) func(string) (any, error) {
	return func(path string) (any, error) {
		if v, ok := resolve(values, path); ok {
			return v, nil
		}
		it := tree.Lookup(path)
		if it == nil {
			segs := strings.Split(path, ".")
			if alias, ok := subnetAliases[segs[len(segs)-1]]; ok {
				segs[len(segs)-1] = alias
				it = tree.Lookup(strings.Join(segs, "."))
			}
		}
		switch {
		case it != nil && isText(it):
			return "", nil
		case it != nil:
			return nil, nil
		case builtinKeys[path]:
			return "", nil
		}
		return nil, fmt.Errorf("unknown key %s", strconv.Quote(path))
	}
}
