// Package benchkit holds what the benchmark programs under bench/ share: a `pitrix server`
// process on loopback ports (started from a built binary, stopped with SIGTERM), a reader of
// GET /v1/events that notes when each job's final event arrives, and the goroutine-leak check
// their TestMain functions run.
//
// It measures nothing itself and knows no provider: each program decides what to time.
package benchkit
