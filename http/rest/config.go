package rest

import (
	"errors"
	"fmt"
	"github.com/prometheus/client_golang/prometheus"
	"log/slog"
	"time"
)

// Config holds the options of the REST front. The zero value of every field means "use the
// default"; New applies the defaults and validates.
type Config struct {
	// MaxJSONBytes limits a JSON request body, in bytes (default 1 MiB). Larger bodies get 413
	// too_large.
	MaxJSONBytes int
	// MaxPackageBytes limits an uploaded package .tgz, in bytes (default 64 MiB). The server
	// reads at most this plus a small multipart allowance from the socket; a larger body gets 413
	// too_large. Raising it raises the memory one upload can hold.
	MaxPackageBytes int
	// ReadTimeout bounds reading the body of an admitted request once its headers are in
	// (default 60s; uploads of MaxPackageBytes over slow links need it). Requests whose body is
	// not admitted (no valid token, over the route's limit) never get this extension.
	ReadTimeout time.Duration
	// HeaderTimeout bounds reading a request line and headers, from the connection's accept (or
	// the first byte of a keep-alive request) to the last header (default 10s). It is what a
	// slow-header client can hold a connection for; shorter frees them sooner but fails clients
	// on very slow links.
	HeaderTimeout time.Duration
	// MaxHeaderBytes limits the request line plus headers, in bytes (default 16 KiB, at least
	// 4 KiB). It is fasthttp's per-connection read buffer, so every open connection costs about
	// this much; larger headers get 431.
	MaxHeaderBytes int
	// MaxConns limits the client connections served at once (default 4096). Connections over it
	// are answered 503 with Retry-After and closed at accept. Each connection costs a goroutine
	// and about MaxHeaderBytes plus a 4 KiB write buffer.
	MaxConns int
	// MaxConnsPerIP limits the connections of one client address (default 256; tests and
	// benchmarks from one address raise it). Over it a connection is answered 429 with
	// Retry-After and closed at accept. Behind a
	// reverse proxy every client shares the proxy's address: raise it there.
	MaxConnsPerIP int
	// MaxInFlight limits the requests being handled at once, besides /healthz and /readyz
	// (default 512). A request over it is answered at once with 429 overloaded and Retry-After
	// instead of waiting, so admitted requests keep their latency under overload. Lower sheds
	// sooner; higher queues more work on the backend.
	MaxInFlight int
	// MaxUploads limits the package uploads between their headers and their answer (default
	// 4). Each may hold MaxPackageBytes in memory (the catalog takes a package as bytes), so
	// this times MaxPackageBytes bounds upload memory. An upload over it is answered 429 with
	// Retry-After before its body is read.
	MaxUploads int
	// WriteTimeout bounds writing one response (default 60s).
	WriteTimeout time.Duration
	// IdleTimeout closes keep-alive connections idle that long (default 120s).
	IdleTimeout time.Duration
	// RequestTimeout is the deadline of the context handed to Backend calls (default 30s).
	RequestTimeout time.Duration
	// ShutdownTimeout is how long Serve lets in-flight requests finish after its context is done
	// before it cancels their contexts (default 30s). Serve still waits for every handler to
	// return after that.
	ShutdownTimeout time.Duration
	// Logger receives request logs (Debug), internal errors and panics (Error). Default: discard.
	Logger *slog.Logger
	// ServerName is the Server response header (default "pitrix").
	ServerName string
	// EventPingInterval is how often an idle GET /v1/events stream gets a ": ping" comment
	// (default 15s), so proxies keep it open and a client that went away is noticed (a write
	// is the only way to notice). Shorter finds gone clients sooner at the cost of bytes.
	EventPingInterval time.Duration
	// Collectors are more Prometheus collectors /metrics serves beside the front's, the
	// backend's and the Go runtime and process ones (the node's raft and gossip figures).
	Collectors []prometheus.Collector
	// AuditBuffer is how many audit entries may wait for the audit writer (default 4096). The
	// writer flushes whatever waits in one store write, so under load entries group by
	// themselves; when the buffer is full (the store is slower than the mutations) entries are
	// dropped and counted in a warning rather than slowing requests down.
	AuditBuffer int
}

// Default values of Config.
const (
	DefaultMaxJSONBytes    = 1 << 20
	DefaultMaxPackageBytes = 64 << 20
	DefaultReadTimeout     = 60 * time.Second
	DefaultHeaderTimeout   = 10 * time.Second
	DefaultMaxHeaderBytes  = 16 << 10
	DefaultMaxConns        = 4096
	DefaultMaxConnsPerIP   = 256
	DefaultMaxInFlight     = 512
	DefaultMaxUploads      = 4
	DefaultWriteTimeout    = 60 * time.Second
	DefaultIdleTimeout     = 120 * time.Second
	DefaultRequestTimeout  = 30 * time.Second
	DefaultShutdownTimeout = 30 * time.Second
	DefaultServerName      = "pitrix"
	DefaultEventPing       = 15 * time.Second
	DefaultAuditBuffer     = 4096

	// multipartSlack is what a multipart envelope may add around a package of MaxPackageBytes.
	multipartSlack = 64 << 10
	// minHeaderBytes is the smallest MaxHeaderBytes: a bearer token header may be 4 KiB alone.
	minHeaderBytes = 4 << 10
	// preAuthBodyBytes is the largest body read before the request's token is checked. Bigger
	// (and chunked) bodies on authenticated routes are admitted only after the token is checked
	// from the headers; unauthenticated ones are refused before a byte of body is read.
	preAuthBodyBytes = 4 << 10
	// concurrencySlack is how far fasthttp's own connection limit sits above MaxConns: our
	// listener counts a connection free on Close, fasthttp a moment later.
	concurrencySlack = 64
	// retryAfterSeconds is the Retry-After of a 429 overloaded answer.
	retryAfterSeconds = 1
)

