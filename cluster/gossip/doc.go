// Package gossip is control-plane membership: a protoactor
// cluster.ClusterProvider over hashicorp/memberlist.
//
// Each member joins memberlist under its actor system ID and gossips a
// small Meta (its protoactor remote host and port, the kinds it hosts, a
// human name, and a leaving flag) as node metadata. The Provider turns
// memberlist's join, update and leave events into a member table and, on a
// goroutine of its own, pushes the full list of placeable members (alive or
// suspect, with valid metadata) to protoactor with
// MemberList.UpdateClusterTopology. protoactor's disthash identity lookup
// then places identities over that list by rendezvous hashing.
//
// Members returns the table, including recently departed members: Left if
// the member announced its departure (Shutdown gossips Meta.Leaving, then
// leaves), Dead if memberlist's failure detector declared it. Suspect is
// recorded from this node's own failed probes (memberlist reports them only
// in its log, which this package parses) and cleared by the next
// successful probe; suspicion raised by other members is not visible.
// memberlist's logs go to the configured slog.Logger at their own levels.
//
// What it does not do: it does not decide ownership or fence writes (gossip
// views can disagree for a while, so two nodes may briefly host the same
// identity; the store's compare-and-set is the fence), it carries no
// application messages, and it supports members only, not protoactor
// cluster clients. protoactor blocks a member ID for good once it leaves
// the topology, so a member that was declared dead must restart with a new
// actor system ID to be placed again; suspect members are therefore kept in
// the topology.
package gossip
