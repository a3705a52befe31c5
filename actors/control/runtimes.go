package control

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/pitrix/pitrix/actors/actorpb"
	"github.com/pitrix/pitrix/actors/catalog"
	"github.com/pitrix/pitrix/actors/entity"
	"github.com/pitrix/pitrix/actors/fault"
	"github.com/pitrix/pitrix/actors/identity"
	"github.com/pitrix/pitrix/actors/runtimes"
	"github.com/pitrix/pitrix/actors/store"
	"github.com/pitrix/pitrix/providers"
	"github.com/pitrix/pitrix/providers/local"
)

// hostProviders run what they deploy on the control plane's own host: the package's commands
// run as the server's user, next to its data dir, keys and tokens.
var hostProviders = []string{local.Name}

// checkRuntimeTrust refuses a non-admin the runtimes that run on the control plane's host:
// only admins create them.
func checkRuntimeTrust(pr identity.Principal, provider string) error {
	if pr.IsAdmin() || !contains(hostProviders, provider) {
		return nil
	}
	return fault.Forbidden("only an admin may use a %q runtime: it runs on the control plane's own host", provider)
}

// checkRuntimeUse refuses a non-admin deploying to a runtime on the control plane's host
// unless an admin granted it to them (Runtime.GrantedTo).
func checkRuntimeUse(pr identity.Principal, rt *runtimes.Runtime) error {
	if granted(pr, rt) {
		return nil
	}
	return checkRuntimeTrust(pr, rt.Provider)
}

// granted reports whether an admin let pr use rt although pr does not own it.
func granted(pr identity.Principal, rt *runtimes.Runtime) bool {
	return pr.UserID != "" && contains(rt.GrantedTo, pr.UserID)
}

// checkGrants lets only an admin grant a runtime, only one on the control plane's host, and
// only to users that exist.
func (p *Plane) checkGrants(ctx context.Context, pr identity.Principal, rt *runtimes.Runtime, ids []string) error {
	if !pr.IsAdmin() {
		return fault.Forbidden("only an admin may grant a runtime")
	}
	if !contains(hostProviders, rt.Provider) {
		return fault.InvalidField("granted_to", fmt.Sprintf("only runtimes on the control plane's host (%v) are granted; a %q runtime is its owner's", hostProviders, rt.Provider))
	}
	bad := problems{}
	for i, id := range ids {
		ok, err := p.ident.UserExists(ctx, id)
		if err != nil {
			return fault.Unavailable(err, "read user %s", id)
		}
		if !ok {
			bad.add(fmt.Sprintf("granted_to[%d]", i), "no user %q", id)
		}
	}
	if len(bad) > 0 {
		return fault.Invalid("invalid grant", bad)
	}
	return nil
}

// ListProviders lists the provider plug-ins of this control plane.
func (p *Plane) ListProviders(ctx context.Context) []runtimes.ProviderInfo {
	var out []runtimes.ProviderInfo
	for _, pv := range p.provs.All() {
		out = append(out, runtimes.ProviderInfo{Name: pv.Name(), AppType: pv.AppType(), Zones: pv.Zones(ctx), NeedsCredential: pv.NeedsCredential()})
	}
	return out
}

func (p *Plane) provider(field, name string) (providers.Provider, error) {
	pv, ok := p.provs.Get(name)
	if !ok {
		return nil, fault.InvalidField(field, fmt.Sprintf("%q is not a provider of this control plane (%v)", name, p.provs.Names()))
	}
	return pv, nil
}

