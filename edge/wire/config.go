package wire

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/pitrix/pitrix/edge/edgepb"
	"github.com/pitrix/pitrix/edge/pki"
)

// Defaults of Config.
const (
	DefaultMaxFrame         = 4 << 20
	DefaultPingInterval     = 15 * time.Second
	DefaultPingTimeout      = 45 * time.Second
	DefaultRequestTimeout   = 30 * time.Second
	DefaultHandshakeTimeout = 10 * time.Second
	DefaultMaxConcurrent    = 64
	DefaultSendQueue        = 128

	// maxFrameLimit caps Config.MaxFrame: one frame is buffered whole in memory.
	maxFrameLimit = 64 << 20
)

// Config tunes a Session. The zero value of every field means its default.
type Config struct {
	// MaxFrame is the largest frame body (the marshaled Envelope) accepted or sent, in bytes.
	// A larger incoming frame closes the session; a larger outgoing message fails its call.
	// Both ends should agree. Default 4 MiB, at most 64 MiB.
	MaxFrame int
	// PingInterval is how often an idle session pings its peer. Negative disables pings and
	// dead-peer detection (tests, or a transport that detects loss itself). Default 15s.
	PingInterval time.Duration
	// PingTimeout is how long a session waits without receiving any frame before it declares
	// the peer dead and closes. It must exceed PingInterval; a larger value tolerates longer
	// stalls (a peer busy writing a big frame) at the cost of slower detection. Default 45s.
	PingTimeout time.Duration
	// RequestTimeout bounds a Request whose context has no deadline. Default 30s.
	RequestTimeout time.Duration
	// HandshakeTimeout bounds the TLS handshake plus the Hello exchange of Dial and Serve.
	// Default 10s.
	HandshakeTimeout time.Duration
	// MaxConcurrent is both the number of incoming requests handled at once and the number of
	// this side's own requests in flight at once (Request waits for a slot). Keeping the two
	// equal on both ends means a well-behaved peer never makes our reader wait. Default 64.
	MaxConcurrent int
	// SendQueue is how many encoded frames may wait for the writer; callers beyond it wait
	// (their ctx permitting). Default 128.
	SendQueue int
	// Hello is what this side announces in the Hello exchange of Dial and Serve: its role and id
	// (which must match its certificate), version and VPC. Protocol is filled in. Required by
	// Dial and Serve, unused by NewSession.
	Hello *edgepb.Hello
	// PeerKinds are the certificate kinds accepted from the peer by Dial and Serve; empty
	// accepts any kind the CA issued.
	PeerKinds []pki.Kind
	// Logger receives lifecycle (Info), refused peers (Warn) and per-message detail (Debug).
	// Default: discard.
	Logger *slog.Logger
}

func (c Config) withDefaults() Config {
	if c.MaxFrame == 0 {
		c.MaxFrame = DefaultMaxFrame
	}
	if c.PingInterval == 0 {
		c.PingInterval = DefaultPingInterval
	}
	if c.PingTimeout == 0 {
		c.PingTimeout = DefaultPingTimeout
	}
	if c.RequestTimeout == 0 {
		c.RequestTimeout = DefaultRequestTimeout
	}
	if c.HandshakeTimeout == 0 {
		c.HandshakeTimeout = DefaultHandshakeTimeout
	}
	if c.MaxConcurrent == 0 {
		c.MaxConcurrent = DefaultMaxConcurrent
	}
	if c.SendQueue == 0 {
		c.SendQueue = DefaultSendQueue
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	return c
}

// Validate reports settings that cannot work, after defaults are applied.
func (c Config) Validate() error {
	c = c.withDefaults()
	var errs []error
	if c.MaxFrame < 64 || c.MaxFrame > maxFrameLimit {
		errs = append(errs, fmt.Errorf("MaxFrame %d outside [64, %d]", c.MaxFrame, maxFrameLimit))
	}
	if c.PingInterval > 0 && c.PingTimeout <= c.PingInterval {
		errs = append(errs, fmt.Errorf("PingTimeout %s must exceed PingInterval %s", c.PingTimeout, c.PingInterval))
	}
	if c.RequestTimeout < 0 || c.HandshakeTimeout < 0 {
		errs = append(errs, errors.New("timeouts must not be negative"))
	}
	if c.MaxConcurrent < 0 || c.SendQueue < 0 {
		errs = append(errs, errors.New("MaxConcurrent and SendQueue must not be negative"))
	}
	for _, k := range c.PeerKinds {
		if err := (pki.Identity{Kind: k, ID: "x"}).Validate(); err != nil {
			errs = append(errs, fmt.Errorf("PeerKinds: %w", err))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("%w: %w", ErrBadConfig, err)
	}
	return nil
}

// validateHello checks the Hello this side will announce.
func (c Config) validateHello() error {
	if c.Hello == nil {
		return fmt.Errorf("%w: Hello is required", ErrBadConfig)
	}
	if err := (pki.Identity{Kind: pki.Kind(c.Hello.GetRole()), ID: c.Hello.GetId()}).Validate(); err != nil {
		return fmt.Errorf("%w: Hello: %w", ErrBadConfig, err)
	}
	return nil
}
