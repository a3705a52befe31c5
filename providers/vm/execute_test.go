package vm

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pitrix/pitrix/edge/edgepb"
	"github.com/pitrix/pitrix/providers"
	"github.com/pitrix/pitrix/providers/vm/frame"
)

// nodeParams are the params the frame gives the instance and render tasks of node n.
func nodeParams(n providers.Node, cpu, memory int) frame.NodeParams {
	return frame.NodeParams{Node: frame.Node{ID: n.ID, InstanceID: n.InstanceID, Role: n.Role}, CPU: cpu, Memory: memory}
}

func cmdParams(n providers.Node, service, cmd string) frame.CommandParams {
	return frame.CommandParams{Node: frame.Node{ID: n.ID, InstanceID: n.InstanceID, Role: n.Role}, Service: service, Cmd: cmd}
}

// onVPCLog records the calls of Config.OnVPC and fails the first failFirst of them.
type onVPCLog struct {
	mu        sync.Mutex
	calls     []string // "runtime owner frontgate"
	failFirst int
}

func (l *onVPCLog) record(_ context.Context, rt providers.RuntimeSpec, owner string, vpc VPC) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.calls = append(l.calls, rt.ID+" "+owner+" "+vpc.FrontgateID)
	if len(l.calls) <= l.failFirst {
		return errBoom
	}
	return nil
}

func (l *onVPCLog) got() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return slices.Clone(l.calls)
}

func TestExecuteVPC(t *testing.T) {
	ctx := testCtx(t)
	d, e := fakes()
	var rec onVPCLog
	op := newOp(t, d, e, func(c *Config) { c.OnVPC = rec.record })

	res, err := op.Execute(ctx, newTask(t, "t-vpc", frame.TaskVPC, map[string]string{"cluster_id": testClusterID}, twoRoles()))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(res.Output, "vpc-1") || !strings.Contains(res.Output, testFG) {
		t.Errorf("output %q does not name the vpc and its frontgate", res.Output)
	}
	if d.count("EnsureVPC") != 1 || e.count("DroneStatus") != 1 {
		t.Errorf("EnsureVPC called %d times, DroneStatus %d times; want 1 each", d.count("EnsureVPC"), e.count("DroneStatus"))
	}
	if d.owners[0] != testOwner {
		t.Errorf("EnsureVPC for owner %q, want the cluster's owner %q", d.owners[0], testOwner)
	}

	// More tasks of the same owner on the same runtime, of any kind, tell OnVPC nothing new.
	for _, id := range []string{"t-vpc-2", "t-vpc-3"} {
		if _, err := op.Execute(ctx, newTask(t, id, frame.TaskVPC, map[string]string{"cluster_id": testClusterID}, twoRoles())); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := op.Execute(ctx, newTask(t, "t-ci", frame.TaskCreateInstance, nodeParams(node("worker", 1, ""), 1, 1024), twoRoles())); err != nil {
		t.Fatal(err)
	}
	if got := rec.got(); !slices.Equal(got, []string{"rt-1 usr-1 fg-1"}) {
		t.Errorf("OnVPC calls %v, want one", got)
	}
	// Another owner, another runtime: each told once.
	other := newTask(t, "t-vpc-o", frame.TaskVPC, nil, twoRoles())
	other.Cluster.Owner = "usr-2"
	otherRT := newTask(t, "t-vpc-r", frame.TaskVPC, nil, twoRoles())
	otherRT.Runtime.ID = "rt-2"
	for _, task := range []providers.Task{other, other, otherRT, otherRT} {
		if _, err := op.Execute(ctx, task); err != nil {
			t.Fatal(err)
		}
	}
	if got, want := rec.got(), []string{"rt-1 usr-1 fg-1", "rt-1 usr-2 fg-1", "rt-2 usr-1 fg-1"}; !slices.Equal(got, want) {
		t.Errorf("OnVPC calls %v, want %v", got, want)
	}
}

func TestExecuteVPCOnVPCErrorIsLogged(t *testing.T) {
	ctx := testCtx(t)
	d, e := fakes()
	rec := onVPCLog{failFirst: 1}
	logs := &recorder{}
	op := newOp(t, d, e, func(c *Config) { c.OnVPC = rec.record; c.Logger = slog.New(logs) })
	for _, id := range []string{"t-1", "t-2", "t-3"} {
		if _, err := op.Execute(ctx, newTask(t, id, frame.TaskVPC, nil, twoRoles())); err != nil {
			t.Fatalf("task %s: %v (an OnVPC error must not fail it)", id, err)
		}
	}
	// The failed record is tried again by the next task, then never again.
	if got := rec.got(); len(got) != 2 {
		t.Errorf("OnVPC called %d times (%v), want 2: the failure, then the success", len(got), got)
	}
	if warns := logs.messages(slog.LevelWarn); !slices.Equal(warns, []string{"record vpc"}) {
		t.Errorf("warnings %v, want one \"record vpc\"", warns)
	}
}

func TestExecuteVPCFailures(t *testing.T) {
	cases := []struct {
		name    string
		breakIt func(d *fakeDriver, e *fakeEdge)
		wantErr []string
		wantIs  error
	}{
		{"driver fails", func(d *fakeDriver, _ *fakeEdge) { d.failOn("EnsureVPC", errBoom) },
			[]string{"usr-1", "rt-1"}, errBoom},
		{"frontgate unreachable", func(_ *fakeDriver, e *fakeEdge) { e.with(func(e *fakeEdge) { e.frontgates[testFG] = false }) },
			[]string{"frontgate fg-1", "vpc-1"}, nil},
		{"frontgate refuses", func(_ *fakeDriver, e *fakeEdge) { e.with(func(e *fakeEdge) { e.fail["DroneStatus"] = errBoom }) },
			[]string{"frontgate fg-1"}, errBoom},
		{"frontgate answers nonsense", func(_ *fakeDriver, e *fakeEdge) {
			e.with(func(e *fakeEdge) { e.answers["DroneStatus"] = &edgepb.Ack{} })
		}, []string{"fg-1", "Ack"}, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			d, e := fakes()
			tc.breakIt(d, e)
			op := newOp(t, d, e)
			_, err := op.Execute(testCtx(t), newTask(t, "t-vpc", frame.TaskVPC, nil, twoRoles()))
			if err == nil {
				t.Fatal("vm.vpc succeeded")
			}
			for _, w := range tc.wantErr {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("err %q does not mention %q", err, w)
				}
			}
			if tc.wantIs != nil && !errors.Is(err, tc.wantIs) {
				t.Errorf("err %v does not wrap %v", err, tc.wantIs)
			}
			if errors.Is(err, providers.ErrPermanent) {
				t.Errorf("err %v is permanent; an outage is worth retrying", err)
			}
		})
	}
}

