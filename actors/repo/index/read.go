package index

import (
	"bufio"
	"bytes"
	"encoding/hex"
	"errors"
	"fmt"
	"io"

	"go.yaml.in/yaml/v3"
)

// Stats describes one Read.
type Stats struct {
	// Bytes is the number of bytes read; on success, the whole input.
	Bytes int64
	// Charts and Versions count the chart keys under entries and the versions handed to
	// the callback.
	Charts, Versions int
	// Digest is the hex sha256 of the bytes read; on success, of the whole input, so a
	// caller can skip re-indexing an unchanged index.
	Digest string
	// APIVersion is the index's top-level apiVersion ("v1" for Helm), empty if absent.
	APIVersion string
}

// Read parses the index in r and calls fn once per chart version, in file order, without
// holding the whole document: memory stays near Limits.MaxEntryBytes plus one decoded piece,
// except for non-block documents (JSON, flow style) which are decoded whole within
// Limits.MaxBytes. Read reads r to its end.
//
// Every version handed to fn is valid: its name is its chart's, and it has a version and at
// least one url. The first problem — bad YAML, a bad entry, an exceeded limit, a missing
// entries key — ends the read with an error (a *LineError when it has a place) wrapping
// ErrSyntax, ErrInvalidEntry, ErrTooLarge or ErrNotIndex. Versions already handed to fn
// must then be discarded by the caller. An error from fn ends the read and is returned
// wrapped in a *LineError. Versions and Keywords slices and the Annotations map belong to fn.
func Read(r io.Reader, lim Limits, fn func(v Version) error) (Stats, error) {
	if err := lim.Validate(); err != nil {
		return Stats{}, err
	}
	lim = lim.withDefaults()
	rd := &reader{
		lim:     lim,
		fn:      fn,
		m:       newMeter(r, lim.MaxBytes),
		keepPre: true,
		topKeys: make(map[string]bool, 4),
		charts:  make(map[string]bool),
		mItem:   -1,
	}
	rd.br = bufio.NewReaderSize(rd.m, 64<<10)
	rd.lr = lineReader{br: rd.br, max: lim.MaxEntryBytes}
	err := rd.run()
	st := Stats{
		Bytes:      rd.m.n,
		Charts:     len(rd.charts),
		Versions:   rd.versions,
		Digest:     hex.EncodeToString(rd.m.h.Sum(nil)),
		APIVersion: rd.apiVersion,
	}
	return st, err
}

// errWhole asks run to decode the whole document instead of streaming it.
var errWhole = errors.New("index: decode whole document")

type pieceKind int

const (
	pieceTop   pieceKind = iota + 1 // a top-level key other than entries
	pieceChart                      // a whole chart block, in a layout not split further
	pieceItem                       // one version: an item of a chart's block sequence
)

// piece is the text currently being collected for one yaml decode.
type piece struct {
	kind  pieceKind // 0: none open
	first int       // file line of its first line
	cut   int       // spaces dedented from each line
	buf   []byte
}

type reader struct {
	lim Limits
	fn  func(Version) error
	m   *meter
	br  *bufio.Reader
	lr  lineReader

	line    int  // current line number
	started bool // a line with content was seen
	ended   bool // a "..." document end was seen
	keepPre bool // keep pre: entries not entered, whole decode still possible
	pre     []byte

	topKeys    map[string]bool
	inEntries  bool
	apiVersion string

	cur piece

	// Under entries.
	nKey       int             // indentation of chart keys; 0 until the first one
	chart      string          // current chart, "" until known
	chartLine  int             // line of its key
	chartBytes int             // bytes of its block so far
	chartOpen  bool            // a chart block is open
	chartWhole bool            // its block is one pieceChart
	mItem      int             // indentation of its sequence dashes; -1 until the first
	charts     map[string]bool // chart names seen
	versions   int
}

func (r *reader) run() error {
	if sniffFlow(r.br) {
		return r.whole()
	}
	for {
		raw, err := r.lr.next()
		if err != nil && err != io.EOF {
			return r.readErr(err)
		}
		if len(raw) > 0 {
			if lerr := r.onLine(raw); lerr != nil {
				if lerr == errWhole {
					if !r.keepPre {
						return fmt.Errorf("index: internal error: whole decode after entries near line %d", r.line)
					}
					return r.whole()
				}
				return lerr
			}
		}
		if err == io.EOF {
			return r.finish()
		}
	}
}

