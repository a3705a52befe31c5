package index

import (
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/pitrix/pitrix/actors/safetext"
)

// Version is one chart (or VM package) version of an index entry. Fields not listed here
// (apiVersion, sources, dependencies, kubeVersion, type, ...) are read past and dropped.
type Version struct {
	Name        string
	Version     string
	AppVersion  string
	Description string
	Home        string
	Icon        string
	Keywords    []string
	Maintainers []Maintainer
	// URLs are the package URLs as written, possibly relative to the repo URL (see ResolveURL).
	URLs        []string
	Digest      string
	Created     time.Time
	Deprecated  bool
	Annotations map[string]string
}

// Maintainer is one maintainer of a chart version.
type Maintainer struct {
	Name  string
	Email string
	URL   string
}

// validChartName reports whether a chart key is usable as a name (and a path element).
func validChartName(name string) (string, bool) {
	switch {
	case name == "":
		return "is empty", false
	case name == "." || name == "..":
		return "is not allowed", false
	case strings.ContainsAny(name, `/\`):
		return "contains a path separator", false
	case safetext.NameProblem(name) != "":
		return safetext.NameProblem(name), false
	}
	return "", true
}

// check validates v as a version of chart and returns a description of the first problem.
func (v *Version) check(chart string) (string, bool) {
	switch {
	case v.Name == "":
		return "name is missing", false
	case v.Name != chart:
		return "name " + quote(v.Name) + " is not the chart's name", false
	case v.Version == "":
		return "version is missing", false
	case len(v.URLs) == 0:
		return "no urls", false
	}
	for _, u := range v.URLs {
		if strings.TrimSpace(u) == "" {
			return "empty url", false
		}
	}
	return "", true
}

// sanitize turns whitespace into spaces and drops unprintable runes, as Helm does for the
// display fields of chart metadata.
func sanitize(s string) string {
	clean := true
	for _, r := range s {
		if r != ' ' && (unicode.IsSpace(r) || !unicode.IsPrint(r)) {
			clean = false
			break
		}
	}
	if clean {
		return s
	}
	return strings.Map(func(r rune) rune {
		if unicode.IsSpace(r) {
			return ' '
		}
		if unicode.IsPrint(r) {
			return r
		}
		return -1
	}, s)
}

// quote quotes s for a message, cut to a readable length.
func quote(s string) string {
	const max = 80
	if len(s) > max {
		s = s[:max] + "..."
	}
	return strconv.Quote(s)
}
