package spec

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"
)

// File names of a VM package.
const (
	FileMeta     = "package.json"
	FileConfig   = "config.json"
	FileTemplate = "cluster.json.tmpl"
	FileMustache = "cluster.json.mustache" // AppCenter's name for FileTemplate
)

// Package is a loaded and validated VM application package.
type Package struct {
	Meta         Meta
	Config       *ConfigTree
	Template     string            // the cluster template's text
	TemplateFile string            // FileTemplate or FileMustache
	Files        map[string][]byte // every file of the package, by path
	// Locales are the locale/*.json files: language (lower case,
	// "zh-cn") -> text -> translation. See Translate.
	Locales map[string]map[string]string

	tmpl *clusterTemplate
}

// LoadOptions supply what a package without package.json (an AppCenter
// package) lacks: the name and version from the repo index or the upload.
type LoadOptions struct {
	Name    string
	Version string

	// Where Name and Version came from (Origin.Options); a name or version read from the
	// file name never contradicts package.json.
	nameFrom, versionFrom, fileName string
}

// Load parses and validates a package whose files (paths relative to its top
// folder, as pkgfile.Read returns them) include package.json.
func Load(files map[string][]byte) (*Package, error) {
	return LoadWith(files, LoadOptions{})
}

// LoadWith parses and validates a package. package.json may be missing when
// opts give the name and version; when both are present they must agree.
// Every problem of every file is returned at once in a *ValidationError.
func LoadWith(files map[string][]byte, opts LoadOptions) (*Package, error) {
	p := &Package{Files: files}
	errs := problems{}

	if data, ok := files[FileMeta]; ok {
		m, err := parseMeta(data)
		if err != nil {
			errs.add(FileMeta, err.Error())
		}
		p.Meta = m
		if opts.Name != "" && m.Name != "" && m.Name != opts.Name && opts.nameFrom != "the file name" {
			errs.add(FileMeta, fmt.Sprintf("name %q does not match %q (from %s)", m.Name, opts.Name, orDefault(opts.nameFrom, "the request")))
		}
		if opts.Version != "" && m.Version != "" && m.Version != opts.Version && opts.versionFrom != "the file name" {
			errs.add(FileMeta, fmt.Sprintf("version %q does not match %q (from %s)", m.Version, opts.Version, orDefault(opts.versionFrom, "the request")))
		}
	} else {
		// An AppCenter package: no package.json; the name and version come from outside.
		p.Meta = Meta{Name: opts.Name, Version: opts.Version}
		switch {
		case opts.Name == "" || opts.Version == "":
			if opts.Name == "" {
				errs.add("name", missingIdent(opts, "name"))
			}
			if opts.Version == "" {
				errs.add("version", missingIdent(opts, "version"))
			}
		default:
			if err := p.Meta.validate(); err != nil {
				errs.add(FileMeta, fmt.Sprintf("no package.json; the name %q (from %s) and version %q (from %s): %v",
					opts.Name, orDefault(opts.nameFrom, "the request"), opts.Version, orDefault(opts.versionFrom, "the request"), err))
			}
		}
	}

	var partial *ConfigTree // config.json's items when some have problems
	if data, ok := files[FileConfig]; ok {
		t, err := ParseConfig(data)
		if err != nil {
			errs.add(FileConfig, err.Error())
			partial = t
		} else {
			p.Config = t
		}
	} else {
		errs.add(FileConfig, "is required")
	}

	tmplData, hasTmpl := files[FileTemplate]
	mustData, hasMust := files[FileMustache]
	switch {
	case hasTmpl && hasMust:
		errs.add(FileMustache, "give only one of "+FileTemplate+" and "+FileMustache)
	case hasTmpl:
		p.Template, p.TemplateFile = string(tmplData), FileTemplate
	case hasMust:
		p.Template, p.TemplateFile = string(mustData), FileMustache
	default:
		errs.add(FileTemplate, "is required")
	}
	if p.TemplateFile != "" {
		t, err := parseTemplate(p.Template)
		if err != nil {
			errs.add(p.TemplateFile, err.Error())
		} else {
			p.tmpl = t
		}
	}
	switch {
	case p.tmpl != nil && p.Config != nil:
		if _, err := p.render(placeholderValues(p.Config.Items)); err != nil {
			errs.add(p.TemplateFile, err.Error())
		}
	case p.tmpl != nil && partial != nil:
		// config.json has problems: still name the template's unknown
		// keys, which do not depend on the values.
		if _, err := p.tmpl.execute(placeholderValues(partial.Items), partial); err != nil {
			errs.add(p.TemplateFile, err.Error())
		}
	}

	checkConfd(files, errs)
	p.Locales = parseLocales(files, errs)

	if len(errs) > 0 {
		return nil, &ValidationError{Files: errs}
	}
	return p, nil
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// Render renders the cluster template with values (as Merge returns them,
// possibly with built-in keys such as cluster.cluster_id added) and checks
// the result against the cluster schema. Errors name the template file and a
// line and column.
func (p *Package) Render(values map[string]any) (*Cluster, error) {
	c, err := p.render(values)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", p.TemplateFile, err)
	}
	return c, nil
}

func (p *Package) render(values map[string]any) (*Cluster, error) {
	if p.tmpl == nil {
		return nil, fmt.Errorf("package has no parsed template")
	}
	out, err := p.tmpl.execute(values, p.Config)
	if err != nil {
		return nil, err
	}
	c, off, err := decodeCluster(out)
	if err != nil {
		if off >= 0 {
			return nil, fmt.Errorf("rendered JSON is invalid: %w", renderedErrAt(out, int(off), err))
		}
		return nil, fmt.Errorf("rendered JSON is invalid: %w", err)
	}
	if err := c.resolvePortRefs(values); err != nil {
		return nil, err
	}
	if err := c.Validate(); err != nil {
		return nil, err
	}
	return c, nil
}

// renderedErrAt places a JSON error in the rendered text: its line and
// column there, and the line itself, since sections and values move text
// about (without sections, lines are the template's).
func renderedErrAt(out []byte, off int, err error) error {
	line, col := lineCol(out, off)
	off = min(max(off, 0), len(out))
	start := bytes.LastIndexByte(out[:off], '\n') + 1
	end := bytes.IndexByte(out[off:], '\n')
	if end < 0 {
		end = len(out)
	} else {
		end += off
	}
	return fmt.Errorf("line %d col %d of the rendered text (%s): %w", line, col, strconv.Quote(truncate(strings.TrimSpace(string(out[start:end])), 80)), err)
}

// RenderText renders the cluster template to JSON text without decoding or
// checking it; for showing users what their conf produced.
func (p *Package) RenderText(values map[string]any) ([]byte, error) {
	if p.tmpl == nil {
		return nil, fmt.Errorf("%s: package has no parsed template", p.TemplateFile)
	}
	out, err := p.tmpl.execute(values, p.Config)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", p.TemplateFile, err)
	}
	return out, nil
}
