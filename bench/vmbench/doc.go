// Command vmbench measures two things about VM apps, in one run, on this machine only
// (loopback addresses, nothing else dialled):
//
//  1. create → active and delete of a 3-node VM cluster on the local runtime, through the REST
//     API. It starts a real `pitrix server` (-bin, e.g. bin/pitrix from `make build`) on a fresh
//     data directory with --listen, --edge and --gossip on 127.0.0.1 port 0 and --demo-src the
//     module's demo/packages, waits for the local runtime (GET /v1/runtimes, provider "local")
//     and the demo apps' latest versions (GET /v1/apps), and opens one GET /v1/events stream.
//     Then, per app (hello: 3 nodes of its one role; redis: 1 master and 2 replicas, only when
//     redis-server is on PATH, else the report says "skipped: no redis-server"), -n times:
//     POST /v1/clusters, wait for the job, DELETE /v1/clusters/{id}, wait for that job. Each
//     wait is timed two ways at once, from just before the request: the job's final event on
//     the stream (SSE, the headline) and GET /v1/jobs/{id} every 20 ms (poll); the job's own
//     created_at → finished_at and the 202 answer are reported too. The report gives
//     n/first/min/median/p90/max per figure and app, and for the median iteration of create
//     and of delete the layers of its job (GET /v1/jobs/{id}/tasks: each layer's first task
//     start → last task end, and the engine's gaps between), adding up to the SSE figure.
//     The first iteration also starts the VPC's Frontgate. After the server stopped (SIGTERM),
//     every process whose command line or working directory lies in the data directory is
//     killed, and the report lists them: the VPC's Frontgate is expected (it outlives its
//     clusters and the control plane by design), anything else is flagged.
//  2. the edge round trip against a raw gRPC unary call, in process: the control plane's edge
//     gateway (edge/gateway), a real Frontgate and a real Drone dialling it on loopback with
//     certificates of the gateway's CA; -edge-ops sequential round trips each (after
//     -edge-warmup unmeasured ones) of RunCommand `true` (gateway → Frontgate → Drone, which
//     forks `true` and records the result, → back), of DroneStatus (gateway ↔ Frontgate only),
//     and of the standard gRPC health Check on a loopback grpc.Server, plaintext and over mTLS
//     with the edge's TLS settings (TLS 1.3, client certificates of the same CA). It reports
//     median, p90 and max latency, ops/s, and the edge/gRPC ratios of the medians.
//
// Figures are reported, never asserted: its test runs one hello iteration and 200 edge
// operations and checks only that the report is complete and hangs together.
//
//	make build && go run ./bench/vmbench -bin bin/pitrix [-n 5] [-edge-ops 2000] [-only create|edge] [-out r.json]
package main
