package clustergrain

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"sync"

	"github.com/asynkron/protoactor-go/actor"

	"github.com/pitrix/pitrix/actors/actorpb"
	"github.com/pitrix/pitrix/actors/appcluster"
	"github.com/pitrix/pitrix/actors/entity"
	"github.com/pitrix/pitrix/actors/fault"
	"github.com/pitrix/pitrix/actors/store"
	"github.com/pitrix/pitrix/cluster/node"
	"github.com/pitrix/pitrix/providers"
)

// Commands of ClusterCommand.Op.
const (
	OpCreate = "create"
	OpAction = "action"
	OpRetry  = "retry"
	OpGet    = "get"
	OpResume = "resume"
)

// CreateBody is the body of OpCreate: the new cluster (built and checked by the caller) and
// the create job's params.
type CreateBody struct {
	Cluster appcluster.Cluster `json:"cluster"`
	Params  json.RawMessage    `json:"params,omitempty"`
}

// ActionBody is the body of OpAction.
type ActionBody struct {
	Action string                 `json:"action"`
	Input  appcluster.ActionInput `json:"input"`
	Owner  string                 `json:"owner"`
}

// RetryBody is the body of OpRetry.
type RetryBody struct {
	JobID string `json:"job_id"`
}

// jobState is a queued or running job with its store version.
type jobState struct {
	job appcluster.Job
	ver uint64
}

// taskState is a task of the running job with its store version.
type taskState struct {
	t       appcluster.Task
	ver     uint64
	running bool
}

// runState is the running job.
type runState struct {
	js     *jobState
	tasks  []*taskState // by layer, then sequence
	op     providers.Operator
	rt     providers.RuntimeSpec
	spec   providers.ClusterSpec
	layer  int
	cancel context.CancelFunc
}

// Actor is one app cluster's virtual actor.
type Actor struct {
	deps  Deps
	id    string
	log   *slog.Logger
	cl    *appcluster.Cluster // nil while the cluster does not exist
	clVer uint64
	queue []*jobState // unfinished jobs in order; queue[0] runs
	run   *runState
	wg    sync.WaitGroup // task goroutines
	self  *actor.PID
	sys   *actor.ActorSystem
	stale bool
	gen   uint64 // bumped on reload; taskDone of an older generation is ignored
	// runCtx is canceled when the actor stops, ending its task goroutines.
	runCtx context.Context
}

// Receive implements actor.Actor.
func (a *Actor) Receive(ctx actor.Context) {
	switch m := ctx.Message().(type) {
	case *actor.Started:
		a.id = node.Identity(ctx)
		a.self, a.sys = ctx.Self(), ctx.ActorSystem()
		a.log = a.deps.Logger.With("kind", appcluster.KindName, "cluster_id", a.id)
		if err := a.load(); err != nil {
			a.log.Error("load app cluster", "err", err)
		}
		a.startNext()
	case *actorpb.ClusterCommand:
		body, err := a.handle(m)
		res := &actorpb.ClusterCommandResult{Fault: fault.ToProto(err)}
		if err == nil && body != nil {
			res.Body, _ = json.Marshal(body)
		}
		ctx.Respond(res)
		a.reloadIfStale()
		a.startNext()
	case taskDone:
		if m.gen == a.gen {
			a.taskDone(m)
		}
		a.reloadIfStale()
	case taskParked:
		if m.gen == a.gen {
			a.park(m)
		}
		a.reloadIfStale()
	case *actorpb.Inspect:
		ctx.Respond(&actorpb.InspectResult{Kind: appcluster.KindName, Id: a.id, State: a.inspect()})
	case *actor.Stopping:
		if a.run != nil {
			a.run.cancel()
		}
		a.wg.Wait()
	}
}

