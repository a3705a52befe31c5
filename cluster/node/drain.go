package node

import (
	"context"
	"fmt"
	"time"
)

// Drain moves this node's actors to the other members before it stops. It leaves the gossip
// (the others drop it from placement at once and activate its identities on themselves on
// their next request), then stops its own activations, each after the message it is handling,
// and waits for them within ctx. From then on the node hosts nothing: Ready is false and a
// request that would activate an actor here fails with ErrDraining. It cannot host again until
// it restarts (protoactor never readmits a member id that left); it is what an operator does
// before stopping a node. Draining twice is a no-op.
func (n *Node) Drain(ctx context.Context) error {
	if n.closed.Load() {
		return ErrClosed
	}
	if !n.draining.CompareAndSwap(false, true) {
		return nil
	}
	n.log.Info("draining: leaving placement")
	if err := n.provider.Shutdown(true); err != nil {
		n.log.Warn("drain: leave gossip", "err", err)
	}
	n.actsMu.Lock()
	for rec := range n.acts {
		if rec.pid != nil {
			n.system.Root.Poison(rec.pid)
		}
	}
	n.actsMu.Unlock()
	for {
		n.actsMu.Lock()
		left := len(n.acts)
		n.actsMu.Unlock()
		if left == 0 {
			n.log.Info("drained")
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("drain: %d activations still stopping: %w", left, ctx.Err())
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// Draining reports whether Drain was called.
func (n *Node) Draining() bool { return n.draining.Load() }