// CreateCredential checks a credential with its provider and stores it sealed.
func (p *Plane) CreateCredential(ctx context.Context, pr identity.Principal, in runtimes.CredentialInput) (*runtimes.Credential, error) {
	bad := problems{}
	bad.name("name", in.Name, true)
	bad.text("description", in.Description, 1024)
	bad.text("url", in.URL, 2048)
	bad.noUserinfo("url", in.URL)
	if len(in.Content) > 1<<20 {
		bad.add("content", "at most 1 MiB")
	}
	if len(bad) > 0 {
		return nil, fault.Invalid("invalid runtime credential", bad)
	}
	pv, err := p.provider("provider", in.Provider)
	if err != nil {
		return nil, err
	}
	if err := pv.ValidateCredential(ctx, providers.Credential{URL: in.URL, Content: in.Content}); err != nil {
		return nil, credentialFault(err)
	}
	now := p.now()
	c := runtimes.StoredCredential{Credential: runtimes.Credential{ID: p.ids.Next("rcred"), Name: in.Name, Description: in.Description,
		Provider: in.Provider, URL: in.URL, Owner: pr.UserID, Status: catalog.StatusActive, CreatedAt: now, UpdatedAt: now}}
	c.Sealed = p.seal.Seal([]byte(in.Content), runtimes.CredentialKey(c.ID))
	if _, err := p.st.Apply(ctx, entity.MustPut(runtimes.CredentialKey(c.ID), c, store.Absent, "owner="+c.Owner)); err != nil {
		return nil, writeFault(err, "runtime credential", c.ID)
	}
	out := c.Credential
	return &out, nil
}

func credentialFault(err error) error {
	if errors.Is(err, providers.ErrInvalidCredential) {
		return fault.Invalid("the provider refused the credential", map[string]string{"content": err.Error()})
	}
	return fault.Invalid("the credential could not be checked", map[string]string{"content": err.Error()})
}

func (p *Plane) readCredential(ctx context.Context, pr identity.Principal, id string) (runtimes.StoredCredential, uint64, error) {
	c, v, err := entity.Get[runtimes.StoredCredential](ctx, p.st, runtimes.CredentialKey(id))
	if errors.Is(err, store.ErrNotFound) || (err == nil && !pr.IsAdmin() && c.Owner != pr.UserID) {
		return c, 0, fault.NotFound("runtime credential", id)
	}
	if err != nil {
		return c, 0, fault.Unavailable(err, "read runtime credential %s", id)
	}
	return c, v, nil
}

func (p *Plane) openCredential(c runtimes.StoredCredential) (providers.Credential, error) {
	b, err := p.seal.Unseal(c.Sealed, runtimes.CredentialKey(c.ID))
	if err != nil {
		return providers.Credential{}, fault.Internal(err, "open runtime credential %s", c.ID)
	}
	return providers.Credential{URL: c.URL, Content: string(b)}, nil
}

// ListCredentials lists the caller's credentials (all, for an admin).
func (p *Plane) ListCredentials(ctx context.Context, pr identity.Principal, q catalog.ListQuery) (catalog.Page[runtimes.Credential], error) {
	items, total, err := entity.List(ctx, p.st, entity.Query[runtimes.Credential]{
		Prefix: runtimes.CredentialPrefix, Limit: q.Limit, Offset: q.Offset,
		Less: lessByName(q.Sort, func(c runtimes.Credential) string { return c.Name }),
		Keep: func(c runtimes.Credential) bool {
			return (pr.IsAdmin() || c.Owner == pr.UserID) && match(q.Filters["provider"], c.Provider) && entity.Contains(q.Q, c.Name, c.Description)
		},
	})
	if err != nil {
		return catalog.Page[runtimes.Credential]{}, fault.Unavailable(err, "list runtime credentials")
	}
	return catalog.Page[runtimes.Credential]{TotalCount: total, Items: items}, nil
}

// GetCredential returns one credential (never its content).
func (p *Plane) GetCredential(ctx context.Context, pr identity.Principal, id string) (*runtimes.Credential, error) {
	c, _, err := p.readCredential(ctx, pr, id)
	if err != nil {
		return nil, err
	}
	return &c.Credential, nil
}

// DeleteCredential removes a credential no runtime uses.
func (p *Plane) DeleteCredential(ctx context.Context, pr identity.Principal, id string) error {
	_, ver, err := p.readCredential(ctx, pr, id)
	if err != nil {
		return err
	}
	used := 0
	if err := p.st.Lookup(ctx, runtimes.TermCredential(id), store.ScanOptions{Prefix: runtimes.RuntimePrefix}, func(string) error {
		used++
		return nil
	}); err != nil {
		return fault.Unavailable(err, "list runtimes of credential %s", id)
	}
	if used > 0 {
		return fault.Precondition("runtime credential %s is used by %d runtimes", id, used)
	}
	if _, err := p.st.Apply(ctx, entity.Delete(runtimes.CredentialKey(id), ver)); err != nil {
		return writeFault(err, "runtime credential", id)
	}
	return nil
}

