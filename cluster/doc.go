// Package cluster holds the control plane's membership and placement; the
// code lives in its subpackages:
//
//   - gossip: membership by hashicorp/memberlist, as a protoactor cluster
//     provider.
//   - node: the virtual-actor host (protoactor actor system, remote,
//     cluster with disthash placement) that the rest of the control plane
//     talks to.
//   - trust: what the join token derives: the peer port's CA and node
//     certificates, the gossip key, the key wrapping cluster secrets.
//
// Gossip says who is alive; placement hashes identities over the alive
// members; neither guarantees a single activation, so the replicated store
// fences every write.
package cluster
