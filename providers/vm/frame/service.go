package frame

import (
	"bytes"
	"encoding/json"
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
// params are a custom service's parameters per role (see Input.ServiceParams).
func serviceLayers(c *spec.Cluster, among, on []Node, name string, keep func(spec.Service) bool, params map[string]json.RawMessage) [][]providers.TaskSpec {
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
		var env map[string]string
		if raw, ok := params[r.Role]; ok {
			env = ServiceEnv(raw)
		}
		picked := 0
		for _, n := range among {
			if n.Role != role || (s.NodesToExecuteOn > 0 && picked >= s.NodesToExecuteOn) {
				continue
			}
			picked++
			if target[n.ID] {
				t := commandTask(n, name, s.Cmd, s.Timeout)
				if env != nil {
					t = task(TaskCommand, t.Target, t.NodeID, CommandParams{Node: n, Service: name, Cmd: s.Cmd, Env: env}, t.Timeout)
				}
				byOrder[s.Order] = append(byOrder[s.Order], t)
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
	for _, l := range serviceLayers(p.cur, p.nodes, p.nodes, name, nil, p.in.ServiceParams) {
		p.add(l)
	}
	return nil
}

// ServiceEnvJSON is the environment variable holding a custom service's parameters as one
// JSON object (as its service_params render in the template); ServiceEnvPrefix starts one
// variable per top-level parameter, its key upper-cased with every character other than
// A-Z, 0-9 and _ made _ ("node.ip" is PITRIX_PARAM_NODE_IP). A string is given as it is,
// any other value as JSON.
const (
	ServiceEnvJSON   = "PITRIX_SERVICE_PARAMS"
	ServiceEnvPrefix = "PITRIX_PARAM_"
)

// ServiceEnv is the environment a custom service's command gets for its rendered parameters.
func ServiceEnv(raw json.RawMessage) map[string]string {
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(raw, &obj); err != nil {
		return map[string]string{ServiceEnvJSON: string(raw)}
	}
	var compact bytes.Buffer
	if err := json.Compact(&compact, raw); err != nil {
		compact.Reset()
		compact.Write(raw)
	}
	env := map[string]string{ServiceEnvJSON: compact.String()}
	for k, v := range obj {
		var s string
		if json.Unmarshal(v, &s) != nil {
			s = string(v)
		}
		env[ServiceEnvPrefix+envName(k)] = s
	}
	return env
}

func envName(k string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z':
			return r - 'a' + 'A'
		case r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '_':
			return r
		}
		return '_'
	}, k)
}
