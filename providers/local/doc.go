// Package local is the embedded default runtime provider: VM apps run on this machine, each
// VPC a loopback block with a Frontgate process, each instance a sandbox (providers/local/sandbox) running a
// Drone process on its own loopback address. This package answers the provider questions (no credential, one
// zone, "local"); the IaaS part is providers/local/driver, and the server pairs the two in a
// providers/vm Operator whose driver is actors/localroute's router (each call on the runtime's
// own node).
package local
