package frame

import (
	"fmt"

	"github.com/pitrix/pitrix/providers"
	"github.com/pitrix/pitrix/providers/vm/spec"
)

// resize plans a vertical scaling to next's cpu, memory and volume size, role by role in
// next's order. A "sequential" role goes one node at a time — stop its service, stop,
// resize and start the instance, render, start the service — before the next node; any other
// role takes each step on all its nodes at once. Then every node re-renders with the new
// metadata.
func (p *planner) resize() error {
	fail := func(format string, args ...any) error {
		return providers.Permanent(fmt.Errorf("resize of cluster %s: %s", p.id, fmt.Sprintf(format, args...)))
	}
	var changed []spec.Role
	for _, r := range p.next.Nodes {
		old, ok := findRole(p.cur, roleName(r))
		if !ok || (old.CPU == r.CPU && old.Memory == r.Memory && volumeSize(old) == volumeSize(r)) {
			continue
		}
		if volumeSize(r) < volumeSize(old) {
			return fail("role %s: volume cannot shrink from %d to %d GiB", roleName(r), volumeSize(old), volumeSize(r))
		}
		changed = append(changed, r)
	}
	if len(changed) == 0 {
		return fail("nothing to resize: no role's cpu, memory or volume size changed")
	}
	steps := func(on []Node) {
		p.services(p.cur, p.nodes, on, "stop", nil)
		p.add(p.perNode(TaskStopInstance, p.cur, on))
		p.add(p.perNode(TaskResizeInstance, p.next, on))
		p.add(p.perNode(TaskStartInstance, p.next, on))
		p.add(p.perNode(TaskRender, p.next, on))
		p.services(p.next, p.nodes, on, "start", nil)
	}
	for _, r := range changed {
		var nodes []Node
		for _, n := range p.nodes {
			if n.Role == roleName(r) {
				nodes = append(nodes, n)
			}
		}
		if len(nodes) == 0 {
			continue
		}
		if r.VerticalScalingPolicy == "sequential" {
			for _, n := range nodes {
				steps([]Node{n})
			}
		} else {
			steps(nodes)
		}
	}
	p.add(p.metadata(p.nodes, nil, nil, false))
	p.add(p.perNode(TaskRender, p.next, p.nodes))
	return nil
}

func volumeSize(r spec.Role) int {
	if r.Volume == nil {
		return 0
	}
	return r.Volume.Size
}
