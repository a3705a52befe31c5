package frontgate

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"time"

	"github.com/pitrix/pitrix/edge/pki"
)

// Defaults of Config.
const (
	DefaultDroneWait  = 60 * time.Second
	DefaultMinBackoff = 100 * time.Millisecond
	DefaultMaxBackoff = 10 * time.Second
	DefaultVersion    = "dev"
)

// Error codes of the Frontgate's error replies (edgepb.Envelope.error_code), besides wire's.
const (
	// CodeInvalid reports a request the Frontgate will never accept as it is: metadata or a
	// bundle that does not parse or validate. Retrying does not help.
	CodeInvalid = "invalid_argument"
	// CodeConflict reports metadata that puts an instance in a second cluster.
	CodeConflict = "conflict"
	// CodeDroneUnavailable reports a Drone that was not connected within the wait, or whose
	// stream was lost during the request. It is transient.
	CodeDroneUnavailable = "drone_unavailable"
)

// ErrBadConfig is matched by every error Config.Validate returns.
var ErrBadConfig = errors.New("frontgate: bad config")

// Config configures a Frontgate. Zero values of optional fields mean their defaults.
type Config struct {
	// ID is the Frontgate's id (fg-...); it must be the id of the certificate in CertFile.
	ID string
	// VPC is the VPC the Frontgate serves, announced in its Hello. Drones that announce
	// another VPC are refused. Optional.
	VPC string
	// ControlAddrs are the control plane's edge listeners (host:port), tried in turn.
	// Required.
	ControlAddrs []string
	// ControlFile, when set, is a file of control addresses (HOST:PORT, separated by commas or
	// new lines) read again before every dial; while it is readable and lists at least one
	// valid address, its list is the one tried instead of ControlAddrs. The control plane
	// rewrites it as nodes join, so a running Frontgate learns of them without a restart.
	ControlFile string
	// DroneListen is where Drones connect, e.g. 127.7.1.1:0 (its own loopback address in the
	// VPC on the local runtime); port 0 picks one, see DroneAddr. Required. The certificate
	// must name its host (pki.IssueRequest.Hosts): Drones verify it.
	DroneListen string
	// DataDir holds the metadata store (metadata/) and the bundles (bundles/). Required.
	DataDir string
	// CertFile, KeyFile and CAFile are PEM files from the control plane's CA: a certificate of
	// kind frontgate (used both to dial the control plane and to serve Drones), its key, and
	// the CA certificate. Required. They are read again on every dial to the control plane.
	CertFile, KeyFile, CAFile string
	// DroneWait is how long a relayed request waits for its Drone to connect when it gives no
	// timeout of its own. Default 60 s.
	DroneWait time.Duration
	// MinBackoff and MaxBackoff bound the wait between dials to the control plane. Defaults
	// 100 ms and 10 s: a longer maximum spares a recovering control plane, a shorter one
	// reconnects sooner.
	MinBackoff, MaxBackoff time.Duration
	// Version is announced in Hello, for logs. Default "dev".
	Version string
	// OnConnected, if set, is called with the address each time a control-plane session comes
	// up, before requests are handled on it. It must not block.
	OnConnected func(addr string)
	// Logger receives lifecycle (Info) and degraded states (Warn). Default: discard.
	Logger *slog.Logger
}

func (c Config) withDefaults() Config {
	if c.DroneWait == 0 {
		c.DroneWait = DefaultDroneWait
	}
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
	if err := (pki.Identity{Kind: pki.KindFrontgate, ID: c.ID}).Validate(); err != nil {
		errs = append(errs, fmt.Errorf("ID: %w", err))
	}
	if len(c.ControlAddrs) == 0 {
		errs = append(errs, errors.New("ControlAddrs: at least one address is required"))
	}
	for _, a := range c.ControlAddrs {
		if _, _, err := net.SplitHostPort(a); err != nil {
			errs = append(errs, fmt.Errorf("ControlAddrs %q: %w", a, err))
		}
	}
	if _, _, err := net.SplitHostPort(c.DroneListen); err != nil {
		errs = append(errs, fmt.Errorf("DroneListen %q: %w", c.DroneListen, err))
	}
	if c.DataDir == "" {
		errs = append(errs, errors.New("DataDir is required"))
	}
	for _, f := range []struct{ name, path string }{{"CertFile", c.CertFile}, {"KeyFile", c.KeyFile}, {"CAFile", c.CAFile}} {
		if f.path == "" {
			errs = append(errs, fmt.Errorf("%s is required", f.name))
		}
	}
	if c.DroneWait < 0 || c.MinBackoff < 0 || c.MaxBackoff < c.MinBackoff {
		errs = append(errs, fmt.Errorf("DroneWait must not be negative and 0 <= MinBackoff (%s) <= MaxBackoff (%s)", c.MinBackoff, c.MaxBackoff))
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("%w: %w", ErrBadConfig, err)
	}
	return nil
}

// pemFiles are the PEM contents of the certificate, key and CA files.
type pemFiles struct{ cert, key, ca []byte }

func readPEM(certFile, keyFile, caFile string) (pemFiles, error) {
	var p pemFiles
	var err error
	if p.cert, err = os.ReadFile(certFile); err != nil {
		return p, fmt.Errorf("read certificate: %w", err)
	}
	if p.key, err = os.ReadFile(keyFile); err != nil {
		return p, fmt.Errorf("read key: %w", err)
	}
	if p.ca, err = os.ReadFile(caFile); err != nil {
		return p, fmt.Errorf("read CA certificate: %w", err)
	}
	return p, nil
}