func (r *reader) readErr(err error) error {
	switch err {
	case errInputTooLarge:
		return &LineError{Kind: ErrTooLarge, Err: fmt.Errorf("index is larger than %d bytes", r.lim.MaxBytes)}
	case errLineTooLong:
		return &LineError{Line: r.line + 1, Chart: r.chart, Kind: ErrTooLarge,
			Err: fmt.Errorf("line is longer than %d bytes", r.lim.MaxEntryBytes)}
	}
	return fmt.Errorf("read index.yaml near line %d: %w", r.line, err)
}

func (r *reader) onLine(raw []byte) error {
	r.line++
	if r.line == 1 {
		raw = bytes.TrimPrefix(raw, bom)
	}
	if r.keepPre {
		if len(r.pre)+len(raw) > r.lim.MaxEntryBytes {
			return lineErr(ErrTooLarge, r.line, "", "more than %d bytes before entries", r.lim.MaxEntryBytes)
		}
		r.pre = append(r.pre, raw...)
	}
	s := shape(raw)
	if s.loose {
		return r.onLoose(raw, s)
	}
	if r.ended {
		return lineErr(ErrSyntax, r.line, "", "content after the document end marker \"...\"")
	}
	switch {
	case s.indent == 0:
		if err := r.endEntries(); err != nil {
			return err
		}
		return r.onTop(raw, s)
	case r.inEntries:
		return r.onEntries(raw, s)
	case r.cur.kind == pieceTop:
		return r.appendPiece(raw)
	case !r.started:
		return errWhole // an indented root node
	}
	return lineErr(ErrSyntax, r.line, "", "unexpected indentation")
}

// onLoose files a blank, comment or tab-led line with the open piece.
func (r *reader) onLoose(raw []byte, s lineShape) error {
	if r.chartOpen {
		if err := r.countChart(len(raw)); err != nil {
			return err
		}
	}
	if r.cur.kind != 0 {
		return r.appendPiece(raw)
	}
	if r.chartOpen {
		return nil
	}
	if s.tab {
		return lineErr(ErrSyntax, r.line, r.chart, "tab character used for indentation")
	}
	return nil
}

// onTop handles a line with content at column 0.
func (r *reader) onTop(raw []byte, s lineShape) error {
	if err := r.flushPiece(); err != nil {
		return err
	}
	rest := s.rest
	switch {
	case isMarker(rest, "---"):
		if r.started {
			return lineErr(ErrSyntax, r.line, "", "more than one YAML document")
		}
		if len(bytes.TrimSpace(rest[3:])) > 0 {
			return errWhole
		}
		return nil
	case isMarker(rest, "..."):
		r.ended = true
		return nil
	case rest[0] == '%' && !r.started:
		return nil // a directive
	case rest[0] == '{' || rest[0] == '[':
		if !r.started {
			return errWhole
		}
		return lineErr(ErrSyntax, r.line, "", "unexpected flow collection at the top level")
	case isDash(rest):
		return lineErr(ErrNotIndex, r.line, "", "the document is a list, not a mapping")
	}
	r.started = true
	key, val, ok := splitKey(rest)
	if ok && key == "entries" {
		if r.topKeys[key] {
			return lineErr(ErrSyntax, r.line, "", "key \"entries\" is defined twice")
		}
		r.topKeys[key] = true
		if emptyFlowMap(val) {
			return nil
		}
		if !noValue(val) {
			return errWhole
		}
		r.inEntries, r.keepPre, r.pre = true, false, nil
		return nil
	}
	if !ok {
		if r.keepPre {
			return errWhole // a complex, tagged or anchored key: let yaml see it all
		}
		return lineErr(ErrSyntax, r.line, "", "expected a top-level key")
	}
	r.cur = piece{kind: pieceTop, first: r.line, buf: append(r.cur.buf[:0], raw...)}
	return nil
}

