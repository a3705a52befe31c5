// Package frame is the VM app frame's planner: it turns a lifecycle action on a rendered VM
// cluster (providers/vm/spec.Cluster) into the job engine's task layers — VPC, instances,
// metadata, config rendering, and the package's service commands in their `order`, on
// `nodes_to_execute_on` nodes, with `post_start_service` honoured. It names nodes and
// instances deterministically from the cluster id, so a re-planned job addresses the same
// instances (the idempotency the job engine relies on). It plans only: executing the tasks (the
// IaaS calls through a driver, commands through the edge) is the VM provider's job, not built
// yet; scaling, resize, upgrade and custom services are planned in a later slice.
package frame