func (c Config) withDefaults() Config {
	if c.MaxJSONBytes == 0 {
		c.MaxJSONBytes = DefaultMaxJSONBytes
	}
	if c.MaxPackageBytes == 0 {
		c.MaxPackageBytes = DefaultMaxPackageBytes
	}
	if c.ReadTimeout == 0 {
		c.ReadTimeout = DefaultReadTimeout
	}
	if c.HeaderTimeout == 0 {
		c.HeaderTimeout = DefaultHeaderTimeout
	}
	if c.MaxHeaderBytes == 0 {
		c.MaxHeaderBytes = DefaultMaxHeaderBytes
	}
	if c.MaxConns == 0 {
		c.MaxConns = DefaultMaxConns
	}
	if c.MaxConnsPerIP == 0 {
		c.MaxConnsPerIP = DefaultMaxConnsPerIP
	}
	if c.MaxInFlight == 0 {
		c.MaxInFlight = DefaultMaxInFlight
	}
	if c.MaxUploads == 0 {
		c.MaxUploads = DefaultMaxUploads
	}
	if c.WriteTimeout == 0 {
		c.WriteTimeout = DefaultWriteTimeout
	}
	if c.IdleTimeout == 0 {
		c.IdleTimeout = DefaultIdleTimeout
	}
	if c.RequestTimeout == 0 {
		c.RequestTimeout = DefaultRequestTimeout
	}
	if c.ShutdownTimeout == 0 {
		c.ShutdownTimeout = DefaultShutdownTimeout
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.ServerName == "" {
		c.ServerName = DefaultServerName
	}
	if c.EventPingInterval == 0 {
		c.EventPingInterval = DefaultEventPing
	}
	if c.AuditBuffer == 0 {
		c.AuditBuffer = DefaultAuditBuffer
	}
	return c
}

// Validate reports every bad field of c (after defaults are applied).
func (c Config) Validate() error {
	var errs []error
	if c.MaxJSONBytes < 0 {
		errs = append(errs, fmt.Errorf("rest: MaxJSONBytes %d is negative", c.MaxJSONBytes))
	}
	if c.MaxPackageBytes < 0 {
		errs = append(errs, fmt.Errorf("rest: MaxPackageBytes %d is negative", c.MaxPackageBytes))
	}
	if c.MaxPackageBytes > 1<<30 {
		errs = append(errs, fmt.Errorf("rest: MaxPackageBytes %d is over 1 GiB", c.MaxPackageBytes))
	}
	if c.MaxHeaderBytes < minHeaderBytes {
		errs = append(errs, fmt.Errorf("rest: MaxHeaderBytes %d is under %d", c.MaxHeaderBytes, minHeaderBytes))
	}
	for _, f := range []struct {
		name string
		n    int
	}{{"MaxConns", c.MaxConns}, {"MaxConnsPerIP", c.MaxConnsPerIP}, {"MaxInFlight", c.MaxInFlight}, {"MaxUploads", c.MaxUploads}, {"AuditBuffer", c.AuditBuffer}} {
		if f.n < 0 {
			errs = append(errs, fmt.Errorf("rest: %s %d is negative", f.name, f.n))
		}
	}
	if c.MaxConnsPerIP > c.MaxConns {
		errs = append(errs, fmt.Errorf("rest: MaxConnsPerIP %d is over MaxConns %d", c.MaxConnsPerIP, c.MaxConns))
	}
	for _, f := range []struct {
		name string
		d    time.Duration
	}{
		{"ReadTimeout", c.ReadTimeout}, {"HeaderTimeout", c.HeaderTimeout}, {"WriteTimeout", c.WriteTimeout}, {"IdleTimeout", c.IdleTimeout},
		{"RequestTimeout", c.RequestTimeout}, {"ShutdownTimeout", c.ShutdownTimeout},
		{"EventPingInterval", c.EventPingInterval},
	} {
		if f.d < 0 {
			errs = append(errs, fmt.Errorf("rest: %s %v is negative", f.name, f.d))
		}
	}
	return errors.Join(errs...)
}

// packageBodyLimit is the most read of an upload request's body: the package and its multipart
// envelope.
func (c Config) packageBodyLimit() int { return c.MaxPackageBytes + multipartSlack }
