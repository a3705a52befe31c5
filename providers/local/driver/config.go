package driver

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/pitrix/pitrix/edge/pki"
)

// Defaults of Config.
const (
	DefaultStopTimeout  = 5 * time.Second
	DefaultReadyTimeout = 30 * time.Second
	DefaultCertTTL      = 30 * 24 * time.Hour
)

// Issuer issues the edge agents' certificates; *gateway.Gateway is one.
type Issuer interface {
	// Issue returns a PEM certificate and key of kind for id, valid for ttl, naming hosts.
	Issue(kind pki.Kind, id string, ttl time.Duration, hosts ...string) (certPEM, keyPEM []byte, err error)
	// CA returns the PEM certificate of the CA the agents trust.
	CA() []byte
}

// Config configures a Driver. Zero values of optional fields mean their defaults.
type Config struct {
	// Dir holds every VPC and instance (state, certificates, logs, instance roots). Required.
	// Created if missing.
	Dir string
	// Binary is the pitrix executable the agents run as (`Binary frontgate ...`,
	// `Binary drone ...`). Default: this process's executable.
	Binary string
	// Control returns the control plane's edge address(es), HOST:PORT[,...], that Frontgates
	// dial, this node's first. It is called on every EnsureVPC and supervision round; a
	// Frontgate whose list does not hold the first address is restarted, one whose list does is
	// adopted, and either way the list is written to the Frontgate's control file, which it
	// reads before every dial. Required.
	Control func() string
	// Issuer issues the Frontgates' and Drones' certificates. Required.
	Issuer Issuer
	// Env is the agents' environment ("K=V"); commands run by Drones inherit it. Nil means
	// this process's environment for Frontgates and a VM's (a standard PATH, HOME=/root,
	// LANG=C.UTF-8) for the sandboxed Drones. Variables starting with PITRIX_ are dropped either
	// way (they would set the agents' flags).
	Env []string
	// Logger receives lifecycle (agents started, adopted, stopped). Default: discard.
	Logger *slog.Logger
	// StopTimeout is how long a stopped process has after SIGTERM before SIGKILL. Default 5 s.
	StopTimeout time.Duration
	// ReadyTimeout bounds the wait for a started agent to come up: a Frontgate serving Drones,
	// a Drone connected to its Frontgate. Default 30 s.
	ReadyTimeout time.Duration
	// Base is the read-only root every instance's sandbox starts from: "/" (the host's root)
	// when empty, or an image directory. An instance's writes land in its own upper layer.
	Base string
	// Hide are host paths shown empty inside every sandbox, besides Dir itself: the server's
	// data dir, token and key files. Each is hidden as given and with its symlinks resolved.
	Hide []string
	// HideMore, when set, is asked at every sandbox start for more host paths to hide: e.g.
	// the data dirs of the other nodes of a cluster that run on this same host. Optional.
	HideMore func() []string
	// CertTTL is the lifetime of the agents' certificates; an agent whose certificate has less
	// than a third of its lifetime left (or another CA) is restarted with a new one. Default 30
	// days (at most pki.MaxTTL).
	CertTTL time.Duration
}

func (c Config) withDefaults() Config {
	if c.Binary == "" {
		if exe, err := os.Executable(); err == nil {
			c.Binary = exe
		}
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.StopTimeout == 0 {
		c.StopTimeout = DefaultStopTimeout
	}
	if c.ReadyTimeout == 0 {
		c.ReadyTimeout = DefaultReadyTimeout
	}
	if c.CertTTL == 0 {
		c.CertTTL = DefaultCertTTL
	}
	return c
}

// Validate reports what is wrong with c (after defaults).
func (c Config) Validate() error {
	c = c.withDefaults()
	var errs []error
	if c.Dir == "" {
		errs = append(errs, errors.New("Dir is required"))
	}
	if c.Binary == "" {
		errs = append(errs, errors.New("Binary is required (the executable could not be found)"))
	} else if fi, err := os.Stat(c.Binary); err != nil {
		errs = append(errs, fmt.Errorf("Binary %q: %w", c.Binary, err))
	} else if fi.IsDir() || fi.Mode()&0o111 == 0 {
		errs = append(errs, fmt.Errorf("Binary %q is not an executable file", c.Binary))
	}
	if c.Control == nil {
		errs = append(errs, errors.New("Control is required"))
	}
	if c.Issuer == nil {
		errs = append(errs, errors.New("Issuer is required"))
	}
	if c.Base != "" && !filepath.IsAbs(c.Base) {
		errs = append(errs, fmt.Errorf("Base %q must be absolute", c.Base))
	}
	for _, h := range c.Hide {
		if !filepath.IsAbs(h) || filepath.Clean(h) == "/" {
			errs = append(errs, fmt.Errorf("Hide %q must be an absolute path other than /", h))
		}
	}
	if c.StopTimeout < 0 {
		errs = append(errs, fmt.Errorf("StopTimeout %s is negative", c.StopTimeout))
	}
	if c.ReadyTimeout < 0 {
		errs = append(errs, fmt.Errorf("ReadyTimeout %s is negative", c.ReadyTimeout))
	}
	if c.CertTTL < 0 || c.CertTTL > pki.MaxTTL {
		errs = append(errs, fmt.Errorf("CertTTL %s outside (0, %s]", c.CertTTL, pki.MaxTTL))
	}
	if len(errs) > 0 {
		return fmt.Errorf("%w: %w", ErrBadConfig, errors.Join(errs...))
	}
	return nil
}
