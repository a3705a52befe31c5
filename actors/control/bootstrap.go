package control

import (
	"context"

	"github.com/pitrix/pitrix/actors/catalog"
	"github.com/pitrix/pitrix/actors/entity"
	"github.com/pitrix/pitrix/actors/fault"
	"github.com/pitrix/pitrix/actors/identity"
	"github.com/pitrix/pitrix/actors/runtime"
	"github.com/pitrix/pitrix/providers/local"
)

// EnsureLocalRuntime registers the embedded local runtime for the admin unless a local runtime
// exists already. It returns the runtime's id.
func (p *Plane) EnsureLocalRuntime(ctx context.Context, admin identity.Principal) (string, error) {
	existing, _, err := entity.List(ctx, p.st, entity.Query[runtime.Runtime]{
		Prefix: runtime.RuntimePrefix, Limit: 1,
		Keep: func(r runtime.Runtime) bool { return r.Provider == local.Name },
	})
	if err != nil {
		return "", fault.Unavailable(err, "list runtimes")
	}
	if len(existing) > 0 {
		return existing[0].ID, nil
	}
	rt, err := p.CreateRuntime(ctx, admin, runtime.RuntimeInput{
		Name: "local", Description: "this machine: each instance a sandbox (its own root over the host's, mount and PID namespaces) with a Drone on a loopback address",
		Provider: local.Name, Zone: local.Zone, Labels: map[string]string{"env": "dev"},
	})
	if err != nil {
		return "", err
	}
	return rt.ID, nil
}

// EnsureRepo creates a repo of the admin's from in unless one with the same URL exists; either
// way it returns the repo's id (an existing repo is indexed again).
func (p *Plane) EnsureRepo(ctx context.Context, admin identity.Principal, in catalog.RepoInput) (string, error) {
	existing, _, err := entity.List(ctx, p.st, entity.Query[catalog.Repo]{
		Prefix: catalog.RepoPrefix, Limit: 1,
		Keep: func(r catalog.Repo) bool { return r.Status != catalog.StatusDeleted && r.URL == in.URL },
	})
	if err != nil {
		return "", fault.Unavailable(err, "list repos")
	}
	if len(existing) > 0 {
		_, err := p.indexRepo(ctx, existing[0].ID, "create")
		return existing[0].ID, err
	}
	r, err := p.CreateRepo(ctx, admin, in)
	if err != nil {
		return "", err
	}
	return r.ID, nil
}
