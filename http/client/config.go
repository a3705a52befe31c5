package client

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// DefaultServer is the address used when Config.Server is empty: a single-node server
// started with its default --listen.
const DefaultServer = "http://127.0.0.1:9080"

// Config holds a Client's options. The zero value of every field means "use the default".
type Config struct {
	// Server is the base URL of the API, e.g. http://127.0.0.1:9080, optionally with a path
	// prefix when the API sits behind a proxy (http://host/pitrix). A value without a scheme
	// is taken as http://. Default DefaultServer.
	Server string
	// Token is sent as "Authorization: Bearer <token>" on every call; empty sends no header
	// (only /healthz and /readyz accept that).
	Token string
	// HTTPClient carries the calls. Default: a client with its own transport (a clone of
	// http.DefaultTransport), so CloseIdleConnections affects nobody else.
	HTTPClient *http.Client
	// Timeout bounds each call, including reading the response body of Raw and Download.
	// Default 60s; a negative value means no timeout beyond the caller's context. Large
	// package uploads and downloads on slow links may need more.
	Timeout time.Duration
	// MaxResponseBytes caps how much of a JSON response body Do reads before giving up with
	// ErrResponseTooLarge, so a broken or hostile server cannot exhaust memory. It does not
	// apply to streamed bodies (Raw, Download, an io.Writer passed to Do). Default 64 MiB.
	MaxResponseBytes int64
	// UserAgent is sent as the User-Agent header. Default "pitrix-client".
	UserAgent string
}

const (
	defaultTimeout          = 60 * time.Second
	defaultMaxResponseBytes = 64 << 20
	defaultUserAgent        = "pitrix-client"
)

func (c Config) withDefaults() Config {
	c.Server = strings.TrimSpace(c.Server)
	if c.Server == "" {
		c.Server = DefaultServer
	}
	if !strings.Contains(c.Server, "://") {
		c.Server = "http://" + c.Server
	}
	if c.Timeout == 0 {
		c.Timeout = defaultTimeout
	}
	if c.MaxResponseBytes == 0 {
		c.MaxResponseBytes = defaultMaxResponseBytes
	}
	if c.UserAgent == "" {
		c.UserAgent = defaultUserAgent
	}
	return c
}

// Validate reports whether the configuration can be used, naming the bad field. New calls it
// after applying defaults.
func (c Config) Validate() error {
	u, err := url.Parse(c.Server)
	if err != nil {
		return fmt.Errorf("client: server %q: %w", c.Server, err)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return fmt.Errorf("client: server %q: scheme must be http or https", c.Server)
	}
	if u.Host == "" {
		return fmt.Errorf("client: server %q: no host", c.Server)
	}
	if u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		return fmt.Errorf("client: server %q: must not carry a query, fragment or user info", c.Server)
	}
	if strings.ContainsAny(c.Token, "\r\n") {
		return fmt.Errorf("client: token contains a line break")
	}
	if c.MaxResponseBytes < 0 {
		return fmt.Errorf("client: max response bytes %d is negative", c.MaxResponseBytes)
	}
	return nil
}
