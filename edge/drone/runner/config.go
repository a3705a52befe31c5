package runner

import (
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"time"
)

// Defaults of Config.
const (
	DefaultShell     = "/bin/sh"
	DefaultMaxOutput = 64 << 10
	DefaultTimeout   = 600 * time.Second // PACKAGE.md: a service's timeout defaults to 600 s
	DefaultKillGrace = 5 * time.Second
	defaultPath      = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
)

// Config configures a Runner.
type Config struct {
	// Root is the instance root: the commands' working directory and
	// $PITRIX_ROOT. Empty means a real VM: "/" as working directory and an
	// empty $PITRIX_ROOT. When set it must be absolute.
	Root string
	// Shell runs each command as `Shell -c cmd`. Default /bin/sh.
	Shell string
	// StateDir holds the results of finished commands (for exactly-once by
	// id) and scratch files for output. Required; keep it outside Root so
	// an app's destroy command cannot wipe it.
	StateDir string
	// ClusterID, Role, InstanceID and IP are exported to every command as
	// PITRIX_CLUSTER_ID, PITRIX_ROLE, PITRIX_INSTANCE_ID and PITRIX_IP.
	ClusterID  string
	Role       string
	InstanceID string
	IP         string
	// BaseEnv is the environment commands start from ("K=V"), typically the
	// Drone's own, which cmd/ passes in. Nil means only a standard PATH.
	BaseEnv []string
	// MaxOutput is how many bytes of each of stdout and stderr a Result
	// keeps: the first and last halves, with a marker saying how much was
	// left out. Default 64 KiB. More helps debugging and costs state-dir
	// space per stored result.
	MaxOutput int
	// DefaultTimeout applies to commands that give none. Default 600 s.
	DefaultTimeout time.Duration
	// KillGrace is how long a timed-out command's group has between
	// SIGTERM and SIGKILL. Default 5 s.
	KillGrace time.Duration
	// Logger receives lifecycle messages; default discards.
	Logger *slog.Logger
}

func (c Config) withDefaults() Config {
	if c.Shell == "" {
		c.Shell = DefaultShell
	}
	if c.MaxOutput == 0 {
		c.MaxOutput = DefaultMaxOutput
	}
	if c.DefaultTimeout == 0 {
		c.DefaultTimeout = DefaultTimeout
	}
	if c.KillGrace == 0 {
		c.KillGrace = DefaultKillGrace
	}
	if c.BaseEnv == nil {
		c.BaseEnv = []string{defaultPath}
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	return c
}

// Validate reports a missing state directory, a relative root and negative
// limits.
func (c Config) Validate() error {
	var errs []error
	if c.StateDir == "" {
		errs = append(errs, errors.New("runner: StateDir is required"))
	}
	if c.Root != "" && !filepath.IsAbs(c.Root) {
		errs = append(errs, fmt.Errorf("runner: Root %q must be absolute", c.Root))
	}
	if c.MaxOutput < 0 {
		errs = append(errs, fmt.Errorf("runner: MaxOutput %d is negative", c.MaxOutput))
	}
	if c.DefaultTimeout < 0 || c.KillGrace < 0 {
		errs = append(errs, errors.New("runner: DefaultTimeout and KillGrace must not be negative"))
	}
	return errors.Join(errs...)
}
