package frame

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/pitrix/pitrix/providers"
	"github.com/pitrix/pitrix/providers/vm/spec"
)

// Task actions of the frame.
const (
	TaskVPC            = "vm.vpc"             // make sure the cluster's VPC and its Frontgate exist
	TaskCreateInstance = "vm.create_instance" // create one instance with its Drone
	TaskStartInstance  = "vm.start_instance"
	TaskStopInstance   = "vm.stop_instance"
	TaskDeleteInstance = "vm.delete_instance"
	TaskMetadata       = "vm.metadata"        // register the cluster's metadata and confd bundle
	TaskDropMetadata   = "vm.delete_metadata" // remove them
	TaskRender         = "vm.render"          // render one node's configuration
	TaskCommand        = "vm.command"         // run one service command on one node
)

// Node is one planned node (instance) of a VM app cluster.
type Node struct {
	ID         string `json:"node_id"`
	InstanceID string `json:"instance_id"`
	Role       string `json:"role"`
	Index      int    `json:"index"` // 1-based within the role
}

// Nodes names the nodes of cluster clusterID deterministically: role order as in the spec,
// count per role.
func Nodes(clusterID string, c *spec.Cluster) []Node {
	suffix := strings.TrimPrefix(clusterID, "cl-")
	var out []Node
	for _, r := range c.Nodes {
		role := roleName(r)
		for i := 1; i <= r.Count; i++ {
			out = append(out, Node{ID: fmt.Sprintf("cln-%s-%s-%d", suffix, role, i), InstanceID: fmt.Sprintf("i-%s-%s-%d", suffix, role, i), Role: role, Index: i})
		}
	}
	return out
}

func roleName(r spec.Role) string {
	if r.Role == "" {
		return "node"
	}
	return r.Role
}

// NodeParams are the params of instance and render tasks.
type NodeParams struct {
	Node
	CPU        int    `json:"cpu,omitempty"`
	Memory     int    `json:"memory,omitempty"`
	VolumeSize int    `json:"volume_size,omitempty"`
	MountPoint string `json:"mount_point,omitempty"`
}

// CommandParams are the params of a vm.command task.
type CommandParams struct {
	Node
	Service string `json:"service"`
	Cmd     string `json:"cmd"`
}

// Plan returns the task layers of action on cluster clusterID rendered as c.
func Plan(action, clusterID string, c *spec.Cluster) (providers.Plan, error) {
	if c == nil || len(c.Nodes) == 0 {
		return providers.Plan{}, providers.Permanent(fmt.Errorf("cluster %s has no rendered nodes", clusterID))
	}
	nodes := Nodes(clusterID, c)
	roles := map[string]spec.Role{}
	for _, r := range c.Nodes {
		roles[roleName(r)] = r
	}
	var layers [][]providers.TaskSpec
	add := func(l []providers.TaskSpec) {
		if len(l) > 0 {
			layers = append(layers, l)
		}
	}
	perNode := func(action string) []providers.TaskSpec {
		var l []providers.TaskSpec
		for _, n := range nodes {
			r := roles[n.Role]
			p := NodeParams{Node: n, CPU: r.CPU, Memory: r.Memory}
			if r.Volume != nil {
				p.VolumeSize, p.MountPoint = r.Volume.Size, r.Volume.MountPoint
			}
			l = append(l, task(action, n.InstanceID, n.ID, p, 0))
		}
		return l
	}
	one := func(action string) []providers.TaskSpec {
		return []providers.TaskSpec{task(action, clusterID, "", map[string]string{"cluster_id": clusterID}, 0)}
	}
	switch action {
	case providers.ActionCreate, providers.ActionRecover:
		add(one(TaskVPC))
		add(perNode(TaskCreateInstance))
		add(one(TaskMetadata))
		add(perNode(TaskRender))
		for _, l := range serviceLayers(c, nodes, "init", onlyPreStart) {
			add(l)
		}
		for _, l := range serviceLayers(c, nodes, "start", nil) {
			add(l)
		}
		for _, l := range serviceLayers(c, nodes, "init", onlyPostStart) {
			add(l)
		}
	case providers.ActionStart:
		add(perNode(TaskStartInstance))
		add(perNode(TaskRender))
		for _, l := range serviceLayers(c, nodes, "start", nil) {
			add(l)
		}
	case providers.ActionStop:
		for _, l := range serviceLayers(c, nodes, "stop", nil) {
			add(l)
		}
		add(perNode(TaskStopInstance))
	case providers.ActionRestart:
		ls := serviceLayers(c, nodes, "restart", nil)
		if len(ls) == 0 { // no restart service: stop, then start
			ls = append(serviceLayers(c, nodes, "stop", nil), serviceLayers(c, nodes, "start", nil)...)
		}
		for _, l := range ls {
			add(l)
		}
	case providers.ActionDelete, providers.ActionCease:
		for _, l := range serviceLayers(c, nodes, "stop", nil) {
			add(l)
		}
		for _, l := range serviceLayers(c, nodes, "destroy", nil) {
			add(l)
		}
		add(perNode(TaskDeleteInstance))
		add(one(TaskDropMetadata))
	default:
		return providers.Plan{}, providers.Permanent(fmt.Errorf("%s is not planned for VM apps yet", action))
	}
	return providers.Plan{Layers: layers}, nil
}

func onlyPreStart(s spec.Service) bool  { return !s.PostStartService }
func onlyPostStart(s spec.Service) bool { return s.PostStartService }

// serviceLayers plans service name across roles: roles with a lower `order` first, equal
// orders together; each role's command runs on its first nodes_to_execute_on nodes (all when
// 0). keep filters the services considered (nil keeps all).
func serviceLayers(c *spec.Cluster, nodes []Node, name string, keep func(spec.Service) bool) [][]providers.TaskSpec {
	byOrder := map[int][]providers.TaskSpec{}
	for _, r := range c.Nodes {
		s, ok := r.Services[name]
		if !ok || strings.TrimSpace(s.Cmd) == "" || (keep != nil && !keep(s)) {
			continue
		}
		role := roleName(r)
		picked := 0
		for _, n := range nodes {
			if n.Role != role || (s.NodesToExecuteOn > 0 && picked >= s.NodesToExecuteOn) {
				continue
			}
			picked++
			timeout := s.Timeout
			if timeout <= 0 {
				timeout = spec.DefaultServiceTimeout
			}
			byOrder[s.Order] = append(byOrder[s.Order], task(TaskCommand, n.InstanceID+" "+name, n.ID,
				CommandParams{Node: n, Service: name, Cmd: s.Cmd}, time.Duration(timeout)*time.Second))
		}
	}
	orders := make([]int, 0, len(byOrder))
	for o := range byOrder {
		orders = append(orders, o)
	}
	sort.Ints(orders)
	out := make([][]providers.TaskSpec, 0, len(orders))
	for _, o := range orders {
		out = append(out, byOrder[o])
	}
	return out
}

func task(action, target, nodeID string, params any, timeout time.Duration) providers.TaskSpec {
	b, _ := json.Marshal(params)
	return providers.TaskSpec{Action: action, Target: target, NodeID: nodeID, Params: b, Timeout: timeout}
}
