package frame

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/pitrix/pitrix/providers"
	"github.com/pitrix/pitrix/providers/vm/spec"
)

func onlyPreStart(s spec.Service) bool  { return !s.PostStartService }
func onlyPostStart(s spec.Service) bool { return s.PostStartService }

// serviceLayers plans service name of c across roles: roles with a lower `order` first, equal
// orders together. A role's command runs on its first nodes_to_execute_on nodes (all when 0)
// counted over among — the cluster's nodes, in role then index order — and of those only on
// the ones in on. keep filters the services considered (nil keeps all).
func serviceLayers(c *spec.Cluster, among, on []Node, name string, keep func(spec.Service) bool) [][]providers.TaskSpec {
	target := make(map[string]bool, len(on))
	for _, n := range on {
		target[n.ID] = true
	}
	byOrder := map[int][]providers.TaskSpec{}
	for _, r := range c.Nodes {
		s, ok := r.Services[name]
		if !ok || strings.TrimSpace(s.Cmd) == "" || (keep != nil && !keep(s)) {
			continue
		}
		role := roleName(r)
		picked := 0
		for _, n := range among {
			if n.Role != role || (s.NodesToExecuteOn > 0 && picked >= s.NodesToExecuteOn) {
				continue
			}
			picked++
			if target[n.ID] {
				byOrder[s.Order] = append(byOrder[s.Order], commandTask(n, name, s.Cmd, s.Timeout))
			}
		}
	}
	orders := make([]int, 0, len(byOrder))
	for o := range byOrder {
		orders = append(orders, o)
	}
	slices.Sort(orders)
	out := make([][]providers.TaskSpec, 0, len(orders))
	for _, o := range orders {
		out = append(out, byOrder[o])
	}
	return out
}

// commandTask runs cmd as service on node n; timeout is in seconds, <= 0 meaning the default.
func commandTask(n Node, service, cmd string, timeout int) providers.TaskSpec {
	if timeout <= 0 {
		timeout = spec.DefaultServiceTimeout
	}
	return task(TaskCommand, n.InstanceID+" "+service, n.ID,
		CommandParams{Node: n, Service: service, Cmd: cmd}, time.Duration(timeout)*time.Second)
}

// custom runs custom service p.in.Service of the running spec on every role that defines it,
// by order, on each role's first nodes_to_execute_on nodes.
func (p *planner) custom() error {
	name := p.in.Service
	fail := func(format string, args ...any) error {
		return providers.Permanent(fmt.Errorf("service %q on cluster %s: %s", name, p.id, fmt.Sprintf(format, args...)))
	}
	switch {
	case strings.TrimSpace(name) == "":
		return fail("no service named")
	case spec.IsLifecycleService(name):
		return fail("a lifecycle service, not a custom one")
	}
	defined := false
	for _, r := range p.cur.Nodes {
		if _, ok := r.Services[name]; ok { // an empty cmd is a service that does nothing
			defined = true
		}
	}
	if !defined {
		return fail("unknown service: no role of the spec defines it")
	}
	p.services(p.cur, p.nodes, p.nodes, name, nil)
	return nil
}