// onEntries handles an indented line with content under entries.
func (r *reader) onEntries(raw []byte, s lineShape) error {
	if r.nKey == 0 {
		if isDash(s.rest) {
			return lineErr(ErrNotIndex, r.line, "", "entries is a list, not a mapping of chart names")
		}
		r.nKey = s.indent
	}
	switch {
	case s.indent < r.nKey:
		return lineErr(ErrSyntax, r.line, r.chart, "unexpected indentation: chart names are indented %d spaces", r.nKey)
	case s.indent == r.nKey && !isDash(s.rest):
		if err := r.endChart(); err != nil {
			return err
		}
		return r.startChart(raw, s)
	}
	if err := r.countChart(len(raw)); err != nil {
		return err
	}
	if r.chartWhole {
		return r.appendPiece(raw)
	}
	if isDash(s.rest) && (s.indent == r.mItem || r.mItem < 0) {
		if err := r.flushPiece(); err != nil {
			return err
		}
		r.mItem = s.indent
		r.cur = piece{kind: pieceItem, first: r.line, cut: s.indent, buf: append(r.cur.buf[:0], dedent(raw, s.indent)...)}
		return nil
	}
	if r.mItem >= 0 && s.indent > r.mItem {
		return r.appendPiece(raw)
	}
	if r.mItem < 0 {
		return lineErr(ErrInvalidEntry, r.line, r.chart, "versions: expected a list")
	}
	return lineErr(ErrSyntax, r.line, r.chart, "unexpected indentation: versions are indented %d spaces", r.mItem)
}

func (r *reader) startChart(raw []byte, s lineShape) error {
	key, val, ok := splitKey(s.rest)
	r.chartOpen, r.chartLine, r.chartBytes, r.mItem = true, r.line, 0, -1
	r.chart, r.chartWhole = "", false
	if err := r.countChart(len(raw)); err != nil {
		return err
	}
	if ok && noValue(val) {
		if err := r.addChart(key, r.line); err != nil {
			return err
		}
		r.chart = key
		return nil
	}
	// Anything else on the key line (inline versions, anchors, tags, odd keys): decode the
	// chart's block whole.
	r.chartWhole = true
	if ok {
		r.chart = key
	}
	r.cur = piece{kind: pieceChart, first: r.line, cut: s.indent, buf: append(r.cur.buf[:0], dedent(raw, s.indent)...)}
	return nil
}

func (r *reader) addChart(name string, line int) error {
	if msg, ok := validChartName(name); !ok {
		return lineErr(ErrInvalidEntry, line, "", "chart name %s %s", quote(name), msg)
	}
	if r.charts[name] {
		return lineErr(ErrSyntax, line, name, "chart is listed twice under entries")
	}
	r.charts[name] = true
	return nil
}

func (r *reader) countChart(n int) error {
	r.chartBytes += n
	if r.chartBytes > r.lim.MaxEntryBytes {
		return lineErr(ErrTooLarge, r.chartLine, r.chart, "chart block is larger than %d bytes", r.lim.MaxEntryBytes)
	}
	return nil
}

func (r *reader) appendPiece(raw []byte) error {
	if r.cur.kind == pieceTop && len(r.cur.buf)+len(raw) > r.lim.MaxEntryBytes {
		return lineErr(ErrTooLarge, r.cur.first, "", "top-level key block is larger than %d bytes", r.lim.MaxEntryBytes)
	}
	r.cur.buf = append(r.cur.buf, dedent(raw, r.cur.cut)...)
	return nil
}

func (r *reader) endChart() error {
	err := r.flushPiece()
	r.chartOpen, r.chart, r.chartWhole, r.mItem = false, "", false, -1
	return err
}

func (r *reader) endEntries() error {
	if !r.inEntries {
		return nil
	}
	r.inEntries = false
	return r.endChart()
}

// flushPiece decodes the open piece, if any, and closes it.
func (r *reader) flushPiece() error {
	p := r.cur
	r.cur = piece{buf: p.buf[:0]}
	switch p.kind {
	case pieceTop:
		return r.decodeTop(p)
	case pieceChart:
		return r.decodeChart(p)
	case pieceItem:
		return r.decodeItem(p)
	}
	return nil
}

func (r *reader) decodeTop(p piece) error {
	n, err := decodeChunk(p.buf, p.first, "")
	if err != nil {
		if r.keepPre {
			return errWhole // let the whole-document decode report it in context
		}
		return err
	}
	if n == nil {
		return nil
	}
	if n.Kind != yaml.MappingNode {
		return lineErr(ErrNotIndex, p.first, "", "the document is %s, not a mapping", describeKind(n))
	}
	if len(n.Content) != 2 {
		if r.keepPre {
			return errWhole
		}
		return lineErr(ErrSyntax, p.first, "", "expected one top-level key")
	}
	c := nodes{off: p.first - 1}
	return c.mapPairs(n, "", "top level", func(key string, k, v *yaml.Node) error {
		if r.topKeys[key] {
			return lineErr(ErrSyntax, c.line(k), "", "key %s is defined twice", quote(key))
		}
		r.topKeys[key] = true
		switch key {
		case "entries":
			if r.keepPre {
				return errWhole
			}
			return lineErr(ErrSyntax, c.line(k), "", "key \"entries\" is defined twice")
		case "apiVersion":
			s, err := c.str(v, "", key)
			r.apiVersion = s
			return err
		}
		return nil
	})
}

