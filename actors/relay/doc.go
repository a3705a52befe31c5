// Package relay lets any control-plane node send a request to any Frontgate: directly when
// this node's edge gateway holds the Frontgate's stream, otherwise through the edge-relay
// actor of the node that does, which the Frontgate's session actor (actors/frontgate) names.
//
// It also reports this node's stream changes to the session actors, in order, from one
// goroutine it owns (Run), and records which runtime and owner a Frontgate's VPC serves.
//
// It does not hold streams (edge/gateway does) or decide what to send (providers/vm does).
package relay
