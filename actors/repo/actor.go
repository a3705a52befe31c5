package repo

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"sync"
	"time"

	"github.com/asynkron/protoactor-go/actor"

	"github.com/pitrix/pitrix/actors/actorpb"
	"github.com/pitrix/pitrix/actors/catalog"
	"github.com/pitrix/pitrix/actors/entity"
	"github.com/pitrix/pitrix/actors/fault"
	"github.com/pitrix/pitrix/actors/idgen"
	"github.com/pitrix/pitrix/actors/store"
	"github.com/pitrix/pitrix/cluster/node"
)

// KindName is the repo actor's kind.
const KindName = "repo"

// Triggers of an index run.
const (
	TriggerManual   = "manual"
	TriggerCreate   = "create"
	TriggerSchedule = "schedule"
)

// Deps are what a repo actor needs.
type Deps struct {
	Store   store.Store
	Indexer *Indexer
	IDs     *idgen.Generator
	Now     func() time.Time
	Logger  *slog.Logger
	// RunTimeout bounds one index run; default 10 minutes.
	RunTimeout time.Duration
	// MinInterval is the shortest schedule honoured; default 10 s.
	MinInterval time.Duration
}

// Kind returns the actor kind to host on a node.
func Kind(d Deps) node.Kind {
	if d.Now == nil {
		d.Now = time.Now
	}
	if d.Logger == nil {
		d.Logger = slog.New(slog.DiscardHandler)
	}
	if d.RunTimeout <= 0 {
		d.RunTimeout = 10 * time.Minute
	}
	if d.MinInterval <= 0 {
		d.MinInterval = 10 * time.Second
	}
	return node.Kind{Name: KindName, Producer: func() actor.Actor { return &Actor{deps: d} }}
}

// Messages the actor sends itself (never across nodes, so plain Go values).
type (
	indexDone struct {
		event catalog.RepoEvent
		err   error
	}
	scheduleTick struct{ gen int }
)

// Actor is one repo's virtual actor.
type Actor struct {
	deps    Deps
	id      string
	log     *slog.Logger
	repo    *catalog.StoredRepo // nil when the repo does not exist (or was deleted)
	running *catalog.RepoEvent  // the event of the run in progress
	cancel  context.CancelFunc
	wg      sync.WaitGroup // the running index goroutine
	timer   *time.Timer
	gen     int // schedule generation: ticks of an older schedule are ignored
	nextAt  time.Time
}

// Receive implements actor.Actor.
func (a *Actor) Receive(ctx actor.Context) {
	switch m := ctx.Message().(type) {
	case *actor.Started:
		a.id = node.Identity(ctx)
		a.log = a.deps.Logger.With("kind", KindName, "repo_id", a.id)
		a.reload(ctx)
		a.failInterrupted()
	case *actorpb.IndexRepo:
		ev, err := a.startIndex(ctx, m.Trigger)
		res := &actorpb.IndexRepoResult{Fault: fault.ToProto(err)}
		if ev != nil {
			res.Event, _ = json.Marshal(ev)
		}
		ctx.Respond(res)
	case *actorpb.RepoChanged:
		a.reload(ctx)
		if a.repo == nil && a.cancel != nil {
			a.cancel()
		}
		ctx.Respond(&actorpb.RepoChangedResult{})
	case scheduleTick:
		if m.gen == a.gen && a.repo != nil && a.running == nil {
			if _, err := a.startIndex(ctx, TriggerSchedule); err != nil {
				a.log.Warn("scheduled index did not start", "err", err)
			}
		}
		if m.gen == a.gen {
			a.schedule(ctx)
		}
	case indexDone:
		a.finishIndex(m)
	case *actorpb.Inspect:
		state, _ := json.Marshal(map[string]any{"repo": a.repoView(), "running": a.running, "next_index_at": a.nextAt})
		ctx.Respond(&actorpb.InspectResult{Kind: KindName, Id: a.id, State: state})
	case *actor.Stopping:
		a.stopTimer()
		if a.cancel != nil {
			a.cancel()
		}
		a.wg.Wait()
	}
}

func (a *Actor) repoView() *catalog.Repo {
	if a.repo == nil {
		return nil
	}
	r := a.repo.Repo
	return &r
}

func (a *Actor) storeCtx() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), 10*time.Second)
}

