package vm

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"sort"
	"strconv"
	"strings"

	"github.com/pitrix/pitrix/edge/edgepb"
	"github.com/pitrix/pitrix/edge/metadata"
	"github.com/pitrix/pitrix/providers"
	"github.com/pitrix/pitrix/providers/pkgfile"
	"github.com/pitrix/pitrix/providers/vm/frame"
	"github.com/pitrix/pitrix/providers/vm/spec"
)

// putMetadata registers the cluster's metadata (and, when asked, the package's confd bundle)
// in the VPC's Frontgate, which pushes each Drone its new /self view.
func (o *Operator) putMetadata(ctx context.Context, t providers.Task) (providers.TaskResult, error) {
	p, err := params[frame.MetadataParams](t)
	if err != nil {
		return providers.TaskResult{}, err
	}
	c, err := decodeSpec(t.Cluster.ID, t.Cluster.Spec)
	if err != nil {
		return providers.TaskResult{}, err
	}
	vpc, err := o.vpc(ctx, t)
	if err != nil {
		return providers.TaskResult{}, err
	}
	md, err := o.clusterMetadata(ctx, t, vpc, c, p)
	if err != nil {
		return providers.TaskResult{}, err
	}
	if err := md.Validate(); err != nil {
		return providers.TaskResult{}, providers.Permanent(err)
	}
	var out []string
	if p.Bundle {
		files, err := o.bundle(ctx, t)
		if err != nil {
			return providers.TaskResult{}, err
		}
		if _, err := o.cfg.Edge.Request(ctx, vpc.FrontgateID, &edgepb.PutBundle{ClusterId: t.Cluster.ID, Files: files}); err != nil {
			return providers.TaskResult{}, fmt.Errorf("bundle of %s to frontgate %s: %w", t.Cluster.ID, vpc.FrontgateID, err)
		}
		out = append(out, fmt.Sprintf("bundle of %s: %d files", t.Cluster.VersionID, len(files)))
	}
	b, _ := json.Marshal(md)
	if _, err := o.cfg.Edge.Request(ctx, vpc.FrontgateID, &edgepb.PutMetadata{ClusterId: t.Cluster.ID, Json: b}); err != nil {
		return providers.TaskResult{}, fmt.Errorf("metadata of %s to frontgate %s: %w", t.Cluster.ID, vpc.FrontgateID, err)
	}
	out = append(out, fmt.Sprintf("metadata: %d hosts, %d adding, %d deleting", len(md.Hosts), len(md.Adding), len(md.Deleting)))
	return providers.TaskResult{Output: strings.Join(out, "\n"), Observed: &providers.Observed{Roles: roles(c, md.Hosts), Endpoints: endpoints(c, md.Hosts)}}, nil
}

func (o *Operator) dropMetadata(ctx context.Context, t providers.Task) (providers.TaskResult, error) {
	vpc, err := o.vpc(ctx, t)
	if err != nil {
		return providers.TaskResult{}, err
	}
	if _, err := o.cfg.Edge.Request(ctx, vpc.FrontgateID, &edgepb.DeleteMetadata{ClusterId: t.Cluster.ID}); err != nil {
		return providers.TaskResult{}, fmt.Errorf("drop metadata of %s in frontgate %s: %w", t.Cluster.ID, vpc.FrontgateID, err)
	}
	return providers.TaskResult{Output: "metadata dropped", Observed: &providers.Observed{Roles: []providers.Role{}, Endpoints: []providers.Endpoint{}}}, nil
}

