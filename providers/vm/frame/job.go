package frame

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/pitrix/pitrix/providers"
	"github.com/pitrix/pitrix/providers/vm/spec"
)

// ActionService runs a custom (non-lifecycle) service of the spec on demand.
const ActionService = "service"

// Input is what the frame plans one job from.
type Input struct {
	Action    string
	ClusterID string
	// Current is the rendered spec that runs now; nil for create.
	Current *spec.Cluster
	// Next is the spec the job leads to (create, recover, update_env, resize, add_nodes,
	// upgrade, rollback); nil means Current. upgrade, rollback and resize need it.
	Next *spec.Cluster
	// Nodes are the cluster's nodes now; nil for create, and whenever they are exactly those
	// the spec's counts name (Nodes of Current, or of Next for create and recover).
	Nodes   []Node
	Role    string   // add_nodes: the role to grow ("" names the single role of a one-role app)
	Count   int      // add_nodes: how many
	NodeIDs []string // delete_nodes: node ids to remove
	Service string   // ActionService: the custom service to run
	Force   bool     // delete, cease: failing stop and destroy commands are skipped
}

// PlanJob returns the task layers of one job: the tasks of a layer run in parallel, layers in
// order. A node's tasks address it by the ids in Nodes (or those Nodes() names), so re-planning
// the same input addresses the same instances. Bad input (an unknown action, role, node id or
// service, a missing spec, nothing to resize) is a providers.Permanent error naming it.
func PlanJob(in Input) (providers.Plan, error) {
	p, err := newPlanner(in)
	if err != nil {
		return providers.Plan{}, err
	}
	switch in.Action {
	case providers.ActionCreate, providers.ActionRecover:
		p.create()
	case providers.ActionStart:
		p.start()
	case providers.ActionStop:
		p.stop()
	case providers.ActionRestart:
		p.restart()
	case providers.ActionDelete, providers.ActionCease:
		p.delete()
	case providers.ActionUpdateEnv:
		p.updateEnv()
	case providers.ActionUpgrade, providers.ActionRollback:
		p.upgrade()
	case providers.ActionAddNodes:
		err = p.addNodes()
	case providers.ActionDeleteNodes:
		err = p.deleteNodes()
	case providers.ActionResize:
		err = p.resize()
	case ActionService:
		err = p.custom()
	}
	if err != nil {
		return providers.Plan{}, err
	}
	return providers.Plan{Layers: p.layers}, nil
}

// planner builds one plan. cur and next are never nil once built: next defaults to cur, and
// for create and recover cur defaults to next.
type planner struct {
	id        string
	in        Input
	cur, next *spec.Cluster
	nodes     []Node // the cluster's nodes now, in role order then index
	layers    [][]providers.TaskSpec
}

func newPlanner(in Input) (*planner, error) {
	fail := func(format string, args ...any) (*planner, error) {
		return nil, providers.Permanent(fmt.Errorf("%s of cluster %s: %s", in.Action, in.ClusterID, fmt.Sprintf(format, args...)))
	}
	p := &planner{id: in.ClusterID, in: in, cur: in.Current, next: in.Next}
	switch in.Action {
	case providers.ActionCreate, providers.ActionRecover:
		if p.next == nil {
			p.next = p.cur
		}
		if p.cur == nil {
			p.cur = p.next
		}
	case providers.ActionUpgrade, providers.ActionRollback, providers.ActionResize:
		if p.next == nil {
			return fail("spec missing: the next spec is required")
		}
	case providers.ActionStart, providers.ActionStop, providers.ActionRestart, providers.ActionDelete,
		providers.ActionCease, providers.ActionUpdateEnv, providers.ActionAddNodes,
		providers.ActionDeleteNodes, ActionService:
		if p.next == nil {
			p.next = p.cur
		}
	default:
		return fail("action %q is not planned for VM apps", in.Action)
	}
	if p.cur == nil || p.next == nil {
		return fail("spec missing")
	}
	if len(p.cur.Nodes) == 0 || len(p.next.Nodes) == 0 {
		return fail("the spec has no rendered nodes")
	}
	base := p.cur // the spec the nodes run now
	if in.Action == providers.ActionCreate || in.Action == providers.ActionRecover {
		base = p.next
	}
	nodes := in.Nodes
	if nodes == nil {
		nodes = Nodes(in.ClusterID, base)
	}
	seen := make(map[string]bool, len(nodes))
	p.nodes = make([]Node, 0, len(nodes))
	for _, n := range nodes {
		switch {
		case n.ID == "" || n.InstanceID == "":
			return fail("node %q (instance %q) lacks an id", n.ID, n.InstanceID)
		case seen[n.ID]:
			return fail("node %s is listed twice", n.ID)
		}
		r, ok := findRole(base, n.Role)
		if !ok {
			return fail("node %s has role %q, which the spec does not define", n.ID, n.Role)
		}
		seen[n.ID] = true
		n.Role = roleName(r)
		n.Index = nodeIndex(n)
		p.nodes = append(p.nodes, n)
	}
	p.sort(p.nodes)
	return p, nil
}

