package control

import (
	"bytes"
	"errors"
	"fmt"

	"github.com/pitrix/pitrix/actors/catalog"
	"github.com/pitrix/pitrix/actors/fault"
	"github.com/pitrix/pitrix/providers/helm/chart"
	"github.com/pitrix/pitrix/providers/pkgfile"
	"github.com/pitrix/pitrix/providers/vm/spec"
)

// pkgInfo is what the catalog takes from a package.
type pkgInfo struct {
	Name, Version, AppVersion, Description, Home, Icon string
	Keywords                                           []string
	Maintainers                                        []catalog.Maintainer
}

// inspectPackage opens and validates a package of appType; problems are an invalid_argument
// fault naming each bad file.
func inspectPackage(appType string, pkg []byte) (pkgInfo, error) {
	if len(pkg) == 0 {
		return pkgInfo{}, fault.InvalidField("package", "empty body: send the package .tgz")
	}
	if appType == catalog.AppTypeHelm {
		info, _, err := chart.Load(pkg)
		if err != nil {
			return pkgInfo{}, packageFault(err)
		}
		out := pkgInfo{Name: info.Name, Version: info.Version, AppVersion: info.AppVersion, Description: info.Description,
			Home: info.Home, Icon: info.Icon, Keywords: info.Keywords}
		for _, m := range info.Maintainers {
			out.Maintainers = append(out.Maintainers, catalog.Maintainer{Name: m.Name, Email: m.Email, URL: m.URL})
		}
		return out, nil
	}
	files, err := packageFiles(pkg)
	if err != nil {
		return pkgInfo{}, packageFault(err)
	}
	p, err := spec.Load(files)
	if err != nil {
		return pkgInfo{}, packageFault(err)
	}
	m := p.Meta
	out := pkgInfo{Name: m.Name, Version: m.Version, AppVersion: m.AppVersion, Description: m.Description, Home: m.Home, Icon: m.Icon, Keywords: m.Keywords}
	for _, mt := range m.Maintainers {
		out.Maintainers = append(out.Maintainers, catalog.Maintainer{Name: mt.Name, Email: mt.Email})
	}
	return out, nil
}

// packageFiles opens a package .tgz safely.
func packageFiles(pkg []byte) (map[string][]byte, error) {
	a, err := pkgfile.Read(bytes.NewReader(pkg), pkgfile.Limits{})
	if err != nil {
		return nil, err
	}
	return a.Files, nil
}

func packageFault(err error) error {
	var sv *spec.ValidationError
	if errors.As(err, &sv) {
		return fault.Invalid("invalid package", sv.Files)
	}
	var cv *chart.ValidationError
	if errors.As(err, &cv) {
		return fault.Invalid("invalid chart", cv.Files)
	}
	if errors.Is(err, pkgfile.ErrTooLarge) {
		return fault.TooLarge("package: %v", err)
	}
	return fault.Invalid("the package does not open", map[string]string{"package": fmt.Sprint(err)})
}
