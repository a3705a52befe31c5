package vm

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/pitrix/pitrix/providers"
	"github.com/pitrix/pitrix/providers/vm/frame"
)

// summary renders a plan one line per layer, tasks sorted: "<action> <node id>", commands as
// "<action>[<service>] <node id>", metadata as "vm.metadata hosts=<ids> [adding=..] [deleting=..]
// [bundle]", cluster tasks as "<action> <target>".
func summary(t *testing.T, p providers.Plan) []string {
	t.Helper()
	var out []string
	for _, l := range p.Layers {
		var parts []string
		for _, s := range l {
			switch s.Action {
			case frame.TaskCommand:
				var cp frame.CommandParams
				if err := json.Unmarshal(s.Params, &cp); err != nil {
					t.Fatal(err)
				}
				parts = append(parts, fmt.Sprintf("%s[%s] %s", s.Action, cp.Service, s.NodeID))
			case frame.TaskMetadata:
				var mp frame.MetadataParams
				if err := json.Unmarshal(s.Params, &mp); err != nil {
					t.Fatal(err)
				}
				var ids []string
				for _, n := range mp.Nodes {
					ids = append(ids, n.ID)
				}
				line := s.Action + " hosts=" + strings.Join(ids, ",")
				if len(mp.Adding) > 0 {
					line += " adding=" + strings.Join(mp.Adding, ",")
				}
				if len(mp.Deleting) > 0 {
					line += " deleting=" + strings.Join(mp.Deleting, ",")
				}
				if mp.Bundle {
					line += " bundle"
				}
				parts = append(parts, line)
			case frame.TaskVPC, frame.TaskDropMetadata:
				parts = append(parts, s.Action+" "+s.Target)
			default:
				parts = append(parts, s.Action+" "+s.NodeID)
			}
		}
		slices.Sort(parts)
		out = append(out, strings.Join(parts, "; "))
	}
	return out
}

// tasksOf returns the tasks of the plan doing action, in plan order.
func tasksOf(p providers.Plan, action string) []providers.TaskSpec {
	var out []providers.TaskSpec
	for _, l := range p.Layers {
		for _, s := range l {
			if s.Action == action {
				out = append(out, s)
			}
		}
	}
	return out
}

func nodeIDs(ts []providers.TaskSpec) []string {
	out := make([]string, 0, len(ts))
	for _, s := range ts {
		out = append(out, s.NodeID)
	}
	slices.Sort(out)
	return out
}

func diffLines(t *testing.T, got, want []string) {
	t.Helper()
	if !slices.Equal(got, want) {
		t.Errorf("plan:\n  %s\nwant:\n  %s", strings.Join(got, "\n  "), strings.Join(want, "\n  "))
	}
}

func TestNewValidates(t *testing.T) {
	d, e := fakes()
	if _, err := New(fakeProvider{}, Config{Edge: e}); err == nil || !strings.Contains(err.Error(), "Driver") {
		t.Errorf("no driver: err = %v, want one naming Driver", err)
	}
	if _, err := New(fakeProvider{}, Config{Driver: d}); err == nil || !strings.Contains(err.Error(), "Edge") {
		t.Errorf("no edge: err = %v, want one naming Edge", err)
	}
	op, err := New(fakeProvider{}, Config{Driver: d, Edge: e})
	if err != nil {
		t.Fatal(err)
	}
	if op.cfg.PollInterval <= 0 || op.cfg.DroneGrace <= 0 || op.cfg.Logger == nil {
		t.Errorf("defaults not applied: %+v", op.cfg)
	}
	if op.Name() != "fakecloud" {
		t.Errorf("Name() = %q, want the provider's", op.Name())
	}
}

