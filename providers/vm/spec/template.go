package spec

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"

	"github.com/cbroglie/mustache"
)

// maxRendered bounds a rendered cluster.json: sections over lists and
// placeholders that expand to large groups could otherwise multiply a small
// template into gigabytes.
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

// Marker bytes. A value renders first as a marker holding its JSON; the
// JSON-aware pass (finish) replaces each marker by the value written for
// where it sits. A template holding either byte is refused, so template
// text never forges one.
const (
	markRaw     = '\x00' // {{{x}}} and {{&x}}: the value's text as is
	markEscaped = '\x01' // {{x}}: the value as JSON
)

// clusterTemplate is a parsed cluster.json template (mustache, with
// github.com/cbroglie/mustache) and the variable tags that resolve against
// the root, for the unknown-key check.
type clusterTemplate struct {
	src  string
	tmpl *mustache.Template
	root []string // names of variable tags outside sections, in order
	// depth is how deeply sections nest: with lists of n items a render
	// repeats text up to n^depth times.
	depth int
}

// TemplateError is a problem at a position of a template. Col is 0 when
// only the line is known.
type TemplateError struct {
	Line, Col int
	Msg       string
}

func (e *TemplateError) Error() string {
	if e.Col == 0 {
		return fmt.Sprintf("line %d: %s", e.Line, e.Msg)
	}
	return fmt.Sprintf("line %d col %d: %s", e.Line, e.Col, e.Msg)
}

func (t *clusterTemplate) errAt(pos int, format string, args ...any) *TemplateError {
	line, col := lineCol([]byte(t.src), pos)
	return &TemplateError{Line: line, Col: col, Msg: fmt.Sprintf(format, args...)}
}

// dotFormRE finds the Go-template dot form "{{.cluster.name}}" (and
// "{{{.x}}}", "{{#.x}}", ...), which mustache reads as "{{cluster.name}}";
// "{{.}}" is mustache's own and stays.
var dotFormRE = regexp.MustCompile(`(\{\{\{?[&#^/]?\s*)\.([^\s}.])`)

// parseTemplate parses src as a mustache template. Sections, inverted
// sections, comments, set-delimiter and the triple mustache work as the
// mustache spec has them; partials are refused (a package is one file
// tree, and a partial would be a path into it).
func parseTemplate(src string) (*clusterTemplate, error) {
	t := &clusterTemplate{src: src}
	if i := strings.IndexAny(src, "\x00\x01"); i >= 0 {
		return nil, t.errAt(i, "control character %q in the template", src[i])
	}
	m, err := mustache.ParseString(dotFormRE.ReplaceAllString(src, "$1$2"))
	if err != nil {
		var pe mustache.ParseError
		if errors.As(err, &pe) {
			return nil, &TemplateError{Line: pe.Line, Msg: strings.TrimPrefix(pe.Error(), fmt.Sprintf("line %d: ", pe.Line))}
		}
		return nil, fmt.Errorf("%w", err)
	}
	m.Escape(func(s string) string { return strings.ReplaceAll(s, string(rune(markRaw)), string(rune(markEscaped))) })
	t.tmpl = m
	if err := t.walk(m.Tags(), true); err != nil {
		return nil, err
	}
	t.depth = sectionDepth(m.Tags())
	return t, nil
}

func sectionDepth(tags []mustache.Tag) int {
	most := 0
	for _, tag := range tags {
		if tag.Type() == mustache.Section || tag.Type() == mustache.InvertedSection {
			most = max(most, 1+sectionDepth(tag.Tags()))
		}
	}
	return most
}

// maxRepeats bounds n^depth for the longest list n of a render: sections
// nested over lists multiply, and variables alone (without text) would
// loop without writing enough to hit the output bound.
const maxRepeats = 1 << 20

func longestList(v any) int {
	n := 0
	switch v := v.(type) {
	case tList:
		n = len(v)
		for _, e := range v {
			n = max(n, longestList(e))
		}
	case tObj:
		for _, e := range v {
			n = max(n, longestList(e))
		}
	case dObj:
		for _, e := range v {
			n = max(n, longestList(e))
		}
	}
	return n
}

