package spec

import (
	"fmt"
	"path"
	"strings"
	"text/template/parse"

	"github.com/pitrix/pitrix/internal/confdres"
)

// Paths of the confd resources inside their folder (ConfdRoot).
const (
	confdDir       = "confd/"
	confdConfDir   = "conf.d/"
	confdTemplates = "templates/"
	confdConfig    = "confd.toml"
)

// confdRoots are the folders a package may keep its confd resources in: Pitrix's confd/, and
// the image layouts AppCenter's sources use (etc/confd/, as the resources sit on the image,
// and vm-image/etc/confd/), first found wins.
var confdRoots = []string{confdDir, "etc/confd/", "vm-image/etc/confd/"}

// ConfdRoot is the folder of files that holds the package's confd resources (a conf.d/*.toml
// under it), or "" when there are none.
func ConfdRoot(files map[string][]byte) string {
	for _, root := range confdRoots {
		for name := range files {
			if rel, ok := strings.CutPrefix(name, root+confdConfDir); ok && path.Ext(rel) == ".toml" {
				return root
			}
		}
	}
	return ""
}

// ConfdFiles is the package's confd tree (conf.d/, templates/, confd.toml) with paths relative
// to its folder (ConfdRoot), as the Drone's renderer takes it.
func ConfdFiles(files map[string][]byte) map[string][]byte {
	out := map[string][]byte{}
	root := ConfdRoot(files)
	if root == "" {
		root = confdDir
	}
	for name, data := range files {
		if rel, ok := strings.CutPrefix(name, root); ok && rel != "" {
			out[rel] = data
		}
	}
	return out
}

// TemplateResource is the [template] table of a confd/conf.d/*.toml file (internal/confdres,
// shared with the Drone).
type TemplateResource = confdres.TemplateResource

// ParseTemplateResource parses and checks a confd template resource (conf.d/*.toml).
func ParseTemplateResource(data []byte) (*TemplateResource, error) { return confdres.Parse(data) }

// checkConfd validates the confd resources in files, adding a message per
// bad file to errs.
func checkConfd(files map[string][]byte, errs problems) {
	root := ConfdRoot(files)
	if root == "" {
		root = confdDir
	}
	for name, data := range files {
		rel, ok := strings.CutPrefix(name, root)
		if !ok {
			continue
		}
		switch {
		case rel == confdConfig:
			if err := confdres.CheckTOML(data); err != nil {
				errs.add(name, err.Error())
			}
		case strings.HasPrefix(rel, confdConfDir):
			if path.Ext(rel) != ".toml" {
				continue
			}
			res, err := ParseTemplateResource(data)
			if err != nil {
				errs.add(name, err.Error())
				continue
			}
			if _, ok := files[root+confdTemplates+res.Src]; !ok {
				errs.add(name, fmt.Sprintf("src %q: no file %s%s%s in the package", res.Src, root, confdTemplates, res.Src))
			}
		case strings.HasPrefix(rel, confdTemplates):
			if err := checkGoTemplate(name, string(data)); err != nil {
				errs.add(name, err.Error())
			}
		}
	}
}

// checkGoTemplate parses a confd template for syntax only: the functions
// (getv, gets, ...) belong to the Drone's renderer and are not checked.
func checkGoTemplate(name, text string) error {
	t := parse.New(name)
	t.Mode = parse.SkipFuncCheck | parse.ParseComments
	_, err := t.Parse(text, "", "", map[string]*parse.Tree{})
	return err
}