func TestPlanCreateUsesSpecCounts(t *testing.T) {
	op := planOp(t)
	c := twoRoles()
	// Nodes a create request may carry (a retried create) are not used: create names its
	// nodes from the spec's counts.
	stale := []providers.Node{node("worker", 9, "10.0.0.9")}
	p, err := op.Plan(providers.PlanRequest{Action: providers.ActionCreate, Cluster: clusterOf(t, c, stale...)})
	if err != nil {
		t.Fatal(err)
	}
	diffLines(t, summary(t, p), []string{
		"vm.vpc cl-abc",
		"vm.create_instance cln-abc-master-1; vm.create_instance cln-abc-worker-1; vm.create_instance cln-abc-worker-2",
		"vm.metadata hosts=cln-abc-master-1,cln-abc-worker-1,cln-abc-worker-2 bundle",
		"vm.render cln-abc-master-1; vm.render cln-abc-worker-1; vm.render cln-abc-worker-2",
		"vm.command[init] cln-abc-master-1",
		"vm.command[start] cln-abc-master-1",
		"vm.command[start] cln-abc-worker-1; vm.command[start] cln-abc-worker-2",
	})
	// The instance tasks carry the role's resources.
	for _, s := range tasksOf(p, frame.TaskCreateInstance) {
		var np frame.NodeParams
		if err := json.Unmarshal(s.Params, &np); err != nil {
			t.Fatal(err)
		}
		want := map[string]int{"master": 2048, "worker": 1024}[np.Role]
		if np.Memory != want || np.InstanceID != s.Target {
			t.Errorf("%s: params %+v, want memory %d and instance %s", s.NodeID, np, want, s.Target)
		}
	}

	c.Nodes[1].Count = 4
	p, err = op.Plan(providers.PlanRequest{Action: providers.ActionCreate, Cluster: clusterOf(t, c)})
	if err != nil {
		t.Fatal(err)
	}
	if got := nodeIDs(tasksOf(p, frame.TaskCreateInstance)); len(got) != 5 || got[4] != "cln-abc-worker-4" {
		t.Errorf("with 4 workers, create_instance on %v, want master-1 and worker-1..4", got)
	}
}

func TestPlanUsesClusterNodes(t *testing.T) {
	op := planOp(t)
	c := twoRoles()
	// Nodes as observed: worker indexes with a gap, out of order.
	nodes := []providers.Node{node("worker", 7, "10.0.0.7"), node("master", 1, "10.0.0.1"), node("worker", 3, "10.0.0.3")}

	p, err := op.Plan(providers.PlanRequest{Action: providers.ActionStop, Cluster: clusterOf(t, c, nodes...)})
	if err != nil {
		t.Fatal(err)
	}
	diffLines(t, summary(t, p), []string{
		"vm.command[stop] cln-abc-master-1; vm.command[stop] cln-abc-worker-3; vm.command[stop] cln-abc-worker-7",
		"vm.stop_instance cln-abc-master-1; vm.stop_instance cln-abc-worker-3; vm.stop_instance cln-abc-worker-7",
	})
	for _, s := range tasksOf(p, frame.TaskStopInstance) {
		if want := strings.Replace(s.NodeID, "cln-", "i-", 1); s.Target != want {
			t.Errorf("stop_instance of %s targets %s, want the node's instance %s", s.NodeID, s.Target, want)
		}
	}

	// A scale out names new nodes after the highest index the role has (from the id suffix).
	p, err = op.Plan(providers.PlanRequest{Action: providers.ActionAddNodes, Cluster: clusterOf(t, c, nodes...),
		Params: json.RawMessage(`{"role":"worker","count":2}`)})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := nodeIDs(tasksOf(p, frame.TaskCreateInstance)), []string{"cln-abc-worker-8", "cln-abc-worker-9"}; !slices.Equal(got, want) {
		t.Errorf("add_nodes created %v, want %v", got, want)
	}
	md := summary(t, providers.Plan{Layers: [][]providers.TaskSpec{tasksOf(p, frame.TaskMetadata)[:1]}})
	diffLines(t, md, []string{"vm.metadata hosts=cln-abc-master-1,cln-abc-worker-3,cln-abc-worker-7,cln-abc-worker-8,cln-abc-worker-9 adding=cln-abc-worker-8,cln-abc-worker-9"})
}

