package rest

import (
	"errors"
	"fmt"
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
	// ReadTimeout bounds reading one whole request, headers and body (default 60s; uploads of
	// MaxPackageBytes over slow links need it).
	ReadTimeout time.Duration
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
}

// Default values of Config.
const (
	DefaultMaxJSONBytes    = 1 << 20
	DefaultMaxPackageBytes = 64 << 20
	DefaultReadTimeout     = 60 * time.Second
	DefaultWriteTimeout    = 60 * time.Second
	DefaultIdleTimeout     = 120 * time.Second
	DefaultRequestTimeout  = 30 * time.Second
	DefaultShutdownTimeout = 30 * time.Second
	DefaultServerName      = "pitrix"
	DefaultEventPing       = 15 * time.Second

	// multipartSlack is what a multipart envelope may add around a package of MaxPackageBytes.
	multipartSlack = 64 << 10
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
	for _, f := range []struct {
		name string
		d    time.Duration
	}{
		{"ReadTimeout", c.ReadTimeout}, {"WriteTimeout", c.WriteTimeout}, {"IdleTimeout", c.IdleTimeout},
		{"RequestTimeout", c.RequestTimeout}, {"ShutdownTimeout", c.ShutdownTimeout},
		{"EventPingInterval", c.EventPingInterval},
	} {
		if f.d < 0 {
			errs = append(errs, fmt.Errorf("rest: %s %v is negative", f.name, f.d))
		}
	}
	return errors.Join(errs...)
}

// serverBodyLimit is the most fasthttp reads of one request body; per-route limits are enforced
// by the handlers below it so that every oversize answer is our JSON 413.
func (c Config) serverBodyLimit() int {
	return max(c.MaxPackageBytes, c.MaxJSONBytes) + multipartSlack
}
