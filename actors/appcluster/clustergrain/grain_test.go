package clustergrain_test

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pitrix/pitrix/actors/actorpb"
	"github.com/pitrix/pitrix/actors/appcluster"
	"github.com/pitrix/pitrix/actors/appcluster/clustergrain"
	"github.com/pitrix/pitrix/actors/entity"
	"github.com/pitrix/pitrix/actors/idgen"
	"github.com/pitrix/pitrix/actors/store"
	"github.com/pitrix/pitrix/cluster/node"
	"github.com/pitrix/pitrix/internal/testutil"
	"github.com/pitrix/pitrix/providers"
	"github.com/pitrix/pitrix/providers/providertest"
)

type fixture struct {
	t      *testing.T
	st     *store.DB
	op     *providertest.Operator
	ids    *idgen.Generator
	node   *node.Node
	mu     sync.Mutex
	events []appcluster.Event
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	st, err := store.Open(filepath.Join(t.TempDir(), "store"), store.Config{})
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{t: t, st: st, op: providertest.New(), ids: idgen.New(nil)}
	f.startNode()
	t.Cleanup(func() {
		f.node.Close()
		st.Close()
	})
	return f
}

func (f *fixture) startNode() {
	f.t.Helper()
	n, err := node.Start(f.t.Context(), node.Config{GossipAddr: "127.0.0.1:0", FastGossip: true}, clustergrain.Kind(clustergrain.Deps{
		Store: f.st, IDs: f.ids, Backoff: 10 * time.Millisecond,
		Operator: func(p string) (providers.Operator, bool) { return f.op, p == providertest.Name },
		Runtime: func(_ context.Context, id string) (providers.RuntimeSpec, error) {
			return providers.RuntimeSpec{ID: id, Zone: "fake-1"}, nil
		},
		Package: func(context.Context, string) ([]byte, error) { return []byte("pkg"), nil },
		Publish: func(e appcluster.Event) {
			f.mu.Lock()
			f.events = append(f.events, e)
			f.mu.Unlock()
		},
	}))
	if err != nil {
		f.t.Fatal(err)
	}
	f.node = n
}

func (f *fixture) command(id, op string, body any) (appcluster.Accepted, *actorpb.Fault) {
	f.t.Helper()
	b, _ := json.Marshal(body)
	res, err := f.node.Request(f.t.Context(), appcluster.KindName, id, &actorpb.ClusterCommand{Op: op, Body: b})
	if err != nil {
		f.t.Fatal(err)
	}
	r := res.(*actorpb.ClusterCommandResult)
	var acc appcluster.Accepted
	if r.Fault == nil && op != clustergrain.OpGet && op != clustergrain.OpResume {
		if err := json.Unmarshal(r.Body, &acc); err != nil {
			f.t.Fatal(err)
		}
	}
	return acc, r.Fault
}

func (f *fixture) create(count int) appcluster.Accepted {
	f.t.Helper()
	id := f.ids.Next("cl")
	conf, _ := json.Marshal(map[string]int{"count": count})
	acc, fault := f.command(id, clustergrain.OpCreate, clustergrain.CreateBody{Cluster: appcluster.Cluster{
		ID: id, Name: "c", AppID: "app-1", VersionID: "appv-1", RuntimeID: "runtime-1", Provider: providertest.Name, Owner: "usr-1", Conf: conf}})
	if fault != nil {
		f.t.Fatalf("create: %v", fault)
	}
	return acc
}

func (f *fixture) job(id string) appcluster.Job {
	f.t.Helper()
	j, _, err := entity.Get[appcluster.Job](f.t.Context(), f.st, appcluster.JobKey(id))
	if err != nil {
		f.t.Fatal(err)
	}
	return j
}

func (f *fixture) cluster(id string) appcluster.Cluster {
	f.t.Helper()
	c, _, err := entity.Get[appcluster.Cluster](f.t.Context(), f.st, appcluster.ClusterKey(id))
	if err != nil {
		f.t.Fatal(err)
	}
	return c
}

func (f *fixture) tasks(jobID string) []appcluster.Task {
	f.t.Helper()
	var out []appcluster.Task
	if err := entity.Each(f.t.Context(), f.st, appcluster.TaskPrefix+jobID+"/", "", func(t appcluster.Task, _ uint64) error {
		out = append(out, t)
		return nil
	}); err != nil {
		f.t.Fatal(err)
	}
	return out
}

