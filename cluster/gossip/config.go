package gossip

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strconv"
	"time"

	"github.com/hashicorp/memberlist"
)

// DefaultBindAddr is the memberlist address used when Config.BindAddr is empty.
const DefaultBindAddr = "127.0.0.1:7946"

// Config configures a Provider. The zero value is usable: it binds
// DefaultBindAddr with memberlist's LAN timings and logs nowhere.
type Config struct {
	// BindAddr is the memberlist "host:port" for both UDP and TCP. Port 0
	// picks a free port; Provider.Addr reports the one chosen. Default
	// DefaultBindAddr.
	BindAddr string
	// AdvertiseAddr is the "host:port" peers should dial, when it differs
	// from BindAddr (NAT, 0.0.0.0 binds). Port 0 means "the bound port";
	// so does any port when BindAddr's port is 0 (memberlist overrides it).
	// Default: derived from BindAddr by memberlist.
	AdvertiseAddr string
	// Name is a human label for this member, gossiped in Meta.Name (at
	// most 128 bytes). The member's identity is the actor system ID.
	Name string
	// Join lists seed members' gossip addresses. Starting fails if none of
	// them answers; an empty list starts a new cluster.
	Join []string
	// Fast selects timings for tests on loopback: failures are detected in
	// about a second instead of several, at the cost of more traffic and
	// more false suspicions under load. Never use it across a real network.
	Fast bool
	// LeaveTimeout bounds how long Shutdown waits for the leave message to
	// be gossiped. Default 2s.
	LeaveTimeout time.Duration
	// SecretKey, when set (16, 24 or 32 bytes), encrypts and authenticates
	// all gossip (memberlist's AES-GCM keyring): a process without it can
	// neither read the cluster's gossip nor join it.
	SecretKey []byte
	// Logger receives memberlist's logs and the provider's own. Default:
	// a logger that discards everything.
	Logger *slog.Logger
}

func (c Config) withDefaults() Config {
	if c.BindAddr == "" {
		c.BindAddr = DefaultBindAddr
	}
	if c.LeaveTimeout == 0 {
		c.LeaveTimeout = 2 * time.Second
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	return c
}

// Validate reports whether c, after defaults, can start a provider.
func (c Config) Validate() error {
	c = c.withDefaults()
	var errs []error
	if _, _, err := splitHostPort(c.BindAddr); err != nil {
		errs = append(errs, fmt.Errorf("bind address %q: %w", c.BindAddr, err))
	}
	if c.AdvertiseAddr != "" {
		if _, _, err := splitHostPort(c.AdvertiseAddr); err != nil {
			errs = append(errs, fmt.Errorf("advertise address %q: %w", c.AdvertiseAddr, err))
		}
	}
	for _, j := range c.Join {
		if _, port, err := splitHostPort(j); err != nil || port == 0 {
			errs = append(errs, fmt.Errorf("join address %q: want host:port with a non-zero port", j))
		}
	}
	if len(c.Name) > maxNameLen {
		errs = append(errs, fmt.Errorf("name %q: longer than %d bytes", c.Name, maxNameLen))
	}
	if c.LeaveTimeout < 0 {
		errs = append(errs, fmt.Errorf("leave timeout %v: negative", c.LeaveTimeout))
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("gossip: config: %w", err)
	}
	return nil
}

func splitHostPort(addr string) (string, int, error) {
	host, p, err := net.SplitHostPort(addr)
	if err != nil {
		return "", 0, err
	}
	if host == "" {
		return "", 0, errors.New("empty host")
	}
	port, err := strconv.Atoi(p)
	if err != nil || port < 0 || port > 65535 {
		return "", 0, fmt.Errorf("port %q out of range", p)
	}
	return host, port, nil
}

// memberlistConfig translates c into memberlist's configuration. c must be
// valid and have defaults applied.
func (c Config) memberlistConfig(name string) *memberlist.Config {
	var mc *memberlist.Config
	if c.Fast {
		mc = memberlist.DefaultLocalConfig()
		// Detection in roughly a second on loopback, with enough slack that
		// a test machine under -race does not declare live members dead.
		mc.ProbeInterval = 200 * time.Millisecond
		mc.ProbeTimeout = 100 * time.Millisecond
		mc.SuspicionMult = 4
		mc.GossipInterval = 50 * time.Millisecond
		mc.PushPullInterval = 2 * time.Second
		mc.TCPTimeout = time.Second
		mc.GossipToTheDeadTime = 5 * time.Second
	} else {
		mc = memberlist.DefaultLANConfig()
	}
	mc.Name = name
	host, port, _ := splitHostPort(c.BindAddr)
	mc.BindAddr, mc.BindPort = host, port
	mc.AdvertiseAddr, mc.AdvertisePort = "", port
	if c.AdvertiseAddr != "" {
		ahost, aport, _ := splitHostPort(c.AdvertiseAddr)
		mc.AdvertiseAddr = ahost
		if aport != 0 {
			mc.AdvertisePort = aport
		}
	}
	return mc
}
