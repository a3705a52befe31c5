// Package bench holds end-to-end benchmarks: those that need several packages at once (REST
// throughput over loopback, activation rate, gossip convergence time). Each is a program under
// bench/<name>, run with `go run ./bench/<name>`, that prints its figures as a table; most also
// have Go benchmarks beside them. Micro-benchmarks of one package stay next to its code, not here.
//
// This package itself holds no code.
package bench