func TestExecuteCreateInstanceWaitsForDrone(t *testing.T) {
	ctx := testCtx(t)
	d, e := fakes()
	e.bootPolls = 3 // the Drone shows up in the fourth DroneStatus answer
	op := newOp(t, d, e)
	n := node("master", 1, "")
	task := newTask(t, "t-create", frame.TaskCreateInstance, nodeParams(n, 2, 2048), twoRoles())

	res, err := op.Execute(ctx, task)
	if err != nil {
		t.Fatal(err)
	}
	inst, ok := d.instance(n.InstanceID)
	if !ok || inst.IP == "" {
		t.Fatalf("driver has %+v (%v), want the instance with an address", inst, ok)
	}
	want := providers.Node{ID: n.ID, Role: "master", InstanceID: n.InstanceID, PrivateIP: inst.IP, Status: InstanceRunning}
	if res.Observed == nil || !slices.Equal(res.Observed.Nodes, []providers.Node{want}) {
		t.Errorf("observed %+v, want nodes [%+v]", res.Observed, want)
	}
	if !e.connected(n.InstanceID) {
		t.Error("the task returned before the Drone connected")
	}
	// vpc() asks once, then the wait polls until the Drone shows: 1 + 4.
	if got := e.count("DroneStatus"); got != 5 {
		t.Errorf("DroneStatus asked %d times, want 5 (1 for the vpc, 4 until the Drone shows)", got)
	}
	if !strings.Contains(res.Output, "created "+n.InstanceID+" at "+inst.IP) {
		t.Errorf("output %q", res.Output)
	}

	// What the driver was asked for: the node's resources and the role's own health check.
	in := d.spec(n.InstanceID)
	wantSpec := InstanceSpec{ID: n.InstanceID, ClusterID: testClusterID, NodeID: n.ID, Role: "master", CPU: 2, Memory: 2048,
		Health: Health{Cmd: "master-check", Interval: 10 * time.Second, Timeout: 5 * time.Second, HealthyThreshold: 2, UnhealthyThreshold: 3}}
	if in != wantSpec {
		t.Errorf("CreateInstance got %+v, want %+v", in, wantSpec)
	}

	// Again (a retry after a lost reply): the same instance, not a second one.
	res2, err := op.Execute(ctx, task)
	if err != nil {
		t.Fatal(err)
	}
	if res2.Observed.Nodes[0].PrivateIP != inst.IP || d.count("CreateInstance") != 2 || len(d.instances) != 1 {
		t.Errorf("re-run observed %+v with %d instances, want the same instance", res2.Observed.Nodes, len(d.instances))
	}

	// A worker has no health check of its own: the cluster's applies.
	w := node("worker", 1, "")
	if _, err := op.Execute(ctx, newTask(t, "t-create-w", frame.TaskCreateInstance, nodeParams(w, 1, 1024), twoRoles())); err != nil {
		t.Fatal(err)
	}
	if h := d.spec(w.InstanceID).Health; h.Cmd != "cluster-check" || h.Interval != 30*time.Second {
		t.Errorf("worker health %+v, want the cluster's check", h)
	}
}

