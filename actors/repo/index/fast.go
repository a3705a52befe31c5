package index

import (
	"bytes"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"
)

// fastItem parses one version piece — a block sequence of one item, as Helm writes it —
// without the yaml package, building the same node tree yaml.Unmarshal would (kind, value,
// null tag, style of quoted keys, line numbers). It covers the subset index files are written
// in: block mappings and sequences (sequences under a key at the key's indentation or
// deeper), plain scalars on one line, single- and double-quoted scalars on one line, literal
// block scalars ("|" and "|-"), empty flow collections ("[]", "{}"), blank lines and
// whole-line comments. Anything else — anchors, aliases, tags, folded or multi-line scalars,
// flow collections with content, merge keys, trailing comments, odd indentation, bytes the
// yaml reader refuses — gives ok false, and the caller decodes the piece with yaml, so the
// result never differs from yaml's, only its cost.
func fastItem(piece []byte) (n *yaml.Node, ok bool) {
	if !printable(piece) {
		return nil, false
	}
	p := fastParser{lines: splitLines(piece)}
	if p.lines == nil {
		return nil, false
	}
	p.skip()
	if p.i >= len(p.lines) {
		return nil, false
	}
	l := p.lines[p.i]
	if l.indent != 0 || !isDash(l.rest) {
		return nil, false
	}
	seq, ok := p.sequence(0)
	if !ok {
		return nil, false
	}
	p.skip()
	if p.i != len(p.lines) || len(seq.Content) != 1 {
		return nil, false
	}
	return seq, true
}

type fastLine struct {
	text   []byte // without the line break
	indent int
	rest   []byte // after the indentation
	blank  bool   // only spaces, or a comment after spaces
	num    int    // 1-based line number in the piece
	broken bool   // ends with a line break (all but maybe the last line)
}

func splitLines(b []byte) []fastLine {
	out := make([]fastLine, 0, 48)
	for num := 1; len(b) > 0; num++ {
		var text []byte
		broken := false
		if i := bytes.IndexByte(b, '\n'); i >= 0 {
			text, b, broken = b[:i], b[i+1:], true
		} else {
			text, b = b, nil
		}
		l := fastLine{text: text, num: num, broken: broken}
		for l.indent < len(text) && text[l.indent] == ' ' {
			l.indent++
		}
		l.rest = text[l.indent:]
		l.blank = len(l.rest) == 0 || l.rest[0] == '#'
		if len(l.rest) > 0 && l.rest[0] == '\t' {
			return nil // a tab where indentation could be: leave to yaml
		}
		out = append(out, l)
	}
	return out
}

// printable reports whether yaml's reader accepts every character of b.
func printable(b []byte) bool {
	for i := 0; i < len(b); {
		c := b[i]
		if c < utf8.RuneSelf {
			if c < 0x20 && c != '\t' && c != '\n' || c == 0x7f { // '\r' too: yaml breaks lines there
				return false
			}
			i++
			continue
		}
		r, size := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && size == 1 {
			return false
		}
		if r == 0x2028 || r == 0x2029 { // line breaks to yaml
			return false
		}
		if !(r >= 0xa0 && r <= 0xd7ff || r >= 0xe000 && r <= 0xfffd && r != 0xfeff || r >= 0x10000 && r <= 0x10ffff) {
			return false
		}
		i += size
	}
	return true
}

type fastParser struct {
	lines []fastLine
	i     int
}

// skip moves past blank and comment lines; a tab-led line is not skipped (yaml may refuse it).
func (p *fastParser) skip() {
	for p.i < len(p.lines) && p.lines[p.i].blank {
		p.i++
	}
}

