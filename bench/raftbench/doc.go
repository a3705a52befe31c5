// Command raftbench measures the replicated store (actors/store/replica) against a bare
// single-node Pebble baseline measured in the same run, so the figures are ratios that hold on
// a noisy shared machine. Everything runs in one process on loopback, with every node's data
// in temporary directories on disk (real fsync); nodes talk mutual TLS as in production.
//
// Three measurements:
//
//   - Durable writes/s. For each writer count (-writers), closed-loop writers each insert new
//     keys (one op per Apply: a -value-size value and one index term, Expect Absent) for
//     -duration. Baselines: store.Open on a plain directory (each Apply fsynced, concurrent
//     Applies share a group commit) and raw pebble Set with pebble.Sync (pebble's own commit
//     pipeline shares WAL fsyncs). Then a replicated cluster of each size in -nodes, with
//     writer i on node i mod n: on 3 and 5 nodes most writes are forwarded to the leader, which
//     appends them to its raft log (fsync), replicates to a quorum (their fsync), applies them
//     through store.DB.ApplyLog (one more fsync per batch), answers, and the forwarding node
//     then waits until it has applied the entry too (read your writes). Every node of a
//     cluster votes (MaxVoters = n; production's default is 3 voters, the rest non-voters). With
//     -leader-rows (default on), each multi-node cluster is measured again with every writer
//     on the leader: raft's own cost without forwarding.
//   - Join → serving. A 3-node cluster is loaded with -records records (Applies of 100 ops);
//     a fourth node is opened with Join pointing at a member and the time is taken until
//     replica.Open returns (joined, caught up and asked for a vote) and until a Sync on it
//     returns and it reads the last record written. Done once with the records in the raft log
//     (the new node replays it) and, on a cluster with a low SnapshotThreshold and Fast
//     timings (the only way to get raft's snapshot check below its 2-minute default), once
//     from a snapshot.
//   - Failover. On a 3-node cluster, a probe writes through a follower in a loop; the leader is
//     stopped with Close and the time is taken until a write through a survivor succeeds
//     again. The stopped node is reopened on its data dir (it rejoins) before the next run.
//     Close is the hardest stop possible in one process; it closes the leader's connections as
//     a kill -9 would, and the followers notice the loss through raft's heartbeat timeout in
//     both cases. Measured with raft's default timings (production) and with Fast ones.
//
// The defaults (-duration 2s, 1/3/5 nodes, 1/16/64 writers, 10,000 records, 3 failovers per
// timing) take about a minute and a half on a 2-core machine. -fast runs the write and join
// clusters with Fast timings too, -cpuprofile profiles the run, -v logs the nodes' warnings.
//
//	go run ./bench/raftbench -duration 5s -nodes 1,3,5 -writers 1,16,64,256
package main
