package gossip

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/asynkron/protoactor-go/cluster"
	"github.com/hashicorp/memberlist"
)

// ErrClientUnsupported is returned by StartClient: a memberlist observer
// would have to join the gossip, which makes it a member.
var ErrClientUnsupported = errors.New("gossip: cluster clients are not supported")

// ErrClosed is returned when starting a provider that was shut down.
var ErrClosed = errors.New("gossip: provider closed")

// topologySink receives the placed member list. In production it is the
// protoactor cluster's *cluster.MemberList; tests record what they get.
type topologySink interface {
	UpdateClusterTopology(members cluster.Members)
}

// Provider is a protoactor cluster.ClusterProvider backed by hashicorp
// memberlist. Start it through protoactor (cluster.StartMember calls
// StartMember); stop it with Shutdown, which may be called before the
// cluster's own shutdown and again by it.
type Provider struct {
	cfg Config
	log *slog.Logger

	mu      sync.Mutex
	started bool
	closed  bool
	self    string
	meta    Meta
	table   *table
	ml      *memberlist.Memberlist
	addr    string

	kick chan struct{} // capacity 1: "the table changed"
	stop chan struct{} // closed to stop the publisher
	wg   sync.WaitGroup
}

var _ cluster.ClusterProvider = (*Provider)(nil)

// New returns an unstarted provider.
func New(cfg Config) (*Provider, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	return &Provider{
		cfg:  cfg,
		log:  cfg.Logger.With("component", "gossip"),
		kick: make(chan struct{}, 1),
		stop: make(chan struct{}),
	}, nil
}

// StartMember is called by protoactor's cluster.StartMember once its remote
// listens. It creates the memberlist node named after the actor system ID,
// advertising the remote address and the cluster's kinds in the node
// metadata, joins the seeds and starts pushing the topology.
func (p *Provider) StartMember(c *cluster.Cluster) error {
	host, port, err := c.ActorSystem.GetHostPort()
	if err != nil {
		return fmt.Errorf("gossip: remote address %q: %w", c.ActorSystem.Address(), err)
	}
	kinds := c.GetClusterKinds()
	slices.Sort(kinds)
	meta := Meta{Name: p.cfg.Name, Host: host, Port: port, Kinds: kinds}
	return p.start(c.ActorSystem.ID, meta, c.MemberList)
}

// StartClient returns ErrClientUnsupported.
func (p *Provider) StartClient(*cluster.Cluster) error { return ErrClientUnsupported }

// start is StartMember without protoactor: it gossips meta under the node
// name id and sends every change of the placed members to sink.
func (p *Provider) start(id string, meta Meta, sink topologySink) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	switch {
	case p.closed:
		return ErrClosed
	case p.started:
		return errors.New("gossip: provider already started")
	}
	if _, err := EncodeMeta(meta); err != nil {
		return fmt.Errorf("gossip: metadata of %s: %w", id, err)
	}
	p.self, p.meta, p.table = id, meta, newTable(id)

	mc := p.cfg.memberlistConfig(id)
	if len(p.cfg.SecretKey) > 0 {
		mc.SecretKey = p.cfg.SecretKey
		mc.GossipVerifyIncoming, mc.GossipVerifyOutgoing = true, true
	}
	mc.Delegate = (*metaDelegate)(p)
	mc.Events = (*eventDelegate)(p)
	mc.Ping = (*pingDelegate)(p)
	mc.Logger = newStdLogger(&logWriter{logger: p.log, onSuspect: p.onSuspect})

	// memberlist calls the delegates during Create, which take p.mu; release
	// it meanwhile. started guards against a concurrent second start.
	p.started = true
	p.mu.Unlock()
	ml, err := memberlist.Create(mc)
	p.mu.Lock()
	if err != nil {
		return fmt.Errorf("gossip: start memberlist on %s: %w", p.cfg.BindAddr, err)
	}
	p.ml = ml
	p.addr = ml.LocalNode().Address()

	p.wg.Go(func() { p.publish(sink) })
	p.poke()

	if len(p.cfg.Join) > 0 {
		p.mu.Unlock()
		n, err := ml.Join(p.cfg.Join)
		p.mu.Lock()
		if err != nil {
			p.log.Warn("join failed", "seeds", p.cfg.Join, "err", err)
			return fmt.Errorf("gossip: join %v: %w", p.cfg.Join, err)
		}
		p.log.Info("joined", "seeds", p.cfg.Join, "contacted", n)
	}
	p.log.Info("started", "node", id, "gossip_addr", p.addr, "remote_addr", net.JoinHostPort(meta.Host, strconv.Itoa(meta.Port)))
	return nil
}

// Addr returns the gossip address peers dial ("host:port", with the port
// actually bound), or "" before the provider starts.
func (p *Provider) Addr() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.addr
}

// Members returns every member this node knows, the departed ones
// included, sorted by ID. The slice is the caller's.
func (p *Provider) Members() []Member {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.table == nil {
		return nil
	}
	return p.table.list()
}