func TestExecuteCreateInstanceDroneNeverConnects(t *testing.T) {
	d, e := fakes()
	d.noDrone = true
	op := newOp(t, d, e)
	n := node("worker", 2, "")
	ctx, cancel := context.WithTimeout(t.Context(), 100*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := op.Execute(ctx, newTask(t, "t-create", frame.TaskCreateInstance, nodeParams(n, 1, 1024), twoRoles()))
	if err == nil {
		t.Fatal("create succeeded without a Drone")
	}
	// The instance is named only when the last poll got an answer (see
	// TestWaitDroneErrorNamesInstance), so only the frontgate is checked here.
	if !strings.Contains(err.Error(), testFG) {
		t.Errorf("err %q does not name frontgate %s", err, testFG)
	}
	if !errors.Is(err, context.DeadlineExceeded) || errors.Is(err, providers.ErrPermanent) {
		t.Errorf("err %v: want the task's deadline, not a permanent failure", err)
	}
	if el := time.Since(start); el > 10*time.Second {
		t.Errorf("took %v past a 100ms task deadline", el)
	}
	if _, ok := d.instance(n.InstanceID); !ok {
		t.Error("the instance was not created")
	}
}

// TestWaitDroneErrorNamesInstance: when the task's deadline passes during a DroneStatus
// request (a Frontgate slow to answer, or the poll tick and the deadline coming together),
// the error names only the frontgate, not the instance whose Drone was awaited.
func TestWaitDroneErrorNamesInstance(t *testing.T) {
	d, e := fakes()
	d.noDrone = true
	e.hangStatusAfter = 1 // vpc() gets its answer, the wait's polls hang
	op := newOp(t, d, e)
	n := node("worker", 2, "")
	ctx, cancel := context.WithTimeout(t.Context(), 100*time.Millisecond)
	defer cancel()
	_, err := op.Execute(ctx, newTask(t, "t-create", frame.TaskCreateInstance, nodeParams(n, 1, 1024), twoRoles()))
	if err == nil || !strings.Contains(err.Error(), n.InstanceID) || !strings.Contains(err.Error(), testFG) {
		t.Errorf("err %v, want one naming %s and %s", err, n.InstanceID, testFG)
	}
}

func TestExecuteCreateInstanceDriverFails(t *testing.T) {
	d, e := fakes()
	d.failOn("CreateInstance", errBoom)
	op := newOp(t, d, e)
	res, err := op.Execute(testCtx(t), newTask(t, "t-create", frame.TaskCreateInstance, nodeParams(node("worker", 1, ""), 1, 1024), twoRoles()))
	if !errors.Is(err, errBoom) || res.Observed != nil {
		t.Errorf("result %+v, err %v; want the driver's error and nothing observed", res, err)
	}
}

func TestExecuteInstanceLifecycle(t *testing.T) {
	ctx := testCtx(t)
	d, e := fakes()
	op := newOp(t, d, e)
	n := node("worker", 1, "")
	run := func(action string, p frame.NodeParams) (providers.TaskResult, error) {
		return op.Execute(ctx, newTask(t, "t-"+action, action, p, twoRoles()))
	}
	res, err := run(frame.TaskCreateInstance, nodeParams(n, 1, 1024))
	if err != nil {
		t.Fatal(err)
	}
	ip := res.Observed.Nodes[0].PrivateIP

	// A running instance cannot be resized.
	if _, err := run(frame.TaskResizeInstance, nodeParams(n, 2, 4096)); err == nil {
		t.Error("resize of a running instance succeeded")
	}

	res, err = run(frame.TaskStopInstance, nodeParams(n, 1, 1024))
	if err != nil {
		t.Fatal(err)
	}
	want := providers.Node{ID: n.ID, Role: "worker", InstanceID: n.InstanceID, Status: InstanceStopped}
	if res.Observed == nil || !slices.Equal(res.Observed.Nodes, []providers.Node{want}) {
		t.Errorf("stop observed %+v, want [%+v] (no address)", res.Observed, want)
	}
	if inst, _ := d.instance(n.InstanceID); inst.Status != InstanceStopped || e.connected(n.InstanceID) {
		t.Errorf("after stop: instance %+v, drone connected %v", inst, e.connected(n.InstanceID))
	}

	res, err = run(frame.TaskResizeInstance, nodeParams(n, 2, 4096))
	if err != nil {
		t.Fatal(err)
	}
	if in := d.spec(n.InstanceID); in.CPU != 2 || in.Memory != 4096 || in.Role != "worker" {
		t.Errorf("resize gave the driver %+v", in)
	}
	if res.Observed != nil || !strings.Contains(res.Output, "4096 MiB") {
		t.Errorf("resize result %+v", res)
	}

	res, err = run(frame.TaskStartInstance, nodeParams(n, 2, 4096))
	if err != nil {
		t.Fatal(err)
	}
	want = providers.Node{ID: n.ID, Role: "worker", InstanceID: n.InstanceID, PrivateIP: ip, Status: InstanceRunning}
	if res.Observed == nil || !slices.Equal(res.Observed.Nodes, []providers.Node{want}) || !e.connected(n.InstanceID) {
		t.Errorf("start observed %+v, want [%+v] with the Drone back", res.Observed, want)
	}
	if !strings.HasPrefix(res.Output, "started ") {
		t.Errorf("start output %q", res.Output)
	}

	for range 2 { // deleting twice is fine
		res, err = run(frame.TaskDeleteInstance, nodeParams(n, 2, 4096))
		if err != nil {
			t.Fatal(err)
		}
		if res.Observed == nil || !slices.Equal(res.Observed.DropNodes, []string{n.ID}) || len(res.Observed.Nodes) != 0 {
			t.Errorf("delete observed %+v, want node %s dropped", res.Observed, n.ID)
		}
	}
	if _, ok := d.instance(n.InstanceID); ok {
		t.Error("the instance survived its delete")
	}

	// Stopping or starting what is gone reports it.
	if _, err := run(frame.TaskStopInstance, nodeParams(n, 1, 1024)); !errors.Is(err, ErrNoInstance) {
		t.Errorf("stop of a deleted instance: %v, want ErrNoInstance", err)
	}
	if _, err := run(frame.TaskStartInstance, nodeParams(n, 1, 1024)); !errors.Is(err, ErrNoInstance) {
		t.Errorf("start of a deleted instance: %v, want ErrNoInstance", err)
	}
}

func TestExecuteInstanceTasksNeedTheVPC(t *testing.T) {
	for _, action := range []string{frame.TaskStopInstance, frame.TaskResizeInstance, frame.TaskDeleteInstance, frame.TaskStartInstance} {
		t.Run(action, func(t *testing.T) {
			d, e := fakes()
			d.put(Instance{ID: "i-abc-worker-1", IP: "10.9.0.5", Status: InstanceStopped})
			d.failOn("EnsureVPC", errBoom)
			op := newOp(t, d, e)
			_, err := op.Execute(testCtx(t), newTask(t, "t-1", action, nodeParams(node("worker", 1, ""), 1, 1024), twoRoles()))
			if !errors.Is(err, errBoom) {
				t.Errorf("err %v, want the VPC failure", err)
			}
			if inst, _ := d.instance("i-abc-worker-1"); inst.Status != InstanceStopped {
				t.Errorf("instance touched without its VPC: %+v", inst)
			}
		})
	}
}

func TestExecuteBadTasksArePermanent(t *testing.T) {
	cases := []struct{ name, action, params string }{
		{"unknown action", "vm.teleport", `{}`},
		{"no action", "", `{}`},
		{"create with bad params", frame.TaskCreateInstance, `{"node_id":`},
		{"stop with bad params", frame.TaskStopInstance, `[]`},
		{"resize with bad params", frame.TaskResizeInstance, `{"cpu":"two"}`},
		{"delete with bad params", frame.TaskDeleteInstance, `"x"`},
		{"render with bad params", frame.TaskRender, `{`},
		{"command with bad params", frame.TaskCommand, `{"cmd":1}`},
		{"metadata with bad params", frame.TaskMetadata, `{"nodes":{}}`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			d, e := fakes()
			op := newOp(t, d, e)
			task := newTask(t, "t-bad", tc.action, nil, twoRoles())
			task.Spec.Params = []byte(tc.params)
			_, err := op.Execute(testCtx(t), task)
			if !errors.Is(err, providers.ErrPermanent) {
				t.Fatalf("err = %v, want permanent", err)
			}
			if tc.action != "" && !strings.Contains(err.Error(), tc.action) {
				t.Errorf("err %q does not name the action %s", err, tc.action)
			}
			if n := d.count("CreateInstance") + d.count("StopInstance") + d.count("ResizeInstance") + d.count("DeleteInstance"); n != 0 {
				t.Errorf("a bad task made %d instance calls", n)
			}
		})
	}
}

