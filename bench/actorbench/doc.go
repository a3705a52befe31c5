// Command actorbench measures the memory an idle activated actor costs, at -actors
// activations (default 100k), on one real node (protoactor cluster with disthash placement,
// gossip on loopback). Three rows, measured in the same process one after the other:
//
//   - bare: plain protoactor actors spawned with Root.Spawn, no cluster: the library's floor,
//     the baseline the other rows are read against;
//   - node: virtual actors of a kind that holds nothing, activated through node.Request: what
//     placement, the PID cache, our activation record and mailbox add;
//   - frontgate: the real Frontgate-session kind (actors/frontgate/sessiongrain), each loading its
//     record from a real Pebble store on disk when it activates.
//
// Each row reports the live heap (after GC) per activation and its ratio to bare. Goal (issue
// 8): under 2 KiB per idle activated actor at 100k actors. Idle actors also passivate
// (node.Config.IdleTimeout), which bounds how many stay activated.
package main