// ValidateCredential checks a stored credential with its provider again.
func (p *Plane) ValidateCredential(ctx context.Context, pr identity.Principal, id string) catalog.ValidateResult {
	c, _, err := p.readCredential(ctx, pr, id)
	if err != nil {
		return catalog.ValidateResult{Error: err.Error()}
	}
	pv, err := p.provider("provider", c.Provider)
	if err != nil {
		return catalog.ValidateResult{Error: err.Error()}
	}
	cred, err := p.openCredential(c)
	if err != nil {
		return catalog.ValidateResult{Error: err.Error()}
	}
	if err := pv.ValidateCredential(ctx, cred); err != nil {
		return catalog.ValidateResult{Error: err.Error()}
	}
	return catalog.ValidateResult{OK: true}
}

// checkRuntime validates a runtime's fields and asks its provider about zone and credential.
func (p *Plane) checkRuntime(ctx context.Context, pr identity.Principal, rt *runtimes.Runtime) error {
	bad := problems{}
	bad.name("name", rt.Name, true)
	bad.text("description", rt.Description, 1024)
	bad.text("zone", rt.Zone, 253)
	bad.labels("labels", rt.Labels)
	if len(bad) > 0 {
		return fault.Invalid("invalid runtime", bad)
	}
	pv, err := p.provider("provider", rt.Provider)
	if err != nil {
		return err
	}
	var cred providers.Credential
	switch {
	case rt.CredentialID != "":
		c, _, err := p.readCredential(ctx, pr, rt.CredentialID)
		if err != nil {
			return fault.InvalidField("credential_id", err.Error())
		}
		if c.Provider != rt.Provider {
			return fault.InvalidField("credential_id", fmt.Sprintf("credential %s is for provider %q, the runtime's is %q", c.ID, c.Provider, rt.Provider))
		}
		if cred, err = p.openCredential(c); err != nil {
			return err
		}
	case pv.NeedsCredential():
		return fault.InvalidField("credential_id", fmt.Sprintf("required for provider %q", rt.Provider))
	}
	if rt.Zone == "" {
		if zones := pv.Zones(ctx); len(zones) == 1 {
			rt.Zone = zones[0]
		}
	}
	if err := pv.ValidateRuntime(ctx, rt.Zone, cred); err != nil {
		return fault.Invalid("the provider refused the runtime", map[string]string{"zone": err.Error()})
	}
	return nil
}

func (p *Plane) runtimeCommand(ctx context.Context, id, op string, pr identity.Principal, body any) (*runtimes.Runtime, error) {
	var b []byte
	if body != nil {
		b, _ = json.Marshal(body)
	}
	res, err := request[*actorpb.RuntimeCommandResult](ctx, p.node, runtimes.KindName, id,
		&actorpb.RuntimeCommand{Op: op, Caller: &actorpb.Caller{UserId: pr.UserID, Role: pr.Role}, Body: b})
	if err != nil {
		return nil, fault.Unavailable(err, "runtime %s did not answer", id)
	}
	if err := fault.FromProto(res.Fault); err != nil {
		return nil, err
	}
	if len(res.Runtime) == 0 {
		return nil, nil
	}
	var rt runtimes.Runtime
	if err := json.Unmarshal(res.Runtime, &rt); err != nil {
		return nil, fault.Internal(err, "decode runtime %s", id)
	}
	return &rt, nil
}

// CreateRuntime checks a runtime with its provider and has its actor store it.
func (p *Plane) CreateRuntime(ctx context.Context, pr identity.Principal, in runtimes.RuntimeInput) (*runtimes.Runtime, error) {
	now := p.now()
	rt := runtimes.Runtime{ID: p.ids.Next("runtime"), Name: in.Name, Description: in.Description, Provider: in.Provider, Zone: in.Zone,
		CredentialID: in.CredentialID, Labels: in.Labels, Test: in.Test, Owner: pr.UserID, Status: catalog.StatusActive, CreatedAt: now, UpdatedAt: now}
	if rt.Provider == local.Name {
		// The local runtime is this machine: the node that took the request.
		rt.Node = p.self
	}
	if err := checkRuntimeTrust(pr, rt.Provider); err != nil {
		return nil, err
	}
	if rt.Labels == nil {
		rt.Labels = map[string]string{}
	}
	if err := p.checkRuntime(ctx, pr, &rt); err != nil {
		return nil, err
	}
	return p.runtimeCommand(ctx, rt.ID, runtimes.OpCreate, pr, rt)
}

