package frame

import (
	"encoding/json"
	"fmt"
	"strconv"
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
	TaskResizeInstance = "vm.resize_instance" // change a stopped instance's cpu, memory and volume
	TaskDeleteInstance = "vm.delete_instance"
	TaskMetadata       = "vm.metadata"        // register the cluster's metadata (and confd bundle)
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
	var out []Node
	for _, r := range c.Nodes {
		role := roleName(r)
		for i := 1; i <= r.Count; i++ {
			out = append(out, newNode(clusterID, role, i))
		}
	}
	return out
}

// newNode names node index of role in cluster clusterID: cln-<suffix>-<role>-<index> and
// i-<suffix>-<role>-<index>, the suffix being the cluster id without its "cl-".
func newNode(clusterID, role string, index int) Node {
	suffix := strings.TrimPrefix(clusterID, "cl-")
	return Node{
		ID:         fmt.Sprintf("cln-%s-%s-%d", suffix, role, index),
		InstanceID: fmt.Sprintf("i-%s-%s-%d", suffix, role, index),
		Role:       role,
		Index:      index,
	}
}

// nodeIndex is n's index within its role: Index when set, else the number ending its id.
func nodeIndex(n Node) int {
	if n.Index > 0 {
		return n.Index
	}
	if i := strings.LastIndexByte(n.ID, '-'); i >= 0 {
		if v, err := strconv.Atoi(n.ID[i+1:]); err == nil && v > 0 {
			return v
		}
	}
	return 0
}

func roleName(r spec.Role) string {
	if r.Role == "" {
		return "node"
	}
	return r.Role
}

// NodeParams are the params of instance and render tasks. For vm.resize_instance they carry
// the new cpu, memory and volume size.
type NodeParams struct {
	Node
	CPU        int    `json:"cpu,omitempty"`
	Memory     int    `json:"memory,omitempty"`
	VolumeSize int    `json:"volume_size,omitempty"`
	MountPoint string `json:"mount_point,omitempty"`
}

// CommandParams are the params of a vm.command task. Service is the service's name, or
// "pre_check" for the pre_check of scale_out or scale_in.
type CommandParams struct {
	Node
	Service string `json:"service"`
	Cmd     string `json:"cmd"`
	// Teardown is the job's action (delete or cease) when the command takes the cluster down;
	// Force says the job skips it when it fails (recorded as a skipped task).
	Teardown string `json:"teardown,omitempty"`
	Force    bool   `json:"force,omitempty"`
}

// MetadataParams are the params of a vm.metadata task: the metadata lists Nodes as the
// cluster's hosts, and Adding and Deleting (node ids, during scaling) as its adding-hosts and
// deleting-hosts.
type MetadataParams struct {
	ClusterID string   `json:"cluster_id"`
	Nodes     []Node   `json:"nodes"`
	Adding    []string `json:"adding,omitempty"`
	Deleting  []string `json:"deleting,omitempty"`
	// Bundle says to push the package's confd bundle too (create, recover, upgrade, rollback).
	Bundle bool `json:"bundle,omitempty"`
}

// Plan returns the task layers of action on cluster clusterID rendered as c, its nodes being
// those c's counts name (Nodes). It is PlanJob with c as the current and next spec.
func Plan(action, clusterID string, c *spec.Cluster) (providers.Plan, error) {
	return PlanJob(Input{Action: action, ClusterID: clusterID, Current: c})
}

func task(action, target, nodeID string, params any, timeout time.Duration) providers.TaskSpec {
	b, _ := json.Marshal(params)
	return providers.TaskSpec{Action: action, Target: target, NodeID: nodeID, Params: b, Timeout: timeout}
}