// reloadIfStale drops a stale activation's memory and task goroutines and reloads from the
// store. It does not stop the actor: a message that races a stop is dropped by protoactor
// without a dead letter, and its sender would wait out its whole timeout. The job, if any,
// resumes with the next command (or OpResume), so two activations do not both drive it.
func (a *Actor) reloadIfStale() {
	if !a.stale {
		return
	}
	a.log.Warn("stale app-cluster activation reloads: another activation wrote")
	if a.run != nil {
		a.run.cancel()
		a.wg.Wait()
		a.run = nil
	}
	a.gen++
	a.stale = false
	if err := a.load(); err != nil {
		a.log.Error("reload app cluster", "err", err)
	}
}

func (a *Actor) storeCtx() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), a.deps.StoreTimeout)
}

// load reads the cluster and its unfinished jobs.
func (a *Actor) load() error {
	ctx, cancel := a.storeCtx()
	defer cancel()
	if err := store.Linearize(ctx, a.deps.Store); err != nil {
		return fmt.Errorf("load app cluster %s: %w", a.id, err)
	}
	cl, v, err := entity.Get[appcluster.Cluster](ctx, a.deps.Store, appcluster.ClusterKey(a.id))
	if errors.Is(err, store.ErrNotFound) {
		a.cl, a.clVer = nil, 0
		return nil
	}
	if err != nil {
		return err
	}
	a.cl, a.clVer = &cl, v
	a.queue = nil
	err = entity.Each(ctx, a.deps.Store, appcluster.JobPrefix, appcluster.TermCluster(a.id), func(j appcluster.Job, ver uint64) error {
		if j.Status == appcluster.JobPending || j.Status == appcluster.JobWorking {
			a.queue = append(a.queue, &jobState{job: j, ver: ver})
		}
		return nil
	})
	sort.Slice(a.queue, func(i, j int) bool { return a.queue[i].job.ID < a.queue[j].job.ID })
	return err
}

func (a *Actor) handle(m *actorpb.ClusterCommand) (any, error) {
	switch m.Op {
	case OpGet:
		if a.cl == nil {
			return nil, fault.NotFound("cluster", a.id)
		}
		return a.cl, nil
	case OpResume:
		if a.cl == nil {
			return nil, fault.NotFound("cluster", a.id)
		}
		a.startNext()
		return a.cl, nil
	case OpCreate:
		var b CreateBody
		if err := json.Unmarshal(m.Body, &b); err != nil || b.Cluster.ID != a.id {
			return nil, fault.Internal(err, "cluster %s: bad create body", a.id)
		}
		return a.create(b)
	case OpAction:
		var b ActionBody
		if err := json.Unmarshal(m.Body, &b); err != nil {
			return nil, fault.Internal(err, "cluster %s: bad action body", a.id)
		}
		return a.action(b)
	case OpRetry:
		var b RetryBody
		if err := json.Unmarshal(m.Body, &b); err != nil {
			return nil, fault.Internal(err, "cluster %s: bad retry body", a.id)
		}
		return a.retry(b.JobID)
	default:
		return nil, fault.Internal(nil, "cluster %s: unknown op %q", a.id, m.Op)
	}
}

func (a *Actor) inspect() []byte {
	state := map[string]any{"cluster": a.cl, "version": a.clVer}
	var queued []string
	for _, js := range a.queue {
		queued = append(queued, js.job.ID+" "+js.job.Action+" "+js.job.Status)
	}
	state["queue"] = queued
	if a.run != nil {
		var tasks []map[string]any
		for _, ts := range a.run.tasks {
			tasks = append(tasks, map[string]any{"id": ts.t.ID, "layer": ts.t.Layer, "action": ts.t.Action, "status": ts.t.Status, "running": ts.running})
		}
		state["running"] = map[string]any{"job_id": a.run.js.job.ID, "layer": a.run.layer, "tasks": tasks}
	}
	b, _ := json.Marshal(state)
	return b
}

// Busy keeps the activation while it has a job queued or running (node.Busy): its task
// goroutines live in its memory.
func (a *Actor) Busy() bool { return a.run != nil || len(a.queue) > 0 }
