package control

import (
	"errors"
	"fmt"

	"github.com/pitrix/pitrix/actors/catalog"
	"github.com/pitrix/pitrix/actors/fault"
	"github.com/pitrix/pitrix/providers/helm/chart"
	"github.com/pitrix/pitrix/providers/pkgcheck"
	"github.com/pitrix/pitrix/providers/pkgfile"
	"github.com/pitrix/pitrix/providers/vm/spec"
)

// inspectPackage opens and validates a package of appType with pkgcheck (the rules the repo
// indexer applies too); problems are an invalid_argument fault naming each bad file or field.
func inspectPackage(appType string, pkg []byte, o spec.Origin) (pkgcheck.Info, error) {
	if len(pkg) == 0 {
		return pkgcheck.Info{}, fault.InvalidField("package", "empty body: send the package .tgz")
	}
	info, err := pkgcheck.Check(appType, pkg, o)
	if err != nil {
		return pkgcheck.Info{}, packageFault(err)
	}
	return info, nil
}

func maintainers(ms []pkgcheck.Maintainer) []catalog.Maintainer {
	out := make([]catalog.Maintainer, 0, len(ms))
	for _, m := range ms {
		out = append(out, catalog.Maintainer{Name: m.Name, Email: m.Email, URL: m.URL})
	}
	return out
}

// packageFiles opens a package .tgz safely.
func packageFiles(pkg []byte) (map[string][]byte, error) { return pkgcheck.Files(pkg) }

// versionOrigin is what a stored version says of its package's name and version: the app's
// name and the version's, as the index or the upload gave them.
func versionOrigin(appName string, v *catalog.Version) spec.Origin {
	return spec.Origin{Index: spec.Ident{Name: appName, Version: v.Name}}
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
