package node

import (
	"cmp"
	"slices"
	"sync/atomic"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/asynkron/protoactor-go/cluster"
	"github.com/asynkron/protoactor-go/ctxext"
)

// Activation is a live virtual actor on this node.
type Activation struct {
	Kind string
	// ID is the grain identity.
	ID string
	// Node is the hosting node's ID, NodeName its name.
	Node          string
	NodeName      string
	ActivatedAt   time.Time
	LastMessageAt time.Time
	// MailboxLen is the number of user messages waiting in its mailbox.
	MailboxLen int
	// Messages counts the user messages it received (lifecycle ones excluded).
	Messages uint64
}

// activationExt is the context-extension slot holding an activation
// record. protoactor hands out these IDs from a process-wide counter; this
// one is taken once and never changes.
var activationExt = ctxext.NextContextExtensionID()

// activation is the node's record of one actor. initActivation creates it with
// the actor's mailbox and stores it in the actor context, so the receive
// middleware finds it without a lookup.
type activation struct {
	mailbox actor.Mailbox

	// Set on Started, before the record is published; read-only after.
	kind, id    string
	pid         *actor.PID
	activatedAt time.Time

	lastMessage atomic.Int64 // unix nanoseconds
	messages    atomic.Uint64
}

func (a *activation) ExtensionID() ctxext.ContextExtensionID { return activationExt }

// Identity returns the identity of the virtual actor running in ctx, as
// given to Request; "" for actors that are not cluster grains. It is
// available from the first message (*actor.Started) on, so an actor can
// load its state by it when it activates.
func Identity(ctx actor.Context) string {
	if ci := clusterIdentity(ctx); ci != nil {
		return ci.Identity
	}
	return ""
}

// clusterIdentity reads the identity disthash stores in a grain's context.
// cluster.GetClusterIdentity panics for non-grains; this does not.
func clusterIdentity(ctx actor.ExtensionContext) *cluster.ClusterIdentity {
	ci, _ := ctx.Get((*cluster.ClusterIdentity)(nil).ExtensionID()).(*cluster.ClusterIdentity)
	return ci
}

// kindProps returns the props for a hosted kind: its producer, with a spawner, mailbox and
// init that give each activation its own mailbox and record, and a receive middleware that
// keeps the record current. The props are built once per kind, not per activation: an idle
// activation costs what protoactor needs and our record, nothing more.
func (n *Node) kindProps(k Kind) *actor.Props {
	return actor.PropsFromProducer(k.Producer,
		actor.WithSpawnFunc(n.spawn),
		actor.WithMailbox(n.produceMailbox),
		actor.WithOnInit(n.initActivation),
		actor.WithReceiverMiddleware(n.track(k.Name)),
	)
}

// spawn is protoactor's default spawner, one at a time: the default spawner creates the
// mailbox (produceMailbox) and runs the init (initActivation) synchronously, so under
// spawnMu the init finds the mailbox just made for its actor in n.spawning.
func (n *Node) spawn(system *actor.ActorSystem, id string, props *actor.Props, parent actor.SpawnerContext) (*actor.PID, error) {
	n.spawnMu.Lock()
	defer n.spawnMu.Unlock()
	n.spawning = nil
	return actor.DefaultSpawner(system, id, props, parent)
}

// produceMailbox makes an activation's mailbox (lock-free: the smallest protoactor has) and
// keeps it for initActivation. Called under spawnMu.
func (n *Node) produceMailbox() actor.Mailbox {
	mb := actor.UnboundedLockfree()()
	n.spawning = mb
	return mb
}

// initActivation puts the activation's record, with its mailbox, in the actor context before
// any message. Called under spawnMu.
func (n *Node) initActivation(ctx actor.Context) {
	ctx.Set(&activation{mailbox: n.spawning})
}

