// Package frame is the VM app frame's planner: it turns one job on a VM app cluster — a
// lifecycle action (create, recover, start, stop, restart, delete, cease), scaling
// (add_nodes, delete_nodes, resize), update_env, upgrade and rollback, or a custom service —
// into the job engine's task layers: VPC, instances, metadata (with the confd bundle where the
// package changes), config rendering, and the package's service commands in their `order`, on
// `nodes_to_execute_on` nodes, with `post_start_service` and scaling `pre_check` honoured.
//
// PlanJob takes an Input: the running spec, the spec the job leads to and the cluster's
// current nodes. Nodes are named deterministically from the cluster id (Nodes; a new node takes
// the index after the highest its role has), so a re-planned job addresses the same instances
// (the idempotency the job engine relies on). Plan is the older entry point over one spec.
//
// It plans only: executing the tasks (the IaaS calls through a driver, commands through the
// edge) is the VM provider's job (providers/vm), and so is knowing the nodes and rendering the
// specs.
package frame
