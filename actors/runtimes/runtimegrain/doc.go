// Package runtimegrain is the runtime virtual actor (kind "runtime", identity the runtime id): the
// fenced owner of one runtime's record. It reloads the record when activated and writes it back
// with a compare-and-set on the version it loaded, so a stale activation on another node fails
// its write and stops instead of overwriting. Checking a runtime against its provider is network
// I/O and happens before a command reaches the actor; the actor only decides and persists.
package runtimegrain
