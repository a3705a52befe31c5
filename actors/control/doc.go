// Package control is the control plane's entry point for its front ends (the REST API, later
// the dashboard): it checks who may do what (owner scoping, roles), validates input, reads the
// catalog read model from the store, and sends commands to the virtual actors that own repos and
// runtimes. Its methods are called from request goroutines; slow work (reading a remote repo,
// checking a credential) happens here, before a command reaches an actor, so actors' mailboxes
// never wait on the network. It does not route HTTP or encode JSON for the wire.
package control
