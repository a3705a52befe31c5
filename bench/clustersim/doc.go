// Command clustersim projects a control plane holding -clusters app clusters (default 1M)
// over N nodes. It is a model, not a load test; what it computes and from what:
//
//   - Placement balance: every cluster id is placed by protoactor's own rendezvous hash (the
//     disthash placement the nodes use) over N members hosting the appcluster kind; reported
//     as the busiest node's share against the mean, and the share of ids that move when one
//     node leaves (rendezvous moves only that node's ids: ideally 1/N).
//   - Store size: a typical VM cluster (3 roles, -nodes-per-cluster nodes, endpoints, conf and
//     rendered spec) with its create job and -tasks tasks, built from the real record types
//     and encoded as the store keeps them (JSON values, keys and index terms); multiplied by
//     -clusters and -jobs-kept. Pebble compresses its tables, so the disk is smaller than this
//     logical size; every node holds a full replica.
//   - Write rate: each cluster runs -actions-per-day lifecycle actions; each action writes
//     4 + 2×tasks store Applies (job and cluster on accept and finish, each task started and
//     finished). Compare with the replicated store's measured capacity (docs/benchmarks.md,
//     raftbench).
//   - Live actors: with passivation (--actor-idle), an app-cluster actor lives for its job
//     (-job-seconds) plus the idle time; live actors ≈ action rate × that lifetime, times
//     -actor-bytes (measured by bench/actorbench) per node share.
package main
