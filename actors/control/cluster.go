package control

import (
	"github.com/pitrix/pitrix/actors/inspect"
	"github.com/pitrix/pitrix/cluster/node"
)

// NodeCluster adapts a cluster node to the plane's Cluster.
func NodeCluster(n *node.Node) Cluster { return nodeCluster{n} }

type nodeCluster struct{ *node.Node }

func (c nodeCluster) Nodes() []inspect.NodeInfo {
	acts := len(c.Node.Activations())
	var out []inspect.NodeInfo
	for _, m := range c.Members() {
		ni := inspect.NodeInfo{ID: m.ID, Address: m.Address, Gossip: m.GossipAddr, Status: m.Status.String(), RaftRole: "none", Self: m.Self, Actors: -1}
		if m.Self {
			ni.Actors = acts
		}
		out = append(out, ni)
	}
	return out
}

func (c nodeCluster) Activations() []inspect.ActorInfo {
	var out []inspect.ActorInfo
	for _, a := range c.Node.Activations() {
		out = append(out, inspect.ActorInfo{Kind: a.Kind, ID: a.ID, Node: a.Node, ActivatedAt: a.ActivatedAt,
			MailboxLen: a.MailboxLen, LastMessageAt: a.LastMessageAt, Messages: a.Messages})
	}
	return out
}
