// Package node hosts Pitrix's virtual actors: it runs a protoactor actor
// system with remote and cluster, membership from package gossip and the
// disthash identity lookup, and offers the few calls the rest of the
// control plane needs (Start, Request, Send, Members, Activations,
// ClusterActivations, Drain, DrainMember, Close).
//
// The model: gossip decides who is a member; disthash places each
// kind/identity on one alive member by rendezvous hashing over the
// topology, and that member activates the actor on first use. When members
// come or go the topology changes, actors whose owner changed are stopped,
// and the next request activates them on their new owner. A node that dies
// takes its activations with it. Either way an actor starts with empty
// state: it learns its identity with Identity on *actor.Started and reloads
// its state from the store. There is no single-activation guarantee: while
// members' views disagree, two nodes can host the same identity, so the
// store fences writes (compare-and-set on a version), and a stale
// activation's write fails.
//
// Request and Send route from any node. Messages that cross nodes must be
// protobuf; protoactor drops anything else silently. Request bounds its
// wait by the caller's deadline and retries while ownership is moving.
//
// The node tracks its own activations (kind, identity, activation time,
// last message, message count, mailbox length) through a receive middleware
// and a per-activation mailbox on every hosted kind, for the admin API.
//
// An activation idle for Config.IdleTimeout is passivated (stopped; the
// next request activates it again from the store), and Drain empties a
// node before it stops (drain.go).
//
// It does not persist anything, elect leaders, or rebalance on load;
// placement is by hash only. Close leaves the gossip first, then stops
// activations and the remote, which takes about two seconds (protoactor
// waits for ownership hand-over).
package node
