package node

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/pitrix/pitrix/cluster/gossip"
)

// inspectorName is the name of every node's activations inspector: a plain (not virtual)
// actor that answers "which activations do you hold" for the cluster-wide list.
const inspectorName = "pitrix-activations"

// The requests the inspector answers; remote messages must be protobuf, so they are a
// well-known wrapper rather than types of ours.
const (
	activationsQuery = "activations"
	countQuery       = "activation-count"
	drainRequest     = "drain"
)

// drainTimeout bounds a drain asked through the inspector.
const drainTimeout = time.Minute

// inspector answers activationsQuery with this node's activations as JSON.
type inspector struct{ n *Node }

func (i inspector) Receive(ctx actor.Context) {
	q, ok := ctx.Message().(*wrapperspb.StringValue)
	if !ok || ctx.Sender() == nil {
		return
	}
	switch q.GetValue() {
	case activationsQuery:
		b, err := json.Marshal(i.n.Activations())
		if err != nil { // a struct of strings, times and numbers: cannot fail
			b = []byte("[]")
		}
		ctx.Respond(wrapperspb.Bytes(b))
	case countQuery:
		ctx.Respond(wrapperspb.Int64(int64(i.n.ActivationCount())))
	case drainRequest:
		i.n.drainAsync()
		ctx.Respond(wrapperspb.Bool(true))
	}
}

// drainAsync starts Drain on a goroutine that Close waits for, first running
// Config.BeforeDrain; a node already draining or closed does nothing.
func (n *Node) drainAsync() {
	if n.draining.Load() || n.closed.Load() {
		return
	}
	n.drainWG.Go(func() {
		ctx, cancel := context.WithTimeout(context.Background(), drainTimeout)
		defer cancel()
		if n.cfg.BeforeDrain != nil {
			n.cfg.BeforeDrain(ctx)
		}
		if err := n.Drain(ctx); err != nil {
			n.log.Warn("drain", "err", err)
		}
	})
}

// DrainMember asks the member named name (its name or id) to drain (see Drain), itself
// included. It returns once the member has accepted; the drain goes on there.
func (n *Node) DrainMember(ctx context.Context, name string) error {
	for _, m := range n.Members() {
		if m.Name != name && m.ID != name {
			continue
		}
		if m.Status != gossip.Alive && m.Status != gossip.Suspect && !m.Self {
			return fmt.Errorf("%w: node %s is %s", ErrNoMember, name, m.Status)
		}
		wait := n.cfg.RequestTimeout
		if d, ok := ctx.Deadline(); ok {
			wait = min(wait, time.Until(d))
		}
		if _, err := n.system.Root.RequestFuture(actor.NewPID(m.Address, inspectorName), wrapperspb.String(drainRequest), wait).Result(); err != nil {
			return fmt.Errorf("ask node %s (%s) to drain: %w", name, m.Address, err)
		}
		return nil
	}
	return fmt.Errorf("%w: no member named %s", ErrNoMember, name)
}

func (n *Node) spawnInspector() error {
	_, err := n.system.Root.SpawnNamed(actor.PropsFromProducer(func() actor.Actor { return inspector{n} }), inspectorName)
	if err != nil {
		return fmt.Errorf("spawn the activations inspector: %w", err)
	}
	return nil
}

// MemberActivations is what one member answered for ClusterActivations.
type MemberActivations struct {
	Member      Member
	Activations []Activation
	// Count is how many activations the member holds.
	Count int
	// Err says why the member did not answer (then Activations is empty).
	Err error
}

// ClusterActivations asks every alive member, this one included, for its activations, in
// parallel, each bounded by ctx and timeout. A member that does not answer is reported with
// its error rather than left out.
func (n *Node) ClusterActivations(ctx context.Context, timeout time.Duration) []MemberActivations {
	return n.askMembers(ctx, timeout, false)
}

// ClusterActivationCounts is ClusterActivations with only the counts: cheap however many
// actors each member holds.
func (n *Node) ClusterActivationCounts(ctx context.Context, timeout time.Duration) []MemberActivations {
	return n.askMembers(ctx, timeout, true)
}

func (n *Node) askMembers(ctx context.Context, timeout time.Duration, countOnly bool) []MemberActivations {
	query := activationsQuery
	if countOnly {
		query = countQuery
	}
	var out []MemberActivations
	for _, m := range n.Members() {
		if m.Status == gossip.Alive || m.Status == gossip.Suspect || m.Self { // the placed members
			out = append(out, MemberActivations{Member: m})
		}
	}
	var wg sync.WaitGroup
	for i := range out {
		ma := &out[i]
		if ma.Member.Self {
			if ma.Count = n.ActivationCount(); !countOnly {
				ma.Activations = n.Activations()
				ma.Count = len(ma.Activations)
			}
			continue
		}
		wg.Go(func() {
			wait := timeout
			if d, ok := ctx.Deadline(); ok {
				wait = min(wait, time.Until(d))
			}
			res, err := n.system.Root.RequestFuture(actor.NewPID(ma.Member.Address, inspectorName), wrapperspb.String(query), wait).Result()
			if err != nil {
				ma.Err = fmt.Errorf("ask node %s (%s) for its activations: %w", ma.Member.Name, ma.Member.Address, err)
				return
			}
			if c, ok := res.(*wrapperspb.Int64Value); ok && countOnly {
				ma.Count = int(c.GetValue())
				return
			}
			b, ok := res.(*wrapperspb.BytesValue)
			if !ok || countOnly {
				ma.Err = fmt.Errorf("node %s answered %T for its activations", ma.Member.Name, res)
				return
			}
			if err := json.Unmarshal(b.GetValue(), &ma.Activations); err != nil {
				ma.Err = fmt.Errorf("node %s: activations: %w", ma.Member.Name, err)
			}
			ma.Count = len(ma.Activations)
		})
	}
	wg.Wait()
	return out
}