func TestPlanRecover(t *testing.T) {
	op := planOp(t)
	c := twoRoles()
	t.Run("no nodes: from the counts", func(t *testing.T) {
		p, err := op.Plan(providers.PlanRequest{Action: providers.ActionRecover, Cluster: clusterOf(t, c)})
		if err != nil {
			t.Fatal(err)
		}
		if len(p.Layers) == 0 || summary(t, p)[0] != "vm.vpc cl-abc" {
			t.Fatalf("recover plan %v does not start with the vpc", summary(t, p))
		}
		want := []string{"cln-abc-master-1", "cln-abc-worker-1", "cln-abc-worker-2"}
		if got := nodeIDs(tasksOf(p, frame.TaskCreateInstance)); !slices.Equal(got, want) {
			t.Errorf("recover created %v, want %v", got, want)
		}
	})
	t.Run("nodes known: those nodes", func(t *testing.T) {
		p, err := op.Plan(providers.PlanRequest{Action: providers.ActionRecover,
			Cluster: clusterOf(t, c, node("master", 1, ""), node("worker", 5, ""))})
		if err != nil {
			t.Fatal(err)
		}
		want := []string{"cln-abc-master-1", "cln-abc-worker-5"}
		if got := nodeIDs(tasksOf(p, frame.TaskCreateInstance)); !slices.Equal(got, want) {
			t.Errorf("recover created %v, want %v", got, want)
		}
	})
}

func TestPlanDelete(t *testing.T) {
	op := planOp(t)
	c := twoRoles()
	for _, action := range []string{providers.ActionDelete, providers.ActionCease} {
		t.Run(action+" without recorded nodes: the spec's", func(t *testing.T) {
			// A create that failed before reporting its instances may still have made them.
			p, err := op.Plan(providers.PlanRequest{Action: action, Cluster: clusterOf(t, c)})
			if err != nil {
				t.Fatal(err)
			}
			if got := nodeIDs(tasksOf(p, frame.TaskDeleteInstance)); len(got) != 3 {
				t.Errorf("delete_instance on %v, want the 3 nodes the counts name", got)
			}
		})
		t.Run(action+" with nodes: those and the spec's", func(t *testing.T) {
			// worker-2 was added by a scale-out (the counts name master-1 and worker-1).
			p, err := op.Plan(providers.PlanRequest{Action: action, Cluster: clusterOf(t, c, node("master", 1, "10.0.0.1"), node("worker", 2, "10.0.0.2"))})
			if err != nil {
				t.Fatal(err)
			}
			lines := summary(t, p)
			slices.Sort(lines)
			diffLines(t, lines, []string{
				"vm.command[stop] cln-abc-master-1; vm.command[stop] cln-abc-worker-1; vm.command[stop] cln-abc-worker-2",
				"vm.delete_instance cln-abc-master-1; vm.delete_instance cln-abc-worker-1; vm.delete_instance cln-abc-worker-2",
				"vm.delete_metadata cl-abc",
			})
		})
	}
}

