package spec

import (
	"encoding/json"
	"fmt"
	"strings"
)

// missingMark starts the stand-in ServiceRun renders for a required service
// parameter that was not given: if it reaches the service being run, the
// parameter was required by that service.
const missingMark = "@@ptx-missing-param:"

// ServiceRun checks the run-time parameters of custom service name, as
// AppCenter does when a user runs a service: values are the cluster's merged
// conf with the caller's parameters under service_params (Merge has checked
// their keys, types, ranges and patterns, leniently about required ones).
// A required parameter is required when the service's service_params in the
// template use it. The result is, per role defining the service, the
// service's service_params as the template renders them with these values
// (what the service's command is given), keyed by Role.Role ("" for a
// one-role app). Every missing parameter is reported
// at once in a *ConfError keyed service_params.<path>.
func (p *Package) ServiceRun(values map[string]any, name string) (map[string]json.RawMessage, error) {
	if p.Config == nil {
		return nil, &ConfError{Fields: map[string]string{"": "package has no config tree"}}
	}
	withMarks := make(map[string]any, len(values))
	for k, v := range values {
		withMarks[k] = v
	}
	for _, it := range p.Config.Items {
		if it.Key == ServiceParamsKey && !it.Leaf() {
			given, _ := values[ServiceParamsKey].(map[string]any)
			withMarks[ServiceParamsKey] = markMissing(it.Properties, given, ServiceParamsKey+".")
		}
	}
	c, err := p.Render(withMarks)
	if err != nil {
		return nil, fmt.Errorf("render with the parameters of service %s: %w", name, err)
	}
	errs := problems{}
	out := map[string]json.RawMessage{}
	for _, r := range c.Nodes {
		s, ok := r.Services[name]
		if !ok {
			continue
		}
		raw := s.ServiceParams
		if len(raw) == 0 {
			raw = json.RawMessage("{}")
		}
		text := string(raw)
		for {
			i := strings.Index(text, missingMark)
			if i < 0 {
				break
			}
			rest := text[i+len(missingMark):]
			end := strings.IndexByte(rest, '"')
			if end < 0 {
				end = len(rest)
			}
			errs[rest[:end]] = fmt.Sprintf("is required by service %s", name)
			text = rest[end:]
		}
		out[r.Role] = raw
	}
	if len(errs) > 0 {
		return nil, &ConfError{Fields: errs}
	}
	return out, nil
}

// markMissing is given with a stand-in (missingMark and the path) for every
// required leaf that has no value.
func markMissing(items []*Item, given map[string]any, prefix string) map[string]any {
	out := make(map[string]any, len(items))
	for k, v := range given {
		out[k] = v
	}
	for _, it := range items {
		path := prefix + it.Key
		if !it.Leaf() {
			sub, _ := given[it.Key].(map[string]any)
			out[it.Key] = markMissing(it.Properties, sub, path+".")
			continue
		}
		if v, ok := given[it.Key]; it.Required && (!ok || v == nil || isEmptyValue(v)) {
			out[it.Key] = missingMark + path
		}
	}
	return out
}