// track is the receive middleware of every hosted kind. It is the outermost
// one, so it sees Started and Stopped but not protoactor's ClusterInit.
func (n *Node) track(kind string) actor.ReceiverMiddleware {
	return func(next actor.ReceiverFunc) actor.ReceiverFunc {
		return func(c actor.ReceiverContext, env *actor.MessageEnvelope) {
			rec, _ := c.Get(activationExt).(*activation)
			if rec == nil {
				next(c, env)
				return
			}
			switch env.Message.(type) {
			case *actor.Started:
				if rec.activatedAt.IsZero() { // not a supervisor restart
					rec.kind, rec.activatedAt = kind, time.Now()
					if ac, ok := c.(actor.Context); ok {
						rec.pid = ac.Self()
					}
					if ci := clusterIdentity(c); ci != nil {
						rec.id = ci.Identity
					}
					n.actsMu.Lock()
					n.acts[rec] = struct{}{}
					n.actsMu.Unlock()
					n.armIdle(c)
				}
			case *actor.Stopped:
				n.actsMu.Lock()
				delete(n.acts, rec)
				n.actsMu.Unlock()
			case *actor.ReceiveTimeout:
				n.passivate(c, rec)
				return // ours, not the actor's
			case actor.AutoReceiveMessage, actor.SystemMessage: // lifecycle, not work
			default:
				rec.lastMessage.Store(time.Now().UnixNano())
				rec.messages.Add(1)
			}
			next(c, env)
		}
	}
}

// ActivationCount returns how many virtual actors are live on this node.
func (n *Node) ActivationCount() int {
	n.actsMu.Lock()
	defer n.actsMu.Unlock()
	return len(n.acts)
}

// Activations returns the live virtual actors on this node, sorted by kind
// and ID. The slice is the caller's.
func (n *Node) Activations() []Activation {
	n.actsMu.Lock()
	out := make([]Activation, 0, len(n.acts))
	for rec := range n.acts {
		a := Activation{
			Kind:        rec.kind,
			ID:          rec.id,
			Node:        n.system.ID,
			NodeName:    n.cfg.Name,
			ActivatedAt: rec.activatedAt,
			MailboxLen:  rec.mailbox.UserMessageCount(),
			Messages:    rec.messages.Load(),
		}
		if ns := rec.lastMessage.Load(); ns != 0 {
			a.LastMessageAt = time.Unix(0, ns)
		}
		out = append(out, a)
	}
	n.actsMu.Unlock()
	slices.SortFunc(out, func(a, b Activation) int {
		return cmp.Or(cmp.Compare(a.Kind, b.Kind), cmp.Compare(a.ID, b.ID))
	})
	return out
}

// Busy is what an actor implements to refuse passivation while it has work that lives only in
// its memory (a running job, an index in progress, an armed schedule).
type Busy interface{ Busy() bool }

// armIdle starts the activation's idle timer (Config.IdleTimeout); protoactor resets it on
// every user message.
func (n *Node) armIdle(c actor.ReceiverContext) {
	if n.cfg.IdleTimeout <= 0 {
		return
	}
	if ac, ok := c.(actor.Context); ok {
		ac.SetReceiveTimeout(n.cfg.IdleTimeout)
	}
}

// passivate stops an idle activation unless it is busy or a message is already waiting; its
// state is persisted, so the next request activates it again. It is poisoned rather than
// stopped so that a message queued ahead of the poison is still answered.
func (n *Node) passivate(c actor.ReceiverContext, rec *activation) {
	if b, ok := c.Actor().(Busy); (ok && b.Busy()) || rec.mailbox.UserMessageCount() > 0 {
		n.armIdle(c) // the timer fired once; arm it again
		return
	}
	ac, ok := c.(actor.Context)
	if !ok {
		return
	}
	n.passivated.Add(1)
	n.log.Debug("passivate idle activation", "kind", rec.kind, "id", rec.id)
	ac.Poison(ac.Self())
}

// Passivated counts the activations this node stopped for being idle.
func (n *Node) Passivated() uint64 { return n.passivated.Load() }
