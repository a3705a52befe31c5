package sessiongrain

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
	"github.com/pitrix/pitrix/actors/frontgate"
	"github.com/pitrix/pitrix/actors/store"
	"github.com/pitrix/pitrix/cluster/node"
)

// Deps are what the actor needs.
type Deps struct {
	Store        store.Store
	Logger       *slog.Logger
	Now          func() time.Time
	WriteTimeout time.Duration // default 10s
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
	return node.Kind{Name: frontgate.KindName, Producer: func() actor.Actor { return &Actor{deps: d} }}
}

// Actor is one Frontgate's session actor.
type Actor struct {
	deps    Deps
	id      string
	s       *frontgate.Session // nil until first known
	version uint64
}

// Receive implements actor.Actor.
func (a *Actor) Receive(ctx actor.Context) {
	switch m := ctx.Message().(type) {
	case *actor.Started:
		a.id = node.Identity(ctx)
		if err := a.load(); err != nil {
			a.logger().Error("load frontgate session", "err", err)
		}
	case *actorpb.FrontgateCommand:
		s, err := a.handle(m)
		res := &actorpb.FrontgateCommandResult{Fault: fault.ToProto(err)}
		if err == nil && s != nil {
			res.Session, _ = json.Marshal(s)
		}
		ctx.Respond(res)
	case *actorpb.Inspect:
		state, _ := json.Marshal(map[string]any{"session": a.s, "version": a.version})
		ctx.Respond(&actorpb.InspectResult{Kind: frontgate.KindName, Id: a.id, State: state})
	}
}

func (a *Actor) load() error {
	ctx, cancel := context.WithTimeout(context.Background(), a.deps.WriteTimeout)
	defer cancel()
	if err := store.Linearize(ctx, a.deps.Store); err != nil {
		return fmt.Errorf("load frontgate session %s: %w", a.id, err)
	}
	s, v, err := entity.Get[frontgate.Session](ctx, a.deps.Store, frontgate.Key(a.id))
	switch {
	case errors.Is(err, store.ErrNotFound):
		a.s, a.version = nil, 0
		return nil
	case err != nil:
		return err
	}
	a.s, a.version = &s, v
	return nil
}

func (a *Actor) handle(m *actorpb.FrontgateCommand) (*frontgate.Session, error) {
	if m.Op == frontgate.OpGet {
		if a.s == nil {
			return nil, fault.NotFound("frontgate", a.id)
		}
		return a.s, nil
	}
	next := frontgate.Session{ID: a.id}
	if a.s != nil {
		next = *a.s
	}
	switch m.Op {
	case frontgate.OpConnected, frontgate.OpDisconnected:
		var ev frontgate.StreamEvent
		if err := json.Unmarshal(m.Body, &ev); err != nil {
			return nil, fault.InvalidField("body", err.Error())
		}
		if !ev.Connected && next.Node != ev.Node {
			return a.s, nil // an old stream of a Frontgate that has moved on
		}
		next.Node, next.NodeAddress, next.Connected, next.LastSeen = ev.Node, ev.NodeAddress, ev.Connected, ev.At
		if ev.VPC != "" {
			next.VPC = ev.VPC
		}
	case frontgate.OpRegister:
		var p frontgate.Placement
		if err := json.Unmarshal(m.Body, &p); err != nil {
			return nil, fault.InvalidField("body", err.Error())
		}
		if p.VPC == next.VPC && p.RuntimeID == next.RuntimeID && p.Owner == next.Owner {
			return a.s, nil
		}
		next.VPC, next.RuntimeID, next.Owner = p.VPC, p.RuntimeID, p.Owner
	default:
		return nil, fault.InvalidField("op", fmt.Sprintf("unknown op %q", m.Op))
	}
	next.UpdatedAt = a.deps.Now().UTC()
	return a.write(next)
}

// write stores next over the version this activation holds; on a conflict it reloads (the
// caller retries with fresh state).
func (a *Actor) write(next frontgate.Session) (*frontgate.Session, error) {
	ctx, cancel := context.WithTimeout(context.Background(), a.deps.WriteTimeout)
	defer cancel()
	expect := a.version
	if a.s == nil {
		expect = store.Absent
	}
	v, err := a.deps.Store.Apply(ctx, entity.MustPut(frontgate.Key(a.id), next, expect))
	if errors.Is(err, store.ErrConflict) {
		if lerr := a.load(); lerr != nil {
			a.logger().Error("reload frontgate session", "err", lerr)
		}
		return nil, &fault.Error{Code: fault.CodeConflict, Message: fmt.Sprintf("frontgate %s session changed elsewhere; retry", a.id), Err: err}
	}
	if err != nil {
		return nil, fault.Unavailable(err, "frontgate %s: write", a.id)
	}
	a.s, a.version = &next, v
	return a.s, nil
}

// logger is the actor's logger, made when it logs: most activations never do, and a logger
// kept per idle activation costs more than the rest of its state.
func (a *Actor) logger() *slog.Logger {
	return a.deps.Logger.With("kind", frontgate.KindName, "frontgate", a.id)
}