// usableRuntime reads a runtime the caller owns or was granted (readRuntime is for changes:
// owners and admins only).
func (p *Plane) usableRuntime(ctx context.Context, pr identity.Principal, id string) (runtimes.Runtime, error) {
	rt, _, err := entity.Get[runtimes.Runtime](ctx, p.st, runtimes.RuntimeKey(id))
	if err == nil && granted(pr, &rt) {
		return rt, nil
	}
	return p.readRuntime(ctx, pr, id)
}

func (p *Plane) readRuntime(ctx context.Context, pr identity.Principal, id string) (runtimes.Runtime, error) {
	rt, _, err := entity.Get[runtimes.Runtime](ctx, p.st, runtimes.RuntimeKey(id))
	if errors.Is(err, store.ErrNotFound) || (err == nil && !pr.IsAdmin() && rt.Owner != pr.UserID) {
		return rt, fault.NotFound("runtime", id)
	}
	if err != nil {
		return rt, fault.Unavailable(err, "read runtime %s", id)
	}
	return rt, nil
}

// ListRuntimes lists the caller's runtimes (all, for an admin).
func (p *Plane) ListRuntimes(ctx context.Context, pr identity.Principal, q catalog.ListQuery) (catalog.Page[runtimes.Runtime], error) {
	f := q.Filters
	items, total, err := entity.List(ctx, p.st, entity.Query[runtimes.Runtime]{
		Prefix: runtimes.RuntimePrefix, Limit: q.Limit, Offset: q.Offset,
		Less: lessByName(q.Sort, func(r runtimes.Runtime) string { return r.Name }),
		Keep: func(r runtimes.Runtime) bool {
			return (pr.IsAdmin() || r.Owner == pr.UserID || granted(pr, &r)) && match(f["provider"], r.Provider) && match(f["zone"], r.Zone) &&
				match(f["owner"], r.Owner) && entity.Contains(q.Q, r.Name, r.Description)
		},
	})
	if err != nil {
		return catalog.Page[runtimes.Runtime]{}, fault.Unavailable(err, "list runtimes")
	}
	return catalog.Page[runtimes.Runtime]{TotalCount: total, Items: items}, nil
}

// GetRuntime returns one of the caller's runtimes, or one granted to them.
func (p *Plane) GetRuntime(ctx context.Context, pr identity.Principal, id string) (*runtimes.Runtime, error) {
	rt, err := p.usableRuntime(ctx, pr, id)
	if err != nil {
		return nil, err
	}
	return &rt, nil
}

// UpdateRuntime checks the patched runtime with its provider, then has its actor apply it.
func (p *Plane) UpdateRuntime(ctx context.Context, pr identity.Principal, id string, in runtimes.RuntimePatch) (*runtimes.Runtime, error) {
	rt, err := p.readRuntime(ctx, pr, id)
	if err != nil {
		return nil, err
	}
	if in.GrantedTo != nil {
		if err := p.checkGrants(ctx, pr, &rt, *in.GrantedTo); err != nil {
			return nil, err
		}
	}
	in.ApplyTo(&rt)
	if err := p.checkRuntime(ctx, pr, &rt); err != nil {
		return nil, err
	}
	in.Zone = &rt.Zone
	return p.runtimeCommand(ctx, id, runtimes.OpUpdate, pr, in)
}

// DeleteRuntime has the runtime's actor delete it (refused while it has live clusters).
func (p *Plane) DeleteRuntime(ctx context.Context, pr identity.Principal, id string) error {
	if _, err := p.readRuntime(ctx, pr, id); err != nil {
		return err
	}
	_, err := p.runtimeCommand(ctx, id, runtimes.OpDelete, pr, nil)
	return err
}
