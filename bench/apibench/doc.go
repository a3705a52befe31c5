// Command apibench measures the read throughput of the REST front, GET /v1/apps/{id}, against
// a bare fasthttp handler that answers the same bytes, in one process and one run.
//
// It wires a real single node as `pitrix server` does (Pebble store in a temporary directory,
// identity bootstrap for the admin token, the repo and runtime kinds on a one-member cluster,
// the control plane, the REST front on a loopback port), registers a local repo of a few VM
// packages through the control plane and waits for its first index. It fetches the app once,
// then serves that body verbatim, with the same content type, from a bare fasthttp server on
// another loopback port: the least a fasthttp server can do for the same answer. The same load
// generator drives both sides in turn: -conns workers, each with its own keep-alive connection,
// sending GET /v1/apps/{id} with the admin's bearer token for a warm-up and then -duration (or
// -requests), checking each answer is a 200 with the expected body length. It prints each
// side's requests, req/s, latency quantiles and the process's heap allocations per request,
// then pitrix/bare ratios.
//
// On the pitrix side a request is routed, authenticated (a store read of the token), served by
// the control plane from the store (the app record and its JSON decoding; GetApp involves no
// actor) and encoded as JSON; the node's gossip and actor system idle alongside. Client and
// servers share the process and its cores, so the figures are relative: compare the ratio, not
// the absolute rate, across machines. Allocations per request count the whole process, the
// client's few included, on both sides alike.
//
// With -case list it measures GET /v1/apps?limit=20 instead, the first page of a store
// listing, after writing -apps more apps (default 1,000) into the seed repo as the indexer
// writes them; the bare side serves that page's body.
//
//	go run ./bench/apibench -duration 5s -conns 32 -out /tmp/apibench.json
//	go run ./bench/apibench -case list -duration 5s -conns 64
package main
