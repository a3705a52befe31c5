package spec

import (
	"fmt"
	"strings"
)

// subnetAliases are the two names of a cluster's network: Pitrix's "subnet"
// and AppCenter's "vxnet". Either one in a conf fills the item of the other.
var subnetAliases = map[string]string{"subnet": "vxnet", "vxnet": "subnet"}

// Defaults returns the config tree's default values, nested as the keys
// are: {"cluster": {"name": "", "redis": {"count": 3}}, "env": {...}}.
// Items without a default are absent. The map is new on every call.
func (p *Package) Defaults() map[string]any {
	if p.Config == nil {
		return map[string]any{}
	}
	return defaults(p.Config.Items)
}

func defaults(items []*Item) map[string]any {
	out := map[string]any{}
	for _, it := range items {
		if !it.Leaf() {
			out[it.Key] = defaults(it.Properties)
		} else if it.Default != nil {
			out[it.Key] = it.Default
		}
	}
	return out
}

// Merge lays the user's conf over the defaults and validates the result:
// every value must have its item's type and satisfy range, min, max, step
// and pattern, required items must have a value, and conf may not name keys
// the config tree does not have. Every bad key is reported at once in a
// *ConfError. Values in the result have the items' Go types (see Item).
func (p *Package) Merge(conf map[string]any) (map[string]any, error) {
	if p.Config == nil {
		return nil, &ConfError{Fields: map[string]string{"": "package has no config tree"}}
	}
	errs := problems{}
	out := mergeItems(p.Config.Items, conf, "", false, errs, &patternBudget{})
	if len(errs) > 0 {
		return nil, &ConfError{Fields: errs}
	}
	return out, nil
}

// ServiceParamsKey is the top-level group of config.json holding the
// parameters of custom services (backup, restore, ...): they are given when
// a service runs, so they are optional when a cluster is created.
const ServiceParamsKey = "service_params"

// mergeItems merges conf over items. lenient drops "is required" (for
// service_params, which are given when a service runs).
func mergeItems(items []*Item, conf map[string]any, prefix string, lenient bool, errs problems, b *patternBudget) map[string]any {
	byKey := make(map[string]*Item, len(items))
	for _, it := range items {
		byKey[it.Key] = it
	}
	// Resolve which conf key feeds which item, refusing unknown keys.
	given := map[string]any{}
	for k, v := range conf {
		if _, ok := byKey[k]; ok {
			given[k] = v
			continue
		}
		if alias, ok := subnetAliases[k]; ok && byKey[alias] != nil {
			if _, both := conf[alias]; both {
				errs.add(prefix+k, fmt.Sprintf("give only one of %q and %q", k, alias))
				continue
			}
			given[alias] = v
			continue
		}
		errs.add(prefix+k, "unknown key")
	}
	out := make(map[string]any, len(items))
	for _, it := range items {
		path := prefix + it.Key
		v, has := given[it.Key]
		if has && v == nil {
			has = false
		}
		if !it.Leaf() {
			var sub map[string]any
			if has {
				m, ok := v.(map[string]any)
				if !ok {
					errs.add(path, "want an object, got "+describe(v))
					continue
				}
				sub = m
			}
			out[it.Key] = mergeItems(it.Properties, sub, path+".", lenient || path == ServiceParamsKey, errs, b)
			continue
		}
		if has {
			cv, err := it.coerce(v)
			if err != nil {
				errs.add(path, err.Error())
				continue
			}
			v = cv
		} else {
			v = it.Default
		}
		if v == nil || (isEmptyValue(v) && (isText(it) || isRef(it))) {
			if it.Required && !lenient && !isRef(it) {
				errs.add(path, "is required")
				continue
			}
			if v == nil {
				continue
			}
			out[it.Key] = v // an optional empty string: no checks apply
			continue
		}
		if err := it.check(v, b); err != nil {
			errs.add(path, err.Error())
			continue
		}
		out[it.Key] = v
	}
	return out
}

