package frame

import (
	"fmt"
	"strings"

	"github.com/pitrix/pitrix/providers"
)

// preCheck is the pseudo service name of a scale_out or scale_in pre_check command.
const preCheck = "pre_check"

// addNodes plans a scale out: Count new nodes of Role, named after the highest index the role
// has now. The existing nodes run scale_out once the new ones have started, then every node
// re-renders with the new hosts.
func (p *planner) addNodes() error {
	fail := func(format string, args ...any) error {
		return providers.Permanent(fmt.Errorf("add_nodes to cluster %s: %s", p.id, fmt.Sprintf(format, args...)))
	}
	if p.in.Count < 1 {
		return fail("count %d, want at least 1", p.in.Count)
	}
	role, ok := findRole(p.next, p.in.Role)
	if !ok {
		return fail("unknown role %q", p.in.Role)
	}
	name := roleName(role)
	top := 0
	for _, n := range p.nodes {
		if n.Role == name && n.Index > top {
			top = n.Index
		}
	}
	existing := p.nodes
	added := make([]Node, 0, p.in.Count)
	for i := 1; i <= p.in.Count; i++ {
		added = append(added, newNode(p.id, name, top+i))
	}
	all := append(append(make([]Node, 0, len(existing)+len(added)), existing...), added...)
	p.sort(all)

	if s, ok := role.Services["scale_out"]; ok && strings.TrimSpace(s.PreCheck) != "" {
		if at, ok := checkNode(existing, name); ok {
			p.add([]providers.TaskSpec{commandTask(at, preCheck, s.PreCheck, s.Timeout)})
		}
	}
	p.add(p.perNode(TaskCreateInstance, p.next, added))
	p.add(p.metadata(all, added, nil, false))
	p.add(p.perNode(TaskRender, p.next, added))
	p.services(p.next, all, added, "init", onlyPreStart)
	p.services(p.next, all, added, "start", nil)
	p.services(p.next, all, existing, "scale_out", nil)
	p.add(p.metadata(all, nil, nil, false))
	p.add(p.perNode(TaskRender, p.next, all))
	p.services(p.next, all, added, "init", onlyPostStart)
	return nil
}

// checkNode is where a scale_out pre_check of role runs: the role's first node, or the
// cluster's first node when the role has none; false when the cluster has no node at all.
func checkNode(nodes []Node, role string) (Node, bool) {
	for _, n := range nodes {
		if n.Role == role {
			return n, true
		}
	}
	if len(nodes) > 0 {
		return nodes[0], true
	}
	return Node{}, false
}

// deleteNodes plans a scale in of NodeIDs: the metadata announces them as deleting, they stop
// and are destroyed and deleted, then the remaining nodes run scale_in and re-render.
func (p *planner) deleteNodes() error {
	fail := func(format string, args ...any) error {
		return providers.Permanent(fmt.Errorf("delete_nodes of cluster %s: %s", p.id, fmt.Sprintf(format, args...)))
	}
	if len(p.in.NodeIDs) == 0 {
		return fail("no node ids")
	}
	known := make(map[string]Node, len(p.nodes))
	for _, n := range p.nodes {
		known[n.ID] = n
	}
	gone := make(map[string]bool, len(p.in.NodeIDs))
	for _, id := range p.in.NodeIDs {
		n, ok := known[id]
		if !ok {
			return fail("node %q is not in the cluster", id)
		}
		if gone[id] {
			// Deleting a node twice would take its role below the nodes it has.
			return fail("node %q is listed twice: role %s would go below 0 nodes", id, n.Role)
		}
		gone[id] = true
	}
	var deleted, remaining []Node
	for _, n := range p.nodes {
		if gone[n.ID] {
			deleted = append(deleted, n)
		} else {
			remaining = append(remaining, n)
		}
	}

	var checks []providers.TaskSpec
	for _, n := range deleted {
		r, _ := findRole(p.cur, n.Role)
		if s, ok := r.Services["scale_in"]; ok && strings.TrimSpace(s.PreCheck) != "" {
			checks = append(checks, commandTask(n, preCheck, s.PreCheck, s.Timeout))
		}
	}
	p.add(checks)
	p.add(p.metadata(p.nodes, nil, deleted, false))
	p.services(p.cur, p.nodes, deleted, "stop", nil)
	p.services(p.cur, p.nodes, deleted, "destroy", nil)
	p.add(p.perNode(TaskDeleteInstance, p.cur, deleted))
	p.add(p.metadata(remaining, nil, nil, false))
	p.services(p.next, remaining, remaining, "scale_in", nil)
	p.add(p.perNode(TaskRender, p.next, remaining))
	return nil
}
