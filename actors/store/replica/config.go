package replica

import (
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"time"

	"github.com/pitrix/pitrix/actors/store"
)

// Config configures a Replica. Zero durations and counts mean the defaults.
type Config struct {
	// ID is the node's raft server id: stable across restarts (kept in its data dir) and
	// unique in the cluster. Required.
	ID string
	// StoreDir holds the state machine's pebble store; RaftDir the raft log, stable values
	// and snapshots. Both required.
	StoreDir, RaftDir string
	// Listen is the peer listener's address (raft and node-to-node RPC over mutual TLS);
	// port 0 picks one. Required.
	Listen string
	// Advertise is the address peers dial; default: the listener's address.
	Advertise string
	// ServerTLS and ClientTLS authenticate nodes to each other: both must require and verify
	// certificates of the cluster's CA. Required.
	ServerTLS, ClientTLS *tls.Config
	// Join lists peer addresses of existing members. With none and no raft state of its own,
	// the node bootstraps a new cluster; with some, it asks them to add it and waits.
	Join []string
	// ForceNewCluster makes this node, with the state its data holds, the only member of the
	// cluster before it starts: the recovery from a backup or from the loss of a quorum. Every
	// entry of its log counts as committed. Others then join it anew.
	ForceNewCluster bool
	// MaxVoters is how many servers vote (3 or 5 are sensible); further members replicate as
	// non-voters and are promoted when a voter goes. Default 3.
	MaxVoters int
	// DeadAfter is how long a server may be absent from Alive before the leader removes it
	// from the configuration. Default 30s.
	DeadAfter time.Duration
	// Alive reports the ids of the members that gossip sees alive; nil disables the removal
	// of dead servers and the promotion of non-voters.
	Alive func() map[string]bool
	// ApplyTimeout bounds one write when its ctx has no deadline, and a forwarded request on
	// the leader. Default 10s.
	ApplyTimeout time.Duration
	// SnapshotThreshold is how many log entries since the last snapshot start a new one (the
	// log before it is then compacted, keeping TrailingLogs). Defaults 8192 and 10240.
	SnapshotThreshold, TrailingLogs uint64
	// Fast selects short raft timeouts for tests on loopback.
	Fast bool
	// Store configures the state machine's store (Replicated is forced on).
	Store store.Config
	// Logger receives raft's log and ours. Default: discard.
	Logger *slog.Logger
	// Reachable is fault injection for tests (a network partition without iptables); leave it
	// nil in production. When set, it is asked with the peer's name (its certificate's common
	// name) after every TLS handshake, on the dialling and the accepting side, and before
	// every read and write on a peer connection: false refuses or closes the connection, so
	// the peer gets nothing from this node and this node nothing from it.
	Reachable func(peer string) bool
}

func (c Config) withDefaults() Config {
	if c.MaxVoters == 0 {
		c.MaxVoters = 3
	}
	if c.DeadAfter == 0 {
		c.DeadAfter = 30 * time.Second
	}
	if c.ApplyTimeout == 0 {
		c.ApplyTimeout = 10 * time.Second
	}
	if c.SnapshotThreshold == 0 {
		c.SnapshotThreshold = 8192
	}
	if c.TrailingLogs == 0 {
		c.TrailingLogs = 10240
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	c.Store.Replicated = true
	return c
}

// Validate reports every field that is missing or out of range.
func (c Config) Validate() error {
	var errs []error
	if c.ID == "" {
		errs = append(errs, errors.New("replica: config: ID is empty"))
	}
	if c.StoreDir == "" || c.RaftDir == "" {
		errs = append(errs, errors.New("replica: config: StoreDir and RaftDir are required"))
	}
	if _, _, err := net.SplitHostPort(c.Listen); err != nil {
		errs = append(errs, fmt.Errorf("replica: config: Listen %q: %w", c.Listen, err))
	}
	if c.ServerTLS == nil || c.ClientTLS == nil {
		errs = append(errs, errors.New("replica: config: ServerTLS and ClientTLS are required"))
	}
	if c.MaxVoters < 0 || c.MaxVoters > 9 {
		errs = append(errs, fmt.Errorf("replica: config: MaxVoters %d: want 1 to 9", c.MaxVoters))
	}
	if c.DeadAfter < 0 || c.ApplyTimeout < 0 {
		errs = append(errs, errors.New("replica: config: negative duration"))
	}
	return errors.Join(errs...)
}
