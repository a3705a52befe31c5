// Package cli is the pitrix command line: `pitrix <noun> <verb> [flags]` over the REST API,
// through package client.
//
// It owns the command grammar (nouns, verbs, their flags and positional arguments), the
// global flags --server, --token and -o and how they resolve against the environment and
// ~/.config/pitrix/config, the table and JSON renderings of answers, and the exit codes: 0 on
// success, 1 when the call or the server failed (the API's error code, message and each bad
// field go to stderr), 2 for a usage error naming the bad noun, verb, flag or argument.
//
// Cluster mutations are asynchronous on the server: they print the job they started, and with
// --wait (or `job watch`) follow it over the event stream GET /v1/events, falling back to
// polling the job every second when the stream is unavailable, printing a line per change and
// exiting 1 with the job's and its failed tasks' errors when it fails. Conf and env files are
// JSON or YAML objects, merged with --set key.path=value assignments.
//
// Run is the entry point; Env carries everything it would otherwise take from the process,
// so tests run it in-process. It deliberately does not handle the server and edge agent
// subcommands (server, frontgate, drone): cmd/pitrix routes those itself, asking IsCLINoun.
// It holds no business rules either: validation of what is sent is the server's, and the CLI
// shows what the server says.
package cli