func TestExecuteRender(t *testing.T) {
	n := node("worker", 1, "")
	cases := []struct {
		name    string
		result  *edgepb.RenderResult // nil: the fake's default
		wantOut string
		wantErr []string
	}{
		{name: "default", wantOut: "app.toml unchanged"},
		{name: "changed and reloaded", result: &edgepb.RenderResult{Files: []*edgepb.RenderedFile{
			{Name: "a.toml", Status: "changed", Reloaded: true}, {Name: "b.toml", Status: "unchanged"}}},
			wantOut: "a.toml changed (reloaded)\nb.toml unchanged"},
		{name: "nothing", result: &edgepb.RenderResult{}, wantOut: "nothing to render"},
		{name: "file errors", result: &edgepb.RenderResult{Files: []*edgepb.RenderedFile{
			{Name: "a.toml", Status: "error", Error: "template: no key /env/port"},
			{Name: "b.toml", Status: "changed"},
			{Name: "c.toml", Status: "error", Error: "reload exited 1"}}},
			wantErr: []string{n.InstanceID, "a.toml: template: no key /env/port", "c.toml: reload exited 1"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			d, e := fakes()
			op := newOp(t, d, e)
			ctx := testCtx(t)
			if _, err := op.Execute(ctx, newTask(t, "t-create", frame.TaskCreateInstance, nodeParams(n, 1, 1024), twoRoles())); err != nil {
				t.Fatal(err)
			}
			if tc.result != nil {
				e.with(func(e *fakeEdge) { e.renders[n.InstanceID] = tc.result })
			}
			res, err := op.Execute(ctx, newTask(t, "t-render", frame.TaskRender, nodeParams(n, 1, 1024), twoRoles()))
			if e.renderCalls[n.InstanceID] != 1 {
				t.Errorf("rendered %d times", e.renderCalls[n.InstanceID])
			}
			if d.count("StartInstance") != 0 {
				t.Errorf("a connected Drone had its instance started %d times", d.count("StartInstance"))
			}
			if tc.wantErr == nil {
				if err != nil || res.Output != tc.wantOut {
					t.Errorf("render = %q, %v; want %q", res.Output, err, tc.wantOut)
				}
				return
			}
			if err == nil {
				t.Fatalf("render with file errors succeeded: %q", res.Output)
			}
			for _, w := range tc.wantErr {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("err %q does not mention %q", err, w)
				}
			}
			if strings.Contains(err.Error(), "b.toml") {
				t.Errorf("err %q names a file that rendered", err)
			}
		})
	}
}

