package node

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"github.com/asynkron/protoactor-go/cluster"
	"github.com/asynkron/protoactor-go/cluster/identitylookup/disthash"
	"github.com/asynkron/protoactor-go/remote"
	"google.golang.org/protobuf/proto"
)

// Request errors. Every error Request and Send return wraps one of these,
// the caller's ctx error, or a response-type error, and names the kind and
// identity.
var (
	// ErrTimeout: no reply before the deadline (ctx's, else
	// Config.RequestTimeout), including a nil reply.
	ErrTimeout = errors.New("node: request timed out")
	// ErrUnknownKind: no member in the topology hosts the kind.
	ErrUnknownKind = errors.New("node: no member hosts kind")
	// ErrNoMember: no alive member has the name asked for.
	ErrNoMember = errors.New("node: no such member")
	// ErrDraining: the node is draining (Drain) and hosts no actor any more.
	ErrDraining = errors.New("node: draining; it hosts no actors")
	// ErrBadResponse: the actor replied with something that is not a
	// protobuf message.
	ErrBadResponse = errors.New("node: response is not a protobuf message")
)

// Retry back-off while an identity's owner is changing (a member left and
// the topology has not caught up, or the old activation is stopping).
const (
	minBackoff = 10 * time.Millisecond
	maxBackoff = 250 * time.Millisecond
)

// Request sends msg to the virtual actor kind/identity, activating it on
// its owner if needed, and returns the reply. The wait is bounded by ctx's
// deadline, or Config.RequestTimeout when ctx has none; cancellation of ctx
// is noticed between attempts, not during one. msg and the reply must be
// protobuf messages: protoactor drops anything else between nodes.
//
// Request retries while ownership moves (dead letters from a departed
// member's activation); it does not retry a request that timed out, which
// may have been processed.
func (n *Node) Request(ctx context.Context, kind, identity string, msg proto.Message) (proto.Message, error) {
	res, err := n.request(ctx, kind, identity, msg)
	if err != nil {
		return nil, fmt.Errorf("request %s/%s: %w", kind, identity, err)
	}
	return res, nil
}

// Send delivers msg to kind/identity without waiting for a reply. It blocks
// only to locate (and, if needed, activate) the actor, within the same
// bounds as Request; delivery itself is not confirmed.
func (n *Node) Send(ctx context.Context, kind, identity string, msg proto.Message) error {
	deadline := n.deadline(ctx)
	ci := cluster.NewClusterIdentity(identity, kind)
	pid, err := n.locate(ctx, ci, deadline)
	if err != nil {
		return fmt.Errorf("send %s/%s: %w", kind, identity, err)
	}
	n.system.Root.Send(pid, msg)
	return nil
}

func (n *Node) deadline(ctx context.Context) time.Time {
	if d, ok := ctx.Deadline(); ok {
		return d
	}
	return time.Now().Add(n.cfg.RequestTimeout)
}

func (n *Node) request(ctx context.Context, kind, identity string, msg proto.Message) (proto.Message, error) {
	deadline := n.deadline(ctx)
	ci := cluster.NewClusterIdentity(identity, kind)
	backoff := minBackoff
	for {
		pid, err := n.locate(ctx, ci, deadline)
		if err != nil {
			return nil, err
		}
		remaining := time.Until(deadline)
		if remaining <= 0 {
			return nil, ErrTimeout
		}
		res, err := n.system.Root.RequestFuture(pid, msg, remaining).Result()
		switch {
		case err == nil && res == nil:
			return nil, fmt.Errorf("%w: nil reply", ErrTimeout)
		case err == nil:
			pm, ok := res.(proto.Message)
			if !ok {
				return nil, fmt.Errorf("%w: got %T", ErrBadResponse, res)
			}
			return pm, nil
		case isTimeout(err):
			n.cluster.PidCache.RemoveByValue(identity, kind, pid)
			return nil, ErrTimeout
		case isDeadLetter(err):
			// The activation stopped (moved, or its node left): forget it
			// and locate the identity again.
			n.cluster.PidCache.RemoveByValue(identity, kind, pid)
		default:
			return nil, err
		}
		if err := n.pause(ctx, deadline, &backoff); err != nil {
			return nil, err
		}
	}
}

