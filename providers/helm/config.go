package helm

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"time"
)

// Defaults of Config.
const (
	DefaultHistoryMax     = 10
	DefaultKubeQPS        = 20
	DefaultKubeBurst      = 40
	DefaultRequestTimeout = 30 * time.Second
	DefaultOpTimeout      = 5 * time.Minute
	DefaultWaitTimeout    = 5 * time.Minute
	DefaultPollInterval   = 250 * time.Millisecond
	// MinServerMinor is the oldest Kubernetes 1.x minor version a runtime may run (1.25).
	MinServerMinor = 25
)

// Config configures a Provider. The zero value means "use the defaults".
type Config struct {
	// Logger receives the provider's own log lines and those of Helm and client-go (Debug
	// level for their chatter, Warn for API server warnings). Nil discards them.
	Logger *slog.Logger
	// HistoryMax caps the revisions Helm keeps per release (older ones are pruned on upgrade
	// and rollback). Default 10; more keeps older rollback targets at the cost of one Secret
	// each in the release namespace.
	HistoryMax int
	// KubeQPS and KubeBurst bound client-go's request rate to one API server (per task).
	// Defaults 20 and 40: high enough for a chart of a few dozen objects, low enough not to
	// trip API priority and fairness on a shared cluster.
	KubeQPS   float32
	KubeBurst int
	// RequestTimeout bounds one HTTP request to an API server (default 30s); a task's own
	// deadline bounds the whole task.
	RequestTimeout time.Duration
	// OpTimeout is the per-attempt timeout planned for install, upgrade, rollback, uninstall
	// and recover tasks (default 5m).
	OpTimeout time.Duration
	// WaitTimeout is the planned timeout of the readiness wait task (default 5m): how long
	// workloads may take to become ready before the job fails naming the unready ones.
	WaitTimeout time.Duration
	// PollInterval is how often the wait task re-reads workloads (default 250ms). Shorter
	// notices readiness sooner at the cost of more API requests.
	PollInterval time.Duration
	// KeepKlog leaves client-go's process-global klog output alone. By default New routes
	// klog onto Logger so nothing is printed to stderr; set it when the program configures
	// klog itself.
	KeepKlog bool
	// Dial, when set, makes every connection to a runtime's API server (credential checks
	// and operations alike); the server passes a netguard.Guard's DialContext so a
	// kubeconfig cannot point requests at loopback, link-local or private addresses that
	// are not on the admin's allow-list. With Dial set no proxy is used, since a proxy
	// would connect on our behalf. Nil dials directly (tests, embedded use).
	Dial func(ctx context.Context, network, addr string) (net.Conn, error)
}

func (c Config) withDefaults() Config {
	if c.Logger == nil {
		c.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if c.HistoryMax == 0 {
		c.HistoryMax = DefaultHistoryMax
	}
	if c.KubeQPS == 0 {
		c.KubeQPS = DefaultKubeQPS
	}
	if c.KubeBurst == 0 {
		c.KubeBurst = DefaultKubeBurst
	}
	if c.RequestTimeout == 0 {
		c.RequestTimeout = DefaultRequestTimeout
	}
	if c.OpTimeout == 0 {
		c.OpTimeout = DefaultOpTimeout
	}
	if c.WaitTimeout == 0 {
		c.WaitTimeout = DefaultWaitTimeout
	}
	if c.PollInterval == 0 {
		c.PollInterval = DefaultPollInterval
	}
	return c
}

// Validate reports a config that cannot work.
func (c Config) Validate() error {
	var errs []error
	if c.HistoryMax < 1 {
		errs = append(errs, fmt.Errorf("history max %d: must be at least 1", c.HistoryMax))
	}
	if c.KubeQPS < 0 || c.KubeBurst < 1 {
		errs = append(errs, fmt.Errorf("kube qps %v / burst %d: must be positive", c.KubeQPS, c.KubeBurst))
	}
	for name, d := range map[string]time.Duration{
		"request timeout": c.RequestTimeout, "op timeout": c.OpTimeout,
		"wait timeout": c.WaitTimeout, "poll interval": c.PollInterval,
	} {
		if d <= 0 {
			errs = append(errs, fmt.Errorf("%s %v: must be positive", name, d))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("helm: config: %w", err)
	}
	return nil
}
