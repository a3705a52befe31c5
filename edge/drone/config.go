package drone

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"time"

	"github.com/pitrix/pitrix/edge/drone/runner"
	"github.com/pitrix/pitrix/edge/pki"
)

// Defaults of Config.
const (
	DefaultMinBackoff = 100 * time.Millisecond
	DefaultMaxBackoff = 5 * time.Second
	DefaultVersion    = "dev"
)

// CodeNotReady is the error code of a RenderConfig that arrives before the Drone has a view.
const CodeNotReady = "not_ready"

// ErrBadConfig is matched by every error Config.Validate returns.
var ErrBadConfig = errors.New("drone: bad config")

// Config configures a Drone. Zero values of optional fields mean their defaults.
type Config struct {
	// InstanceID is the instance's id; it must be the id of the certificate in CertFile (kind
	// drone). Required.
	InstanceID string
	// ClusterID, Role and IP describe the instance; commands see them as PITRIX_CLUSTER_ID,
	// PITRIX_ROLE and PITRIX_IP. A Bundle of another cluster than ClusterID (when set) is
	// refused.
	ClusterID, Role, IP string
	// VPC is announced in Hello; a Frontgate of another VPC refuses the Drone. Optional.
	VPC string
	// Root is the instance root: the commands' working directory, $PITRIX_ROOT, and where
	// confd dests are placed. Empty means "/" (a real VM). Created if missing.
	Root string
	// StateDir holds command results (exactly-once), the last bundle and view, and the render
	// marker. Required; keep it outside Root so an app cannot wipe it.
	StateDir string
	// FrontgateAddr is the Frontgate's Drone listener, host:port; the Frontgate's certificate
	// must name the host. Required.
	FrontgateAddr string
	// CertFile, KeyFile and CAFile are PEM files from the control plane's CA. Required.
	CertFile, KeyFile, CAFile string
	// Shell runs commands as `Shell -c cmd`. Default /bin/sh.
	Shell string
	// BaseEnv is the environment commands start from ("K=V"); nil means only a standard PATH.
	BaseEnv []string
	// HealthCheck is the role's health check from the cluster spec; an empty Cmd means none.
	HealthCheck runner.HealthCheck
	// MinBackoff and MaxBackoff bound the wait between dials to the Frontgate. Defaults
	// 100 ms and 5 s (a Frontgate is near; a short maximum reconnects soon after it returns).
	MinBackoff, MaxBackoff time.Duration
	// Version is announced in Hello, for logs. Default "dev".
	Version string
	// OnConnected, if set, is called with the address each time a session to the Frontgate
	// comes up. It must not block.
	OnConnected func(addr string)
	// Logger receives lifecycle (Info) and degraded states (Warn). Default: discard.
	Logger *slog.Logger
}

func (c Config) withDefaults() Config {
	if c.MinBackoff == 0 {
		c.MinBackoff = DefaultMinBackoff
	}
	if c.MaxBackoff == 0 {
		c.MaxBackoff = DefaultMaxBackoff
	}
	if c.Version == "" {
		c.Version = DefaultVersion
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	return c
}

// Validate reports every missing or malformed setting at once.
func (c Config) Validate() error {
	c = c.withDefaults()
	var errs []error
	if err := (pki.Identity{Kind: pki.KindDrone, ID: c.InstanceID}).Validate(); err != nil {
		errs = append(errs, fmt.Errorf("InstanceID: %w", err))
	}
	if c.Root != "" && !filepath.IsAbs(c.Root) {
		errs = append(errs, fmt.Errorf("Root %q must be absolute", c.Root))
	}
	if c.StateDir == "" {
		errs = append(errs, errors.New("StateDir is required"))
	}
	if _, _, err := net.SplitHostPort(c.FrontgateAddr); err != nil {
		errs = append(errs, fmt.Errorf("FrontgateAddr %q: %w", c.FrontgateAddr, err))
	}
	for _, f := range []struct{ name, path string }{{"CertFile", c.CertFile}, {"KeyFile", c.KeyFile}, {"CAFile", c.CAFile}} {
		if f.path == "" {
			errs = append(errs, fmt.Errorf("%s is required", f.name))
		}
	}
	if c.HealthCheck.Cmd != "" {
		if err := c.HealthCheck.Validate(); err != nil {
			errs = append(errs, fmt.Errorf("HealthCheck: %w", err))
		}
	}
	if c.MinBackoff < 0 || c.MaxBackoff < c.MinBackoff {
		errs = append(errs, fmt.Errorf("backoff must satisfy 0 <= MinBackoff (%s) <= MaxBackoff (%s)", c.MinBackoff, c.MaxBackoff))
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("%w: %w", ErrBadConfig, err)
	}
	return nil
}

// pemFiles are the PEM contents of the certificate, key and CA files.
type pemFiles struct{ cert, key, ca []byte }

func readPEM(c Config) (pemFiles, error) {
	var p pemFiles
	var err error
	if p.cert, err = os.ReadFile(c.CertFile); err != nil {
		return p, fmt.Errorf("read certificate: %w", err)
	}
	if p.key, err = os.ReadFile(c.KeyFile); err != nil {
		return p, fmt.Errorf("read key: %w", err)
	}
	if p.ca, err = os.ReadFile(c.CAFile); err != nil {
		return p, fmt.Errorf("read CA certificate: %w", err)
	}
	return p, nil
}
