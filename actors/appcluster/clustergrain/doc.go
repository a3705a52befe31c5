// Package clustergrain is the app-cluster virtual actor (kind "appcluster", identity the cluster id)
// and its job engine. The actor owns one cluster: its record, its job queue (one job at a time,
// the others wait in order) and the running job's tasks. Every change is persisted with a
// compare-and-set before it is acknowledged or acted on; on activation the actor reloads and a
// job that was running resumes from its last finished task. Tasks of a layer run in parallel on
// goroutines the actor owns, outside its mailbox, each with a timeout and bounded retries with
// backoff for transient errors (none for providers.ErrPermanent); results come back as
// messages. A task whose attempts all failed with providers.ErrUnreachable (what it acts on is
// down) does not fail the job: the job is parked, unfinished, and the next OpResume runs it
// again from that task. Tasks are idempotent by task id (the provider's contract), so a resumed
// job never creates a second anything. Password values of a conf are references in every record
// the actor keeps (secrets.go): it resolves them only in the copy of a task it hands the
// provider, and masks the values in the task's output and error.
package clustergrain