// TestExecuteRenderRestartsALostDrone: a Drone that is not connected gets DroneGrace, then its
// instance is started again and the render goes through.
func TestExecuteRenderRestartsALostDrone(t *testing.T) {
	d, e := fakes()
	e.bootPolls = 2
	n := node("worker", 1, "10.9.0.5")
	d.put(Instance{ID: n.InstanceID, IP: "10.9.0.5", Status: InstanceRunning}) // its Drone died
	logs := &recorder{}
	op := newOp(t, d, e, func(c *Config) { c.Logger = slog.New(logs) })

	res, err := op.Execute(testCtx(t), newTask(t, "t-render", frame.TaskRender, nodeParams(n, 1, 1024), twoRoles(), n))
	if err != nil {
		t.Fatal(err)
	}
	if d.count("StartInstance") != 1 || e.renderCalls[n.InstanceID] != 1 || res.Output != "app.toml unchanged" {
		t.Errorf("StartInstance ×%d, renders ×%d, output %q; want one restart, then the render",
			d.count("StartInstance"), e.renderCalls[n.InstanceID], res.Output)
	}
	if warns := logs.messages(slog.LevelWarn); len(warns) != 1 || !strings.Contains(warns[0], "starting its instance again") {
		t.Errorf("warnings %v", warns)
	}
}