// walk collects the root variable tags and refuses partials. Inside an
// inverted section the context is still the root; inside a section it is
// the section's value, where names may be relative.
func (t *clusterTemplate) walk(tags []mustache.Tag, atRoot bool) error {
	for _, tag := range tags {
		switch tag.Type() {
		case mustache.Variable:
			if atRoot && tag.Name() != "." {
				t.root = append(t.root, tag.Name())
			}
		case mustache.Section:
			if err := t.walk(tag.Tags(), false); err != nil {
				return err
			}
		case mustache.InvertedSection:
			if err := t.walk(tag.Tags(), atRoot); err != nil {
				return err
			}
		case mustache.Partial:
			return t.errAt(t.tagPos(tag.Name()), "partials are not supported: {{>%s}}", truncate(tag.Name(), 40))
		}
	}
	return nil
}

// tagPos finds where a tag naming name first sits in the source (for error
// positions); 0 when it cannot be found.
func (t *clusterTemplate) tagPos(name string) int {
	re, err := regexp.Compile(`\{\{\{?[&>]?\s*\.?` + regexp.QuoteMeta(name) + `\s*\}?\}\}`)
	if err != nil {
		return 0
	}
	if loc := re.FindStringIndex(t.src); loc != nil {
		return loc[0]
	}
	return 0
}

// execute renders the template with values (merged conf), filling declared
// items without a value ("" for text, null otherwise) and the built-in keys.
// Every unknown root placeholder is reported at once.
func (t *clusterTemplate) execute(values map[string]any, tree *ConfigTree) ([]byte, error) {
	var errs []string
	seen := map[string]bool{}
	for _, name := range t.root {
		if seen[name] {
			continue
		}
		seen[name] = true
		if !known(values, tree, name) {
			errs = append(errs, t.errAt(t.tagPos(name), "unknown key %s", strconv.Quote(name)).Error())
		}
	}
	if len(errs) > 0 {
		return nil, fmt.Errorf("%s", strings.Join(errs, "; "))
	}
	ctx := renderContext(values, tree)
	if n := longestList(ctx); n > 1 && t.depth > 0 {
		repeats := 1
		for range t.depth {
			repeats *= n
			if repeats > maxRepeats {
				return nil, fmt.Errorf("sections nested %d deep over a list of %d items would repeat over %d times", t.depth, n, maxRepeats)
			}
		}
	}
	var marked bytes.Buffer
	if err := t.tmpl.FRender(&limitWriter{w: &marked, n: 4 * maxRendered}, ctx); err != nil {
		return nil, fmt.Errorf("render: %w", err)
	}
	if marked.Len() > 4*maxRendered {
		return nil, fmt.Errorf("rendered output exceeds %d bytes", maxRendered)
	}
	return finish(marked.Bytes())
}

// known reports whether a root placeholder names a value, a declared item
// or a built-in key.
func known(values map[string]any, tree *ConfigTree, path string) bool {
	if _, ok := resolve(values, path); ok {
		return true
	}
	if tree.Lookup(path) != nil || builtinKeys[path] {
		return true
	}
	segs := strings.Split(path, ".")
	if alias, ok := subnetAliases[segs[len(segs)-1]]; ok {
		segs[len(segs)-1] = alias
		return tree.Lookup(strings.Join(segs, ".")) != nil
	}
	return false
}

// limitWriter fails writes past n bytes, ending a runaway render.
type limitWriter struct {
	w io.Writer
	n int
}

var errTooLarge = errors.New("rendered output too large")

func (l *limitWriter) Write(p []byte) (int, error) {
	if len(p) > l.n {
		l.n = -1
		return 0, fmt.Errorf("%w: over %d bytes", errTooLarge, maxRendered)
	}
	l.n -= len(p)
	return l.w.Write(p)
}

// The value types of a render context. Each keeps its kind, so mustache's
// truthiness holds (false, 0, "" and empty lists are falsy; objects are
// contexts; lists iterate), and renders as a marker carrying its JSON.
type (
	tStr   string
	tInt   int64
	tFloat float64
	tBool  bool
	tNull  struct{}
	tList  []any
	tObj   map[string]any
	// dObj is an object made up from dotted keys ("log.level" gives
	// "log": {"level": ...}), left out when its parent renders so that
	// nothing shows twice.
	dObj map[string]any
)

func marker(v any) string {
	b, err := marshal(v)
	if err != nil {
		b = []byte("null")
	}
	return markJSON(b)
}

