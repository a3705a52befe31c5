package node

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strconv"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/asynkron/protoactor-go/cluster"

	"github.com/pitrix/pitrix/cluster/gossip"
)

// Config configures a Node. The zero value starts a single node on
// 127.0.0.1 with the remote on a free port and gossip on 127.0.0.1:7946.
type Config struct {
	// Name is the node's human label, shown in Members. Default: the actor
	// system ID. It is not the node's identity: the ID is fresh on every
	// start, because protoactor never readmits a member ID it saw leave.
	Name string
	// Host is the host the protoactor remote binds and advertises. Default
	// "127.0.0.1". It must be an address peers can dial, not 0.0.0.0.
	Host string
	// RemotePort is the protoactor remote's TCP port; 0 picks a free one.
	RemotePort int
	// GossipAddr is the memberlist bind "host:port"; port 0 picks a free
	// one (Node.GossipAddr reports it). Default gossip.DefaultBindAddr.
	GossipAddr string
	// Join lists seed nodes' gossip addresses; empty starts a new cluster.
	Join []string
	// ClusterName is the protoactor cluster name. Default "pitrix".
	ClusterName string
	// RequestTimeout bounds Request and Send when their ctx has no
	// deadline. Default 10s.
	RequestTimeout time.Duration
	// IdleTimeout passivates an activation that received no message for this long: it stops,
	// and the next request activates it again from its persisted state. An actor that
	// implements Busy() bool and returns true (a job or index running, a schedule armed) is
	// kept. 0 keeps every activation until its node stops.
	IdleTimeout time.Duration
	// BeforeDrain runs first when the node is asked to drain (DrainMember): e.g. hand the
	// replicated log's leadership to another node. Optional.
	BeforeDrain func(context.Context)
	// FastGossip selects memberlist timings for loopback tests
	// (gossip.Config.Fast).
	FastGossip bool
	// GossipKey encrypts gossip (gossip.Config.SecretKey); nil: plain gossip.
	GossipKey []byte
	// Logger receives the node's, memberlist's and protoactor's logs
	// (protoactor's Info is demoted to Debug: it logs every topology
	// change several times). Default: discard.
	Logger *slog.Logger
}

// Kind is an actor kind the node hosts. Every node of a cluster should host
// the same kinds: an identity is placed only over members hosting its kind.
type Kind struct {
	// Name identifies the kind in Request; a short lower-case noun.
	Name string
	// Producer returns a fresh actor for each activation.
	Producer func() actor.Actor
}

func (c Config) withDefaults() Config {
	if c.Host == "" {
		c.Host = "127.0.0.1"
	}
	if c.GossipAddr == "" {
		c.GossipAddr = gossip.DefaultBindAddr
	}
	if c.ClusterName == "" {
		c.ClusterName = "pitrix"
	}
	if c.RequestTimeout == 0 {
		c.RequestTimeout = 10 * time.Second
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	return c
}

// Validate reports whether c, after defaults, can start a node.
func (c Config) Validate() error {
	c = c.withDefaults()
	var errs []error
	if ip := net.ParseIP(c.Host); ip != nil && ip.IsUnspecified() {
		errs = append(errs, fmt.Errorf("host %q: peers cannot dial an unspecified address", c.Host))
	}
	if c.RemotePort < 0 || c.RemotePort > 65535 {
		errs = append(errs, fmt.Errorf("remote port %d: out of range", c.RemotePort))
	}
	if c.IdleTimeout < 0 {
		errs = append(errs, fmt.Errorf("idle timeout %v: negative", c.IdleTimeout))
	}
	if c.RequestTimeout < 0 {
		errs = append(errs, fmt.Errorf("request timeout %v: negative", c.RequestTimeout))
	}
	if err := c.gossipConfig().Validate(); err != nil {
		errs = append(errs, err)
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("node: config: %w", err)
	}
	return nil
}

func (c Config) gossipConfig() gossip.Config {
	return gossip.Config{
		BindAddr:  c.GossipAddr,
		Join:      c.Join,
		Fast:      c.FastGossip,
		Name:      c.Name,
		SecretKey: c.GossipKey,
		Logger:    c.Logger,
	}
}

func (c Config) remoteAddr() string {
	return net.JoinHostPort(c.Host, strconv.Itoa(c.RemotePort))
}

func validateKinds(kinds []Kind) error {
	seen := make(map[string]bool, len(kinds))
	var errs []error
	for i, k := range kinds {
		switch {
		case k.Name == "":
			errs = append(errs, fmt.Errorf("kind %d: empty name", i))
		case k.Name == cluster.TopicActorKind:
			errs = append(errs, fmt.Errorf("kind %q: reserved by protoactor", k.Name))
		case seen[k.Name]:
			errs = append(errs, fmt.Errorf("kind %q: registered twice", k.Name))
		case k.Producer == nil:
			errs = append(errs, fmt.Errorf("kind %q: nil producer", k.Name))
		}
		seen[k.Name] = true
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("node: kinds: %w", err)
	}
	return nil
}
