// Package replica puts one raft group (hashicorp/raft) under store.Store, so every node of a
// cluster holds the same state and an acknowledged write survives the loss of any minority of
// nodes.
//
// The state machine is the pebble store itself, opened in replicated mode: each Apply becomes
// one log entry (store.EncodeEntry: the ops with their compare-and-set conditions), and every
// replica applies committed entries in log order through store.DB.ApplyLog, which gives each
// successful entry the next commit index: versions are the same on every node, so the
// compare-and-set fence that keeps two activations of an actor from both writing holds
// across the cluster. Raft batches concurrent proposals into one log append (one fsync) and
// ApplyBatch applies a run of entries in one pebble batch (one fsync): group commit survives.
//
// The raft log and its stable values live in a pebble database of their own (logstore.go);
// snapshots stream a pebble snapshot of the store (store.Snapshot) and are installed on new or
// lagging nodes with store.DB.Restore; raft compacts the log behind each snapshot. The store
// records the last applied log index with every batch, so a restart replays only what it
// lacks and reloads a snapshot only when it is behind one.
//
// Writes from any node are forwarded to the leader over the peer port and acknowledged once
// committed by a quorum and applied on the leader. Reads are served from the local copy;
// Sync (a read index: a leader barrier, then waiting to apply up to it) makes the reads that
// follow linearizable, which is what an actor does before loading its state on activation.
// Without a leader (a minority partition) writes fail with store.ErrUnavailable after a
// bounded wait.
//
// The peer port speaks mutual TLS (certificates of the cluster CA, see cluster/trust) and
// carries raft's transport and our RPC, told apart by ALPN (mux.go, rpc.go). The first node
// bootstraps; others join through any member, which forwards to the leader; up to MaxVoters
// members vote, the rest are non-voters, promoted when a voter is removed. The leader removes
// members that gossip has not seen alive for DeadAfter.
package replica
