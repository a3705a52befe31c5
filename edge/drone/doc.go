// Package drone is the Drone agent: the part of Pitrix that runs on an instance. It keeps one
// mutually authenticated stream to its VPC's Frontgate (dialing out, kept up by a
// wire.Redialer), runs the commands the control plane sends through it, renders the app's
// confd resources from the instance's metadata view, and reports the instance's health.
//
// # What the Frontgate sends
//
//   - RunCommand: run with edge/drone/runner (sh -c in the instance root, PITRIX_* set, under
//     its timeout). A command id runs once: a repeated delivery, also after a restart of the
//     Drone, is answered with the stored result (deduplicated). A command outlives the stream
//     that delivered it: when the stream is lost mid-command the command runs on, and a
//     redelivery of its id waits for it and gets its result. workdir, if set, is where the
//     command starts: an absolute path is placed under the instance root (as confd dests
//     are), a relative one is relative to the root. A command that could not start is
//     answered with exit code -1 and the reason on stderr.
//   - Bundle (the cluster's confd files) and SelfView (the instance's /self view): checked,
//     written to the state directory (durable) and answered with Ack; then the renderer runs
//     in the background. Rendering is idempotent (edge/drone/confd): unchanged files are not
//     touched and not reloaded; a failed render is retried with backoff.
//   - RenderConfig: render now and answer RenderResult with each resource's outcome. With no
//     bundle there is nothing to render (an empty result); with a bundle but no view yet the
//     reply is an error of code CodeNotReady. A render triggered by a push just before may
//     already have applied a change, so "unchanged" means "now as it should be".
//
// # Crash safety
//
// The last bundle and view survive a restart: Run renders from them at once, before the
// Frontgate is reachable again. A marker file written before each render and removed after a
// clean one tells a restarted Drone that a render was cut short; it then runs the reload_cmd
// of every resource whose file it did not change itself, so a file moved into place just
// before the crash is not left un-reloaded. (It may reload once more than needed; never less.)
//
// # Health
//
// With Config.HealthCheck.Cmd set, runner.Check runs it periodically; each transition between
// healthy and unhealthy is sent to the Frontgate as a one-way Health message, and the last
// one is sent again on every new stream.
//
// # What it does not do
//
// It does not decide what to run or render (the control plane does), does not queue results
// for a Frontgate that is away (the control plane asks again with the same command id, which
// returns the stored result), and does not reload its certificate inside a session (each dial
// re-reads the PEM files).
package drone