// sort orders nodes by their role's place in next (then cur), then by index.
func (p *planner) sort(nodes []Node) {
	rank := map[string]int{}
	for _, c := range []*spec.Cluster{p.next, p.cur} {
		for _, r := range c.Nodes {
			if _, ok := rank[roleName(r)]; !ok {
				rank[roleName(r)] = len(rank)
			}
		}
	}
	slices.SortStableFunc(nodes, func(a, b Node) int {
		if d := rank[a.Role] - rank[b.Role]; d != 0 {
			return d
		}
		if d := a.Index - b.Index; d != 0 {
			return d
		}
		return strings.Compare(a.ID, b.ID)
	})
}

// findRole returns the role of c named name; "" names the single role of a one-role spec.
func findRole(c *spec.Cluster, name string) (spec.Role, bool) {
	if name == "" && len(c.Nodes) == 1 {
		return c.Nodes[0], true
	}
	for _, r := range c.Nodes {
		if roleName(r) == name {
			return r, true
		}
	}
	return spec.Role{}, false
}

func (p *planner) add(l []providers.TaskSpec) {
	if len(l) > 0 {
		p.layers = append(p.layers, l)
	}
}

// services adds the layers of service name of c (see serviceLayers).
func (p *planner) services(c *spec.Cluster, among, on []Node, name string, keep func(spec.Service) bool) {
	for _, l := range serviceLayers(c, among, on, name, keep) {
		p.add(l)
	}
}

// perNode is one task per node, its params giving the node's resources as c's role has them.
func (p *planner) perNode(action string, c *spec.Cluster, nodes []Node) []providers.TaskSpec {
	l := make([]providers.TaskSpec, 0, len(nodes))
	for _, n := range nodes {
		l = append(l, task(action, n.InstanceID, n.ID, nodeParams(c, n), 0))
	}
	return l
}

func nodeParams(c *spec.Cluster, n Node) NodeParams {
	np := NodeParams{Node: n}
	if r, ok := findRole(c, n.Role); ok {
		np.CPU, np.Memory = r.CPU, r.Memory
		if r.Volume != nil {
			np.VolumeSize, np.MountPoint = r.Volume.Size, r.Volume.MountPoint
		}
	}
	return np
}

// clusterTask is one task on the whole cluster.
func (p *planner) clusterTask(action string) []providers.TaskSpec {
	return []providers.TaskSpec{task(action, p.id, "", map[string]string{"cluster_id": p.id}, 0)}
}

// metadata registers the cluster's metadata listing nodes as its hosts.
func (p *planner) metadata(nodes, adding, deleting []Node, bundle bool) []providers.TaskSpec {
	mp := MetadataParams{ClusterID: p.id, Nodes: nodes, Adding: ids(adding), Deleting: ids(deleting), Bundle: bundle}
	if mp.Nodes == nil {
		mp.Nodes = []Node{}
	}
	return []providers.TaskSpec{task(TaskMetadata, p.id, "", mp, 0)}
}

func ids(nodes []Node) []string {
	if len(nodes) == 0 {
		return nil
	}
	out := make([]string, len(nodes))
	for i, n := range nodes {
		out[i] = n.ID
	}
	return out
}

