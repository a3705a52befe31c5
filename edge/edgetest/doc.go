// Package edgetest holds test helpers of the edge packages: a CA in a temporary directory that
// writes certificate files as the agents read them, agents run on goroutines a test owns, a
// condition poller, and the goroutine-leak check their TestMain functions run. It is imported
// by tests only.
package edgetest