// Shutdown leaves the gossip (announcing it, then waiting up to
// Config.LeaveTimeout for the leave to spread) and stops memberlist. It is
// idempotent; graceful=false skips the announcement, and peers will then
// see this member as dead after their failure detector fires.
func (p *Provider) Shutdown(graceful bool) error {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return nil
	}
	p.closed = true
	ml := p.ml
	p.meta.Leaving = true
	p.mu.Unlock()

	// Stop publishing first: from here on the topology only shrinks as
	// peers notice, and pushing a list without ourselves to our own cluster
	// would only stop local activations early.
	close(p.stop)
	p.wg.Wait()
	if ml == nil {
		return nil
	}

	var errs []error
	if graceful {
		// Re-gossip our metadata with Leaving set, so peers record "left"
		// rather than "dead" and drop us from placement right away.
		if err := ml.UpdateNode(p.cfg.LeaveTimeout); err != nil {
			p.log.Warn("announce leaving", "err", err)
		}
		if err := ml.Leave(p.cfg.LeaveTimeout); err != nil {
			errs = append(errs, fmt.Errorf("gossip: leave: %w", err))
		}
	}
	if err := ml.Shutdown(); err != nil {
		errs = append(errs, fmt.Errorf("gossip: shutdown memberlist: %w", err))
	}
	p.log.Info("stopped", "node", p.self, "graceful", graceful)
	return errors.Join(errs...)
}

// poke wakes the publisher without blocking; a pending wake-up already
// covers this change.
func (p *Provider) poke() {
	select {
	case p.kick <- struct{}{}:
	default:
	}
}

// publish pushes the placed members to sink on every change until stop
// closes. It runs on its own goroutine because memberlist calls the event
// delegate with its node lock held, and the sink may take a while (it
// notifies every protoactor subscriber synchronously).
func (p *Provider) publish(sink topologySink) {
	for {
		select {
		case <-p.stop:
			return
		case <-p.kick:
		}
		p.mu.Lock()
		members := p.table.topology()
		p.mu.Unlock()
		sink.UpdateClusterTopology(members)
	}
}

func (p *Provider) onSuspect(node string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.table != nil && p.table.suspect(node, time.Now()) {
		p.log.Warn("member suspect", "node", node)
	}
}

// metaDelegate is memberlist's Delegate: it serves our metadata and carries
// no user messages or state.
type metaDelegate Provider

func (d *metaDelegate) NodeMeta(limit int) []byte {
	p := (*Provider)(d)
	p.mu.Lock()
	meta := p.meta
	p.mu.Unlock()
	b, err := EncodeMeta(meta)
	if err != nil || len(b) > limit {
		// start checked the metadata; only Leaving changes afterwards.
		p.log.Error("encode metadata", "err", err, "limit", limit)
		return nil
	}
	return b
}

func (d *metaDelegate) NotifyMsg([]byte)                    {}
func (d *metaDelegate) GetBroadcasts(int, int) [][]byte     { return nil }
func (d *metaDelegate) LocalState(bool) []byte              { return nil }
func (d *metaDelegate) MergeRemoteState(buf []byte, _ bool) {}

// eventDelegate records memberlist's join, update and leave notices. They
// arrive with memberlist's node lock held, so it only updates the table and
// wakes the publisher.
type eventDelegate Provider

func (d *eventDelegate) NotifyJoin(n *memberlist.Node)   { d.upsert(n, "joined") }
func (d *eventDelegate) NotifyUpdate(n *memberlist.Node) { d.upsert(n, "updated") }

func (d *eventDelegate) upsert(n *memberlist.Node, what string) {
	p := (*Provider)(d)
	p.mu.Lock()
	p.table.upsert(n.Name, n.Address(), n.Meta, time.Now())
	m := p.table.members[n.Name]
	p.mu.Unlock()
	if m.MetaErr != nil {
		p.log.Warn("member metadata rejected", "node", n.Name, "gossip_addr", n.Address(), "err", m.MetaErr)
	} else {
		p.log.Info("member "+what, "node", n.Name, "gossip_addr", n.Address(), "state", m.State)
	}
	p.poke()
}

func (d *eventDelegate) NotifyLeave(n *memberlist.Node) {
	p := (*Provider)(d)
	p.mu.Lock()
	p.table.leave(n.Name, n.Address(), time.Now())
	state := p.table.members[n.Name].State
	p.mu.Unlock()
	p.log.Info("member gone", "node", n.Name, "gossip_addr", n.Address(), "state", state)
	p.poke()
}

// pingDelegate clears suspicion when a probe of the member succeeds again.
type pingDelegate Provider

func (d *pingDelegate) AckPayload() []byte { return nil }

func (d *pingDelegate) NotifyPingComplete(other *memberlist.Node, _ time.Duration, _ []byte) {
	p := (*Provider)(d)
	p.mu.Lock()
	changed := p.table.acked(other.Name, time.Now())
	p.mu.Unlock()
	if changed {
		p.log.Info("member alive again", "node", other.Name)
	}
}
