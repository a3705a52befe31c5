package control

import (
	"context"

	"github.com/pitrix/pitrix/actors/catalog"
	"github.com/pitrix/pitrix/actors/catalog/form"
	"github.com/pitrix/pitrix/actors/catalog/readme"
	"github.com/pitrix/pitrix/actors/fault"
	"github.com/pitrix/pitrix/actors/identity"
	"github.com/pitrix/pitrix/providers/helm/chart"
	"github.com/pitrix/pitrix/providers/vm/spec"
)

// formTranslate maps a VM package's label to a language for the deploy form (identity until a
// package's locale files are read).
func formTranslate(_ *spec.Package) form.Translate { return nil }

// VersionForm returns the deploy form of a version in lang (en or zh-CN): from config.json for
// VM apps, from values.schema.json for Helm charts. Cluster create checks a conf against the
// same files (checkConf), so the form and the server agree.
func (p *Plane) VersionForm(ctx context.Context, pr identity.Principal, id, lang string) (*form.Form, error) {
	lang, err := form.CheckLang(lang)
	if err != nil {
		return nil, fault.InvalidField("lang", err.Error())
	}
	v, _, err := p.readVersion(ctx, p.viewer(ctx, pr), id)
	if err != nil {
		return nil, err
	}
	pkg, err := p.packageOf(ctx, &v)
	if err != nil {
		return nil, err
	}
	if v.Type == catalog.AppTypeHelm {
		_, ch, err := chart.Load(pkg)
		if err != nil {
			return nil, fault.Precondition("chart of %s does not load: %v", v.ID, err)
		}
		files, err := packageFiles(pkg)
		if err != nil {
			return nil, fault.Precondition("package of %s does not open: %v", v.ID, err)
		}
		f, err := form.Helm(ch.Schema, files["values.yaml"], ch.Values, lang)
		if err != nil {
			return nil, fault.Precondition("chart of %s: %v", v.ID, err)
		}
		return &f, nil
	}
	files, err := packageFiles(pkg)
	if err != nil {
		return nil, fault.Precondition("package of %s does not open: %v", v.ID, err)
	}
	sp, err := spec.Load(files)
	if err != nil {
		return nil, fault.Precondition("package of %s is invalid: %v", v.ID, err)
	}
	f := form.VM(sp, lang, formTranslate(sp))
	return &f, nil
}

// VersionReadme returns the version's README rendered to sanitized HTML ("" when it has none).
func (p *Plane) VersionReadme(ctx context.Context, pr identity.Principal, id string) (string, error) {
	v, _, err := p.readVersion(ctx, p.viewer(ctx, pr), id)
	if err != nil {
		return "", err
	}
	pkg, err := p.packageOf(ctx, &v)
	if err != nil {
		return "", err
	}
	files, err := packageFiles(pkg)
	if err != nil {
		return "", fault.Precondition("package of %s does not open: %v", v.ID, err)
	}
	_, md, ok := readme.Find(files)
	if !ok {
		return "", nil
	}
	html, err := readme.Render(md)
	if err != nil {
		return "", fault.Precondition("README of %s: %v", v.ID, err)
	}
	return html, nil
}