// markJSON is the marker of a value's JSON.
func markJSON(js []byte) string {
	return string(rune(markRaw)) + base64.StdEncoding.EncodeToString(js) + string(rune(markRaw))
}

func (v tStr) String() string   { return marker(string(v)) }
func (v tInt) String() string   { return markJSON(strconv.AppendInt(nil, int64(v), 10)) }
func (v tFloat) String() string { return marker(float64(v)) }
func (v tBool) String() string  { return markJSON(strconv.AppendBool(nil, bool(v))) }
func (tNull) String() string    { return markJSON([]byte("null")) }
func (v tList) String() string  { return marker(plain(v)) }
func (v tObj) String() string   { return marker(plain(v)) }
func (v dObj) String() string   { return marker(plain(tObj(v))) }

// plain turns context values back into plain Go values for JSON.
func plain(v any) any {
	switch v := v.(type) {
	case tStr:
		return string(v)
	case tInt:
		return int64(v)
	case tFloat:
		return float64(v)
	case tBool:
		return bool(v)
	case tNull:
		return nil
	case tList:
		out := make([]any, len(v))
		for i, e := range v {
			out[i] = plain(e)
		}
		return out
	case tObj:
		out := make(map[string]any, len(v))
		added, _ := v[derivedKey].(map[string]bool)
		for k, e := range v {
			if _, derived := e.(dObj); derived || k == derivedKey || added[k] {
				continue
			}
			out[k] = plain(e)
		}
		return out
	case dObj:
		return plain(tObj(v))
	}
	return v
}

// renderContext converts values to the render context: typed leaves, declared
// items without a value filled in, built-ins and the subnet/vxnet aliases
// present, and every dotted key also reachable segment by segment (mustache
// splits "env.log.level" at each dot).
func renderContext(values map[string]any, tree *ConfigTree) tObj {
	root := toCtx(values).(tObj)
	if tree != nil {
		fillDeclared(root, tree.Items)
	}
	for path := range builtinKeys {
		group, key, _ := strings.Cut(path, ".")
		g, ok := root[group].(tObj)
		if !ok {
			g = tObj{}
			root[group] = g
		}
		if _, has := g[key]; !has {
			g[key] = tStr("")
		}
	}
	addDerived(root, 0)
	return root
}

func toCtx(v any) any {
	switch v := v.(type) {
	case nil:
		return tNull{}
	case string:
		return tStr(v)
	case bool:
		return tBool(v)
	case json.Number:
		if i, err := v.Int64(); err == nil {
			return tInt(i)
		}
		f, _ := v.Float64()
		return tFloat(f)
	case map[string]any:
		out := make(tObj, len(v))
		for k, e := range v {
			out[k] = toCtx(e)
		}
		return out
	case []any:
		out := make(tList, len(v))
		for i, e := range v {
			out[i] = toCtx(e)
		}
		return out
	}
	if f, ok := toFloat(v); ok {
		if f == float64(int64(f)) {
			switch v.(type) {
			case float32, float64:
				return tFloat(f)
			}
			return tInt(int64(f))
		}
		return tFloat(f)
	}
	b, err := marshal(v)
	if err != nil {
		return tNull{}
	}
	var back any
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	if dec.Decode(&back) != nil {
		return tNull{}
	}
	return toCtx(back)
}

// fillDeclared gives every declared item without a value one ("" for
// text, null otherwise), as the old renderer did, and the subnet/vxnet
// alias of each.
func fillDeclared(obj tObj, items []*Item) {
	for _, it := range items {
		if !it.Leaf() {
			sub, ok := obj[it.Key].(tObj)
			if !ok {
				if _, has := obj[it.Key]; has {
					continue
				}
				sub = tObj{}
				obj[it.Key] = sub
			}
			fillDeclared(sub, it.Properties)
			continue
		}
		if _, has := obj[it.Key]; has {
			continue
		}
		switch {
		case isText(it):
			obj[it.Key] = tStr("")
		case it.Type == TypeLoadBalancer:
			obj[it.Key] = tList{}
		default:
			obj[it.Key] = tNull{}
		}
	}
	for from, to := range subnetAliases {
		if v, ok := obj[from]; ok {
			if _, has := obj[to]; !has {
				obj[to] = v
			}
		}
	}
}