func TestExecuteRenderFailures(t *testing.T) {
	n := node("worker", 1, "")
	t.Run("instance gone", func(t *testing.T) {
		d, e := fakes()
		op := newOp(t, d, e)
		_, err := op.Execute(testCtx(t), newTask(t, "t-render", frame.TaskRender, nodeParams(n, 1, 1024), twoRoles()))
		if !errors.Is(err, providers.ErrPermanent) || !errors.Is(err, ErrNoInstance) || !strings.Contains(err.Error(), n.InstanceID) {
			t.Errorf("err %v, want a permanent ErrNoInstance naming %s", err, n.InstanceID)
		}
		if e.count("RenderConfig") != 0 {
			t.Error("rendered on a missing instance")
		}
	})
	t.Run("restart fails", func(t *testing.T) {
		d, e := fakes()
		d.put(Instance{ID: n.InstanceID, IP: "10.9.0.5", Status: InstanceRunning})
		d.failOn("StartInstance", errBoom)
		op := newOp(t, d, e)
		_, err := op.Execute(testCtx(t), newTask(t, "t-render", frame.TaskRender, nodeParams(n, 1, 1024), twoRoles()))
		if !errors.Is(err, errBoom) || errors.Is(err, providers.ErrPermanent) {
			t.Errorf("err %v, want the driver's transient error", err)
		}
	})
	t.Run("task ends while waiting", func(t *testing.T) {
		d, e := fakes()
		d.put(Instance{ID: n.InstanceID, IP: "10.9.0.5", Status: InstanceRunning})
		op := newOp(t, d, e, func(c *Config) { c.DroneGrace = time.Hour })
		ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
		defer cancel()
		_, err := op.Execute(ctx, newTask(t, "t-render", frame.TaskRender, nodeParams(n, 1, 1024), twoRoles()))
		if !errors.Is(err, context.DeadlineExceeded) || d.count("StartInstance") != 0 {
			t.Errorf("err %v after %d restarts; want the deadline and no restart", err, d.count("StartInstance"))
		}
	})
	for _, tc := range []struct {
		name string
		set  func(e *fakeEdge)
		want []string
	}{
		{"frontgate refuses", func(e *fakeEdge) { e.fail["RenderConfig"] = errBoom }, []string{n.InstanceID, testFG, "boom"}},
		{"frontgate answers nonsense", func(e *fakeEdge) { e.answers["RenderConfig"] = &edgepb.Ack{} }, []string{testFG, "RenderConfig"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d, e := fakes()
			op := newOp(t, d, e)
			ctx := testCtx(t)
			if _, err := op.Execute(ctx, newTask(t, "t-create", frame.TaskCreateInstance, nodeParams(n, 1, 1024), twoRoles())); err != nil {
				t.Fatal(err)
			}
			e.with(tc.set)
			_, err := op.Execute(ctx, newTask(t, "t-render", frame.TaskRender, nodeParams(n, 1, 1024), twoRoles()))
			if err == nil || errors.Is(err, providers.ErrPermanent) {
				t.Fatalf("err %v, want a transient failure", err)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("err %q does not mention %q", err, w)
				}
			}
		})
	}
}

// commandSetup is an Operator with node worker-1 created and its Drone connected.
func commandSetup(t *testing.T) (*Operator, *fakeDriver, *fakeEdge, providers.Node) {
	t.Helper()
	d, e := fakes()
	op := newOp(t, d, e)
	n := node("worker", 1, "")
	if _, err := op.Execute(testCtx(t), newTask(t, "t-create", frame.TaskCreateInstance, nodeParams(n, 1, 1024), twoRoles())); err != nil {
		t.Fatal(err)
	}
	return op, d, e, n
}

func commandTask(t *testing.T, id string, n providers.Node, service, cmd string) providers.Task {
	task := newTask(t, id, frame.TaskCommand, cmdParams(n, service, cmd), twoRoles())
	task.Spec.Timeout = 30 * time.Second
	return task
}

func TestExecuteCommand(t *testing.T) {
	op, _, e, n := commandSetup(t)
	ctx := testCtx(t)
	task := commandTask(t, "t-start", n, "start", "worker-start")

	res, err := op.Execute(ctx, task)
	if err != nil {
		t.Fatal(err)
	}
	if len(e.requests) != 1 {
		t.Fatalf("%d RunCommand requests, want 1", len(e.requests))
	}
	rc := e.requests[0]
	if rc.CommandId != "t-start" || rc.InstanceId != n.InstanceID || rc.Cmd != "worker-start" {
		t.Errorf("RunCommand %v, want id t-start on %s running worker-start", rc, n.InstanceID)
	}
	if !strings.HasPrefix(res.Output, "exit 0 in 7 ms\nstdout: ran worker-start") || strings.Contains(res.Output, "earlier run") {
		t.Errorf("output %q", res.Output)
	}

	// The task again (a crash after the Drone ran it): the Drone's stored result, run once.
	res, err = op.Execute(ctx, task)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(res.Output, "(result of the earlier run)") || e.ran["t-start"] != 1 {
		t.Errorf("re-run output %q, ran %d times; want the earlier result and one run", res.Output, e.ran["t-start"])
	}

	// A retried job (Run 2) runs it again under a new id.
	task.Run = 2
	res, err = op.Execute(ctx, task)
	if err != nil {
		t.Fatal(err)
	}
	if got := e.requests[len(e.requests)-1].CommandId; got != "t-start.r2" || e.ran["t-start.r2"] != 1 {
		t.Errorf("retry ran id %q (%d times), want t-start.r2 once", got, e.ran["t-start.r2"])
	}
	if strings.Contains(res.Output, "earlier run") {
		t.Errorf("retry output %q claims an earlier run", res.Output)
	}
}

