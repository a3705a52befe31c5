package confd

import (
	"bytes"
	"fmt"
	"path"
	"strings"
	"text/template"
	"text/template/parse"

	"github.com/pitrix/pitrix/edge/metadata"
)

// tickFunc is the function the renderer injects at the top of every loop
// body and template so that a hostile template cannot run forever: range
// over a huge integer or unbounded recursion meet the budget.
const tickFunc = "_pitrix_tick"

// budget meters one render: steps (loop iterations and template calls),
// bytes produced by string functions, and the output itself.
type budget struct {
	steps, maxSteps int
	bytes, maxBytes int
}

func (b *budget) tick() (string, error) {
	b.steps++
	if b.steps > b.maxSteps {
		return "", fmt.Errorf("%w: more than %d loop iterations and template calls", ErrBudget, b.maxSteps)
	}
	return "", nil
}

// grow records n bytes produced by a function.
func (b *budget) grow(n int) error {
	if n < 0 {
		n = 0
	}
	b.bytes += n
	if b.bytes > b.maxBytes || n > b.maxBytes {
		return fmt.Errorf("%w: template functions produced more than %d bytes", ErrTooLarge, b.maxBytes)
	}
	return nil
}

// limitWriter fails writes past max bytes, which stops the template.
type limitWriter struct {
	buf bytes.Buffer
	max int
}

func (w *limitWriter) Write(p []byte) (int, error) {
	if w.buf.Len()+len(p) > w.max {
		return 0, fmt.Errorf("%w: more than %d bytes", ErrTooLarge, w.max)
	}
	return w.buf.Write(p)
}

// limits are the bounds of one render.
type limits struct {
	maxOutput int // bytes of the rendered file
	maxSteps  int
}

// execute renders res's template against v (already cut to the resource's
// keys). Errors name the template.
func execute(res Resource, v metadata.View, lim limits, h host) ([]byte, error) {
	b := &budget{maxSteps: lim.maxSteps, maxBytes: 8 * lim.maxOutput}
	funcs := funcMap(v, b, h)
	meterBuiltins(funcs, b)
	t, err := template.New(res.Src).Funcs(funcs).Parse(res.Template)
	if err != nil {
		return nil, fmt.Errorf("template %s: %w", res.Src, err)
	}
	for _, tt := range t.Templates() {
		if tt.Tree != nil && tt.Tree.Root != nil {
			meterTree(tt.Tree.Root)
		}
	}
	w := &limitWriter{max: lim.maxOutput}
	if err := t.Execute(w, nil); err != nil {
		return nil, fmt.Errorf("template %s: %w", res.Src, err)
	}
	return w.buf.Bytes(), nil
}

// meterBuiltins replaces text/template's string-building built-ins with
// versions that count what they produce, so repeated doubling stops at the
// budget instead of exhausting memory.
func meterBuiltins(funcs template.FuncMap, b *budget) {
	wrap := func(f func(...any) string) func(...any) (string, error) {
		return func(args ...any) (string, error) {
			s := f(args...)
			return s, b.grow(len(s))
		}
	}
	funcs["printf"] = func(format string, args ...any) (string, error) {
		s := fmt.Sprintf(format, args...)
		return s, b.grow(len(s))
	}
	funcs["print"] = wrap(fmt.Sprint)
	funcs["println"] = wrap(fmt.Sprintln)
	funcs["html"] = wrap(template.HTMLEscaper)
	funcs["js"] = wrap(template.JSEscaper)
	funcs["urlquery"] = wrap(template.URLQueryEscaper)
	funcs["join"] = func(l []string, sep string) (string, error) {
		n := len(sep) * max(len(l)-1, 0)
		for _, s := range l {
			n += len(s)
		}
		if err := b.grow(n); err != nil {
			return "", err
		}
		return strings.Join(l, sep), nil
	}
}

// meterTree puts a call of tickFunc at the top of every loop body and of
// the template itself.
func meterTree(root *parse.ListNode) {
	prependTick(root)
	var walk func(n parse.Node)
	walk = func(n parse.Node) {
		switch n := n.(type) {
		case *parse.ListNode:
			if n == nil {
				return
			}
			for _, c := range n.Nodes {
				walk(c)
			}
		case *parse.RangeNode:
			prependTick(n.List)
			walk(n.List)
			walk(n.ElseList)
		case *parse.IfNode:
			walk(n.List)
			walk(n.ElseList)
		case *parse.WithNode:
			walk(n.List)
			walk(n.ElseList)
		}
	}
	walk(root)
}

func prependTick(l *parse.ListNode) {
	if l == nil {
		return
	}
	ident := parse.NewIdentifier(tickFunc).SetPos(l.Pos)
	tick := &parse.ActionNode{
		NodeType: parse.NodeAction,
		Pos:      l.Pos,
		Pipe: &parse.PipeNode{
			NodeType: parse.NodePipe,
			Pos:      l.Pos,
			Cmds:     []*parse.CommandNode{{NodeType: parse.NodeCommand, Pos: l.Pos, Args: []parse.Node{ident}}},
		},
	}
	l.Nodes = append([]parse.Node{tick}, l.Nodes...)
}

// scope returns the part of v a resource sees, with keys relative to
// prefix: the view holds /self's content, so the full key of "/host/ip" is
// "/self/host/ip". With keys set, only those subtrees are kept, as confd
// loads only a resource's keys.
func scope(v metadata.View, prefix string, keys []string) metadata.View {
	prefix = path.Clean("/" + prefix)
	out := metadata.View{}
	for k, val := range v {
		full := "/self" + k
		rel := full
		if prefix != "/" {
			r, ok := strings.CutPrefix(full, prefix)
			if !ok || (r != "" && r[0] != '/') || r == "" {
				continue
			}
			rel = r
		}
		if len(keys) > 0 && !underAny(rel, keys) {
			continue
		}
		out[rel] = val
	}
	return out
}

func underAny(k string, dirs []string) bool {
	for _, d := range dirs {
		d = path.Clean("/" + d)
		if d == "/" || k == d || strings.HasPrefix(k, d+"/") {
			return true
		}
	}
	return false
}
