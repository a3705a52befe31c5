// Command floodbench measures what the REST front's admission does under overload, in one run
// against a real `pitrix server` process on loopback: the latency of the requests it admits
// and its resident memory, at about twice the load that saturates it, against the same figures
// unloaded.
//
// It starts the server (a -bin binary, or one it builds from the module) with its admission
// limits (-max-in-flight; -max-conns-per-ip raised so the one client address can open the pool),
// then runs three phases of -duration each, all sending GET /v1/categories?limit=20 with the
// admin's token (routing, a token check and a store list):
//
//   - baseline: -baseline-conns closed-loop workers (each waits for its answer): the unloaded
//     latency;
//   - saturate: -sat-conns closed-loop workers: the most the server answers per second, S;
//   - overload: an open-loop generator offering -overload × S requests per second over a pool of
//     -pool connections, whatever the server does; a request with no free connection counts as
//     not sent. Admitted requests (200) are timed from when they were due to be sent, so
//     queueing in the client counts against the server; shed requests (429) are counted.
//
// The server's VmRSS is sampled every 50 ms in each phase (peak reported) from /proc. Client and
// server share the machine's cores: on a small machine the generator may not reach the offered
// rate; the report says what was actually sent.
//
//	go run ./bench/floodbench -duration 5s
package main