func TestExecuteCommandFails(t *testing.T) {
	op, _, e, n := commandSetup(t)
	ctx := testCtx(t)
	e.with(func(e *fakeEdge) {
		e.exits["worker-init"] = 3
		e.stderr["worker-init"] = "init: disk full\n"
	})
	task := commandTask(t, "t-init", n, "init", "worker-init")
	for _, again := range []bool{false, true} {
		res, err := op.Execute(ctx, task)
		if !errors.Is(err, providers.ErrPermanent) {
			t.Fatalf("err %v, want a permanent failure", err)
		}
		for _, w := range []string{"init command \"worker-init\" on node " + n.ID + " (" + n.InstanceID + ") exited 3", "init: disk full"} {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("err %q does not mention %q", err, w)
			}
		}
		if !strings.HasPrefix(res.Output, "exit 3") || !strings.Contains(res.Output, "stderr: init: disk full") {
			t.Errorf("output %q, want the exit code and stderr", res.Output)
		}
		if got := strings.Contains(res.Output, "(result of the earlier run)"); got != again {
			t.Errorf("output %q: deduplicated shown %v, want %v", res.Output, got, again)
		}
	}
	if e.ran["t-init"] != 1 {
		t.Errorf("failed command ran %d times, want 1", e.ran["t-init"])
	}
}

func TestExecuteCommandLongStderrIsCut(t *testing.T) {
	op, _, e, n := commandSetup(t)
	long := strings.Repeat("x", 1000) + "THE END"
	e.with(func(e *fakeEdge) { e.exits["bad"], e.stderr["bad"] = 1, long })
	_, err := op.Execute(testCtx(t), commandTask(t, "t-bad", n, "start", "bad"))
	if !errors.Is(err, providers.ErrPermanent) || !strings.Contains(err.Error(), "THE END") || len(err.Error()) > 600 {
		t.Errorf("err (%d bytes) %.100q…, want the tail of stderr, cut", len(err.Error()), err)
	}
}

func TestExecuteCommandTimeout(t *testing.T) {
	cases := []struct {
		name      string
		spec, ctx time.Duration
		min, max  uint32
	}{
		{"the task's timeout less a second", 30 * time.Second, time.Minute, 29, 29},
		{"bounded by the deadline", 10 * time.Minute, 5 * time.Second, 3, 4},
		{"never below a second", 1500 * time.Millisecond, time.Minute, 1, 1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			op, _, e, n := commandSetup(t)
			ctx, cancel := context.WithTimeout(t.Context(), tc.ctx)
			defer cancel()
			task := commandTask(t, "t-cmd", n, "start", "worker-start")
			task.Spec.Timeout = tc.spec
			if _, err := op.Execute(ctx, task); err != nil {
				t.Fatal(err)
			}
			if got := e.requests[0].TimeoutSec; got < tc.min || got > tc.max {
				t.Errorf("timeout_sec %d, want %d..%d", got, tc.min, tc.max)
			}
		})
	}
}

// TestExecuteCommandDefaultTimeout: Spec.Timeout 0 means the engine's default, which reaches
// Execute as the ctx deadline. Today the command is sent with timeout_sec 1 instead.
func TestExecuteCommandDefaultTimeout(t *testing.T) {
	op, _, e, n := commandSetup(t)
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	task := commandTask(t, "t-cmd", n, "start", "worker-start")
	task.Spec.Timeout = 0
	if _, err := op.Execute(ctx, task); err != nil {
		t.Fatal(err)
	}
	if got := e.requests[0].TimeoutSec; got < 50 {
		t.Errorf("timeout_sec %d with a minute left, want about 59", got)
	}
}