// TestPlanParams checks that each param of the job reaches the frame, through the plan it makes.
func TestPlanParams(t *testing.T) {
	op := planOp(t)
	nodes := []providers.Node{node("master", 1, "10.0.0.1"), node("worker", 1, "10.0.0.2"), node("worker", 2, "10.0.0.3")}
	plan := func(t *testing.T, action, params string) providers.Plan {
		t.Helper()
		p, err := op.Plan(providers.PlanRequest{Action: action, Cluster: clusterOf(t, twoRoles(), nodes...), Params: json.RawMessage(params)})
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	t.Run("role and count", func(t *testing.T) {
		p := plan(t, providers.ActionAddNodes, `{"role":"master","count":1}`)
		if got := nodeIDs(tasksOf(p, frame.TaskCreateInstance)); !slices.Equal(got, []string{"cln-abc-master-2"}) {
			t.Errorf("add_nodes master×1 created %v", got)
		}
	})
	t.Run("node_ids", func(t *testing.T) {
		p := plan(t, providers.ActionDeleteNodes, `{"node_ids":["cln-abc-worker-2"]}`)
		if got := nodeIDs(tasksOf(p, frame.TaskDeleteInstance)); !slices.Equal(got, []string{"cln-abc-worker-2"}) {
			t.Errorf("delete_nodes deleted %v", got)
		}
		md := tasksOf(p, frame.TaskMetadata)
		if len(md) != 2 || !strings.Contains(summary(t, providers.Plan{Layers: [][]providers.TaskSpec{md[:1]}})[0], "deleting=cln-abc-worker-2") {
			t.Errorf("delete_nodes metadata %v, want the first announcing worker-2 as deleting", md)
		}
	})
	t.Run("service", func(t *testing.T) {
		p := plan(t, frame.ActionService, `{"service":"rebalance"}`)
		diffLines(t, summary(t, p), []string{"vm.command[rebalance] cln-abc-worker-1"})
	})
	t.Run("unknown fields are ignored", func(t *testing.T) {
		p := plan(t, providers.ActionUpdateEnv, `{"env":{"port":1}}`)
		diffLines(t, summary(t, p), []string{
			"vm.metadata hosts=cln-abc-master-1,cln-abc-worker-1,cln-abc-worker-2",
			"vm.render cln-abc-master-1; vm.render cln-abc-worker-1; vm.render cln-abc-worker-2",
		})
	})
}

// TestPlanResizeReadsBothSpecs: Spec is where the job leads, CurrentSpec what runs now.
func TestPlanResizeReadsBothSpecs(t *testing.T) {
	op := planOp(t)
	cur, next := twoRoles(), twoRoles()
	next.Nodes[1].Memory = 4096
	cl := clusterOf(t, next, node("master", 1, "10.0.0.1"), node("worker", 1, "10.0.0.2"))
	cl.CurrentSpec = mustJSON(t, cur)
	p, err := op.Plan(providers.PlanRequest{Action: providers.ActionResize, Cluster: cl})
	if err != nil {
		t.Fatal(err)
	}
	rs := tasksOf(p, frame.TaskResizeInstance)
	if len(rs) != 1 || rs[0].NodeID != "cln-abc-worker-1" {
		t.Fatalf("resize tasks %v, want the worker only", nodeIDs(rs))
	}
	var np frame.NodeParams
	if err := json.Unmarshal(rs[0].Params, &np); err != nil || np.Memory != 4096 {
		t.Errorf("resize params %s (%v), want memory 4096", rs[0].Params, err)
	}
}

func TestPlanBadInputIsPermanent(t *testing.T) {
	op := planOp(t)
	good := mustJSON(t, twoRoles())
	nodes := []providers.Node{node("master", 1, "10.0.0.1")}
	cases := []struct {
		name, action  string
		specJSON, cur json.RawMessage
		params        string
		wantInMsg     string
		withoutNodes  bool
	}{
		{name: "missing spec", action: providers.ActionCreate, wantInMsg: "cl-abc has no rendered spec"},
		{name: "missing spec on delete", action: providers.ActionDelete, wantInMsg: "cl-abc has no rendered spec", withoutNodes: true},
		{name: "bad spec", action: providers.ActionCreate, specJSON: json.RawMessage(`{"nodes":`), wantInMsg: "rendered spec of cluster cl-abc"},
		{name: "spec not an object", action: providers.ActionStart, specJSON: json.RawMessage(`[1]`), wantInMsg: "cl-abc"},
		{name: "spec without nodes", action: providers.ActionCreate, specJSON: json.RawMessage(`{"name":"x"}`), wantInMsg: "no rendered nodes"},
		{name: "bad current spec", action: providers.ActionUpdateEnv, specJSON: good, cur: json.RawMessage(`{`), wantInMsg: "rendered spec of cluster cl-abc"},
		{name: "bad params", action: providers.ActionAddNodes, specJSON: good, params: `{"count":`, wantInMsg: "params of add_nodes"},
		{name: "params of the wrong type", action: providers.ActionAddNodes, specJSON: good, params: `{"count":"2"}`, wantInMsg: "params of add_nodes"},
		{name: "unknown action", action: "explode", specJSON: good, wantInMsg: "explode"},
		{name: "add no nodes", action: providers.ActionAddNodes, specJSON: good, params: `{"role":"worker"}`, wantInMsg: "count 0"},
		{name: "add to unknown role", action: providers.ActionAddNodes, specJSON: good, params: `{"role":"cache","count":1}`, wantInMsg: "cache"},
		{name: "delete unknown node", action: providers.ActionDeleteNodes, specJSON: good, params: `{"node_ids":["cln-x"]}`, wantInMsg: "cln-x"},
		{name: "unknown service", action: frame.ActionService, specJSON: good, params: `{"service":"fly"}`, wantInMsg: "fly"},
		{name: "resize to nothing new", action: providers.ActionResize, specJSON: good, cur: good, wantInMsg: "resize"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cl := providers.ClusterSpec{ID: testClusterID, Spec: tc.specJSON, CurrentSpec: tc.cur}
			if !tc.withoutNodes {
				cl.Nodes = nodes
			}
			var params json.RawMessage
			if tc.params != "" {
				params = json.RawMessage(tc.params)
			}
			p, err := op.Plan(providers.PlanRequest{Action: tc.action, Cluster: cl, Params: params})
			if !errors.Is(err, providers.ErrPermanent) {
				t.Fatalf("err = %v (plan %v), want a permanent error", err, p.Layers)
			}
			if !strings.Contains(err.Error(), tc.wantInMsg) {
				t.Errorf("err = %q, want it to mention %q", err, tc.wantInMsg)
			}
		})
	}
}

