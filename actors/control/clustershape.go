package control

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/pitrix/pitrix/actors/appcluster"
	"github.com/pitrix/pitrix/actors/fault"
	"github.com/pitrix/pitrix/providers"
	"github.com/pitrix/pitrix/providers/vm/spec"
)

// shapeConf is a VM cluster's conf after add_nodes, delete_nodes or resize: the role's group
// under "cluster" (config.json's convention: cluster.<role>.count, cpu, memory, volume_size)
// changed. The result is validated and rendered by checkConf like any conf, so min/max apply.
func shapeConf(c appcluster.Cluster, action string, in appcluster.ActionInput) (json.RawMessage, error) {
	conf, err := confObject(c.Conf)
	if err != nil {
		return nil, err
	}
	group, _ := conf["cluster"].(map[string]any)
	role := func(name, field string) (map[string]any, error) {
		r, ok := group[name].(map[string]any)
		if !ok {
			return nil, fault.InvalidField(field, fmt.Sprintf("the app has no role %q in its conf (roles: %s)", name, strings.Join(roleGroups(group), ", ")))
		}
		return r, nil
	}
	switch action {
	case providers.ActionAddNodes:
		if in.Role == "" || in.Count < 1 || in.Count > 100 {
			return nil, fault.Invalid("invalid add_nodes", map[string]string{"role": "required", "count": "1 to 100"})
		}
		r, err := role(in.Role, "role")
		if err != nil {
			return nil, err
		}
		r["count"] = number(r["count"]) + in.Count
	case providers.ActionDeleteNodes:
		if len(in.NodeIDs) == 0 {
			return nil, fault.InvalidField("node_ids", "name the nodes to delete")
		}
		byRole := map[string]int{}
		for _, id := range in.NodeIDs {
			i := slices.IndexFunc(c.Nodes, func(n appcluster.Node) bool { return n.ID == id })
			if i < 0 {
				return nil, fault.InvalidField("node_ids", fmt.Sprintf("cluster %s has no node %q", c.ID, id))
			}
			byRole[c.Nodes[i].Role]++
		}
		if len(slices.Compact(slices.Sorted(slices.Values(in.NodeIDs)))) != len(in.NodeIDs) {
			return nil, fault.InvalidField("node_ids", "a node is named twice")
		}
		for name, k := range byRole {
			r, err := role(name, "node_ids")
			if err != nil {
				return nil, err
			}
			r["count"] = number(r["count"]) - k
		}
	case providers.ActionResize:
		if len(in.Roles) == 0 {
			return nil, fault.InvalidField("roles", "name the roles to resize")
		}
		for i, rr := range in.Roles {
			field := fmt.Sprintf("roles[%d]", i)
			r, err := role(rr.Role, field+".role")
			if err != nil {
				return nil, err
			}
			if rr.CPU == 0 && rr.Memory == 0 && rr.VolumeSize == 0 {
				return nil, fault.InvalidField(field, "give cpu, memory or volume_size")
			}
			for key, v := range map[string]int{"cpu": rr.CPU, "memory": rr.Memory, "volume_size": rr.VolumeSize} {
				if v != 0 {
					r[key] = v
				}
			}
		}
	}
	b, _ := json.Marshal(conf)
	return b, nil
}

// roleGroups lists the role groups of a conf's "cluster" group (the objects in it).
func roleGroups(group map[string]any) []string {
	var out []string
	for _, k := range slices.Sorted(maps.Keys(group)) {
		if _, ok := group[k].(map[string]any); ok {
			out = append(out, k)
		}
	}
	return out
}

func number(v any) int {
	switch n := v.(type) {
	case float64:
		return int(n)
	case int:
		return n
	case json.Number:
		i, _ := n.Int64()
		return int(i)
	}
	return 0
}

// checkService refuses a custom service the cluster's spec does not define.
func checkService(c appcluster.Cluster, name string) error {
	if name == "" {
		return fault.InvalidField("service", "name the service to run")
	}
	if spec.IsLifecycleService(name) {
		return fault.InvalidField("service", fmt.Sprintf("%s is a lifecycle step; run it with its own action", name))
	}
	var cl spec.Cluster
	if err := json.Unmarshal(c.Spec, &cl); err != nil {
		return fault.Precondition("cluster %s has no rendered spec", c.ID)
	}
	var have []string
	for _, r := range cl.Nodes {
		for n := range r.Services {
			if n == name {
				return nil
			}
			if !spec.IsLifecycleService(n) {
				have = append(have, n)
			}
		}
	}
	slices.Sort(have)
	return fault.InvalidField("service", fmt.Sprintf("the app has no service %q (custom services: %s)", name, strings.Join(slices.Compact(have), ", ")))
}
