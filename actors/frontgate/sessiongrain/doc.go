// Package sessiongrain is the Frontgate-session virtual actor: one per Frontgate id, it records
// stream events and placements in the store (fenced by version, reloaded on activation) and
// answers where the Frontgate's stream is.
//
// A disconnect only counts when it comes from the node that holds the stream: a Frontgate
// that moved to another node first and then lost its old stream stays connected.
package sessiongrain