func (r *reader) decodeChart(p piece) error {
	n, err := decodeChunk(p.buf, p.first, r.chart)
	if err != nil {
		return err
	}
	if n == nil || n.Kind != yaml.MappingNode || len(n.Content) != 2 {
		return lineErr(ErrSyntax, p.first, r.chart, "expected one chart name and its versions")
	}
	c := nodes{off: p.first - 1}
	return c.mapPairs(n, "", "entries", func(key string, k, v *yaml.Node) error {
		if err := r.addChart(key, c.line(k)); err != nil {
			return err
		}
		r.chart = key
		c.chart = key
		return c.chartVersions(v, r.emit)
	})
}

func (r *reader) decodeItem(p piece) error {
	n, ok := fastItem(p.buf)
	if !ok {
		var err error
		if n, err = decodeChunk(p.buf, p.first, r.chart); err != nil {
			return err
		}
	}
	if n == nil || n.Kind != yaml.SequenceNode || len(n.Content) != 1 {
		return lineErr(ErrSyntax, p.first, r.chart, "expected one version entry")
	}
	return nodes{off: p.first - 1, chart: r.chart}.chartVersions(n, r.emit)
}

func (r *reader) emit(v Version, line int) error {
	r.versions++
	if r.versions > r.lim.MaxVersions {
		return lineErr(ErrTooLarge, line, v.Name, "more than %d versions", r.lim.MaxVersions)
	}
	if err := r.fn(v); err != nil {
		return &LineError{Line: line, Chart: v.Name, Version: v.Version, Err: err}
	}
	return nil
}

func (r *reader) finish() error {
	if err := r.endEntries(); err != nil {
		return err
	}
	if err := r.flushPiece(); err != nil {
		if err == errWhole {
			return r.whole()
		}
		return err
	}
	if !r.topKeys["entries"] {
		if !r.started {
			return fmt.Errorf("%w: empty document", ErrNotIndex)
		}
		return fmt.Errorf("%w: no entries", ErrNotIndex)
	}
	return nil
}

// whole decodes the document at once: what was kept in pre and the rest of the input.
func (r *reader) whole() error {
	data := bytes.NewBuffer(r.pre)
	r.pre = nil
	if _, err := data.ReadFrom(r.br); err != nil {
		return r.readErr(err)
	}
	r.topKeys, r.apiVersion = map[string]bool{}, ""
	return decodeWhole(data.Bytes(), r)
}

// decodeWhole parses a whole document held in memory and emits its versions through r.
func decodeWhole(data []byte, r *reader) error {
	doc, err := decodeChunk(bytes.TrimPrefix(data, bom), 1, "")
	if err != nil {
		return err
	}
	if doc == nil {
		return fmt.Errorf("%w: empty document", ErrNotIndex)
	}
	if doc.Kind != yaml.MappingNode {
		return lineErr(ErrNotIndex, doc.Line, "", "the document is %s, not a mapping", describeKind(doc))
	}
	var c nodes
	var entries *yaml.Node
	err = c.mapPairs(doc, "", "top level", func(key string, _, v *yaml.Node) error {
		switch key {
		case "entries":
			entries = v
		case "apiVersion":
			s, err := c.str(v, "", key)
			r.apiVersion = s
			return err
		}
		return nil
	})
	if err != nil {
		return err
	}
	if entries == nil {
		return fmt.Errorf("%w: no entries", ErrNotIndex)
	}
	if isNull(entries) {
		return nil
	}
	if entries.Kind != yaml.MappingNode {
		return lineErr(ErrNotIndex, entries.Line, "", "entries is %s, not a mapping of chart names", describeKind(entries))
	}
	return c.mapPairs(entries, "", "entries", func(key string, k, v *yaml.Node) error {
		if err := r.addChart(key, c.line(k)); err != nil {
			return err
		}
		c.chart = key
		return c.chartVersions(v, r.emit)
	})
}
