package control

import (
	"context"

	"github.com/pitrix/pitrix/actors/catalog"
	"github.com/pitrix/pitrix/actors/entity"
	"github.com/pitrix/pitrix/actors/fault"
	"github.com/pitrix/pitrix/actors/identity"
	"github.com/pitrix/pitrix/actors/runtimes"
	"github.com/pitrix/pitrix/providers/local"
)

// EnsureLocalRuntime registers this node's local runtime for the admin unless it exists
// already, and returns its id. Each node has its own (its instances are its processes and
// files), named after the node and recording it (runtimes.Runtime.Node). A local runtime of no
// node, made by a version that did not record one, is claimed by this node when mine says its
// instances are here, or when this node is the cluster's only one (lone is true).
func (p *Plane) EnsureLocalRuntime(ctx context.Context, admin identity.Principal, mine func(runtimeID string) bool, lone bool) (string, error) {
	existing, _, err := entity.List(ctx, p.st, entity.Query[runtimes.Runtime]{
		Prefix: runtimes.RuntimePrefix,
		Keep: func(r runtimes.Runtime) bool {
			return r.Provider == local.Name && r.Status != catalog.StatusDeleted && (r.Node == p.self || r.Node == "")
		},
	})
	if err != nil {
		return "", fault.Unavailable(err, "list runtimes")
	}
	for _, r := range existing {
		if r.Node == p.self {
			return r.ID, nil
		}
	}
	for _, r := range existing {
		if p.self != "" && (lone || (mine != nil && mine(r.ID))) {
			rt, err := p.runtimeCommand(ctx, r.ID, runtimes.OpClaim, admin, p.self)
			if err != nil {
				return "", err
			}
			if rt.Node == p.self {
				p.log.Info("claimed the local runtime of no node", "runtime_id", r.ID, "node", p.self)
				return r.ID, nil
			}
		}
	}
	name, desc := "local", "this machine: each instance a sandbox (its own root over the host's, mount and PID namespaces) with a Drone on a loopback address"
	if p.self != "" {
		name = "local-" + p.self
		if len(name) > 64 {
			name = name[:64]
		}
		desc = "node " + p.self + ": each instance a sandbox (its own root over the host's, mount and PID namespaces) with a Drone on a loopback address"
	}
	rt, err := p.CreateRuntime(ctx, admin, runtimes.RuntimeInput{
		Name: name, Description: desc, Provider: local.Name, Zone: local.Zone, Labels: map[string]string{"env": "dev"},
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
