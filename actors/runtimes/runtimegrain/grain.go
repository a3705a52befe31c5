package runtimegrain

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/asynkron/protoactor-go/actor"

	"github.com/pitrix/pitrix/actors/actorpb"
	"github.com/pitrix/pitrix/actors/entity"
	"github.com/pitrix/pitrix/actors/fault"
	"github.com/pitrix/pitrix/actors/runtimes"
	"github.com/pitrix/pitrix/actors/store"
	"github.com/pitrix/pitrix/cluster/node"
)

// Deps are what a runtime actor needs.
type Deps struct {
	Store  store.Store
	Now    func() time.Time
	Logger *slog.Logger
	// WriteTimeout bounds one store write from inside the actor.
	WriteTimeout time.Duration
}

// Kind returns the actor kind to host on a node.
func Kind(d Deps) node.Kind {
	if d.Now == nil {
		d.Now = time.Now
	}
	if d.Logger == nil {
		d.Logger = slog.New(slog.DiscardHandler)
	}
	if d.WriteTimeout <= 0 {
		d.WriteTimeout = 10 * time.Second
	}
	return node.Kind{Name: runtimes.KindName, Producer: func() actor.Actor { return &Actor{deps: d} }}
}

// Actor is one runtime's virtual actor.
type Actor struct {
	deps    Deps
	id      string
	rt      *runtimes.Runtime // nil while the runtime does not exist
	version uint64            // store version of rt (the compare-and-set fence)
	loadErr error
}

// Receive implements actor.Actor.
func (a *Actor) Receive(ctx actor.Context) {
	switch m := ctx.Message().(type) {
	case *actor.Started:
		a.id = node.Identity(ctx)
		a.load()
	case *actorpb.RuntimeCommand:
		rt, err := a.handle(m)
		res := &actorpb.RuntimeCommandResult{}
		if err != nil {
			res.Fault = fault.ToProto(err)
		} else if rt != nil {
			res.Runtime, _ = json.Marshal(rt)
		}
		ctx.Respond(res)
		if fault.Is(err, fault.CodeConflict) && errors.Is(err, store.ErrConflict) {
			// Our copy is stale: another activation wrote. Reload in place (stopping would
			// race the next message, which protoactor drops without a dead letter).
			a.logger().Warn("stale runtime activation reloads", "err", err)
			a.load()
		}
	case *actorpb.Inspect:
		state, _ := json.Marshal(map[string]any{"runtime": a.rt, "version": a.version, "load_error": errString(a.loadErr)})
		ctx.Respond(&actorpb.InspectResult{Kind: runtimes.KindName, Id: a.id, State: state})
	}
}

func (a *Actor) load() {
	ctx, cancel := context.WithTimeout(context.Background(), a.deps.WriteTimeout)
	defer cancel()
	if err := store.Linearize(ctx, a.deps.Store); err != nil {
		a.loadErr = fmt.Errorf("load runtime %s: %w", a.id, err)
		return
	}
	rt, v, err := entity.Get[runtimes.Runtime](ctx, a.deps.Store, runtimes.RuntimeKey(a.id))
	switch {
	case errors.Is(err, store.ErrNotFound):
		a.rt, a.version, a.loadErr = nil, 0, nil
	case err != nil:
		a.loadErr = err
		a.logger().Error("load runtime", "err", err)
	default:
		a.rt, a.version, a.loadErr = &rt, v, nil
	}
}

func (a *Actor) handle(m *actorpb.RuntimeCommand) (*runtimes.Runtime, error) {
	if a.loadErr != nil {
		a.load()
		if a.loadErr != nil {
			return nil, fault.Unavailable(a.loadErr, "runtime %s cannot load its state", a.id)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), a.deps.WriteTimeout)
	defer cancel()
	switch m.Op {
	case runtimes.OpGet:
		if a.rt == nil {
			return nil, fault.NotFound("runtime", a.id)
		}
		return a.rt, nil
	case runtimes.OpCreate:
		if a.rt != nil {
			return nil, fault.Conflict("runtime %s already exists", a.id)
		}
		var rt runtimes.Runtime
		if err := json.Unmarshal(m.Body, &rt); err != nil || rt.ID != a.id {
			return nil, fault.Internal(err, "runtime %s: bad create body", a.id)
		}
		return a.write(ctx, &rt, store.Absent)
	case runtimes.OpUpdate:
		if a.rt == nil {
			return nil, fault.NotFound("runtime", a.id)
		}
		var p runtimes.RuntimePatch
		if err := json.Unmarshal(m.Body, &p); err != nil {
			return nil, fault.Internal(err, "runtime %s: bad update body", a.id)
		}
		next := *a.rt
		p.ApplyTo(&next)
		next.UpdatedAt = a.deps.Now().UTC()
		return a.write(ctx, &next, a.version)
	case runtimes.OpClaim:
		if a.rt == nil {
			return nil, fault.NotFound("runtime", a.id)
		}
		var node string
		if err := json.Unmarshal(m.Body, &node); err != nil {
			return nil, fault.Internal(err, "runtime %s: bad claim body", a.id)
		}
		if a.rt.Node != "" || node == "" {
			return a.rt, nil
		}
		next := *a.rt
		next.Node, next.UpdatedAt = node, a.deps.Now().UTC()
		return a.write(ctx, &next, a.version)
	case runtimes.OpDelete:
		if a.rt == nil {
			return nil, fault.NotFound("runtime", a.id)
		}
		live := 0
		err := a.deps.Store.Lookup(ctx, runtimes.TermRuntime(a.id), store.ScanOptions{Prefix: runtimes.ClusterPrefix}, func(key string) error {
			rec, err := a.deps.Store.Get(ctx, key)
			if err == nil && hasTerm(rec.Terms, runtimes.TermLive) {
				live++
			}
			return nil
		})
		if err != nil {
			return nil, fault.Unavailable(err, "runtime %s: list its clusters", a.id)
		}
		if live > 0 {
			return nil, fault.Precondition("runtime %s still has %d live clusters: delete them first", a.id, live)
		}
		if _, err := a.deps.Store.Apply(ctx, entity.Delete(runtimes.RuntimeKey(a.id), a.version)); err != nil {
			return nil, storeFault(a.id, err)
		}
		a.rt, a.version = nil, 0
		return nil, nil
	default:
		return nil, fault.Internal(nil, "runtime %s: unknown op %q", a.id, m.Op)
	}
}

func (a *Actor) write(ctx context.Context, rt *runtimes.Runtime, expect uint64) (*runtimes.Runtime, error) {
	op, err := entity.Put(runtimes.RuntimeKey(rt.ID), rt, expect, rt.Terms()...)
	if err != nil {
		return nil, fault.Internal(err, "encode runtime %s", rt.ID)
	}
	v, err := a.deps.Store.Apply(ctx, op)
	if err != nil {
		return nil, storeFault(a.id, err)
	}
	a.rt, a.version = rt, v
	return rt, nil
}

func storeFault(id string, err error) error {
	if errors.Is(err, store.ErrConflict) {
		return &fault.Error{Code: fault.CodeConflict, Message: fmt.Sprintf("runtime %s was changed concurrently; retry", id), Err: err}
	}
	return fault.Unavailable(err, "runtime %s: write", id)
}

func hasTerm(terms []string, t string) bool {
	for _, x := range terms {
		if x == t {
			return true
		}
	}
	return false
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// logger is the actor's logger, made when it logs: most activations never do, and a logger
// kept per idle activation costs more than the rest of its state.
func (a *Actor) logger() *slog.Logger {
	return a.deps.Logger.With("kind", runtimes.KindName, "runtime_id", a.id)
}