// sequence parses a block sequence whose dashes are at column col, starting at the current line.
func (p *fastParser) sequence(col int) (*yaml.Node, bool) {
	seq := &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq", Line: p.lines[p.i].num, Column: col + 1}
	for {
		p.skip()
		if p.i >= len(p.lines) {
			return seq, true
		}
		l := p.lines[p.i]
		if l.indent < col {
			return seq, true
		}
		if l.indent > col || !isDash(l.rest) {
			if l.indent == col {
				return seq, true // a key of the enclosing mapping
			}
			return nil, false
		}
		// "- " then a scalar, or the first key of a mapping.
		off := 1
		for off < len(l.rest) && l.rest[off] == ' ' {
			off++
		}
		if off < len(l.rest) && l.rest[off] == '\t' {
			return nil, false
		}
		rest := l.rest[off:]
		itemCol := col + off
		if len(rest) == 0 || rest[0] == '#' || isDash(rest) {
			return nil, false // an item on the following lines, or a nested sequence
		}
		if key, _, isKey := splitKey(rest); isKey || key != "" {
			m, ok := p.mapping(itemCol, rest)
			if !ok {
				return nil, false
			}
			seq.Content = append(seq.Content, m)
			continue
		}
		v, ok := p.scalar(rest, l.num, itemCol, col)
		if !ok {
			return nil, false
		}
		seq.Content = append(seq.Content, v)
		p.i++
	}
}

// mapping parses a block mapping whose keys are at column col. When first is not nil, the
// mapping's first key is first (text after a sequence dash on the current line).
func (p *fastParser) mapping(col int, first []byte) (*yaml.Node, bool) {
	m := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map", Line: p.lines[p.i].num, Column: col + 1}
	for {
		var rest []byte
		if first != nil {
			rest, first = first, nil
		} else {
			p.skip()
			if p.i >= len(p.lines) {
				return m, true
			}
			l := p.lines[p.i]
			if l.indent < col {
				return m, true
			}
			if l.indent > col || isDash(l.rest) {
				return nil, false
			}
			rest = l.rest
		}
		l := p.lines[p.i]
		key, val, ok := splitKey(rest)
		if !ok || key == "<<" || rest[0] == '\'' && bytes.Contains(rest, []byte("''")) {
			return nil, false
		}
		k := &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: key, Line: l.num, Column: col + 1}
		switch rest[0] {
		case '"':
			k.Style = yaml.DoubleQuotedStyle
		case '\'':
			k.Style = yaml.SingleQuotedStyle
		default:
			if isNullText(key) {
				return nil, false // a null key: yaml tags it !!null
			}
		}
		var v *yaml.Node
		switch {
		case len(val) == 0:
			p.i++
			v, ok = p.nested(col, l.num)
		case val[0] == '|':
			v, ok = p.literal(val, col, l.num)
		default:
			v, ok = p.scalar(val, l.num, col+len(rest)-len(val), col)
			p.i++
		}
		if !ok {
			return nil, false
		}
		m.Content = append(m.Content, k, v)
	}
}

// nested parses the value of a key (at column col, on line num) written on the lines after it.
func (p *fastParser) nested(col, num int) (*yaml.Node, bool) {
	p.skip()
	if p.i < len(p.lines) {
		l := p.lines[p.i]
		switch {
		case l.indent == col && isDash(l.rest):
			return p.sequence(col)
		case l.indent > col && isDash(l.rest):
			return p.sequence(l.indent)
		case l.indent > col:
			return p.mapping(l.indent, nil)
		}
	}
	return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!null", Line: num, Column: col + 1}, true
}

// scalar parses a one-line value text starting at column col of line num; parent is the
// column of the enclosing collection. The next line must not continue it.
func (p *fastParser) scalar(text []byte, num, col, parent int) (*yaml.Node, bool) {
	// A more indented line after a scalar continues it (or is an error): leave it to yaml.
	for j := p.i + 1; j < len(p.lines); j++ {
		if next := p.lines[j]; !next.blank {
			if next.indent > parent {
				return nil, false
			}
			break
		}
	}
	n := &yaml.Node{Kind: yaml.ScalarNode, Line: num, Column: col + 1}
	switch text[0] {
	case '"':
		s, ok := doubleQuoted(text)
		if !ok {
			return nil, false
		}
		n.Tag, n.Value, n.Style = "!!str", s, yaml.DoubleQuotedStyle
		return n, true
	case '\'':
		s, ok := singleQuoted(text)
		if !ok {
			return nil, false
		}
		n.Tag, n.Value, n.Style = "!!str", s, yaml.SingleQuotedStyle
		return n, true
	case '[', '{':
		switch string(bytes.TrimRight(text, " \t")) {
		case "[]":
			return &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq", Style: yaml.FlowStyle, Line: num, Column: col + 1}, true
		case "{}":
			return &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map", Style: yaml.FlowStyle, Line: num, Column: col + 1}, true
		}
		return nil, false
	case ']', '}', ',', '#', '&', '*', '!', '|', '>', '%', '@', '`':
		return nil, false
	case '-', '?', ':':
		if len(text) == 1 || text[1] == ' ' || text[1] == '\t' {
			return nil, false
		}
	}
	s := bytes.TrimRight(text, " \t")
	for i, c := range s {
		switch c {
		case '#':
			if i > 0 && (s[i-1] == ' ' || s[i-1] == '\t') {
				return nil, false // a trailing comment
			}
		case ':':
			if i+1 == len(s) || s[i+1] == ' ' || s[i+1] == '\t' {
				return nil, false
			}
		}
	}
	n.Value = string(s)
	n.Tag = "!!str"
	if isNullText(n.Value) {
		n.Tag = "!!null"
	}
	return n, true
}

