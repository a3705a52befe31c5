// Package control is the control plane's entry point for its front end, the REST API (the web
// dashboard calls that API like any client): it checks who may do what (owner scoping, visibility through public repos
// and groups, and the rules of each role the REST front's permission table, actors/authz, does
// not decide alone), validates input, reads the catalog read model from the store, and sends
// commands to the virtual actors that own repos and runtimes. Password-type conf values are
// sealed and stored as references (secrets.go). Its methods are called from request
// goroutines; slow work (reading a remote repo, checking a credential) happens here, before a
// command reaches an actor, so actors' mailboxes never wait on the network. It does not route
// HTTP or encode JSON for the wire.
package control