// locate returns the PID of ci's activation, asking the owner's disthash
// placement actor to activate it if this node has none cached. It is
// disthash's own Get, with the caller's deadline instead of a fixed 5s.
func (n *Node) locate(ctx context.Context, ci *cluster.ClusterIdentity, deadline time.Time) (*actor.PID, error) {
	backoff := minBackoff
	for {
		if n.closed.Load() {
			return nil, ErrClosed
		}
		if err := ctx.Err(); err != nil {
			return nil, ctxErr(err)
		}
		if pid, ok := n.cluster.PidCache.Get(ci.Identity, ci.Kind); ok && pid != nil {
			return pid, nil
		}
		owner, err := n.owner(ci)
		if err != nil {
			return nil, err
		}
		if owner == n.system.Address() && n.draining.Load() {
			return nil, fmt.Errorf("%w: %s/%s would activate here", ErrDraining, ci.Kind, ci.Identity)
		}
		remaining := time.Until(deadline)
		if remaining <= 0 {
			return nil, ErrTimeout
		}
		activator := actor.NewPID(owner, disthash.PartitionActivatorActorName)
		res, err := n.system.Root.RequestFuture(activator, &cluster.ActivationRequest{ClusterIdentity: ci}, remaining).Result()
		switch {
		case err == nil:
			if r, ok := res.(*cluster.ActivationResponse); ok && r.GetPid() != nil && !r.GetFailed() {
				n.cluster.PidCache.Set(ci.Identity, ci.Kind, r.GetPid())
				return r.GetPid(), nil
			}
			// The owner does not host the kind (yet): retry until the
			// topologies agree or the deadline passes.
		case isTimeout(err):
			return nil, fmt.Errorf("%w: activation on %s", ErrTimeout, owner)
		case isDeadLetter(err):
			// The owner is gone; wait for the topology to drop it.
		default:
			return nil, fmt.Errorf("activate on %s: %w", owner, err)
		}
		if err := n.pause(ctx, deadline, &backoff); err != nil {
			return nil, err
		}
	}
}

// owner returns the remote address of the member ci is placed on, by the
// same rendezvous hash over the same topology that disthash uses.
func (n *Node) owner(ci *cluster.ClusterIdentity) (string, error) {
	n.topoMu.RLock()
	rdv, topo := n.rdv, n.topo
	n.topoMu.RUnlock()
	if owner := rdv.GetByClusterIdentity(ci); owner != "" {
		return owner, nil
	}
	return "", fmt.Errorf("%w (%d members in topology)", ErrUnknownKind, len(topo))
}

// pause waits out one back-off step, doubling it, unless that would pass
// the deadline or ctx ends first.
func (n *Node) pause(ctx context.Context, deadline time.Time, backoff *time.Duration) error {
	d := *backoff
	*backoff = min(2*d, maxBackoff)
	if time.Until(deadline) <= d {
		return ErrTimeout
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctxErr(ctx.Err())
	case <-t.C:
		return nil
	}
}

// ctxErr makes a passed deadline an ErrTimeout too, so callers need test
// only one sentinel; cancellation stays context.Canceled.
func ctxErr(err error) error {
	if errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("%w: %w", ErrTimeout, err)
	}
	return err
}

func isTimeout(err error) bool {
	return errors.Is(err, actor.ErrTimeout) || errors.Is(err, remote.ErrTimeout)
}

func isDeadLetter(err error) bool {
	return errors.Is(err, actor.ErrDeadLetter) || errors.Is(err, remote.ErrDeadLetter)
}
