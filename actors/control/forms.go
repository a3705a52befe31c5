package control

import (
	"context"

	"github.com/pitrix/pitrix/actors/catalog"
	"github.com/pitrix/pitrix/actors/catalog/form"
	"github.com/pitrix/pitrix/actors/catalog/readme"
	"github.com/pitrix/pitrix/actors/fault"
	"github.com/pitrix/pitrix/actors/identity"
	"github.com/pitrix/pitrix/providers/helm/chart"
)

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
	// The same load as cluster create: packages without package.json take their name and
	// version from the app and version records.
	sp, err := p.vmPackage(ctx, &v, pkg)
	if err != nil {
		return nil, err
	}
	f := form.VM(sp, lang, sp.Translate) // labels and descriptions from the package's locale/
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