func isText(it *Item) bool {
	switch it.Type {
	case TypeString, TypePassword, TypeService, TypeAccessKey, TypeEIP:
		return true
	}
	return false
}

// placeholderValues is Defaults plus a value of the right type for every
// required item with no default, so Load can render the template and check
// its shape before any user has filled the form.
func placeholderValues(items []*Item) map[string]any {
	out := map[string]any{}
	for _, it := range items {
		switch {
		case !it.Leaf():
			out[it.Key] = placeholderValues(it.Properties)
		case it.Default != nil && !(it.Default == "" && it.Required):
			out[it.Key] = it.Default
		case len(it.Range) > 0:
			out[it.Key] = it.Range[0]
		default:
			out[it.Key] = zeroOf(it)
		}
	}
	return out
}

func zeroOf(it *Item) any {
	switch it.Type {
	case TypeInteger:
		if it.Min != nil {
			return int64(*it.Min)
		}
		return int64(0)
	case TypeNumber:
		if it.Min != nil {
			return *it.Min
		}
		return 0.0
	case TypeBoolean:
		return false
	case TypeLoadBalancer:
		return []any{}
	case TypeService, TypeAccessKey, TypeEIP:
		return ""
	}
	return strings.ToLower(it.Key)
}

// Known returns conf without the keys the config tree does not have, for carrying a
// cluster's conf over to another version of its app (a role or setting the version dropped).
// Values are not checked: Merge does that.
func (p *Package) Known(conf map[string]any) map[string]any {
	if p.Config == nil {
		return map[string]any{}
	}
	return knownItems(p.Config.Items, conf)
}

func knownItems(items []*Item, conf map[string]any) map[string]any {
	out := map[string]any{}
	for _, it := range items {
		v, ok := conf[it.Key]
		if !ok {
			for alias, to := range subnetAliases {
				if to == it.Key {
					if av, has := conf[alias]; has {
						v, ok = av, true
					}
				}
			}
		}
		if !ok {
			continue
		}
		if sub, isMap := v.(map[string]any); isMap && !it.Leaf() {
			out[it.Key] = knownItems(it.Properties, sub)
			continue
		}
		out[it.Key] = v
	}
	return out
}

// ExternalRefs names the items of values that need something outside the
// cluster: a service link (type service), load balancers (loadbalancer), a
// QingCloud access key (accesskey) or elastic IP (eip) that is required or
// given. The runtimes of this control plane provide none, so a create or
// update with any is refused naming them; an optional, empty one is passed
// on empty. service_params are left out (they are given when a service
// runs). The map is keyed by dotted path; p.ExternalRefs(p.Defaults())
// names what no conf can avoid.
func (p *Package) ExternalRefs(values map[string]any) map[string]string {
	out := map[string]string{}
	if p.Config != nil {
		externalRefs(p.Config.Items, values, "", out)
	}
	return out
}

func externalRefs(items []*Item, values map[string]any, prefix string, out map[string]string) {
	for _, it := range items {
		path := prefix + it.Key
		v := values[it.Key]
		if !it.Leaf() {
			if path != ServiceParamsKey {
				sub, _ := v.(map[string]any)
				externalRefs(it.Properties, sub, path+".", out)
			}
			continue
		}
		if !isRef(it) || (isEmptyValue(v) && !it.Required) {
			continue
		}
		what := map[string]string{
			TypeService:      "a link to another cluster (type service)",
			TypeLoadBalancer: "load balancers (type loadbalancer)",
			TypeAccessKey:    "a QingCloud API access key (type accesskey)",
			TypeEIP:          "an elastic IP (type eip)",
		}[it.Type]
		if isEmptyValue(v) {
			out[path] = what + " is required by the package, and the runtimes of this control plane cannot provide one"
		} else {
			out[path] = what + " cannot be provided by the runtimes of this control plane; leave it empty"
		}
	}
}
