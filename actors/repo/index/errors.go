package index

import (
	"errors"
	"fmt"
	"strings"
)

// Sentinel errors; test with errors.Is. Errors from Read wrap one of them, most often inside
// a *LineError.
var (
	// ErrNotIndex: the document is not an index (no entries key, not a mapping, ...).
	ErrNotIndex = errors.New("index: not an index")
	// ErrTooLarge: a limit was exceeded (whole index, one entry, one line, version count).
	ErrTooLarge = errors.New("index: too large")
	// ErrSyntax: the YAML (or JSON) does not parse.
	ErrSyntax = errors.New("index: syntax error")
	// ErrInvalidEntry: a chart version parses but is not acceptable (no name, no urls, ...).
	ErrInvalidEntry = errors.New("index: invalid entry")
)

// LineError locates a problem in the index. Its message reads
// `index.yaml line 12: chart "nginx" version "1.2.0": no urls`.
type LineError struct {
	Line    int    // 1-based line in the index; 0 when unknown
	Chart   string // chart name, when known
	Version string // chart version, when known
	Kind    error  // one of the sentinel errors
	Err     error  // the detail; may wrap a cause such as a yaml error
}

func (e *LineError) Error() string {
	var b strings.Builder
	b.WriteString("index.yaml")
	if e.Line > 0 {
		fmt.Fprintf(&b, " line %d", e.Line)
	}
	if e.Chart != "" {
		fmt.Fprintf(&b, ": chart %q", e.Chart)
		if e.Version != "" {
			fmt.Fprintf(&b, " version %q", e.Version)
		}
	}
	b.WriteString(": ")
	if e.Kind == ErrNotIndex {
		b.WriteString("not an index: ")
	}
	if e.Err != nil {
		b.WriteString(e.Err.Error())
	} else if e.Kind != nil {
		b.WriteString(e.Kind.Error())
	}
	return b.String()
}

// Unwrap returns the sentinel kind and the detail, so errors.Is works with both.
func (e *LineError) Unwrap() []error {
	var errs []error
	if e.Kind != nil {
		errs = append(errs, e.Kind)
	}
	if e.Err != nil {
		errs = append(errs, e.Err)
	}
	return errs
}

func lineErr(kind error, line int, chart, format string, args ...any) *LineError {
	return &LineError{Line: line, Chart: chart, Kind: kind, Err: fmt.Errorf(format, args...)}
}