func (a *Actor) reload(ctx actor.Context) {
	sctx, cancel := a.storeCtx()
	defer cancel()
	if err := store.Linearize(sctx, a.deps.Store); err != nil {
		a.log.Error("load repo: catch up with the cluster", "err", err)
	}
	r, _, err := entity.Get[catalog.StoredRepo](sctx, a.deps.Store, catalog.RepoKey(a.id))
	switch {
	case errors.Is(err, store.ErrNotFound):
		a.repo = nil
	case err != nil:
		a.log.Error("load repo", "err", err)
		a.repo = nil
	case r.Status == catalog.StatusDeleted:
		a.repo = nil
	default:
		a.repo = &r
	}
	a.schedule(ctx)
}

// failInterrupted marks an event left working by a node that died as failed.
func (a *Actor) failInterrupted() {
	sctx, cancel := a.storeCtx()
	defer cancel()
	var stale []store.Op
	err := entity.Each(sctx, a.deps.Store, catalog.EventPrefix+a.id+"/", "", func(ev catalog.RepoEvent, ver uint64) error {
		if ev.Status == catalog.EventWorking || ev.Status == catalog.EventPending {
			now := a.deps.Now().UTC()
			ev.Status, ev.Result, ev.FinishedAt = catalog.EventFailed, "interrupted: the node running it stopped", &now
			stale = append(stale, entity.MustPut(catalog.EventKey(a.id, ev.ID), ev, ver))
		}
		return nil
	})
	if err == nil && len(stale) > 0 {
		if _, err := a.deps.Store.Apply(sctx, stale...); err != nil {
			a.log.Warn("mark interrupted index events", "err", err)
		}
	}
}

func (a *Actor) schedule(ctx actor.Context) {
	a.stopTimer()
	a.gen++
	a.nextAt = time.Time{}
	if a.repo == nil || a.repo.IndexInterval <= 0 {
		return
	}
	every := max(time.Duration(a.repo.IndexInterval)*time.Second, a.deps.MinInterval)
	gen, self, sys := a.gen, ctx.Self(), ctx.ActorSystem()
	a.nextAt = a.deps.Now().Add(every)
	a.timer = time.AfterFunc(every, func() { sys.Root.Send(self, scheduleTick{gen: gen}) })
}

func (a *Actor) stopTimer() {
	if a.timer != nil {
		a.timer.Stop()
		a.timer = nil
	}
}

func (a *Actor) startIndex(ctx actor.Context, trigger string) (*catalog.RepoEvent, error) {
	if a.repo == nil {
		return nil, fault.NotFound("repo", a.id)
	}
	if a.running != nil {
		ev := *a.running
		return &ev, nil
	}
	now := a.deps.Now().UTC()
	ev := catalog.RepoEvent{ID: a.deps.IDs.Next("repoev"), RepoID: a.id, Trigger: trigger, Status: catalog.EventWorking, CreatedAt: now, StartedAt: &now}
	sctx, cancel := a.storeCtx()
	defer cancel()
	if _, err := a.deps.Store.Apply(sctx, entity.MustPut(catalog.EventKey(a.id, ev.ID), ev, store.Absent)); err != nil {
		return nil, fault.Unavailable(err, "record index event of repo %s", a.id)
	}
	a.running = &ev
	runCtx, runCancel := context.WithTimeout(context.Background(), a.deps.RunTimeout)
	a.cancel = runCancel
	repo, self, sys := *a.repo, ctx.Self(), ctx.ActorSystem()
	a.wg.Add(1)
	go func() {
		defer a.wg.Done()
		defer runCancel()
		done := ev
		err := a.deps.Indexer.Run(runCtx, repo, &done)
		sys.Root.Send(self, indexDone{event: done, err: err})
	}()
	out := ev
	return &out, nil
}

func (a *Actor) finishIndex(m indexDone) {
	ev := m.event
	now := a.deps.Now().UTC()
	ev.FinishedAt = &now
	if m.err != nil {
		ev.Status, ev.Result = catalog.EventFailed, m.err.Error()
		a.log.Warn("index failed", "event_id", ev.ID, "err", m.err)
	} else {
		ev.Status = catalog.EventSuccessful
		a.log.Info("indexed", "event_id", ev.ID, "apps_added", ev.AppsAdded, "versions_added", ev.VersionsAdded,
			"versions_updated", ev.VersionsUpdated, "versions_removed", ev.VersionsRemoved, "skipped", ev.Skipped)
	}
	a.running, a.cancel = nil, nil
	sctx, cancel := a.storeCtx()
	defer cancel()
	if _, err := a.deps.Store.Apply(sctx, entity.MustPut(catalog.EventKey(a.id, ev.ID), ev, store.Any)); err != nil {
		a.log.Error("record index result", "event_id", ev.ID, "err", err)
	}
}

// Busy keeps the activation while an index runs or a scheduled one is armed (node.Busy).
func (a *Actor) Busy() bool { return a.running != nil || a.timer != nil }
