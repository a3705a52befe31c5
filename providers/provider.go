package providers

import (
	"context"
	"errors"
	"fmt"
	"sort"
)

// App types a provider runs.
const (
	AppTypeVM   = "vm"
	AppTypeHelm = "helm"
)

// ErrInvalidCredential marks a credential a provider refused: callers report it as bad input,
// not as an outage.
var ErrInvalidCredential = errors.New("providers: invalid credential")

// Credential is an opened runtime credential.
type Credential struct {
	URL     string
	Content string // a kubeconfig, JSON keys, ... (plaintext, never logged)
}

// Provider is one runtime back end. Methods are called from request goroutines, may block on
// the network, and must honour ctx.
type Provider interface {
	// Name is the provider's word in the API ("local", "kubernetes", "openstack").
	Name() string
	// AppType is the package format it runs: AppTypeVM or AppTypeHelm.
	AppType() string
	// NeedsCredential says whether a runtime of this provider must name a credential.
	NeedsCredential() bool
	// Zones lists the zones (regions, namespaces) it offers, if it can tell without a credential.
	Zones(ctx context.Context) []string
	// ValidateCredential checks that cred works; a refused credential wraps ErrInvalidCredential.
	ValidateCredential(ctx context.Context, cred Credential) error
	// ValidateRuntime checks that a runtime in zone with cred (zero when none) can be used.
	ValidateRuntime(ctx context.Context, zone string, cred Credential) error
}

// Checker is a provider that can tell whether it can run app clusters on this control plane
// now (the local runtime: whether this machine can sandbox instances). The control plane asks
// before it creates a cluster on one of its runtimes; the error says why not.
type Checker interface {
	Check(ctx context.Context) error
}

// Registry holds the providers of this control plane by name. It is built once, in cmd/, and
// read-only afterwards.
type Registry struct{ byName map[string]Provider }

// NewRegistry returns a registry of the given providers; names must be unique.
func NewRegistry(ps ...Provider) (*Registry, error) {
	r := &Registry{byName: make(map[string]Provider, len(ps))}
	for _, p := range ps {
		if _, dup := r.byName[p.Name()]; dup {
			return nil, fmt.Errorf("providers: %q registered twice", p.Name())
		}
		r.byName[p.Name()] = p
	}
	return r, nil
}

// Get returns the provider called name.
func (r *Registry) Get(name string) (Provider, bool) {
	p, ok := r.byName[name]
	return p, ok
}

// All returns the providers sorted by name.
func (r *Registry) All() []Provider {
	out := make([]Provider, 0, len(r.byName))
	for _, p := range r.byName {
		out = append(out, p)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name() < out[j].Name() })
	return out
}

// Names returns the registered names, sorted.
func (r *Registry) Names() []string {
	ps := r.All()
	names := make([]string, len(ps))
	for i, p := range ps {
		names[i] = p.Name()
	}
	return names
}

// Operator returns the provider called name if it can run app clusters.
func (r *Registry) Operator(name string) (Operator, bool) {
	p, ok := r.byName[name]
	if !ok {
		return nil, false
	}
	op, ok := p.(Operator)
	return op, ok
}
