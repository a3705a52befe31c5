package chart

import (
	"bytes"
	"fmt"
	"path"
	"slices"
	"strings"
	"text/template/parse"

	"helm.sh/helm/v3/pkg/action"
	"helm.sh/helm/v3/pkg/chart"
	"helm.sh/helm/v3/pkg/chart/loader"
	"sigs.k8s.io/yaml"

	"github.com/pitrix/pitrix/providers/pkgfile"
)

// maxSubchartDepth bounds charts/ nesting: a chart in a chart in a chart...
const maxSubchartDepth = 5

// Info is what the store shows about a chart.
type Info struct {
	Name        string       `json:"name"`
	Version     string       `json:"version"`
	AppVersion  string       `json:"app_version,omitempty"`
	Description string       `json:"description,omitempty"`
	Home        string       `json:"home,omitempty"`
	Icon        string       `json:"icon,omitempty"`
	Keywords    []string     `json:"keywords,omitempty"`
	Maintainers []Maintainer `json:"maintainers,omitempty"`
	HasSchema   bool         `json:"has_schema"`
	Deprecated  bool         `json:"deprecated,omitempty"`
}

// Maintainer is one maintainer of a chart.
type Maintainer struct {
	Name  string `json:"name"`
	Email string `json:"email,omitempty"`
	URL   string `json:"url,omitempty"`
}

// Load reads a chart archive within pkgfile's default limits and validates
// it. Archive-level problems wrap pkgfile's sentinels (pkgfile.ErrTooLarge,
// pkgfile.ErrNotGzip, ...); problems with the chart's files come back as one
// *ValidationError naming each file.
func Load(tgz []byte) (*Info, *chart.Chart, error) {
	return LoadLimits(tgz, pkgfile.Limits{})
}

// LoadLimits is Load with explicit archive limits. Subchart archives under
// charts/ are expanded within the same total budget.
func LoadLimits(tgz []byte, lim pkgfile.Limits) (*Info, *chart.Chart, error) {
	a, err := pkgfile.Read(bytes.NewReader(tgz), lim)
	if err != nil {
		return nil, nil, fmt.Errorf("chart: read archive: %w", err)
	}
	if a.Top == "" {
		return nil, nil, &ValidationError{Files: map[string]string{"(archive)": "a chart archive must hold one top folder named after the chart"}}
	}
	budget := pkgfile.DefaultLimits().MaxTotal
	if lim.MaxTotal > 0 {
		budget = lim.MaxTotal
	}
	for _, data := range a.Files {
		budget -= int64(len(data))
	}
	files := a.Files
	errs := problems{}
	files, err = expandSubcharts(files, &budget, lim, 0, errs, "")
	if err != nil {
		return nil, nil, err
	}
	checkFiles(files, "", errs)
	if len(errs) > 0 {
		return nil, nil, &ValidationError{Files: errs}
	}

	names := make([]string, 0, len(files))
	for name := range files {
		names = append(names, name)
	}
	slices.Sort(names)
	buffered := make([]*loader.BufferedFile, 0, len(names))
	for _, name := range names {
		buffered = append(buffered, &loader.BufferedFile{Name: name, Data: files[name]})
	}
	ch, err := loader.LoadFiles(buffered)
	if err != nil {
		return nil, nil, &ValidationError{Files: map[string]string{blame(err.Error()): err.Error()}}
	}
	// What `helm install` refuses, refused here with Helm's own words: a chart that is not an
	// application, and dependencies Chart.yaml names that charts/ does not hold.
	if t := ch.Metadata.Type; t != "" && t != "application" {
		return nil, nil, &ValidationError{Files: map[string]string{"Chart.yaml": fmt.Sprintf("%s charts are not installable", t)}}
	}
	if reqs := ch.Metadata.Dependencies; len(reqs) > 0 {
		if err := action.CheckDependencies(ch, reqs); err != nil {
			return nil, nil, &ValidationError{Files: map[string]string{"Chart.yaml": err.Error()}}
		}
	}
	return infoOf(ch), ch, nil
}

func infoOf(ch *chart.Chart) *Info {
	md := ch.Metadata
	info := &Info{
		Name: md.Name, Version: md.Version, AppVersion: md.AppVersion, Description: md.Description,
		Home: md.Home, Icon: md.Icon, Keywords: md.Keywords, HasSchema: len(ch.Schema) > 0, Deprecated: md.Deprecated,
	}
	for _, m := range md.Maintainers {
		if m != nil {
			info.Maintainers = append(info.Maintainers, Maintainer{Name: m.Name, Email: m.Email, URL: m.URL})
		}
	}
	return info
}

