// Package cli is the pitrix command line: `pitrix <noun> <verb> [flags]` over the REST API,
// through package client, on a cobra command tree.
//
// It owns the command grammar (nouns as commands, verbs as their subcommands, each verb's
// flags and positional arguments), the global flags --server, --token and -o/--output and how
// they resolve against the environment (PITRIX_SERVER, PITRIX_TOKEN, PITRIX_CONFIG) and
// ~/.config/pitrix/config, help and "did you mean" suggestions, the table and JSON renderings
// of answers, and the exit codes: 0 on success, 1 when the call or the server failed (the
// API's error code, message and each bad field go to stderr), 2 for a usage error naming the
// bad noun, verb, flag or argument.
//
// Shell completion (`pitrix completion bash|zsh|fish`, cobra's __complete protocol) covers
// nouns, verbs and flags, and IDs: a verb's ID argument and flags such as --runtime, --app,
// --version or --node are completed by calling the API's list endpoints with the same server
// and token as any call; an unreachable server completes nothing, quietly.
//
// Cluster mutations are asynchronous on the server: they print the job they started, and with
// --wait (or `job watch`) follow it over the event stream GET /v1/events, falling back to
// polling the job every second when the stream is unavailable, printing a line per change and
// exiting 1 with the job's and its failed tasks' errors when it fails. Conf and env files are
// JSON or YAML objects, merged with --set key.path=value assignments. A kubeconfig given to
// `credential create --content-file` is flattened first: the files it names are inlined.
//
// Run is the entry point; Env carries everything it would otherwise take from the process,
// so tests run it in-process, and the extra commands cmd/pitrix hangs beside the nouns
// (server, frontgate, drone), which parse their own flags. The package holds no business rules:
// validation of what is sent is the server's, and the CLI shows what the server says.
package cli
