package clustergrain

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/pitrix/pitrix/actors/appcluster"
	"github.com/pitrix/pitrix/actors/entity"
	"github.com/pitrix/pitrix/actors/store"
	"github.com/pitrix/pitrix/providers"
)

// taskParked reports from its goroutine a task that spent its attempts on
// providers.ErrUnreachable: the job waits for the next resume round instead of failing.
type taskParked struct {
	gen    uint64
	jobID  string
	taskID string
	err    error
}

// taskDone reports one task's end from its goroutine.
type taskDone struct {
	gen      uint64
	jobID    string
	taskID   string
	attempts int
	result   providers.TaskResult
	err      error
}

func (a *Actor) loadTasks(jobID string) ([]*taskState, error) {
	ctx, cancel := a.storeCtx()
	defer cancel()
	var out []*taskState
	err := entity.Each(ctx, a.deps.Store, appcluster.TaskPrefix+jobID+"/", "", func(t appcluster.Task, v uint64) error {
		out = append(out, &taskState{t: t, ver: v})
		return nil
	})
	sort.Slice(out, func(i, j int) bool {
		if out[i].t.Layer != out[j].t.Layer {
			return out[i].t.Layer < out[j].t.Layer
		}
		return out[i].t.Seq < out[j].t.Seq
	})
	return out, err
}

// spec is what the provider sees of the cluster for a job: the job's new conf when it brings one.
func (a *Actor) spec(js *jobState) providers.ClusterSpec {
	s := providers.ClusterSpec{ID: a.cl.ID, Name: a.cl.Name, Owner: a.cl.Owner, AppID: a.cl.AppID, VersionID: a.cl.VersionID,
		Conf: a.cl.Conf, Revision: a.cl.Revision, Spec: a.cl.Spec, Nodes: a.nodes()}
	var in appcluster.ActionInput
	if json.Unmarshal(js.job.Params, &in) == nil && js.job.Action != providers.ActionCreate {
		if len(in.Conf) > 0 {
			s.Conf = in.Conf
		}
		if len(in.Spec) > 0 {
			s.Spec, s.CurrentSpec = in.Spec, a.cl.Spec
		}
		if in.VersionID != "" {
			s.VersionID = in.VersionID
		}
	}
	return s
}

// nodes is the cluster's node list as providers see it.
func (a *Actor) nodes() []providers.Node {
	out := make([]providers.Node, 0, len(a.cl.Nodes))
	for _, n := range a.cl.Nodes {
		out = append(out, providers.Node{ID: n.ID, Role: n.Role, InstanceID: n.InstanceID, PrivateIP: n.PrivateIP, Status: n.Status})
	}
	return out
}

// startNext starts (or resumes) the first queued job if none runs.
func (a *Actor) startNext() {
	if a.run != nil || len(a.queue) == 0 || a.cl == nil || a.stale {
		return
	}
	js := a.queue[0]
	op, ok := a.deps.Operator(a.cl.Provider)
	if !ok {
		a.finishJob(js, fmt.Errorf("provider %q cannot run app clusters on this control plane", a.cl.Provider), nil)
		return
	}
	ctx, cancel := a.storeCtx()
	rt, err := a.deps.Runtime(ctx, a.cl.RuntimeID)
	cancel()
	if err != nil {
		a.finishJob(js, fmt.Errorf("open runtime %s: %w", a.cl.RuntimeID, err), nil)
		return
	}
	run := &runState{js: js, op: op, rt: rt, spec: a.spec(js)}
	if js.job.Status == appcluster.JobPending {
		if err := a.plan(run); err != nil {
			a.finishJob(js, err, nil)
			return
		}
	} else {
		tasks, err := a.loadTasks(js.job.ID)
		if err != nil {
			a.log.Error("load tasks to resume", "job_id", js.job.ID, "err", err)
			return
		}
		run.tasks = tasks
		a.log.Info("resuming job", "job_id", js.job.ID, "action", js.job.Action)
	}
	a.runCtx, run.cancel = context.WithCancel(context.Background())
	a.run = run
	a.advance()
}

