package local

import (
	"context"
	"fmt"
	"strings"

	"github.com/pitrix/pitrix/providers"
)

// Name is the provider's word in the API.
const Name = "local"

// Zone is the only zone of the local runtime.
const Zone = "local"

// Provider is the local runtime provider.
type Provider struct {
	// Sandbox says whether this machine can sandbox instances (the driver's Probe); nil
	// means it can. A runtime or cluster of a provider that cannot is refused with its reason.
	Sandbox func(ctx context.Context) error
}

var (
	_ providers.Provider = Provider{}
	_ providers.Checker  = Provider{}
)

// Check implements providers.Checker: the local runtime runs packages only in sandboxes.
func (p Provider) Check(ctx context.Context) error {
	if p.Sandbox == nil {
		return nil
	}
	if err := p.Sandbox(ctx); err != nil {
		return fmt.Errorf("local runtime: packages run only in sandboxes, and this machine cannot make one: %w", err)
	}
	return nil
}

// Name implements providers.Provider.
func (Provider) Name() string { return Name }

// AppType implements providers.Provider.
func (Provider) AppType() string { return providers.AppTypeVM }

// NeedsCredential implements providers.Provider: the local machine needs none.
func (Provider) NeedsCredential() bool { return false }

// Zones implements providers.Provider.
func (Provider) Zones(context.Context) []string { return []string{Zone} }

// ValidateCredential implements providers.Provider: a local credential carries nothing, so
// only an empty content (or an empty JSON object) is accepted.
func (Provider) ValidateCredential(_ context.Context, c providers.Credential) error {
	if s := strings.TrimSpace(c.Content); s != "" && s != "{}" {
		return fmt.Errorf("%w: the local provider takes no credential content", providers.ErrInvalidCredential)
	}
	return nil
}

// ValidateRuntime implements providers.Provider: the zone is "local" and the machine can
// sandbox instances (Check).
func (p Provider) ValidateRuntime(ctx context.Context, zone string, _ providers.Credential) error {
	if zone != "" && zone != Zone {
		return fmt.Errorf("local provider: zone %q does not exist (the only zone is %q)", zone, Zone)
	}
	return p.Check(ctx)
}
