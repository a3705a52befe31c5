package clustergrain

import (
	"encoding/json"
	"errors"
	"fmt"

	"github.com/pitrix/pitrix/actors/appcluster"
	"github.com/pitrix/pitrix/actors/entity"
	"github.com/pitrix/pitrix/actors/fault"
	"github.com/pitrix/pitrix/actors/store"
	"github.com/pitrix/pitrix/providers"
)

// batch gathers the writes of one step: one atomic Apply, then each written record learns its
// new version.
type batch struct {
	ops    []store.Op
	after  []func(v uint64)
	events []appcluster.Event
}

func (b *batch) cluster(a *Actor) {
	cl := *a.cl
	b.ops = append(b.ops, entity.MustPut(appcluster.ClusterKey(cl.ID), cl, a.clVer, cl.Terms()...))
	b.after = append(b.after, func(v uint64) { a.clVer = v })
	b.event(a, "cluster", cl)
}

func (b *batch) job(a *Actor, js *jobState) {
	j := js.job
	b.ops = append(b.ops, entity.MustPut(appcluster.JobKey(j.ID), j, js.ver, j.Terms()...))
	b.after = append(b.after, func(v uint64) { js.ver = v })
	b.event(a, "job", j)
}

func (b *batch) task(a *Actor, ts *taskState) {
	t := ts.t
	b.ops = append(b.ops, entity.MustPut(appcluster.TaskKey(t.JobID, t.Layer, t.Seq), t, ts.ver))
	b.after = append(b.after, func(v uint64) { ts.ver = v })
	b.event(a, "task", t)
}

func (b *batch) event(a *Actor, typ string, v any) {
	data, _ := json.Marshal(v)
	owner := ""
	if a.cl != nil {
		owner = a.cl.Owner
	}
	b.events = append(b.events, appcluster.Event{Type: typ, ClusterID: a.id, Owner: owner, Data: data})
}

// commit writes b. A compare-and-set conflict means another activation owns this cluster now:
// this one marks itself stale and stops after the current message.
func (a *Actor) commit(b *batch) error {
	if len(b.ops) == 0 {
		return nil
	}
	ctx, cancel := a.storeCtx()
	defer cancel()
	v, err := a.deps.Store.Apply(ctx, b.ops...)
	if errors.Is(err, store.ErrConflict) {
		a.stale = true
		return &fault.Error{Code: fault.CodeConflict, Message: fmt.Sprintf("cluster %s was changed by another owner; retry", a.id), Err: err}
	}
	if err != nil {
		return fault.Unavailable(err, "cluster %s: write", a.id)
	}
	for _, f := range b.after {
		f(v)
	}
	for _, e := range b.events {
		a.deps.Publish(e)
	}
	return nil
}

func (a *Actor) newJob(action, owner string, params json.RawMessage) *jobState {
	return &jobState{ver: store.Absent, job: appcluster.Job{
		ID: a.deps.IDs.Next("j"), ClusterID: a.id, Action: action, Status: appcluster.JobPending,
		Params: params, Owner: owner, CreatedAt: a.deps.Now().UTC(),
	}}
}

// create stores the new cluster with its create job, and starts it.
func (a *Actor) create(b CreateBody) (any, error) {
	if a.cl != nil {
		return nil, fault.Conflict("cluster %s already exists", a.id)
	}
	cl := b.Cluster
	cl.Status, cl.TransitionStatus = appcluster.StatusPending, appcluster.TransCreating
	a.cl, a.clVer = &cl, store.Absent
	js := a.newJob(providers.ActionCreate, cl.Owner, b.Params)
	cl.LastJobID = js.job.ID
	var bt batch
	bt.cluster(a)
	bt.job(a, js)
	if err := a.commit(&bt); err != nil {
		a.cl = nil
		return nil, err
	}
	a.queue = append(a.queue, js)
	a.startNext()
	return appcluster.Accepted{ClusterID: a.id, JobID: js.job.ID}, nil
}

// expectedStatus is the status the cluster will have once every queued job succeeded: new
// actions are checked against it, so a queue is always a valid sequence.
func (a *Actor) expectedStatus() string {
	st := a.cl.Status
	for _, js := range a.queue {
		if _, to, err := appcluster.Check(st, js.job.Action); err == nil {
			st = to
		}
	}
	return st
}

// action queues a lifecycle action.
func (a *Actor) action(b ActionBody) (any, error) {
	if a.cl == nil {
		return nil, fault.NotFound("cluster", a.id)
	}
	if a.cl.Status == appcluster.StatusCeased {
		return nil, fault.Precondition("cluster %s is ceased", a.id)
	}
	if _, _, err := appcluster.Check(a.expectedStatus(), b.Action); err != nil {
		return nil, fault.Precondition("cluster %s: %s", a.id, err.Error())
	}
	params, _ := json.Marshal(b.Input)
	js := a.newJob(b.Action, b.Owner, params)
	a.cl.LastJobID = js.job.ID
	var bt batch
	bt.job(a, js)
	bt.cluster(a)
	if err := a.commit(&bt); err != nil {
		return nil, err
	}
	a.queue = append(a.queue, js)
	a.startNext()
	return appcluster.Accepted{ClusterID: a.id, JobID: js.job.ID}, nil
}

// retry resumes a failed job from its failed tasks: the cluster's last job, when nothing runs.
func (a *Actor) retry(jobID string) (any, error) {
	if a.cl == nil {
		return nil, fault.NotFound("cluster", a.id)
	}
	if len(a.queue) > 0 {
		return nil, fault.Precondition("cluster %s is running job %s: retry when it ends", a.id, a.queue[0].job.ID)
	}
	if a.cl.LastJobID != jobID {
		return nil, fault.Precondition("only the cluster's last job (%s) can be retried", a.cl.LastJobID)
	}
	ctx, cancel := a.storeCtx()
	defer cancel()
	j, ver, err := entity.Get[appcluster.Job](ctx, a.deps.Store, appcluster.JobKey(jobID))
	if err != nil {
		return nil, fault.NotFound("job", jobID)
	}
	if j.Status != appcluster.JobFailed {
		return nil, fault.Precondition("job %s is %s: only a failed job can be retried", jobID, j.Status)
	}
	if j.TasksTotal == 0 {
		return nil, fault.Precondition("job %s failed before it had a plan: start the action again", jobID)
	}
	tasks, err := a.loadTasks(jobID)
	if err != nil {
		return nil, fault.Unavailable(err, "load tasks of job %s", jobID)
	}
	js := &jobState{job: j, ver: ver}
	js.job.Status, js.job.Error, js.job.FinishedAt = appcluster.JobWorking, "", nil
	trans, _, _ := appcluster.Check(js.job.PrevStatus, j.Action)
	a.cl.TransitionStatus, a.cl.Status = trans, js.job.PrevStatus
	var bt batch
	for _, ts := range tasks {
		if ts.t.Status == appcluster.JobFailed {
			ts.t.Status, ts.t.Attempts, ts.t.Error, ts.t.FinishedAt = appcluster.JobPending, 0, "", nil
			ts.t.Run++
			bt.task(a, ts)
		}
	}
	bt.job(a, js)
	bt.cluster(a)
	if err := a.commit(&bt); err != nil {
		return nil, err
	}
	a.queue = append(a.queue, js)
	a.startNext()
	return appcluster.Accepted{ClusterID: a.id, JobID: jobID}, nil
}
