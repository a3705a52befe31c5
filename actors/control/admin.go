package control

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/pitrix/pitrix/actors/actorpb"
	"github.com/pitrix/pitrix/actors/catalog"
	"github.com/pitrix/pitrix/actors/entity"
	"github.com/pitrix/pitrix/actors/fault"
	"github.com/pitrix/pitrix/actors/frontgate"
	"github.com/pitrix/pitrix/actors/identity"
	"github.com/pitrix/pitrix/actors/inspect"
	"github.com/pitrix/pitrix/actors/store"
	"github.com/pitrix/pitrix/cluster/node"
)

// CreateUser adds a user (admin only).
func (p *Plane) CreateUser(ctx context.Context, pr identity.Principal, in identity.UserInput) (*identity.User, error) {
	return p.ident.CreateUser(ctx, pr, in)
}

// ListUsers lists users (admin only).
func (p *Plane) ListUsers(ctx context.Context, pr identity.Principal, q catalog.ListQuery) (catalog.Page[identity.User], error) {
	return p.ident.ListUsers(ctx, pr, q)
}

// CreateToken issues a token.
func (p *Plane) CreateToken(ctx context.Context, pr identity.Principal, userID string, in identity.TokenInput) (*identity.Token, error) {
	return p.ident.CreateToken(ctx, pr, userID, in)
}

// Nodes lists the control-plane members (admin only).
func (p *Plane) Nodes(_ context.Context, pr identity.Principal) ([]inspect.NodeInfo, error) {
	if !pr.IsAdmin() {
		return nil, fault.Forbidden("only an admin may list nodes")
	}
	if r, ok := p.node.(interface{ NodesWithRaft() []inspect.NodeInfo }); ok {
		return r.NodesWithRaft(), nil
	}
	return p.node.Nodes(), nil
}

// drainer is a Cluster that can ask a member to drain.
type drainer interface {
	DrainMember(ctx context.Context, name string) error
}

// DrainNode asks the node named name (its name or id) to move its actors to the others and
// host no more: before it is stopped (admin only). The drain goes on there.
func (p *Plane) DrainNode(ctx context.Context, pr identity.Principal, name string) error {
	if !pr.IsAdmin() {
		return fault.Forbidden("only an admin may drain a node")
	}
	d, ok := p.node.(drainer)
	if !ok {
		return fault.Unavailable(errors.New("this control plane cannot drain nodes"), "drain node %s", name)
	}
	if err := d.DrainMember(ctx, name); err != nil {
		if errors.Is(err, node.ErrNoMember) {
			return fault.NotFound("node", name)
		}
		return fault.Unavailable(err, "drain node %s", name)
	}
	p.log.Info("node asked to drain", "node", name, "by", pr.UserID)
	return nil
}

// Frontgates lists the edge proxies the control plane knows, from their session records:
// the node holding each one's stream, and (asked live, for connected ones) its Drones. Admin
// only.
func (p *Plane) Frontgates(ctx context.Context, pr identity.Principal) ([]inspect.FrontgateInfo, error) {
	if !pr.IsAdmin() {
		return nil, fault.Forbidden("only an admin may list frontgates")
	}
	out := []inspect.FrontgateInfo{}
	members, names := map[string]bool{}, map[string]string{}
	for _, m := range p.node.Nodes() {
		members[m.ID], names[m.ID] = m.Status == "alive", m.Name
	}
	err := entity.Each(ctx, p.st, frontgate.Prefix, "", func(s frontgate.Session, _ uint64) error {
		// A stream held by a node that is gone is gone with it (its disconnect may not have
		// been recorded).
		connected := s.Connected && members[s.Node]
		fi := inspect.FrontgateInfo{ID: s.ID, VPC: s.VPC, RuntimeID: s.RuntimeID, Node: s.Node, NodeName: names[s.Node], Connected: connected, LastSeen: s.LastSeen, Drones: []string{}}
		if connected && p.drones != nil {
			dctx, cancel := context.WithTimeout(ctx, 2*time.Second)
			ids, err := p.drones(dctx, s.ID)
			cancel()
			if err == nil {
				fi.Drones = append(fi.Drones, ids...)
			}
		}
		out = append(out, fi)
		return nil
	})
	if err != nil {
		return nil, fault.Unavailable(err, "list frontgates")
	}
	return out, nil
}

// clusterActivations is a Cluster that can list every node's activations, not only its own.
type clusterActivations interface {
	ClusterActivations(ctx context.Context) (acts []inspect.ActorInfo, unreached []string)
}

// activations lists the live actors of every node the plane's cluster can ask, else its own.
func (p *Plane) activations(ctx context.Context) []inspect.ActorInfo {
	ca, ok := p.node.(clusterActivations)
	if !ok {
		return p.node.Activations()
	}
	acts, unreached := ca.ClusterActivations(ctx)
	for _, u := range unreached {
		p.log.Warn("actor list leaves out a node", "err", u)
	}
	return acts
}

// Actors lists the live activations of every node, filtered by kind and node (its id or
// name) (admin only).
func (p *Plane) Actors(ctx context.Context, pr identity.Principal, kind, node string) ([]inspect.ActorInfo, error) {
	if !pr.IsAdmin() {
		return nil, fault.Forbidden("only an admin may inspect actors")
	}
	out := []inspect.ActorInfo{}
	for _, a := range p.activations(ctx) {
		if match(kind, a.Kind) && (match(node, a.Node) || node == a.NodeName) {
			out = append(out, a)
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Kind != out[j].Kind {
			return out[i].Kind < out[j].Kind
		}
		return out[i].ID < out[j].ID
	})
	return out, nil
}

// ActorState asks one live actor for its state (admin only). An actor that is not live is not
// found: inspecting must not activate it.
func (p *Plane) ActorState(ctx context.Context, pr identity.Principal, kind, id string) ([]byte, error) {
	if !pr.IsAdmin() {
		return nil, fault.Forbidden("only an admin may inspect actors")
	}
	live := false
	for _, a := range p.activations(ctx) {
		if a.Kind == kind && a.ID == id {
			live = true
			break
		}
	}
	if !live {
		return nil, fault.NotFound("live actor", kind+"/"+id)
	}
	res, err := request[*actorpb.InspectResult](ctx, p.node, kind, id, &actorpb.Inspect{})
	if err != nil {
		return nil, fault.Unavailable(err, "actor %s/%s did not answer", kind, id)
	}
	return res.State, nil
}

// Ready reports whether the store answers and this node is a member.
func (p *Plane) Ready(ctx context.Context) error {
	if _, err := p.st.Get(ctx, "meta/ready-probe"); err != nil && !errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("store: %w", err)
	}
	if !p.node.Ready() {
		return errors.New("membership: this node is not in the cluster topology yet")
	}
	return nil
}