func isNullText(s string) bool {
	switch s {
	case "", "~", "null", "Null", "NULL":
		return true
	}
	return false
}

// doubleQuoted decodes a one-line double-quoted scalar with common escapes; the text after
// it must be blank.
func doubleQuoted(text []byte) (string, bool) {
	var b []byte
	i := 1
	for ; i < len(text); i++ {
		c := text[i]
		if c == '"' {
			break
		}
		if c != '\\' {
			b = append(b, c)
			continue
		}
		if i+1 >= len(text) {
			return "", false
		}
		i++
		switch text[i] {
		case '"', '\\', '/':
			b = append(b, text[i])
		case 'n':
			b = append(b, '\n')
		case 't':
			b = append(b, '\t')
		default:
			return "", false
		}
	}
	if i >= len(text) || len(bytes.TrimRight(text[i+1:], " \t")) > 0 {
		return "", false
	}
	return string(b), true
}

// singleQuoted decodes a one-line single-quoted scalar; the text after it must be blank.
func singleQuoted(text []byte) (string, bool) {
	var b []byte
	i := 1
	for ; i < len(text); i++ {
		if text[i] == '\'' {
			if i+1 < len(text) && text[i+1] == '\'' {
				b = append(b, '\'')
				i++
				continue
			}
			break
		}
		b = append(b, text[i])
	}
	if i >= len(text) || len(bytes.TrimRight(text[i+1:], " \t")) > 0 {
		return "", false
	}
	return string(b), true
}

// literal parses a literal block scalar ("|" or "|-") for a key at column col on line num.
func (p *fastParser) literal(header []byte, col, num int) (*yaml.Node, bool) {
	strip := false
	switch string(bytes.TrimRight(header, " \t")) {
	case "|":
	case "|-":
		strip = true
	default:
		return nil, false
	}
	p.i++
	// The block's indentation is the first non-empty line's; empty lines before it must not
	// be longer.
	blockIndent, maxLead := -1, 0
	for j := p.i; j < len(p.lines); j++ {
		l := p.lines[j]
		if len(l.rest) == 0 {
			maxLead = max(maxLead, l.indent)
			continue
		}
		blockIndent = l.indent
		break
	}
	if blockIndent <= col || maxLead > blockIndent {
		return nil, false // empty, or not more indented than its key: leave to yaml
	}
	var b []byte
	for p.i < len(p.lines) {
		l := p.lines[p.i]
		if len(l.rest) == 0 {
			if l.indent > blockIndent {
				return nil, false // spaces past the indentation: content or not, leave to yaml
			}
			if l.broken {
				b = append(b, '\n')
			}
			p.i++
			continue
		}
		if l.indent < blockIndent {
			if l.indent > col || l.rest[0] == '#' || l.rest[0] == '\t' {
				return nil, false
			}
			break
		}
		b = append(b, l.text[blockIndent:]...)
		if l.broken {
			b = append(b, '\n')
		}
		p.i++
	}
	// Clip (or strip) the trailing line breaks.
	end := len(b)
	for end > 0 && b[end-1] == '\n' {
		end--
	}
	if !strip && end > 0 && end < len(b) {
		end++
	}
	return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Style: yaml.LiteralStyle, Value: string(b[:end]), Line: num, Column: col + 1}, true
}