// blame picks the file a Helm loader error is about.
func blame(msg string) string {
	for _, name := range []string{"Chart.lock", "requirements.lock", "requirements.yaml", "values.yaml"} {
		if strings.Contains(msg, name) {
			return name
		}
	}
	if _, rest, ok := strings.Cut(msg, "error unpacking subchart "); ok {
		if name, _, ok := strings.Cut(rest, " "); ok {
			return "charts/" + name
		}
	}
	return "Chart.yaml"
}

// expandSubcharts replaces charts/<x>.tgz with the files of that archive
// under charts/<x>/, recursively, so that every subchart passes through
// pkgfile's guards and shares one decompression budget. Helm's own archive
// loader would otherwise unpack them with its separate, larger limits.
func expandSubcharts(files map[string][]byte, budget *int64, lim pkgfile.Limits, depth int, errs problems, prefix string) (map[string][]byte, error) {
	out := make(map[string][]byte, len(files))
	for name, data := range files {
		rest, ok := strings.CutPrefix(name, "charts/")
		if !ok || strings.Contains(rest, "/") || path.Ext(rest) != ".tgz" || strings.IndexAny(rest, "_.") == 0 {
			out[name] = data
			continue
		}
		if depth >= maxSubchartDepth {
			errs.add(prefix+name, fmt.Sprintf("subcharts nested deeper than %d", maxSubchartDepth))
			continue
		}
		sub := lim
		sub.MaxTotal = *budget
		if sub.MaxTotal <= 0 {
			return nil, fmt.Errorf("chart: read archive: %w: subcharts exceed the total size", pkgfile.ErrTooLarge)
		}
		a, err := pkgfile.Read(bytes.NewReader(data), sub)
		if err != nil {
			errs.add(prefix+name, err.Error())
			continue
		}
		for _, d := range a.Files {
			*budget -= int64(len(d))
		}
		dir := "charts/" + strings.TrimSuffix(rest, ".tgz") + "/"
		subFiles, err := expandSubcharts(a.Files, budget, lim, depth+1, errs, prefix+dir)
		if err != nil {
			return nil, err
		}
		for n, d := range subFiles {
			if _, dup := files[dir+n]; dup {
				errs.add(prefix+name, fmt.Sprintf("conflicts with the folder %s", dir))
				break
			}
			out[dir+n] = d
		}
	}
	return out, nil
}

// checkFiles checks a chart's own files and, recursively, its subcharts'
// (under prefix), adding every problem to errs.
func checkFiles(files map[string][]byte, prefix string, errs problems) {
	subcharts := map[string]map[string][]byte{}
	chartYAML, ok := files["Chart.yaml"]
	if !ok {
		errs.add(prefix+"Chart.yaml", "is required")
	} else {
		var md chart.Metadata
		if err := yaml.Unmarshal(chartYAML, &md); err != nil {
			errs.add(prefix+"Chart.yaml", "not valid YAML: "+err.Error())
		} else {
			if md.APIVersion == "" {
				md.APIVersion = chart.APIVersionV1
			}
			if err := md.Validate(); err != nil {
				errs.add(prefix+"Chart.yaml", err.Error())
			}
		}
	}
	for name, data := range files {
		switch {
		case name == "values.yaml":
			var v map[string]any
			if err := yaml.Unmarshal(data, &v); err != nil {
				errs.add(prefix+name, "not valid YAML: "+err.Error())
			}
		case name == "values.schema.json":
			if _, err := ParseSchema(data); err != nil {
				errs.add(prefix+name, err.Error())
			}
		case strings.HasPrefix(name, "templates/"):
			if err := checkTemplate(name, string(data)); err != nil {
				errs.add(prefix+name, err.Error())
			}
		case strings.HasPrefix(name, "charts/"):
			rest := strings.TrimPrefix(name, "charts/")
			dir, file, ok := strings.Cut(rest, "/")
			if !ok || strings.IndexAny(dir, "_.") == 0 {
				continue
			}
			if subcharts[dir] == nil {
				subcharts[dir] = map[string][]byte{}
			}
			subcharts[dir][file] = data
		}
	}
	for dir, sub := range subcharts {
		checkFiles(sub, prefix+"charts/"+dir+"/", errs)
	}
}

// checkTemplate parses a template for syntax; the functions are Helm's
// engine's and are not checked here.
func checkTemplate(name, text string) error {
	t := parse.New(name)
	t.Mode = parse.SkipFuncCheck | parse.ParseComments
	_, err := t.Parse(text, "{{", "}}", map[string]*parse.Tree{})
	return err
}
