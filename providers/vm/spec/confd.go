package spec

import (
	"fmt"
	"path"
	"strings"
	"text/template/parse"

	"github.com/pitrix/pitrix/internal/confdres"
)

// Paths of the confd resources inside a package.
const (
	confdDir       = "confd/"
	confdConfDir   = "confd/conf.d/"
	confdTemplates = "confd/templates/"
	confdConfig    = "confd/confd.toml"
)

// TemplateResource is the [template] table of a confd/conf.d/*.toml file (internal/confdres,
// shared with the Drone).
type TemplateResource = confdres.TemplateResource

// ParseTemplateResource parses and checks a confd template resource (conf.d/*.toml).
func ParseTemplateResource(data []byte) (*TemplateResource, error) { return confdres.Parse(data) }

// checkConfd validates the confd resources in files, adding a message per
// bad file to errs.
func checkConfd(files map[string][]byte, errs problems) {
	for name, data := range files {
		switch {
		case name == confdConfig:
			if err := confdres.CheckTOML(data); err != nil {
				errs.add(name, err.Error())
			}
		case strings.HasPrefix(name, confdConfDir):
			if path.Ext(name) != ".toml" {
				continue
			}
			res, err := ParseTemplateResource(data)
			if err != nil {
				errs.add(name, err.Error())
				continue
			}
			if _, ok := files[confdTemplates+res.Src]; !ok {
				errs.add(name, fmt.Sprintf("src %q: no file %s%s in the package", res.Src, confdTemplates, res.Src))
			}
		case strings.HasPrefix(name, confdTemplates):
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