// clusterMetadata describes the cluster for its Drones: the nodes the task names with their
// addresses, the spec's env and endpoints.
func (o *Operator) clusterMetadata(ctx context.Context, t providers.Task, vpc VPC, c *spec.Cluster, p frame.MetadataParams) (metadata.Cluster, error) {
	md := metadata.Cluster{ClusterID: t.Cluster.ID, AppID: t.Cluster.AppID, Name: t.Cluster.Name, Zone: t.Runtime.Zone,
		Provider: o.Name(), Env: map[string]map[string]string{}, Endpoints: map[string]metadata.Endpoint{}}
	md.SingleRole = len(c.Nodes) == 1 && c.Nodes[0].Role == ""
	byRole := map[string]spec.Role{}
	for _, r := range c.Nodes {
		byRole[roleName(r)] = r
		if len(r.Env) > 0 && !md.SingleRole {
			md.Env[roleName(r)] = envStrings(r.Env)
		}
	}
	env := maps.Clone(c.Env)
	if md.SingleRole { // its hosts have no role: the role's env goes with the cluster's
		if env == nil {
			env = map[string]any{}
		}
		maps.Copy(env, c.Nodes[0].Env)
	}
	if len(env) > 0 {
		md.Env[""] = envStrings(env)
	}
	for name, e := range c.Endpoints {
		md.Endpoints[name] = metadata.Endpoint{Port: e.Port, Protocol: e.Protocol}
	}
	known := map[string]providers.Node{}
	for _, n := range t.Cluster.Nodes {
		known[n.ID] = n
	}
	sids := sidsOf(p.Nodes)
	hosts := map[string]metadata.Host{}
	for _, n := range p.Nodes {
		ip := known[n.ID].PrivateIP
		if ip == "" {
			inst, err := o.cfg.Driver.Instance(ctx, t.Runtime, vpc, n.InstanceID)
			if err != nil {
				return md, fmt.Errorf("address of %s: %w", n.InstanceID, err)
			}
			ip = inst.IP
		}
		r := byRole[n.Role]
		h := metadata.Host{InstanceID: n.InstanceID, NodeID: n.ID, Role: n.Role, IP: ip, SID: sids[n.ID], CPU: r.CPU, Memory: r.Memory}
		if r.Volume != nil {
			h.VolumeSize = r.Volume.Size
		}
		if md.SingleRole {
			h.Role = ""
		}
		hosts[n.ID] = h
		md.Hosts = append(md.Hosts, h)
	}
	for _, id := range p.Adding {
		md.Adding = append(md.Adding, hosts[id])
	}
	for _, id := range p.Deleting {
		md.Deleting = append(md.Deleting, hosts[id])
	}
	return md, nil
}

// sidsOf numbers nodes 1.. in a stable order (role, then index): a node keeps its sid while
// others come and go only if it sorts before them, which holds for new nodes (higher index).
func sidsOf(nodes []frame.Node) map[string]int {
	ns := append([]frame.Node(nil), nodes...)
	sort.SliceStable(ns, func(i, j int) bool {
		if ns[i].Role != ns[j].Role {
			return ns[i].Role < ns[j].Role
		}
		return ns[i].Index < ns[j].Index
	})
	out := map[string]int{}
	for i, n := range ns {
		out[n.ID] = i + 1
	}
	return out
}

// envStrings renders env values as the text confd templates read: numbers without exponent,
// booleans as true/false, anything else as JSON.
func envStrings(env map[string]any) map[string]string {
	out := make(map[string]string, len(env))
	for k, v := range env {
		switch x := v.(type) {
		case string:
			out[k] = x
		case float64:
			if x == math.Trunc(x) && math.Abs(x) < 1e15 {
				out[k] = strconv.FormatInt(int64(x), 10)
			} else {
				out[k] = strconv.FormatFloat(x, 'f', -1, 64)
			}
		case bool:
			out[k] = strconv.FormatBool(x)
		case nil:
			out[k] = ""
		default:
			b, _ := json.Marshal(x)
			out[k] = string(b)
		}
	}
	return out
}

// bundle is the confd/ tree of the cluster's package, paths relative to confd/.
func (o *Operator) bundle(ctx context.Context, t providers.Task) (map[string][]byte, error) {
	if t.Package == nil {
		return nil, providers.Permanent(fmt.Errorf("no package source for %s", t.Cluster.VersionID))
	}
	pkg, err := t.Package(ctx, t.Cluster.VersionID)
	if err != nil {
		return nil, fmt.Errorf("package of %s: %w", t.Cluster.VersionID, err)
	}
	a, err := pkgfile.Read(bytes.NewReader(pkg), pkgfile.Limits{})
	if err != nil {
		return nil, providers.Permanent(fmt.Errorf("package of %s: %w", t.Cluster.VersionID, err))
	}
	return spec.ConfdFiles(a.Files), nil
}

// roles are the spec's roles with their nodes counted (ready: the hosts listed, which all have
// an address).
func roles(c *spec.Cluster, hosts []metadata.Host) []providers.Role {
	out := make([]providers.Role, 0, len(c.Nodes))
	for _, r := range c.Nodes {
		name := roleName(r)
		n := 0
		for _, h := range hosts {
			if h.Role == name || (h.Role == "" && r.Role == "") {
				n++
			}
		}
		out = append(out, providers.Role{Role: name, Kind: "vm", Count: n, Ready: n, CPU: r.CPU, Memory: r.Memory})
	}
	return out
}

// endpoints are the spec's endpoints on the first host (the entry point a client dials).
func endpoints(c *spec.Cluster, hosts []metadata.Host) []providers.Endpoint {
	out := []providers.Endpoint{}
	host := ""
	if len(hosts) > 0 {
		host = hosts[0].IP
	}
	names := make([]string, 0, len(c.Endpoints))
	for n := range c.Endpoints {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		e := c.Endpoints[n]
		out = append(out, providers.Endpoint{Name: n, Kind: "vm", Host: host, Port: e.Port, Protocol: e.Protocol})
	}
	return out
}
