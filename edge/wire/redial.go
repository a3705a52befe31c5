package wire

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"sync"
	"time"
)

// DialFunc opens one session, typically a closure over Dial with its address and TLS config.
// A closure may pick another control-plane node on each call, or rebuild its TLS config from
// freshly issued certificates.
type DialFunc func(ctx context.Context) (*Session, error)

// RedialConfig tunes a Redialer. The zero value of every field means its default.
type RedialConfig struct {
	// MinBackoff and MaxBackoff bound the wait before a redial; the wait doubles on each failed
	// attempt from MinBackoff up to MaxBackoff, with jitter (each wait is drawn from
	// [d/2, d], never below MinBackoff) so Frontgates cut together do not return together.
	// Defaults 100ms and 30s.
	MinBackoff, MaxBackoff time.Duration
	// StableAfter is how long a session must have lived for the next loss to start again from
	// MinBackoff; a peer that accepts and drops at once is not hammered. Default 30s.
	StableAfter time.Duration
	// OnSession, if set, is called on Run's goroutine with each new session before Session
	// hands it out (to register with the peer, say). It should not block for long.
	OnSession func(ctx context.Context, s *Session)
	// Logger receives session loss and dial failures (Warn). Default: discard.
	Logger *slog.Logger
}

func (c RedialConfig) withDefaults() RedialConfig {
	if c.MinBackoff == 0 {
		c.MinBackoff = 100 * time.Millisecond
	}
	if c.MaxBackoff == 0 {
		c.MaxBackoff = 30 * time.Second
	}
	if c.StableAfter == 0 {
		c.StableAfter = 30 * time.Second
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	return c
}

// Validate reports settings that cannot work, after defaults are applied.
func (c RedialConfig) Validate() error {
	c = c.withDefaults()
	if c.MinBackoff < 0 || c.MaxBackoff < c.MinBackoff || c.StableAfter < 0 {
		return fmt.Errorf("%w: backoff must satisfy 0 <= MinBackoff (%s) <= MaxBackoff (%s)", ErrBadConfig, c.MinBackoff, c.MaxBackoff)
	}
	return nil
}

// Redialer keeps one session up: it dials, and when the session is lost (or a dial fails)
// waits with backoff and jitter and dials again, until the context of Run is done. Frontgates
// use it toward the control plane and Drones toward their Frontgate.
type Redialer struct {
	dial DialFunc
	cfg  RedialConfig
	log  *slog.Logger

	mu      sync.Mutex
	cur     *Session
	lastErr error
	stopped bool
	changed chan struct{} // closed and replaced on every change of the fields above
}

// NewRedialer returns a Redialer that dials with dial once Run is called.
func NewRedialer(dial DialFunc, cfg RedialConfig) (*Redialer, error) {
	if dial == nil {
		return nil, fmt.Errorf("%w: nil DialFunc", ErrBadConfig)
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	return &Redialer{dial: dial, cfg: cfg, log: cfg.Logger.With("component", "wire.redial"), changed: make(chan struct{})}, nil
}

// Run keeps a session up until ctx is done, then closes the current session and returns nil
// once it is closed. Run may be called once.
func (r *Redialer) Run(ctx context.Context) error {
	defer r.update(func() { r.stopped, r.cur = true, nil })
	attempt := 0
	for {
		s, err := r.dial(ctx)
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			r.update(func() { r.lastErr = err })
			wait := Backoff(attempt, r.cfg.MinBackoff, r.cfg.MaxBackoff, rand.Float64())
			attempt++
			r.log.Warn("edge dial failed; will retry", "err", err, "attempt", attempt, "retry_in", wait.Round(time.Millisecond))
			if !sleep(ctx, wait) {
				return nil
			}
			continue
		}
		up := time.Now()
		if r.cfg.OnSession != nil {
			r.cfg.OnSession(ctx, s)
		}
		r.update(func() { r.cur, r.lastErr = s, nil })
		select {
		case <-s.Done():
		case <-ctx.Done():
			r.update(func() { r.cur = nil })
			s.Close()
			return nil
		}
		lost := s.Err()
		r.update(func() { r.cur, r.lastErr = nil, lost })
		s.Close()
		if time.Since(up) >= r.cfg.StableAfter {
			attempt = 0
		}
		wait := Backoff(attempt, r.cfg.MinBackoff, r.cfg.MaxBackoff, rand.Float64())
		attempt++
		r.log.Warn("edge session lost; will redial", "err", lost, "retry_in", wait.Round(time.Millisecond))
		if !sleep(ctx, wait) {
			return nil
		}
	}
}

// Session returns the current session, waiting (ctx permitting) while there is none. The
// returned session may die at any moment; callers that fail on it call Session again.
func (r *Redialer) Session(ctx context.Context) (*Session, error) {
	for {
		r.mu.Lock()
		cur, lastErr, stopped, changed := r.cur, r.lastErr, r.stopped, r.changed
		r.mu.Unlock()
		if cur != nil && cur.Err() == nil {
			return cur, nil
		}
		if stopped {
			return nil, ErrStopped
		}
		select {
		case <-changed:
		case <-cur.dyingOrNil():
		case <-ctx.Done():
			if lastErr != nil {
				return nil, fmt.Errorf("wire: waiting for a session: %w; last error: %w", context.Cause(ctx), lastErr)
			}
			return nil, fmt.Errorf("wire: waiting for a session: %w", context.Cause(ctx))
		}
	}
}

// LastError returns why the last dial failed or the last session ended, nil while a session
// is up.
func (r *Redialer) LastError() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.lastErr
}

func (r *Redialer) update(f func()) {
	r.mu.Lock()
	f()
	close(r.changed)
	r.changed = make(chan struct{})
	r.mu.Unlock()
}

// dyingOrNil returns the channel closed when s starts to end, or nil (blocks forever in a select) for a nil session.
func (s *Session) dyingOrNil() <-chan struct{} {
	if s == nil {
		return nil
	}
	return s.dying
}

// Backoff is the wait before retry number attempt (0-based): lo doubled attempt times, capped
// at hi, then drawn from [d/2, d] by jitter (a number in [0, 1)), and never below lo.
func Backoff(attempt int, lo, hi time.Duration, jitter float64) time.Duration {
	d := lo
	for i := 0; i < attempt && d < hi; i++ {
		d *= 2
	}
	d = min(d, hi)
	w := d/2 + time.Duration(jitter*float64(d/2))
	return max(lo, min(w, hi))
}

func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}
