package index

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"errors"
	"hash"
	"io"
)

// meter counts and hashes the bytes read and stops past max. Its first error is sticky, so
// that an error consumed by a bufio Peek is seen again by the next read.
type meter struct {
	r   io.Reader
	h   hash.Hash
	n   int64
	max int64
	err error
}

// errInputTooLarge is returned by meter past its limit; Read reports it as a *LineError.
var errInputTooLarge = errors.New("index: input too large")

func newMeter(r io.Reader, max int64) *meter {
	return &meter{r: r, h: sha256.New(), max: max}
}

func (m *meter) Read(p []byte) (int, error) {
	if m.err != nil {
		return 0, m.err
	}
	if rest := m.max + 1 - m.n; int64(len(p)) > rest {
		p = p[:rest]
	}
	n, err := m.r.Read(p)
	m.h.Write(p[:n])
	m.n += int64(n)
	if m.n > m.max {
		err = errInputTooLarge
	}
	if err != nil {
		m.err = err
	}
	return n, err
}

// lineReader splits its input into lines, each at most max bytes.
type lineReader struct {
	br  *bufio.Reader
	max int
	buf []byte
}

var errLineTooLong = errors.New("index: line too long")

// next returns the next line with its line break, valid until the following call, or
// io.EOF after the last line.
func (lr *lineReader) next() ([]byte, error) {
	lr.buf = lr.buf[:0]
	for {
		frag, err := lr.br.ReadSlice('\n')
		if len(lr.buf)+len(frag) > lr.max {
			return nil, errLineTooLong
		}
		switch {
		case err == bufio.ErrBufferFull:
			lr.buf = append(lr.buf, frag...)
			continue
		case err == io.EOF && len(lr.buf)+len(frag) > 0:
			err = nil
		}
		if len(lr.buf) == 0 {
			return frag, err
		}
		lr.buf = append(lr.buf, frag...)
		return lr.buf, err
	}
}

var bom = []byte("\xef\xbb\xbf")

// sniffFlow reports whether the document's first significant byte opens a flow collection
// (JSON or a YAML flow mapping), peeking without consuming.
func sniffFlow(br *bufio.Reader) bool {
	p, _ := br.Peek(4096)
	p = bytes.TrimPrefix(p, bom)
	for _, c := range p {
		switch c {
		case ' ', '\t', '\r', '\n':
			continue
		case '{', '[':
			return true
		}
		return false
	}
	return false
}

// lineShape classifies a line for the chunker.
type lineShape struct {
	text   []byte // without the line break
	indent int    // leading spaces
	rest   []byte // text after the indentation
	// loose lines (blank, comment, or tab after the indentation) never start or end a
	// piece; they belong to whatever piece is open.
	loose bool
	tab   bool // first non-space byte is a tab
}

func shape(raw []byte) lineShape {
	text := bytes.TrimSuffix(raw, []byte("\n"))
	text = bytes.TrimSuffix(text, []byte("\r"))
	s := lineShape{text: text}
	for s.indent < len(text) && text[s.indent] == ' ' {
		s.indent++
	}
	s.rest = text[s.indent:]
	t := bytes.TrimLeft(s.rest, " \t")
	s.tab = len(s.rest) > 0 && s.rest[0] == '\t'
	s.loose = len(t) == 0 || t[0] == '#' || s.tab
	return s
}

// isDash reports whether rest starts a block sequence item.
func isDash(rest []byte) bool {
	return len(rest) > 0 && rest[0] == '-' && (len(rest) == 1 || rest[1] == ' ' || rest[1] == '\t')
}

// isMarker reports whether rest (at column 0) is the document marker m ("---" or "...").
func isMarker(rest []byte, m string) bool {
	return bytes.HasPrefix(rest, []byte(m)) && (len(rest) == 3 || rest[3] == ' ' || rest[3] == '\t')
}

// dedent drops up to n leading spaces of raw.
func dedent(raw []byte, n int) []byte {
	i := 0
	for i < n && i < len(raw) && raw[i] == ' ' {
		i++
	}
	return raw[i:]
}

// splitKey parses a one-line mapping key at the start of s: a plain key, or a quoted key
// without escapes, followed by ':' and a blank or the line's end. It returns the key and
// the text after the colon with blanks trimmed. ok is false for anything else (complex,
// multi-line, anchored or escaped keys, or no key), which the caller hands to yaml whole.
func splitKey(s []byte) (key string, val []byte, ok bool) {
	if len(s) == 0 {
		return "", nil, false
	}
	var i int // index of the colon
	switch c := s[0]; {
	case c == '"':
		end := bytes.IndexByte(s[1:], '"')
		if end < 0 || bytes.IndexByte(s[1:end+1], '\\') >= 0 {
			return "", nil, false
		}
		key = string(s[1 : end+1])
		i = end + 2
	case c == '\'':
		var b []byte
		j := 1
		for ; j < len(s); j++ {
			if s[j] == '\'' {
				if j+1 < len(s) && s[j+1] == '\'' {
					b = append(b, '\'')
					j++
					continue
				}
				break
			}
			b = append(b, s[j])
		}
		if j >= len(s) {
			return "", nil, false
		}
		key = string(b)
		i = j + 1
	case bytes.IndexByte([]byte("-?:,[]{}#&*!|>%@`"), c) >= 0:
		return "", nil, false
	default:
		for i = 0; i < len(s); i++ {
			if s[i] == ':' && (i+1 == len(s) || s[i+1] == ' ' || s[i+1] == '\t') {
				break
			}
			if s[i] == '#' && (s[i-1] == ' ' || s[i-1] == '\t') {
				return "", nil, false
			}
		}
		if i == len(s) {
			return "", nil, false
		}
		key = string(bytes.TrimRight(s[:i], " \t"))
	}
	for i < len(s) && (s[i] == ' ' || s[i] == '\t') {
		i++
	}
	if i >= len(s) || s[i] != ':' || (i+1 < len(s) && s[i+1] != ' ' && s[i+1] != '\t') {
		return "", nil, false
	}
	return key, bytes.Trim(s[i+1:], " \t"), true
}

// noValue reports whether the text after a key's colon holds no value (only a comment).
func noValue(val []byte) bool { return len(val) == 0 || val[0] == '#' }

// emptyFlowMap reports whether val is "{}", maybe followed by a comment.
func emptyFlowMap(val []byte) bool {
	if !bytes.HasPrefix(val, []byte("{}")) {
		return false
	}
	rest := bytes.TrimLeft(val[2:], " \t")
	return len(rest) == 0 || (rest[0] == '#' && len(rest) < len(val[2:]))
}