// derivedKey lists, in an object of the values, the names addDerived put
// there, so that rendering the object leaves them out. No template can name
// it (templates hold no NUL).
const derivedKey = "\x00derived"

// addDerived makes "a.b.c": v also reachable as a → b → c where nothing
// else holds those names.
func addDerived(obj map[string]any, depth int) {
	if depth > maxConfigDepth*2 {
		return
	}
	var dotted []string
	for k, v := range obj {
		if o, ok := v.(tObj); ok {
			addDerived(o, depth+1)
		}
		if strings.Contains(strings.Trim(k, "."), ".") {
			dotted = append(dotted, k)
		}
	}
	sortStrings(dotted)
	for _, k := range dotted {
		segs := strings.Split(k, ".")
		cur, inReal := obj, true
		ok := true
		for _, s := range segs[:len(segs)-1] {
			switch next := cur[s].(type) {
			case nil:
				d := dObj{}
				cur[s] = d
				cur, inReal = d, false
			case tObj:
				cur, inReal = next, true
			case dObj:
				cur, inReal = next, false
			default:
				ok = false
			}
			if !ok {
				break
			}
		}
		last := segs[len(segs)-1]
		if _, taken := cur[last]; ok && !taken {
			cur[last] = obj[k]
			if !inReal {
				continue
			}
			if real, isReal := cur[derivedKey].(map[string]bool); isReal {
				real[last] = true
			} else {
				cur[derivedKey] = map[string]bool{last: true}
			}
		}
	}
}

// finish replaces the markers of a rendered template, tracking JSON
// strings: a {{x}} outside a string writes x's JSON; one that is a whole
// string ("{{x}}") writes x's JSON in place of the string, so a number
// stays a number; one inside a string with other text writes x's text,
// escaped for the string. A {{{x}}} writes x's text as is.
func finish(r []byte) ([]byte, error) {
	var out bytes.Buffer
	out.Grow(len(r))
	inStr, escaped := false, false
	strStart, quoteOut := -1, -1 // the opening quote in r and in out
	for i := 0; i < len(r); {
		c := r[i]
		if c == markRaw || c == markEscaped {
			end := bytes.IndexByte(r[i+1:], c)
			if end < 0 {
				return nil, fmt.Errorf("internal: unterminated value marker")
			}
			end += i + 1
			js, err := base64.StdEncoding.DecodeString(string(r[i+1 : end]))
			if err != nil || len(js) == 0 {
				return nil, fmt.Errorf("internal: bad value marker")
			}
			next := end + 1
			switch {
			case c == markRaw:
				text, err := rawText(js)
				if err != nil {
					return nil, err
				}
				out.WriteString(text)
			case inStr && strStart == i-1 && next < len(r) && r[next] == '"':
				out.Truncate(quoteOut)
				out.Write(js)
				next++
				inStr = false
			case inStr && js[0] == '"':
				out.Write(js[1 : len(js)-1]) // the JSON string's content, escaped
			case inStr:
				b, err := marshal(string(js)) // a number, object, ... as text
				if err != nil {
					return nil, err
				}
				out.Write(b[1 : len(b)-1])
			default:
				out.Write(js)
			}
			if out.Len() > maxRendered {
				return nil, fmt.Errorf("rendered output exceeds %d bytes", maxRendered)
			}
			i = next
			continue
		}
		switch {
		case escaped:
			escaped = false
		case inStr && c == '\\':
			escaped = true
		case inStr && c == '"':
			inStr = false
		case !inStr && c == '"':
			inStr, strStart, quoteOut = true, i, out.Len()
		}
		out.WriteByte(c)
		i++
	}
	if out.Len() > maxRendered {
		return nil, fmt.Errorf("rendered output exceeds %d bytes", maxRendered)
	}
	return out.Bytes(), nil
}

// rawText is a value's text for the triple mustache, from its JSON: a
// string as is, nothing for null, the JSON of the rest.
func rawText(js []byte) (string, error) {
	switch {
	case string(js) == "null":
		return "", nil
	case js[0] == '"':
		var text string
		if err := json.Unmarshal(js, &text); err != nil {
			return "", fmt.Errorf("internal: bad value marker: %w", err)
		}
		return text, nil
	}
	return string(js), nil
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
