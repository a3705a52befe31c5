package chart

import (
	"errors"
	"maps"
	"slices"
	"strings"
)

// Sentinel errors. ValidationError matches ErrInvalid and ValuesError
// matches ErrInvalidValues under errors.Is. Archive problems (not gzip, too
// large, unsafe paths) are returned wrapping pkgfile's sentinels instead.
var (
	ErrInvalid       = errors.New("chart: invalid chart")
	ErrInvalidValues = errors.New("chart: invalid values")
	// ErrRemoteRef is returned (wrapped, naming the reference) by ParseSchema for a schema
	// that refers to another document.
	ErrRemoteRef = errors.New("chart: remote schema reference refused")
)

// ValidationError lists every problem found in a chart by file name
// ("Chart.yaml", "values.yaml", "templates/deployment.yaml").
type ValidationError struct {
	Files map[string]string
}

func (e *ValidationError) Error() string { return ErrInvalid.Error() + ": " + joinSorted(e.Files) }

// Is reports whether target is ErrInvalid.
func (e *ValidationError) Is(target error) bool { return target == ErrInvalid }

// ValuesError lists every value that breaks the chart's schema by path
// ("image.tag", "ports[0].containerPort"; "(root)" for the whole document).
type ValuesError struct {
	Paths map[string]string
}

func (e *ValuesError) Error() string { return ErrInvalidValues.Error() + ": " + joinSorted(e.Paths) }

// Is reports whether target is ErrInvalidValues.
func (e *ValuesError) Is(target error) bool { return target == ErrInvalidValues }

func joinSorted(m map[string]string) string {
	var b strings.Builder
	for i, k := range slices.Sorted(maps.Keys(m)) {
		if i > 0 {
			b.WriteString("; ")
		}
		b.WriteString(k)
		b.WriteString(": ")
		b.WriteString(m[k])
	}
	return b.String()
}

type problems map[string]string

func (p problems) add(name, msg string) {
	if old, ok := p[name]; ok {
		if strings.Contains(old, msg) {
			return
		}
		p[name] = old + "; " + msg
		return
	}
	p[name] = msg
}