// plan asks the provider for the job's tasks and persists them with the job started.
func (a *Actor) plan(run *runState) error {
	js := run.js
	plan, err := run.op.Plan(providers.PlanRequest{Action: js.job.Action, Cluster: run.spec, Runtime: run.rt, Params: js.job.Params})
	if err != nil {
		return fmt.Errorf("plan %s: %w", js.job.Action, err)
	}
	var bt batch
	now := a.deps.Now().UTC()
	for layer, specs := range plan.Layers {
		for seq, sp := range specs {
			timeout := sp.Timeout
			if timeout <= 0 {
				timeout = a.deps.TaskTimeout
			}
			attempts := sp.Attempts
			if attempts <= 0 {
				attempts = a.deps.TaskAttempts
			}
			ts := &taskState{ver: store.Absent, t: appcluster.Task{
				ID: a.deps.IDs.Next("t"), JobID: js.job.ID, ClusterID: a.id, Layer: layer, Seq: seq, Action: sp.Action,
				Target: sp.Target, NodeID: sp.NodeID, Status: appcluster.JobPending, Params: sp.Params,
				TimeoutSec: int(timeout / time.Second), MaxAttempt: attempts,
			}}
			run.tasks = append(run.tasks, ts)
			bt.task(a, ts)
		}
	}
	trans, _, _ := appcluster.Check(a.cl.Status, js.job.Action)
	js.job.Status, js.job.StartedAt, js.job.TasksTotal, js.job.PrevStatus = appcluster.JobWorking, &now, len(run.tasks), a.cl.Status
	a.cl.TransitionStatus, a.cl.UpdatedAt = trans, now
	bt.job(a, js)
	bt.cluster(a)
	return a.commit(&bt)
}

// advance launches the first layer that has unfinished tasks, or finishes the job.
func (a *Actor) advance() {
	run := a.run
	layer := -1
	for _, ts := range run.tasks {
		if ts.t.Status != appcluster.JobSuccessful && ts.t.Status != appcluster.TaskSkipped {
			layer = ts.t.Layer
			break
		}
	}
	if layer < 0 {
		a.finishJob(run.js, nil, run)
		return
	}
	run.layer = layer
	var bt batch
	var launch []*taskState
	now := a.deps.Now().UTC()
	for _, ts := range run.tasks {
		if ts.t.Layer != layer || ts.running {
			continue
		}
		switch ts.t.Status {
		case appcluster.JobFailed:
			if !a.layerRunning(layer) {
				a.finishJob(run.js, fmt.Errorf("task %s (%s) failed: %s", ts.t.ID, ts.t.Action, ts.t.Error), run)
				return
			}
		case appcluster.JobPending, appcluster.JobWorking:
			ts.t.Status, ts.t.StartedAt = appcluster.JobWorking, &now
			bt.task(a, ts)
			launch = append(launch, ts)
		}
	}
	if err := a.commit(&bt); err != nil {
		a.log.Error("record tasks started", "err", err)
		return
	}
	for _, ts := range launch {
		a.launch(ts)
	}
}

func (a *Actor) layerRunning(layer int) bool {
	for _, ts := range a.run.tasks {
		if ts.t.Layer == layer && ts.running {
			return true
		}
	}
	return false
}

// launch runs one task on a goroutine the actor owns.
func (a *Actor) launch(ts *taskState) {
	run := a.run
	ts.running = true
	t := ts.t
	cl := run.spec
	cl.Nodes = a.nodes() // what earlier tasks of the job learned (instance addresses)
	task := providers.Task{ID: t.ID, JobID: t.JobID, Run: t.Run, Cluster: cl, Runtime: run.rt, Package: a.deps.Package,
		Spec: providers.TaskSpec{Action: t.Action, Target: t.Target, NodeID: t.NodeID, Params: t.Params,
			Timeout: time.Duration(t.TimeoutSec) * time.Second, Attempts: t.MaxAttempt}}
	ctx, self, sys, gen := a.runCtx, a.self, a.sys, a.gen
	backoff := a.deps.Backoff
	loadSecrets := a.deps.Secrets
	a.wg.Add(1)
	go func() {
		defer a.wg.Done()
		attempts := t.Attempts
		var res providers.TaskResult
		var err error
		for {
			attempts++
			task.Attempt = attempts
			actx, cancel := context.WithTimeout(ctx, task.Spec.Timeout)
			resolved, masks, serr := withSecrets(actx, loadSecrets, task)
			if serr != nil {
				res, err = providers.TaskResult{}, serr
			} else {
				res, err = run.op.Execute(actx, resolved)
				res, err = maskResult(res, err, masks)
			}
			cancel()
			if err == nil || errors.Is(err, providers.ErrPermanent) || attempts >= t.MaxAttempt || ctx.Err() != nil {
				break
			}
			select {
			case <-ctx.Done():
			case <-time.After(backoff):
			}
			backoff = min(backoff*2, 30*time.Second)
		}
		if ctx.Err() != nil {
			return // the actor is stopping; the task resumes with the next activation
		}
		if err != nil && errors.Is(err, providers.ErrUnreachable) && !errors.Is(err, providers.ErrPermanent) {
			sys.Root.Send(self, taskParked{gen: gen, jobID: t.JobID, taskID: t.ID, err: err})
			return
		}
		sys.Root.Send(self, taskDone{gen: gen, jobID: t.JobID, taskID: t.ID, attempts: attempts, result: res, err: err})
	}()
}

