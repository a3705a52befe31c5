// Package runner runs an app's lifecycle commands on one instance for the
// Drone: `sh -c cmd` with the instance root as working directory and the
// PITRIX_* variables of PACKAGE.md ("Where commands run") set, in a process
// group of its own, under a timeout, with stdout and stderr captured and
// capped (the head and the tail are kept).
//
// A command that carries an id runs at most once per id: when it finishes
// (whatever its exit code, or by timing out) its Result is written atomically
// to the state directory, and a later Run with the same id returns that
// Result with Deduplicated set instead of running again — also when the same
// id arrives twice at once (the second caller waits for the first) and after
// the Drone restarts. A command that was still running when the Drone died
// has no stored result: Open reports it (Interrupted) and a repeated Run
// runs it again. That is deliberate: the control plane's tasks are
// idempotent at the task level, so running an interrupted command again is
// safe, while skipping it could lose work. A command cancelled by its caller
// is killed and not stored either. Retries that must run again use a new id
// (the job engine adds the attempt number).
//
// One process owns a state directory at a time; two Runners of one process
// on the same directory do not see each other's running commands.
//
// On timeout or cancellation the whole process group gets SIGTERM, then
// SIGKILL once the shell has exited or the grace period has passed, so
// background children die with the command. A command that exits normally
// leaves its background children alone (a start command may daemonize).
//
// Check runs a health check command periodically and reports transitions
// between unknown, healthy and unhealthy after the configured numbers of
// consecutive results.
//
// The package does not decide what to run or when (the control plane does),
// render configuration (edge/drone/confd does) or talk to the network.
package runner
