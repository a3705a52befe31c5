package control

import (
	"context"
	"strings"
	"time"

	"github.com/pitrix/pitrix/actors/inspect"
	"github.com/pitrix/pitrix/cluster/node"
)

// NodeCluster adapts a cluster node to the plane's Cluster.
// The raft figures come from raft, keyed by node name (nil: a store without a replicated log).
func NodeCluster(n *node.Node, raft func(context.Context) map[string]inspect.RaftInfo) Cluster {
	return nodeCluster{n, raft}
}

type nodeCluster struct {
	*node.Node
	raft func(context.Context) map[string]inspect.RaftInfo
}

// raftStatusTimeout bounds asking the other servers of the replicated log for their figures.
const raftStatusTimeout = 2 * time.Second

// Nodes lists the gossip members as this node sees them: cheap, for readiness, metrics and
// the Frontgate list.
func (c nodeCluster) Nodes() []inspect.NodeInfo { return c.nodes(false) }

// NodesWithRaft adds each raft server's own figures, asking the other nodes over the peer
// port (bounded by raftStatusTimeout): for the admin's node list.
func (c nodeCluster) NodesWithRaft() []inspect.NodeInfo { return c.nodes(true) }

func (c nodeCluster) nodes(withRaft bool) []inspect.NodeInfo {
	acts := c.Node.ActivationCount()
	var servers map[string]inspect.RaftInfo
	counts := map[string]int{} // actors per member id, for the members that answered
	if withRaft {
		ctx, cancel := context.WithTimeout(context.Background(), raftStatusTimeout)
		if c.raft != nil {
			servers = c.raft(ctx)
		}
		for _, ma := range c.Node.ClusterActivationCounts(ctx, activationsTimeout) {
			if ma.Err == nil {
				counts[ma.Member.ID] = ma.Count
			}
		}
		cancel()
	}
	var out []inspect.NodeInfo
	seen := map[string]bool{}
	for _, m := range c.Members() {
		ni := inspect.NodeInfo{ID: m.ID, Name: m.Name, Address: m.Address, Gossip: m.GossipAddr, Status: m.Status.String(), RaftRole: "none", Self: m.Self, Actors: -1}
		if n, ok := counts[m.ID]; ok {
			ni.Actors = n
		} else if m.Self {
			ni.Actors = acts
		}
		if r, ok := servers[m.Name]; ok {
			seen[m.Name] = true
			setRaft(&ni, r)
		}
		out = append(out, ni)
	}
	// Servers of the replicated log that gossip does not see (dead, or not started yet).
	for name, r := range servers {
		if !seen[name] {
			ni := inspect.NodeInfo{Name: name, Status: "absent", RaftRole: "none", Actors: -1}
			setRaft(&ni, r)
			out = append(out, ni)
		}
	}
	return out
}

func setRaft(ni *inspect.NodeInfo, r inspect.RaftInfo) {
	ni.RaftRole, ni.RaftVoter, ni.RaftAddress, ni.RaftError = strings.ToLower(r.Role), r.Voter, r.Address, r.Err
	ni.Term, ni.CommitIndex, ni.AppliedIndex = r.Term, r.CommitIndex, r.AppliedIndex
	if ni.RaftRole == "" {
		ni.RaftRole = "unknown"
	}
}

// Activations lists this node's live actors: cheap, for metrics.
func (c nodeCluster) Activations() []inspect.ActorInfo {
	var out []inspect.ActorInfo
	for _, a := range c.Node.Activations() {
		out = append(out, actorInfo(a))
	}
	return out
}

// activationsTimeout bounds asking the other nodes for their activations.
const activationsTimeout = 2 * time.Second

// ClusterActivations lists every node's live actors, asking the others (bounded by
// activationsTimeout); unreached names the nodes that did not answer, with why.
func (c nodeCluster) ClusterActivations(ctx context.Context) (acts []inspect.ActorInfo, unreached []string) {
	for _, ma := range c.Node.ClusterActivations(ctx, activationsTimeout) {
		if ma.Err != nil {
			unreached = append(unreached, ma.Err.Error())
			continue
		}
		for _, a := range ma.Activations {
			acts = append(acts, actorInfo(a))
		}
	}
	return acts, unreached
}

func actorInfo(a node.Activation) inspect.ActorInfo {
	return inspect.ActorInfo{Kind: a.Kind, ID: a.ID, Node: a.Node, NodeName: a.NodeName, ActivatedAt: a.ActivatedAt,
		MailboxLen: a.MailboxLen, LastMessageAt: a.LastMessageAt, Messages: a.Messages}
}
