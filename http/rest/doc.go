// Package rest is the fasthttp REST front of the control plane: the HTTP surface of the contract
// in ../shared/API.md.
//
// The front owns everything between the socket and the Backend interface: routing (a small
// router of static and {param} segments, 404 and 405 answers), the bearer-token header (one
// Backend.Authenticate call per request), strict decoding of JSON bodies and package uploads
// with size limits, list query parsing into catalog.ListQuery, response encoding, the one table
// that maps actors/fault codes to HTTP statuses, request ids and request logging, /metrics (a
// client_golang registry per Server, never the global one, holding the front's request metrics,
// the Go runtime and process collectors and the Backend's collector, written by expfmt in the
// format the scraper negotiates), the health endpoints and the OpenAPI document served at
// /v1/openapi.json (openapi.json, embedded, kept true by a test against the route table), and
// the server-sent-events stream GET /v1/events (events.go): framing, pings, and ending the stream
// and its Backend subscription when the client leaves, the backend closes it or Serve shuts down.
// The web dashboard's public routes (web.go) serve http/web's embedded files: GET / and every
// /ui path without an extension answer index.html, /ui/assets/NAME the hashed bundle files
// (gzip when accepted), with a strict Content-Security-Policy; they hold no data.
// Cluster mutations answer 202 with the job that carries them out. Every authenticated mutation
// is queued to the audit writer (auditlog.go: who, route, resource, status, client address;
// never bodies) that Serve runs, which stores queued entries in groups through
// AuditLog.RecordAudit, off the request path. A read-only token gets 403 on every route but
// GET and HEAD.
//
// Admission (admission.go, connlimit.go) bounds what a request costs before anyone knows who
// sent it: the body limit of each request is decided from its headers (per route; a body over
// 4 KiB on an authenticated route only after its token is checked), so unauthenticated or
// oversized bodies are refused unread; headers are bounded in size and time; connections in
// total and per client address; and requests in flight, over which the front sheds with 429 and
// Retry-After instead of queuing (never /healthz or /readyz).
//
// The front deliberately holds no business rules: it does not decide who may do what, which
// status transitions are allowed or whether a package is valid; it never touches the store,
// actors, providers or the network beyond its listener. All of that sits behind Backend, which
// the control plane implements elsewhere.
//
// Main types: Config, Server (New, Serve, Handler) and Backend.
package rest
