package spec

import (
	"fmt"
	"path"
	"strings"
)

// Ident is a package's name and version as something outside the package gives them.
type Ident struct {
	Name, Version string
}

// Origin is what a package's surroundings say of its name and version. A package without
// package.json (an AppCenter package) takes each from the first that gives it: the repo index
// entry, then the upload request (form fields or query), then the file name
// ("zookeeper-3.4.13.tar.gz"). With package.json, what the index or the upload gives must
// agree with it; the file name is only a fallback and never contradicts it.
type Origin struct {
	Index    Ident
	Upload   Ident
	FileName string
}

// Options resolves o into the options of LoadWith.
func (o Origin) Options() LoadOptions {
	fn, fv, _ := IdentFromFileName(o.FileName)
	opts := LoadOptions{}
	opts.Name, opts.nameFrom = pick([]string{o.Index.Name, o.Upload.Name, fn}, []string{"the repo index", "the upload", "the file name"})
	opts.Version, opts.versionFrom = pick([]string{o.Index.Version, o.Upload.Version, fv}, []string{"the repo index", "the upload", "the file name"})
	opts.fileName = o.FileName
	return opts
}

func pick(vals, from []string) (string, string) {
	for i, v := range vals {
		if v = strings.TrimSpace(v); v != "" {
			return v, from[i]
		}
	}
	return "", ""
}

// archiveExts are the file name endings of a package archive, longest first.
var archiveExts = []string{".tar.gz", ".tgz", ".tar"}

// IdentFromFileName reads a name and version from a package's file name as repos and
// AppCenter name them: <name>-<version>.tar.gz (or .tgz), the version starting at the first
// "-" followed by a digit or by "v" and a digit ("redis-cluster-5.0.5-1.tgz" is redis-cluster
// 5.0.5-1). ok is false when the name has no such version.
func IdentFromFileName(file string) (name, version string, ok bool) {
	base := path.Base(strings.ReplaceAll(file, `\`, "/"))
	for _, ext := range archiveExts {
		if b, found := strings.CutSuffix(strings.ToLower(base), ext); found {
			base = base[:len(b)]
			break
		}
	}
	for i := 1; i < len(base)-1; i++ {
		if base[i] != '-' {
			continue
		}
		rest := base[i+1:]
		if isDigit(rest[0]) || (len(rest) > 1 && (rest[0] == 'v' || rest[0] == 'V') && isDigit(rest[1])) {
			return base[:i], rest, true
		}
	}
	return "", "", false
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// missingIdent explains what a package without package.json lacks.
func missingIdent(opts LoadOptions, what string) string {
	src := "give it with the upload (form field or ?" + what + "=), in the repo index entry, or in the file name (<name>-<version>.tgz)"
	if opts.fileName != "" {
		src += fmt.Sprintf("; the file name %q has none", path.Base(opts.fileName))
	}
	return "the package has no package.json and nothing gives its " + what + ": " + src
}