func TestFrameNodes(t *testing.T) {
	cases := []struct {
		name string
		in   providers.Node
		want frame.Node
	}{
		{"index from the suffix", providers.Node{ID: "cln-abc-worker-12", InstanceID: "i-abc-worker-12", Role: "worker"},
			frame.Node{ID: "cln-abc-worker-12", InstanceID: "i-abc-worker-12", Role: "worker", Index: 12}},
		{"role with a dash", providers.Node{ID: "cln-abc-data-node-3", InstanceID: "i-3", Role: "data-node"},
			frame.Node{ID: "cln-abc-data-node-3", InstanceID: "i-3", Role: "data-node", Index: 3}},
		{"no number at the end", providers.Node{ID: "cln-abc-worker-x", InstanceID: "i-x", Role: "worker"},
			frame.Node{ID: "cln-abc-worker-x", InstanceID: "i-x", Role: "worker"}},
		{"no dash", providers.Node{ID: "node7", InstanceID: "i-7", Role: "node"},
			frame.Node{ID: "node7", InstanceID: "i-7", Role: "node"}},
		{"ends with a dash", providers.Node{ID: "cln-abc-", InstanceID: "i-", Role: ""},
			frame.Node{ID: "cln-abc-", InstanceID: "i-"}},
		{"ip and status are not the frame's", providers.Node{ID: "cln-a-node-1", InstanceID: "i-a-node-1", Role: "node", PrivateIP: "10.0.0.1", Status: "stopped"},
			frame.Node{ID: "cln-a-node-1", InstanceID: "i-a-node-1", Role: "node", Index: 1}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := frameNodes([]providers.Node{tc.in})
			if len(got) != 1 || got[0] != tc.want {
				t.Errorf("frameNodes(%+v) = %+v, want %+v", tc.in, got, tc.want)
			}
		})
	}
	t.Run("order and count kept", func(t *testing.T) {
		in := []providers.Node{node("worker", 2, ""), node("master", 1, ""), node("worker", 1, "")}
		got := frameNodes(in)
		if len(got) != 3 || got[0].Index != 2 || got[1].Role != "master" || got[2].ID != "cln-abc-worker-1" {
			t.Errorf("frameNodes = %+v", got)
		}
		if got := frameNodes(nil); got == nil || len(got) != 0 {
			t.Errorf("frameNodes(nil) = %#v, want an empty slice", got)
		}
	})
}

// planOp is an Operator for planning (which touches neither driver nor edge).
func planOp(t *testing.T) *Operator {
	d, e := fakes()
	return newOp(t, d, e)
}
