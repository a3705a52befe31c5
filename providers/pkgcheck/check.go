package pkgcheck

import (
	"bytes"
	"errors"
	"fmt"

	"github.com/pitrix/pitrix/providers/helm/chart"
	"github.com/pitrix/pitrix/providers/pkgfile"
	"github.com/pitrix/pitrix/providers/vm/spec"
)

// App types Check knows (the catalog's words).
const (
	TypeVM   = "vm"
	TypeHelm = "helm"
)

// ErrEmpty is an empty package.
var ErrEmpty = errors.New("pkgcheck: empty package")

// Maintainer is one maintainer of a package.
type Maintainer struct{ Name, Email, URL string }

// Info is what the catalog takes from a package.
type Info struct {
	Name, Version, AppVersion, Description, Home, Icon string
	Keywords                                           []string
	Maintainers                                        []Maintainer
}

// Check opens and validates pkg, a package of appType, whose name and version (for a VM
// package without package.json) come from o.
func Check(appType string, pkg []byte, o spec.Origin) (Info, error) {
	if len(pkg) == 0 {
		return Info{}, ErrEmpty
	}
	switch appType {
	case TypeHelm:
		info, _, err := chart.Load(pkg)
		if err != nil {
			return Info{}, err
		}
		out := Info{Name: info.Name, Version: info.Version, AppVersion: info.AppVersion, Description: info.Description,
			Home: info.Home, Icon: info.Icon, Keywords: info.Keywords}
		for _, m := range info.Maintainers {
			out.Maintainers = append(out.Maintainers, Maintainer{Name: m.Name, Email: m.Email, URL: m.URL})
		}
		return out, nil
	case TypeVM:
		p, err := Load(pkg, o)
		if err != nil {
			return Info{}, err
		}
		m := p.Meta
		out := Info{Name: m.Name, Version: m.Version, AppVersion: m.AppVersion, Description: m.Description, Home: m.Home, Icon: m.Icon, Keywords: m.Keywords}
		for _, mt := range m.Maintainers {
			out.Maintainers = append(out.Maintainers, Maintainer{Name: mt.Name, Email: mt.Email})
		}
		return out, nil
	}
	return Info{}, fmt.Errorf("pkgcheck: type %q is not vm or helm", appType)
}

// Load opens a VM package and loads it with the name and version o resolves to: what
// upload, index and create all use.
func Load(pkg []byte, o spec.Origin) (*spec.Package, error) {
	files, err := Files(pkg)
	if err != nil {
		return nil, err
	}
	return spec.LoadWith(files, o.Options())
}

// Files opens a package .tgz safely.
func Files(pkg []byte) (map[string][]byte, error) {
	a, err := pkgfile.Read(bytes.NewReader(pkg), pkgfile.Limits{})
	if err != nil {
		return nil, err
	}
	return a.Files, nil
}
