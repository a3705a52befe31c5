// Package metadata owns the metadata a VPC's Frontgate keeps about its app
// clusters and the per-instance view each Drone renders its configuration
// from (PACKAGE.md, "Metadata each Drone sees").
//
// Build turns a Cluster (hosts, roles, env, endpoints, links, the hosts being
// added or deleted) into a Tree, a flat map of "/a/b" paths in AppCenter's
// layout:
//
//	/cluster/{cluster_id, app_id, name, zone, provider}
//	/cluster/endpoints/<name>/{port, protocol}
//	/hosts/<role>/<instance_id>/{instance_id, node_id, role, ip, sid, gid, cpu, memory, volume_size, pub_key}
//	/hosts/<instance_id>/...                      (SingleRole: one unnamed role)
//	/env/<key>                                    (cluster-wide env)
//	/roles/<role>/env/<key>                       (a role's env)
//	/links/<service>/hosts/<role>/<instance_id>/...
//	/adding-hosts/..., /deleting-hosts/...        (same shape as /hosts)
//
// SelfView cuts the /self subtree one instance sees out of a Tree: /host is
// the instance's own entry, /env is its role's env merged over the
// cluster-wide env, and /hosts, /cluster, /links, /adding-hosts and
// /deleting-hosts are copied as they are. A View is what crosses the wire to
// a Drone (JSON, ParseView) and what the Drone's confd renderer reads
// (Get, GetAll with globs, List, ListDir, Exists).
//
// Store is the Frontgate's durable set of cluster descriptions: one JSON file
// per cluster, written atomically (temp file, fsync, rename, fsync of the
// directory), reloaded by OpenStore. Watch delivers an instance's view now and
// each time it changes, coalescing bursts of changes.
//
// The package does not talk to the network, decide what a cluster looks like
// (the control plane's VM frame does) or render templates (edge/drone/confd
// does). ParseView treats its input as hostile.
package metadata