// park records a task that could not reach what it acts on, unfinished (pending, its attempts
// reset, its error kept for people to see), and drops the run: the job stays unfinished in the
// queue, and the next OpResume (the leader's resume round) or command runs it again from its
// first unfinished task. Other tasks of the layer are cancelled; they run again then too.
func (a *Actor) park(m taskParked) {
	run := a.run
	if run == nil || run.js.job.ID != m.jobID {
		return
	}
	for _, ts := range run.tasks {
		if ts.t.ID != m.taskID {
			continue
		}
		ts.running = false
		ts.t.Status, ts.t.Attempts, ts.t.Error = appcluster.JobPending, 0, m.err.Error()
		var bt batch
		bt.task(a, ts)
		if err := a.commit(&bt); err != nil {
			a.log.Error("record parked task", "task_id", m.taskID, "err", err)
		}
	}
	a.log.Warn("job waits: a task cannot reach what it acts on; it resumes with the next resume round",
		"job_id", m.jobID, "task_id", m.taskID, "err", m.err)
	run.cancel()
	a.wg.Wait()
	a.run = nil
	a.gen++
}

// taskDone records a task's end and moves the job on.
func (a *Actor) taskDone(m taskDone) {
	run := a.run
	if run == nil || run.js.job.ID != m.jobID {
		return
	}
	var ts *taskState
	for _, x := range run.tasks {
		if x.t.ID == m.taskID {
			ts = x
		}
	}
	if ts == nil {
		return
	}
	ts.running = false
	now := a.deps.Now().UTC()
	ts.t.Attempts, ts.t.FinishedAt, ts.t.Output = m.attempts, &now, m.result.Output
	var bt batch
	if m.err != nil {
		ts.t.Status, ts.t.Error = appcluster.JobFailed, m.err.Error()
		a.log.Warn("task failed", "job_id", m.jobID, "task_id", m.taskID, "action", ts.t.Action, "attempts", m.attempts, "err", m.err)
	} else {
		ts.t.Status, ts.t.Error = appcluster.JobSuccessful, ""
		if m.result.Skipped != "" {
			ts.t.Status, ts.t.Error = appcluster.TaskSkipped, m.result.Skipped
			a.log.Warn("task skipped", "job_id", m.jobID, "task_id", m.taskID, "action", ts.t.Action, "err", m.result.Skipped)
		}
		run.js.job.TasksDone++
		if a.observe(m.result.Observed) {
			a.cl.UpdatedAt = now
			bt.cluster(a)
		}
		bt.job(a, run.js)
	}
	bt.task(a, ts)
	if err := a.commit(&bt); err != nil {
		a.log.Error("record task result", "task_id", m.taskID, "err", err)
		return
	}
	if a.layerRunning(run.layer) {
		return
	}
	a.advance()
}

// observe merges what a task learned into the cluster; it reports whether anything changed.
func (a *Actor) observe(o *providers.Observed) bool {
	if o == nil {
		return false
	}
	if o.Revision != nil {
		a.cl.Revision = *o.Revision
	}
	if o.ReleaseStatus != nil {
		a.cl.ReleaseStatus = *o.ReleaseStatus
	}
	if o.Roles != nil {
		a.cl.Roles = o.Roles
	}
	if o.Endpoints != nil {
		a.cl.Endpoints = o.Endpoints
	}
	if o.VersionID != nil {
		a.cl.VersionID = *o.VersionID
	}
	for _, n := range o.Nodes {
		a.putNode(n)
	}
	for id, r := range o.Renders {
		for i := range a.cl.Nodes {
			if a.cl.Nodes[i].ID == id {
				a.cl.Nodes[i].RenderStatus, a.cl.Nodes[i].RenderError = r.Status, r.Error
			}
		}
	}
	if len(o.DropNodes) > 0 {
		a.cl.Nodes = slices.DeleteFunc(a.cl.Nodes, func(n appcluster.Node) bool { return slices.Contains(o.DropNodes, n.ID) })
	}
	return true
}

