package node

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/asynkron/protoactor-go/cluster"
	"github.com/asynkron/protoactor-go/cluster/identitylookup/disthash"
	"github.com/asynkron/protoactor-go/eventstream"
	"github.com/asynkron/protoactor-go/remote"

	"github.com/pitrix/pitrix/cluster/gossip"
)

// ErrClosed is returned by calls on a closed node.
var ErrClosed = errors.New("node: closed")

// Node is one control-plane member: an actor system with protoactor remote
// and cluster, membership by gossip, and the kinds it hosts. It is safe for
// concurrent use.
type Node struct {
	cfg      Config
	log      *slog.Logger
	system   *actor.ActorSystem
	cluster  *cluster.Cluster
	provider *gossip.Provider
	topoSub  *eventstream.Subscription

	kinds []string // hosted kinds, sorted

	topoMu   sync.RWMutex
	topo     cluster.Members // last topology protoactor published
	rdv      *cluster.Rendezvous
	selfIn   bool
	topoWake chan struct{} // closed and replaced on every topology change

	spawnMu  sync.Mutex
	spawning actor.Mailbox // the mailbox of the activation being spawned, under spawnMu

	actsMu     sync.Mutex
	acts       map[*activation]struct{}
	passivated atomic.Uint64

	closed    atomic.Bool
	draining  atomic.Bool
	drainWG   sync.WaitGroup // a drain asked through the inspector
	closeOnce sync.Once
	closeErr  error
}

// Start starts a node hosting kinds and returns once it is a member whose
// topology contains itself, so Request works right away. ctx bounds the
// start-up (joining seeds, waiting for the topology); it is not retained.
func Start(ctx context.Context, cfg Config, kinds ...Kind) (*Node, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if err := validateKinds(kinds); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()

	n := &Node{
		cfg:      cfg,
		acts:     make(map[*activation]struct{}),
		rdv:      cluster.NewRendezvous(),
		topoWake: make(chan struct{}),
	}
	n.system = actor.NewActorSystem(actor.WithLoggerFactory(func(*actor.ActorSystem) *slog.Logger {
		return slog.New(demoteInfo{cfg.Logger.Handler()}).With("component", "protoactor")
	}))
	if n.cfg.Name == "" {
		n.cfg.Name = n.system.ID
	}
	n.log = cfg.Logger.With("component", "node", "node", n.system.ID)

	provider, err := gossip.New(n.cfg.gossipConfig())
	if err != nil {
		return nil, fmt.Errorf("node: %w", err)
	}
	n.provider = provider

	ckinds := make([]*cluster.Kind, 0, len(kinds))
	for _, k := range kinds {
		ckinds = append(ckinds, cluster.NewKind(k.Name, n.kindProps(k)))
		n.kinds = append(n.kinds, k.Name)
	}
	slices.Sort(n.kinds)
	ccfg := cluster.Configure(cfg.ClusterName, provider, disthash.New(),
		remote.Configure(cfg.Host, cfg.RemotePort),
		cluster.WithKinds(ckinds...),
		cluster.WithRequestTimeout(cfg.RequestTimeout))

	n.topoSub = n.system.EventStream.Subscribe(func(evt any) {
		if t, ok := evt.(*cluster.ClusterTopology); ok {
			n.setTopology(t.Members)
		}
	})
	// protoactor reports start-up failures (listen, provider) by panicking.
	if err := catch(func() {
		n.cluster = cluster.New(n.system, ccfg)
		n.cluster.StartMember()
	}); err != nil {
		n.abortStart()
		return nil, fmt.Errorf("node: start %s on %s, gossip %s: %w", n.system.ID, cfg.remoteAddr(), cfg.GossipAddr, err)
	}
	if err := n.spawnInspector(); err != nil {
		_ = n.Close()
		return nil, fmt.Errorf("node: start %s: %w", n.system.ID, err)
	}
	if err := n.waitReady(ctx); err != nil {
		_ = n.Close()
		return nil, fmt.Errorf("node: start %s: %w", n.system.ID, err)
	}
	n.log.Info("started", "name", n.cfg.Name, "remote_addr", n.system.Address(), "gossip_addr", provider.Addr(), "kinds", n.kinds)
	return n, nil
}

// catch runs f and turns a panic into an error.
func catch(f func()) (err error) {
	defer func() {
		if r := recover(); r != nil {
			if e, ok := r.(error); ok {
				err = e
			} else {
				err = fmt.Errorf("%v", r)
			}
		}
	}()
	f()
	return nil
}