func (f *fixture) waitJob(id string) appcluster.Job {
	f.t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		j := f.job(id)
		if j.Status == appcluster.JobSuccessful || j.Status == appcluster.JobFailed {
			return j
		}
		if time.Now().After(deadline) {
			f.t.Fatalf("job %s not finished after 20s: %+v", id, j)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestCreateRunsLayersAndPersists(t *testing.T) {
	f := newFixture(t)
	f.op.FailNext("instance", 1) // one transient failure: retried
	acc := f.create(3)
	j := f.waitJob(acc.JobID)
	if j.Status != appcluster.JobSuccessful || j.TasksTotal != 5 || j.TasksDone != 5 {
		t.Fatalf("job = %+v", j)
	}
	c := f.cluster(acc.ClusterID)
	if c.Status != appcluster.StatusActive || c.TransitionStatus != "" || c.Revision != 1 || len(c.Roles) != 1 || c.Roles[0].Ready != 3 {
		t.Fatalf("cluster = %+v", c)
	}
	if n := f.op.Instances(acc.ClusterID); n != 3 {
		t.Fatalf("%d instances, want 3", n)
	}
	tasks := f.tasks(acc.JobID)
	retried := 0
	for i, tk := range tasks {
		if tk.Status != appcluster.JobSuccessful || tk.Output == "" || tk.FinishedAt == nil {
			t.Fatalf("task %d = %+v", i, tk)
		}
		if i > 0 && tasks[i-1].Layer > tk.Layer {
			t.Fatalf("tasks out of layer order: %+v", tasks)
		}
		if tk.Attempts == 2 {
			retried++
		}
	}
	if retried != 1 {
		t.Fatalf("%d tasks took two attempts, want the one that failed once", retried)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	types := map[string]int{}
	for _, e := range f.events {
		types[e.Type]++
		if e.ClusterID != acc.ClusterID || e.Owner != "usr-1" {
			t.Fatalf("event %+v", e)
		}
	}
	if types["cluster"] < 3 || types["job"] < 3 || types["task"] < 10 {
		t.Fatalf("events by type = %v", types)
	}
}

func TestActionsQueueAndPreconditions(t *testing.T) {
	f := newFixture(t)
	release := f.op.Block("start")
	acc := f.create(1)
	// While create runs, start is refused (the cluster will be active, not stopped) and stop is
	// queued behind create.
	if _, fault := f.command(acc.ClusterID, clustergrain.OpAction, clustergrain.ActionBody{Action: providers.ActionStart}); fault == nil || fault.Code != "failed_precondition" {
		t.Fatalf("start of a cluster that will be active: %v", fault)
	}
	stop, fault := f.command(acc.ClusterID, clustergrain.OpAction, clustergrain.ActionBody{Action: providers.ActionStop, Owner: "usr-1"})
	if fault != nil {
		t.Fatalf("queue stop: %v", fault)
	}
	if j := f.job(stop.JobID); j.Status != appcluster.JobPending {
		t.Fatalf("queued job = %+v", j)
	}
	release()
	if j := f.waitJob(stop.JobID); j.Status != appcluster.JobSuccessful {
		t.Fatalf("stop = %+v", j)
	}
	if c := f.cluster(acc.ClusterID); c.Status != appcluster.StatusStopped {
		t.Fatalf("cluster after stop = %+v", c)
	}
	if create := f.job(acc.JobID); create.FinishedAt == nil || f.job(stop.JobID).StartedAt.Before(*create.FinishedAt) {
		t.Fatal("the queued job started before the first finished")
	}
	del, fault := f.command(acc.ClusterID, clustergrain.OpAction, clustergrain.ActionBody{Action: providers.ActionDelete})
	if fault != nil {
		t.Fatal(fault)
	}
	f.waitJob(del.JobID)
	if c := f.cluster(acc.ClusterID); c.Status != appcluster.StatusDeleted || f.op.Instances(acc.ClusterID) != 0 {
		t.Fatalf("after delete: %+v, %d instances", c, f.op.Instances(acc.ClusterID))
	}
}

func TestPermanentFailureAndRetry(t *testing.T) {
	f := newFixture(t)
	f.op.FailAlways("start", true)
	acc := f.create(1)
	j := f.waitJob(acc.JobID)
	if j.Status != appcluster.JobFailed || j.Error == "" {
		t.Fatalf("job = %+v", j)
	}
	if c := f.cluster(acc.ClusterID); c.Status != appcluster.StatusFailed || c.TransitionStatus != "" {
		t.Fatalf("cluster = %+v", c)
	}
	for _, tk := range f.tasks(acc.JobID) {
		if tk.Action == "start" && (tk.Attempts != 1 || tk.Status != appcluster.JobFailed) {
			t.Fatalf("a permanent failure was retried: %+v", tk)
		}
	}
	f.op.FailAlways("start", false)
	if _, fault := f.command(acc.ClusterID, clustergrain.OpRetry, clustergrain.RetryBody{JobID: acc.JobID}); fault != nil {
		t.Fatalf("retry: %v", fault)
	}
	if j := f.waitJob(acc.JobID); j.Status != appcluster.JobSuccessful || j.TasksDone != j.TasksTotal {
		t.Fatalf("retried job = %+v", j)
	}
	if c := f.cluster(acc.ClusterID); c.Status != appcluster.StatusActive || f.op.Instances(acc.ClusterID) != 1 {
		t.Fatalf("after retry: %+v, %d instances", c, f.op.Instances(acc.ClusterID))
	}
}

// TestUnreachableParksTheJob: a task whose target is down (providers.ErrUnreachable) spends
// its attempts, then the job waits, unfinished, with the task's error, instead of failing;
// resume pokes run it again while the target is down (still waiting) and, once it is back,
// finish it, with the instances made exactly once.
func TestUnreachableParksTheJob(t *testing.T) {
	f := newFixture(t)
	f.op.Unreachable("start", true)
	acc := f.create(1)
	startTask := func() appcluster.Task {
		for _, tk := range f.tasks(acc.JobID) {
			if tk.Action == "start" {
				return tk
			}
		}
		return appcluster.Task{}
	}
	testutil.Eventually(t, 20*time.Second, "the start task is parked with its error", func() (bool, string) {
		tk := startTask()
		return tk.Status == appcluster.JobPending && strings.Contains(tk.Error, "node is down") && f.op.Runs(tk.ID) >= 3, fmt.Sprintf("%+v", tk)
	})
	if j := f.job(acc.JobID); j.Status != appcluster.JobWorking {
		t.Fatalf("parked job = %+v, want it unfinished (working)", j)
	}
	// A resume round while the target is still down: it runs again and waits again.
	runs := f.op.Runs(startTask().ID)
	if _, fault := f.command(acc.ClusterID, clustergrain.OpResume, nil); fault != nil {
		t.Fatalf("resume: %v", fault)
	}
	testutil.Eventually(t, 20*time.Second, "the start task ran again and waits again", func() (bool, string) {
		tk := startTask()
		return f.op.Runs(tk.ID) >= runs+3 && tk.Status == appcluster.JobPending, fmt.Sprintf("%+v runs %d", tk, f.op.Runs(tk.ID))
	})
	if j := f.job(acc.JobID); j.Status != appcluster.JobWorking {
		t.Fatalf("job after a resume while down = %+v", j)
	}
	// The target is back: the next resume finishes the job.
	f.op.Unreachable("start", false)
	if _, fault := f.command(acc.ClusterID, clustergrain.OpResume, nil); fault != nil {
		t.Fatalf("resume: %v", fault)
	}
	if j := f.waitJob(acc.JobID); j.Status != appcluster.JobSuccessful || j.TasksDone != j.TasksTotal {
		t.Fatalf("job after the target is back = %+v", j)
	}
	if n := f.op.Instances(acc.ClusterID); n != 1 {
		t.Fatalf("%d instances, want exactly 1", n)
	}
	for _, tk := range f.tasks(acc.JobID) {
		if tk.Action == "instance" && f.op.Runs(tk.ID) != 1 {
			t.Fatalf("finished task %s ran %d times", tk.ID, f.op.Runs(tk.ID))
		}
	}
}

// TestResumeAfterNodeDies: the node running a job goes away mid-task; a new node over the same
// store resumes the job from its last finished task and the instance count is exact.
func TestResumeAfterNodeDies(t *testing.T) {
	f := newFixture(t)
	release := f.op.Block("start")
	acc := f.create(2)
	// Wait until the last layer runs: prepare and both instances are done.
	deadline := time.Now().Add(20 * time.Second)
	for {
		done := 0
		for _, tk := range f.tasks(acc.JobID) {
			if tk.Status == appcluster.JobSuccessful {
				done++
			}
		}
		if done == 3 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("layers 0-1 not done: %+v", f.tasks(acc.JobID))
		}
		time.Sleep(10 * time.Millisecond)
	}
	if err := f.node.Close(); err != nil {
		t.Fatal(err)
	}
	release()
	f.startNode()
	if _, fault := f.command(acc.ClusterID, clustergrain.OpResume, nil); fault != nil {
		t.Fatalf("resume: %v", fault)
	}
	if j := f.waitJob(acc.JobID); j.Status != appcluster.JobSuccessful {
		t.Fatalf("resumed job = %+v", j)
	}
	if n := f.op.Instances(acc.ClusterID); n != 2 {
		t.Fatalf("%d instances after resume, want exactly 2", n)
	}
	for _, tk := range f.tasks(acc.JobID) {
		if tk.Action == "instance" && f.op.Runs(tk.ID) != 1 {
			t.Fatalf("finished task %s ran %d times", tk.ID, f.op.Runs(tk.ID))
		}
	}
}

// TestStaleActivationReloads: another owner writes the cluster while a task runs; the task's
// result then fails to commit, the activation reloads (keeping the other write) instead of
// stopping, answers the next command at once, and that command resumes the job.
func TestStaleActivationReloads(t *testing.T) {
	f := newFixture(t)
	release := f.op.Block("start")
	acc := f.create(2)
	for id := range f.op.Started() {
		if tk := f.task(acc.JobID, id); tk.Action == "start" {
			break
		}
	}
	c, v, err := entity.Get[appcluster.Cluster](t.Context(), f.st, appcluster.ClusterKey(acc.ClusterID))
	if err != nil {
		t.Fatal(err)
	}
	c.Description = "written elsewhere"
	if _, err := f.st.Apply(t.Context(), entity.MustPut(appcluster.ClusterKey(acc.ClusterID), c, v, c.Terms()...)); err != nil {
		t.Fatal(err)
	}
	release() // the start task's result now conflicts: the activation reloads
	deadline := time.Now().Add(20 * time.Second)
	for {
		// Each command is answered (a stopping actor would drop it and time out) and resumes
		// the job once the activation has reloaded.
		if _, fault := f.command(acc.ClusterID, clustergrain.OpResume, nil); fault != nil {
			t.Fatalf("resume: %v", fault)
		}
		if j := f.job(acc.JobID); j.Status == appcluster.JobSuccessful {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("job not done after the reload: %+v", f.job(acc.JobID))
		}
		time.Sleep(20 * time.Millisecond)
	}
	if c := f.cluster(acc.ClusterID); c.Description != "written elsewhere" || c.Status != appcluster.StatusActive {
		t.Fatalf("cluster after reload = %+v", c)
	}
	if n := f.op.Instances(acc.ClusterID); n != 2 {
		t.Fatalf("%d instances, want exactly 2", n)
	}
}

// task returns the task of job with id, or a zero task.
func (f *fixture) task(jobID, id string) appcluster.Task {
	for _, tk := range f.tasks(jobID) {
		if tk.ID == id {
			return tk
		}
	}
	return appcluster.Task{}
}

// TestSkippedTaskCountsAsDone: a task the provider passed over (a forced delete's failing
// command) is recorded as skipped with its error, and the job goes on to succeed.
func TestSkippedTaskCountsAsDone(t *testing.T) {
	f := newFixture(t)
	f.op.SkipAlways("start", true)
	acc := f.create(1)
	j := f.waitJob(acc.JobID)
	if j.Status != appcluster.JobSuccessful || j.TasksDone != j.TasksTotal {
		t.Fatalf("job = %+v", j)
	}
	skipped := 0
	for _, tk := range f.tasks(acc.JobID) {
		if tk.Action == "start" {
			if tk.Status != appcluster.TaskSkipped || tk.Error != "start failed" || tk.Output != "skipped (force)" {
				t.Fatalf("start task = %+v", tk)
			}
			skipped++
		}
	}
	if skipped != 1 {
		t.Fatalf("%d skipped tasks", skipped)
	}
	if c := f.cluster(acc.ClusterID); c.Status != appcluster.StatusActive {
		t.Fatalf("cluster = %+v", c)
	}
}
