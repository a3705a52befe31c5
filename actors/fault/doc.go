// Package fault classifies the control plane's failures by what the caller can do about them:
// invalid input, a missing entity, a conflict, a forbidden act. The codes are the REST
// contract's error codes (../shared/API.md); the http front maps each to its status in one
// table. Domain packages return *Error values (or wrap them); nothing here knows about HTTP.
package fault