func TestExecuteCommandOnALostDrone(t *testing.T) {
	t.Run("restarted, then run", func(t *testing.T) {
		op, d, e, n := commandSetup(t)
		e.disconnect(n.InstanceID) // its Drone died
		if _, err := op.Execute(testCtx(t), commandTask(t, "t-start", n, "start", "worker-start")); err != nil {
			t.Fatal(err)
		}
		if d.count("StartInstance") != 1 || e.ran["t-start"] != 1 {
			t.Errorf("StartInstance ×%d, command ran ×%d; want 1 and 1", d.count("StartInstance"), e.ran["t-start"])
		}
	})
	t.Run("instance gone", func(t *testing.T) {
		op, d, e, n := commandSetup(t)
		if err := d.DeleteInstance(testCtx(t), testRuntime, d.vpc, n.InstanceID); err != nil {
			t.Fatal(err)
		}
		_, err := op.Execute(testCtx(t), commandTask(t, "t-start", n, "start", "worker-start"))
		if !errors.Is(err, providers.ErrPermanent) || !errors.Is(err, ErrNoInstance) {
			t.Errorf("err %v, want a permanent ErrNoInstance", err)
		}
		if len(e.requests) != 0 {
			t.Errorf("%d commands sent to a missing instance", len(e.requests))
		}
	})
	t.Run("frontgate refuses", func(t *testing.T) {
		op, _, e, n := commandSetup(t)
		e.with(func(e *fakeEdge) { e.fail["RunCommand"] = errBoom })
		_, err := op.Execute(testCtx(t), commandTask(t, "t-start", n, "start", "worker-start"))
		if !errors.Is(err, errBoom) || errors.Is(err, providers.ErrPermanent) || !strings.Contains(err.Error(), "start on node "+n.ID+" ("+n.InstanceID+")") {
			t.Errorf("err %v, want a transient error naming the service and instance", err)
		}
	})
	t.Run("frontgate answers nonsense", func(t *testing.T) {
		op, _, e, n := commandSetup(t)
		e.with(func(e *fakeEdge) { e.answers["RunCommand"] = &edgepb.Ack{} })
		_, err := op.Execute(testCtx(t), commandTask(t, "t-start", n, "start", "worker-start"))
		if err == nil || !strings.Contains(err.Error(), "RunCommand") {
			t.Errorf("err %v, want one naming the unexpected answer", err)
		}
	})
}

// TestExecuteStopOfMissingInstance: stop and destroy of an instance that does not exist are
// done (a delete names instances a failed create may not have made); other services are not.
func TestExecuteStopOfMissingInstance(t *testing.T) {
	op, d, e, n := commandSetup(t)
	if err := d.DeleteInstance(testCtx(t), testRuntime, d.vpc, n.InstanceID); err != nil {
		t.Fatal(err)
	}
	for _, service := range []string{"stop", "destroy"} {
		res, err := op.Execute(testCtx(t), commandTask(t, "t-"+service, n, service, "worker-"+service))
		if err != nil || !strings.Contains(res.Output, "nothing to "+service) {
			t.Fatalf("%s of a missing instance = %q, %v", service, res.Output, err)
		}
		if e.ran["t-"+service] != 0 {
			t.Fatalf("%s ran on a missing instance", service)
		}
	}
	if _, err := op.Execute(testCtx(t), commandTask(t, "t-start", n, "start", "worker-start")); !errors.Is(err, providers.ErrPermanent) {
		t.Fatalf("start of a missing instance = %v, want a permanent failure", err)
	}
	if d.count("StartInstance") != 1 {
		t.Fatalf("StartInstance ×%d, want 1 (the start's attempt to bring the Drone back)", d.count("StartInstance"))
	}
}

// TestExecuteTeardownCommand: a failing stop of a delete names the node and the command and
// points at force; with force it is skipped (the result says so, with the error) instead.
func TestExecuteTeardownCommand(t *testing.T) {
	op, _, e, n := commandSetup(t)
	e.with(func(e *fakeEdge) {
		e.exits["worker-stop"] = 9
		e.stderr["worker-stop"] = "no pid file\n"
	})
	teardown := func(id string, force bool) providers.Task {
		task := commandTask(t, id, n, "stop", "worker-stop")
		var cp frame.CommandParams
		if err := json.Unmarshal(task.Spec.Params, &cp); err != nil {
			t.Fatal(err)
		}
		cp.Teardown, cp.Force = providers.ActionDelete, force
		task.Spec.Params, _ = json.Marshal(cp)
		return task
	}
	_, err := op.Execute(testCtx(t), teardown("t-stop", false))
	if !errors.Is(err, providers.ErrPermanent) {
		t.Fatalf("err %v, want a permanent failure", err)
	}
	for _, w := range []string{`stop command "worker-stop" on node ` + n.ID, "exited 9", "no pid file", "?force=true", "--force"} {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("err %q does not mention %q", err, w)
		}
	}
	res, err := op.Execute(testCtx(t), teardown("t-stop-forced", true))
	if err != nil || !strings.Contains(res.Skipped, "exited 9") || !strings.Contains(res.Output, "skipped (force)") {
		t.Fatalf("forced: %+v, %v", res, err)
	}
	// A command that succeeds is not skipped, forced or not.
	ok := commandTask(t, "t-start", n, "start", "worker-start")
	if res, err := op.Execute(testCtx(t), ok); err != nil || res.Skipped != "" {
		t.Fatalf("start: %+v, %v", res, err)
	}
}