// create (and recover): VPC, instances, metadata with the bundle, render, init before start,
// start, init after start.
func (p *planner) create() {
	n := p.nodes
	p.add(p.clusterTask(TaskVPC))
	p.add(p.perNode(TaskCreateInstance, p.next, n))
	p.add(p.metadata(n, nil, nil, true))
	p.add(p.perNode(TaskRender, p.next, n))
	p.services(p.next, n, n, "init", onlyPreStart)
	p.services(p.next, n, n, "start", nil)
	p.services(p.next, n, n, "init", onlyPostStart)
}

func (p *planner) start() {
	n := p.nodes
	p.add(p.perNode(TaskStartInstance, p.cur, n))
	p.add(p.perNode(TaskRender, p.cur, n))
	p.services(p.cur, n, n, "start", nil)
}

func (p *planner) stop() {
	n := p.nodes
	p.services(p.cur, n, n, "stop", nil)
	p.add(p.perNode(TaskStopInstance, p.cur, n))
}

// restart runs the restart service, or stop then start where no role defines one.
func (p *planner) restart() {
	n := p.nodes
	ls := serviceLayers(p.cur, n, n, "restart", nil)
	if len(ls) == 0 {
		ls = append(serviceLayers(p.cur, n, n, "stop", nil), serviceLayers(p.cur, n, n, "start", nil)...)
	}
	for _, l := range ls {
		p.add(l)
	}
}

// delete (and cease): stop, destroy, the metadata, then the instances (the last instance of
// a VPC takes its Frontgate down with it, so the Frontgate is not needed after).
func (p *planner) delete() {
	n := p.nodes
	for _, name := range []string{"stop", "destroy"} {
		for _, l := range serviceLayers(p.cur, n, n, name, nil) {
			p.add(teardown(l, p.in.Action, p.in.Force))
		}
	}
	p.add(p.clusterTask(TaskDropMetadata))
	p.add(p.perNode(TaskDeleteInstance, p.cur, n))
}

// teardown marks the command tasks of l as taking the cluster down for action, skipped when
// they fail if force.
func teardown(l []providers.TaskSpec, action string, force bool) []providers.TaskSpec {
	for i := range l {
		var cp CommandParams
		if json.Unmarshal(l[i].Params, &cp) != nil {
			continue
		}
		cp.Teardown, cp.Force = action, force
		l[i].Params, _ = json.Marshal(cp)
	}
	return l
}

// updateEnv registers the metadata with next's env and re-renders every node; confd reloads
// only where a file changed.
func (p *planner) updateEnv() {
	p.add(p.metadata(p.nodes, nil, nil, false))
	p.add(p.perNode(TaskRender, p.next, p.nodes))
}

// upgrade (and rollback) to next: every node stops; nodes of roles next drops are destroyed
// and deleted, roles next adds get new nodes (next's counts); the metadata (with next's
// bundle) lists the nodes that remain; every node re-renders and starts (new ones init first,
// and after, for post_start_service); the nodes that were there run next's upgrade service.
func (p *planner) upgrade() {
	n := p.nodes
	var kept, gone []Node
	for _, x := range n {
		if _, ok := findRole(p.next, x.Role); ok {
			kept = append(kept, x)
		} else {
			gone = append(gone, x)
		}
	}
	var added []Node
	for _, r := range p.next.Nodes {
		name := roleName(r)
		if _, ok := findRole(p.cur, name); ok && slices.ContainsFunc(n, func(x Node) bool { return x.Role == name }) {
			continue
		}
		for i := 1; i <= r.Count; i++ {
			added = append(added, newNode(p.id, name, i))
		}
	}
	all := append(append(make([]Node, 0, len(kept)+len(added)), kept...), added...)
	p.sort(all)
	p.services(p.cur, n, n, "stop", nil)
	p.services(p.cur, n, gone, "destroy", nil)
	p.add(p.perNode(TaskCreateInstance, p.next, added))
	p.add(p.metadata(all, nil, nil, true))
	p.add(p.perNode(TaskDeleteInstance, p.cur, gone))
	p.add(p.perNode(TaskRender, p.next, all))
	p.services(p.next, all, added, "init", onlyPreStart)
	p.services(p.next, all, all, "start", nil)
	p.services(p.next, all, added, "init", onlyPostStart)
	p.services(p.next, all, kept, "upgrade", nil)
}
