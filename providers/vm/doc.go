// Package vm is the VM-app Operator shared by every VM cloud: it plans actions with the frame
// (providers/vm/frame) and executes the frame's tasks — VPC, instance, metadata, render and
// command tasks — through a Driver (the only cloud-specific part: the IaaS calls) and the edge
// (Frontgates reached through the control plane's gateway).
//
// A delete's or cease's stop and destroy commands that fail fail the job with an error naming
// the node, the command and the force option; with force (the job's params) they are passed
// over as skipped tasks (TaskResult.Skipped) and the instances are removed regardless. A render
// whose reload_cmd failed is reported in the task's output (reload_failed) and does not fail
// the task unless the resource set reload_fails_job.
//
// It does not own processes, addresses or certificates: a driver does (providers/local/driver
// for the local runtime). It does not keep state of its own either: every task is idempotent by
// its task id, and what it learns about the cluster goes back to the job engine as Observed.
package vm
