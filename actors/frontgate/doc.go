// Package frontgate holds the records of Frontgate sessions: which control-plane node holds a
// Frontgate's stream, since when, and which runtime and owner its VPC serves. The session
// actor (actors/frontgate/sessiongrain) owns one record per Frontgate id; nodes tell it when their
// edge gateway gains or loses a stream, and any node asks it where to relay a request.
//
// It does not hold streams or talk to Frontgates: edge/gateway does, on the node a Frontgate
// dialed.
package frontgate