// putNode adds or updates one node, keeping its health.
func (a *Actor) putNode(n providers.Node) {
	for i := range a.cl.Nodes {
		if a.cl.Nodes[i].ID == n.ID {
			x := &a.cl.Nodes[i]
			x.Role, x.InstanceID, x.Status = n.Role, n.InstanceID, n.Status
			if n.PrivateIP != "" {
				x.PrivateIP = n.PrivateIP
			}
			return
		}
	}
	a.cl.Nodes = append(a.cl.Nodes, appcluster.Node{ID: n.ID, Role: n.Role, InstanceID: n.InstanceID, PrivateIP: n.PrivateIP, Status: n.Status})
	sort.SliceStable(a.cl.Nodes, func(i, j int) bool { return nodeLess(a.cl.Nodes[i].ID, a.cl.Nodes[j].ID) })
}

// nodeLess orders node ids "<prefix>-<n>" by prefix, then by n as a number (replica-2 before
// replica-10).
func nodeLess(x, y string) bool {
	px, nx := splitIndex(x)
	py, ny := splitIndex(y)
	if px != py {
		return px < py
	}
	return nx < ny
}

func splitIndex(id string) (string, int) {
	i := strings.LastIndexByte(id, '-')
	if i < 0 {
		return id, 0
	}
	n, err := strconv.Atoi(id[i+1:])
	if err != nil {
		return id, 0
	}
	return id[:i], n
}

// finishJob ends the running (or unstartable) job and starts the next one.
func (a *Actor) finishJob(js *jobState, jobErr error, run *runState) {
	now := a.deps.Now().UTC()
	js.job.FinishedAt = &now
	if js.job.StartedAt == nil {
		js.job.StartedAt = &now
	}
	if js.job.PrevStatus == "" {
		js.job.PrevStatus = a.cl.Status
	}
	_, to, _ := appcluster.Check(js.job.PrevStatus, js.job.Action)
	if jobErr != nil {
		js.job.Status, js.job.Error = appcluster.JobFailed, jobErr.Error()
		a.cl.Status = appcluster.StatusFailed
		if js.job.TasksDone == 0 && js.job.Action != providers.ActionCreate {
			a.cl.Status = js.job.PrevStatus // nothing was changed
		}
		a.log.Warn("job failed", "job_id", js.job.ID, "action", js.job.Action, "err", jobErr)
	} else {
		js.job.Status = appcluster.JobSuccessful
		a.cl.Status = to
		var in appcluster.ActionInput
		if json.Unmarshal(js.job.Params, &in) == nil && js.job.Action != providers.ActionCreate {
			if in.VersionID != "" && in.VersionID != a.cl.VersionID {
				a.cl.PrevVersionID, a.cl.VersionID = a.cl.VersionID, in.VersionID
			}
			if len(in.Conf) > 0 {
				a.cl.Conf = in.Conf
			}
			if len(in.Spec) > 0 {
				a.cl.Spec = in.Spec
			}
		}
		a.log.Info("job done", "job_id", js.job.ID, "action", js.job.Action)
	}
	a.cl.TransitionStatus, a.cl.UpdatedAt = "", now
	var bt batch
	bt.job(a, js)
	bt.cluster(a)
	if a.cl.Status == appcluster.StatusCeased {
		// Nothing runs any more: its sealed secrets go with it.
		bt.ops = append(bt.ops, store.Op{Key: appcluster.SecretsKey(a.cl.ID), Delete: true, Expect: store.Any})
	}
	if err := a.commit(&bt); err != nil {
		a.log.Error("record job end", "job_id", js.job.ID, "err", err)
		return
	}
	if run != nil {
		run.cancel()
	}
	a.run = nil
	if len(a.queue) > 0 && a.queue[0] == js {
		a.queue = a.queue[1:]
	}
	a.startNext()
}