// abortStart undoes a start that panicked half-way: it stops what the
// cluster may have started without assuming any of it exists.
func (n *Node) abortStart() {
	n.closed.Store(true)
	n.closeOnce.Do(func() {})
	_ = n.provider.Shutdown(false)
	n.system.EventStream.Unsubscribe(n.topoSub)
	if n.cluster != nil && n.cluster.Remote != nil {
		_ = catch(func() { n.cluster.Shutdown(false) })
	} else {
		n.system.Shutdown()
	}
}

func (n *Node) waitReady(ctx context.Context) error {
	for {
		n.topoMu.RLock()
		ready, wake := n.selfIn, n.topoWake
		n.topoMu.RUnlock()
		if ready {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("wait for own membership: %w", ctx.Err())
		case <-wake:
		}
	}
}

// setTopology records a topology protoactor published. It runs on the
// publisher's goroutine (the gossip provider's), synchronously.
func (n *Node) setTopology(members cluster.Members) {
	rdv := cluster.NewRendezvous()
	rdv.UpdateMembers(members)
	selfIn := false
	for _, m := range members {
		if m.Id == n.system.ID {
			selfIn = true
		}
	}
	n.topoMu.Lock()
	n.topo, n.rdv, n.selfIn = slices.Clone(members), rdv, selfIn
	close(n.topoWake)
	n.topoWake = make(chan struct{})
	n.topoMu.Unlock()
}

// ID returns the node's identity: its actor system ID, which is also its
// memberlist node name. It is fresh on every start.
func (n *Node) ID() string { return n.system.ID }

// Name returns the node's human label (Config.Name or the ID).
func (n *Node) Name() string { return n.cfg.Name }

// Address returns the node's protoactor remote address, "host:port".
func (n *Node) Address() string { return n.system.Address() }

// GossipAddr returns the node's memberlist address, "host:port", with the
// port actually bound; seeds for other nodes' Config.Join.
func (n *Node) GossipAddr() string { return n.provider.Addr() }

// System returns the underlying actor system, for spawning local
// (non-virtual) actors. Do not shut it down; use Close.
func (n *Node) System() *actor.ActorSystem { return n.system }

// Ready reports whether the node is open and its membership is up: the
// topology it places identities over contains itself.
func (n *Node) Ready() bool {
	if n.closed.Load() || n.draining.Load() {
		return false
	}
	n.topoMu.RLock()
	defer n.topoMu.RUnlock()
	return n.selfIn
}

// Member is a control-plane member as this node sees it.
type Member struct {
	// ID is the member's actor system ID.
	ID string
	// Name is its human label.
	Name string
	// Address is its protoactor remote "host:port"; empty if its metadata
	// did not decode.
	Address string
	// GossipAddr is its memberlist "host:port".
	GossipAddr string
	// Status is alive, suspect, dead or left.
	Status gossip.State
	// Self marks this node.
	Self bool
	// Kinds are the actor kinds it hosts (protoactor's internal ones left out).
	Kinds []string
}

// Members returns the members this node knows, recently departed ones
// included, sorted by ID. The slice is the caller's.
func (n *Node) Members() []Member {
	gm := n.provider.Members()
	out := make([]Member, 0, len(gm))
	for _, m := range gm {
		out = append(out, Member{
			ID:         m.ID,
			Name:       m.Name,
			Address:    m.Address(),
			GossipAddr: m.GossipAddr,
			Status:     m.State,
			Self:       m.Self,
			Kinds:      slices.DeleteFunc(m.Kinds, func(k string) bool { return k == cluster.TopicActorKind }),
		})
	}
	return out
}

// Close leaves the gossip, stops every activation on this node, and shuts
// down the cluster and remote. It waits for all of it (a few seconds:
// protoactor pauses for ownership hand-over), and is idempotent.
func (n *Node) Close() error {
	n.closeOnce.Do(func() {
		n.closed.Store(true)
		n.drainWG.Wait()
		n.log.Info("leaving")
		// Leave first, so peers re-place our identities while we drain.
		err := n.provider.Shutdown(true)
		n.cluster.Shutdown(true)
		n.system.EventStream.Unsubscribe(n.topoSub)
		n.closeErr = err
		n.log.Info("stopped")
	})
	return n.closeErr
}
