package frame

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/pitrix/pitrix/providers"
	"github.com/pitrix/pitrix/providers/vm/spec"
)

// lines renders a plan one line per layer: "L<n> <action>[<service>] <targets>", tasks of
// the same action (and service) grouped. Commands name their instance, metadata tasks the
// hosts they list ("role-index"), adding and deleting node ids and the bundle flag.
func lines(t *testing.T, p providers.Plan) []string {
	t.Helper()
	var out []string
	for i, l := range p.Layers {
		var keys []string
		targets := map[string][]string{}
		for _, s := range l {
			key, target := s.Action, s.Target
			switch s.Action {
			case TaskCommand:
				var cp CommandParams
				if err := json.Unmarshal(s.Params, &cp); err != nil {
					t.Fatal(err)
				}
				key, target = fmt.Sprintf("%s[%s]", s.Action, cp.Service), cp.InstanceID
			case TaskMetadata:
				var mp MetadataParams
				if err := json.Unmarshal(s.Params, &mp); err != nil {
					t.Fatal(err)
				}
				var hosts []string
				for _, n := range mp.Nodes {
					hosts = append(hosts, fmt.Sprintf("%s-%d", n.Role, n.Index))
				}
				target = fmt.Sprintf("%s hosts=[%s]", mp.ClusterID, strings.Join(hosts, " "))
				if len(mp.Adding) > 0 {
					target += " adding=" + strings.Join(mp.Adding, ",")
				}
				if len(mp.Deleting) > 0 {
					target += " deleting=" + strings.Join(mp.Deleting, ",")
				}
				if mp.Bundle {
					target += " bundle"
				}
			}
			if _, ok := targets[key]; !ok {
				keys = append(keys, key)
			}
			targets[key] = append(targets[key], target)
		}
		var parts []string
		for _, k := range keys {
			parts = append(parts, k+" "+strings.Join(targets[k], " "))
		}
		out = append(out, fmt.Sprintf("L%d %s", i, strings.Join(parts, " | ")))
	}
	return out
}

// zkCluster is a two-role spec exercising what the Redis demo does not: scale_out with
// pre_check on both roles, a custom service, an upgrade service, nodes_to_execute_on.
func zkCluster() *spec.Cluster {
	return &spec.Cluster{Name: "zk", Nodes: []spec.Role{
		{Role: "zk", Count: 3, CPU: 1, Memory: 1024, Volume: &spec.Volume{Size: 10, MountPoint: "/data"},
			VerticalScalingPolicy: "sequential",
			Services: map[string]spec.Service{
				"init":      {Cmd: "zk-init"},
				"start":     {Cmd: "zk-start", Order: 1},
				"stop":      {Cmd: "zk-stop", Order: 2},
				"scale_out": {Cmd: "zk-reconfig", Order: 1, PreCheck: "zk-healthy", Timeout: 30},
				"scale_in":  {Cmd: "zk-reconfig", Order: 1},
				"rebalance": {Cmd: "zk-rebalance", NodesToExecuteOn: 1},
			}},
		{Role: "proxy", Count: 2, CPU: 1, Memory: 512,
			Services: map[string]spec.Service{
				"start":     {Cmd: "proxy-start", Order: 2},
				"stop":      {Cmd: "proxy-stop", Order: 1},
				"scale_out": {Cmd: "proxy-reload", Order: 2, PreCheck: "proxy-ok"},
				"rebalance": {Cmd: "proxy-rebalance", Order: 1},
			}},
	}}
}

// clone deep-copies c so a test can edit the next spec.
func clone(t *testing.T, c *spec.Cluster) *spec.Cluster {
	t.Helper()
	b, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	var out spec.Cluster
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	return &out
}

// some picks nodes of Nodes(id, c) by "role-index".
func some(t *testing.T, id string, c *spec.Cluster, extra []Node, names ...string) []Node {
	t.Helper()
	all := append(Nodes(id, c), extra...)
	var out []Node
	for _, name := range names {
		found := false
		for _, n := range all {
			if fmt.Sprintf("%s-%d", n.Role, n.Index) == name {
				out, found = append(out, n), true
			}
		}
		if !found {
			t.Fatalf("no node %s", name)
		}
	}
	return out
}

func TestPlanJob(t *testing.T) {
	redis := redisCluster(t)
	zk := zkCluster()
	// The redis cluster after scaling: replica-2 was deleted, replica-3 added; given out of
	// order, as a caller may hold them.
	scaled := some(t, "cl-x1", redis, []Node{newNode("cl-x1", "replica", 3)}, "replica-3", "master-1", "replica-1")

	// A replica role with a scale_in service and its pre_check (the demo has none).
	redisScaleIn := clone(t, redis)
	redisScaleIn.Nodes[1].Services["scale_in"] = spec.Service{Cmd: "redis-cli config rewrite", PreCheck: "redis-cli ping"}

	bigger := clone(t, redis)
	bigger.Nodes[0].Memory, bigger.Nodes[1].CPU = 2048, 2
	zkBigger := clone(t, zk)
	zkBigger.Nodes[0].Volume.Size = 20
	zkBigger.Nodes[1].Memory = 1024
	zkNext := clone(t, zk)
	zkNext.Nodes[0].Services["upgrade"] = spec.Service{Cmd: "zk-migrate", NodesToExecuteOn: 1}
	zkNext.Nodes[0].Services["start"] = spec.Service{Cmd: "zk-start-v2", Order: 1}
	noProxy := clone(t, zk)
	noProxy.Nodes[1].Count = 0
	// Version 3 drops the proxy role and adds a monitor role (init after start).
	zkV3 := clone(t, zkNext)
	zkV3.Nodes = []spec.Role{zkV3.Nodes[0], {Role: "monitor", Count: 1, CPU: 1, Memory: 256, Services: map[string]spec.Service{
		"init": {Cmd: "mon-init", PostStartService: true}, "start": {Cmd: "mon-start", Order: 3}}}}

	cases := []struct {
		name string
		in   Input
		want []string
	}{
		{"create", Input{Action: providers.ActionCreate, ClusterID: "cl-x1", Next: redis}, []string{
			"L0 vm.vpc cl-x1",
			"L1 vm.create_instance i-x1-master-1 i-x1-replica-1 i-x1-replica-2",
			"L2 vm.metadata cl-x1 hosts=[master-1 replica-1 replica-2] bundle",
			"L3 vm.render i-x1-master-1 i-x1-replica-1 i-x1-replica-2",
			"L4 vm.command[init] i-x1-master-1 i-x1-replica-1 i-x1-replica-2",
			"L5 vm.command[start] i-x1-master-1",
			"L6 vm.command[start] i-x1-replica-1 i-x1-replica-2",
		}},
		{"recover over the nodes given", Input{Action: providers.ActionRecover, ClusterID: "cl-x1", Current: redis, Next: redis, Nodes: scaled}, []string{
			"L0 vm.vpc cl-x1",
			"L1 vm.create_instance i-x1-master-1 i-x1-replica-1 i-x1-replica-3",
			"L2 vm.metadata cl-x1 hosts=[master-1 replica-1 replica-3] bundle",
			"L3 vm.render i-x1-master-1 i-x1-replica-1 i-x1-replica-3",
			"L4 vm.command[init] i-x1-master-1 i-x1-replica-1 i-x1-replica-3",
			"L5 vm.command[start] i-x1-master-1",
			"L6 vm.command[start] i-x1-replica-1 i-x1-replica-3",
		}},
		{"start", Input{Action: providers.ActionStart, ClusterID: "cl-x1", Current: redis, Nodes: scaled}, []string{
			"L0 vm.start_instance i-x1-master-1 i-x1-replica-1 i-x1-replica-3",
			"L1 vm.render i-x1-master-1 i-x1-replica-1 i-x1-replica-3",
			"L2 vm.command[start] i-x1-master-1",
			"L3 vm.command[start] i-x1-replica-1 i-x1-replica-3",
		}},
		{"stop", Input{Action: providers.ActionStop, ClusterID: "cl-x1", Current: redis, Nodes: scaled}, []string{
			"L0 vm.command[stop] i-x1-replica-1 i-x1-replica-3",
			"L1 vm.command[stop] i-x1-master-1",
			"L2 vm.stop_instance i-x1-master-1 i-x1-replica-1 i-x1-replica-3",
		}},
		{"restart service", Input{Action: providers.ActionRestart, ClusterID: "cl-x1", Current: redis, Nodes: scaled}, []string{
			"L0 vm.command[restart] i-x1-master-1",
		}},
		{"restart as stop then start", Input{Action: providers.ActionRestart, ClusterID: "cl-z", Current: zk}, []string{
			"L0 vm.command[stop] i-z-proxy-1 i-z-proxy-2",
			"L1 vm.command[stop] i-z-zk-1 i-z-zk-2 i-z-zk-3",
			"L2 vm.command[start] i-z-zk-1 i-z-zk-2 i-z-zk-3",
			"L3 vm.command[start] i-z-proxy-1 i-z-proxy-2",
		}},
		{"delete", Input{Action: providers.ActionDelete, ClusterID: "cl-x1", Current: redis, Nodes: scaled}, []string{
			"L0 vm.command[stop] i-x1-replica-1 i-x1-replica-3",
			"L1 vm.command[stop] i-x1-master-1",
			"L2 vm.command[destroy] i-x1-master-1 i-x1-replica-1 i-x1-replica-3",
			"L3 vm.delete_metadata cl-x1",
			"L4 vm.delete_instance i-x1-master-1 i-x1-replica-1 i-x1-replica-3",
		}},
		{"cease", Input{Action: providers.ActionCease, ClusterID: "cl-z", Current: zk}, []string{
			"L0 vm.command[stop] i-z-proxy-1 i-z-proxy-2",
			"L1 vm.command[stop] i-z-zk-1 i-z-zk-2 i-z-zk-3",
			"L2 vm.delete_metadata cl-z",
			"L3 vm.delete_instance i-z-zk-1 i-z-zk-2 i-z-zk-3 i-z-proxy-1 i-z-proxy-2",
		}},
		{"add_nodes without scale_out: index after the highest", Input{Action: providers.ActionAddNodes, ClusterID: "cl-x1", Current: redis, Nodes: scaled, Role: "replica", Count: 2}, []string{
			"L0 vm.create_instance i-x1-replica-4 i-x1-replica-5",
			"L1 vm.metadata cl-x1 hosts=[master-1 replica-1 replica-3 replica-4 replica-5] adding=cln-x1-replica-4,cln-x1-replica-5",
			"L2 vm.render i-x1-replica-4 i-x1-replica-5",
			"L3 vm.command[init] i-x1-replica-4 i-x1-replica-5",
			"L4 vm.command[start] i-x1-replica-4 i-x1-replica-5",
			"L5 vm.metadata cl-x1 hosts=[master-1 replica-1 replica-3 replica-4 replica-5]",
			"L6 vm.render i-x1-master-1 i-x1-replica-1 i-x1-replica-3 i-x1-replica-4 i-x1-replica-5",
		}},
		{"add_nodes with pre_check and scale_out by order", Input{Action: providers.ActionAddNodes, ClusterID: "cl-z", Current: zk, Role: "zk", Count: 1}, []string{
			"L0 vm.command[pre_check] i-z-zk-1",
			"L1 vm.create_instance i-z-zk-4",
			"L2 vm.metadata cl-z hosts=[zk-1 zk-2 zk-3 zk-4 proxy-1 proxy-2] adding=cln-z-zk-4",
			"L3 vm.render i-z-zk-4",
			"L4 vm.command[init] i-z-zk-4",
			"L5 vm.command[start] i-z-zk-4",
			"L6 vm.command[scale_out] i-z-zk-1 i-z-zk-2 i-z-zk-3",
			"L7 vm.command[scale_out] i-z-proxy-1 i-z-proxy-2",
			"L8 vm.metadata cl-z hosts=[zk-1 zk-2 zk-3 zk-4 proxy-1 proxy-2]",
			"L9 vm.render i-z-zk-1 i-z-zk-2 i-z-zk-3 i-z-zk-4 i-z-proxy-1 i-z-proxy-2",
		}},
		{"add_nodes to an empty role: pre_check on the first node", Input{Action: providers.ActionAddNodes, ClusterID: "cl-z", Current: noProxy, Role: "proxy", Count: 1}, []string{
			"L0 vm.command[pre_check] i-z-zk-1",
			"L1 vm.create_instance i-z-proxy-1",
			"L2 vm.metadata cl-z hosts=[zk-1 zk-2 zk-3 proxy-1] adding=cln-z-proxy-1",
			"L3 vm.render i-z-proxy-1",
			"L4 vm.command[start] i-z-proxy-1",
			"L5 vm.command[scale_out] i-z-zk-1 i-z-zk-2 i-z-zk-3",
			"L6 vm.metadata cl-z hosts=[zk-1 zk-2 zk-3 proxy-1]",
			"L7 vm.render i-z-zk-1 i-z-zk-2 i-z-zk-3 i-z-proxy-1",
		}},
		{"delete_nodes with scale_in pre_check", Input{Action: providers.ActionDeleteNodes, ClusterID: "cl-x1", Current: redisScaleIn, Nodes: scaled, NodeIDs: []string{"cln-x1-replica-3"}}, []string{
			"L0 vm.command[pre_check] i-x1-replica-3",
			"L1 vm.metadata cl-x1 hosts=[master-1 replica-1 replica-3] deleting=cln-x1-replica-3",
			"L2 vm.command[stop] i-x1-replica-3",
			"L3 vm.command[destroy] i-x1-replica-3",
			"L4 vm.delete_instance i-x1-replica-3",
			"L5 vm.metadata cl-x1 hosts=[master-1 replica-1]",
			"L6 vm.command[scale_in] i-x1-replica-1",
			"L7 vm.render i-x1-master-1 i-x1-replica-1",
		}},
		{"delete_nodes of two roles", Input{Action: providers.ActionDeleteNodes, ClusterID: "cl-z", Current: zk, NodeIDs: []string{"cln-z-proxy-2", "cln-z-zk-3"}}, []string{
			"L0 vm.metadata cl-z hosts=[zk-1 zk-2 zk-3 proxy-1 proxy-2] deleting=cln-z-zk-3,cln-z-proxy-2",
			"L1 vm.command[stop] i-z-proxy-2",
			"L2 vm.command[stop] i-z-zk-3",
			"L3 vm.delete_instance i-z-zk-3 i-z-proxy-2",
			"L4 vm.metadata cl-z hosts=[zk-1 zk-2 proxy-1]",
			"L5 vm.command[scale_in] i-z-zk-1 i-z-zk-2",
			"L6 vm.render i-z-zk-1 i-z-zk-2 i-z-proxy-1",
		}},
		{"update_env", Input{Action: providers.ActionUpdateEnv, ClusterID: "cl-x1", Current: redis, Next: redis, Nodes: scaled}, []string{
			"L0 vm.metadata cl-x1 hosts=[master-1 replica-1 replica-3]",
			"L1 vm.render i-x1-master-1 i-x1-replica-1 i-x1-replica-3",
		}},
		{"resize sequential master then parallel replicas", Input{Action: providers.ActionResize, ClusterID: "cl-x1", Current: redis, Next: bigger, Nodes: scaled}, []string{
			"L0 vm.command[stop] i-x1-master-1",
			"L1 vm.stop_instance i-x1-master-1",
			"L2 vm.resize_instance i-x1-master-1",
			"L3 vm.start_instance i-x1-master-1",
			"L4 vm.render i-x1-master-1",
			"L5 vm.command[start] i-x1-master-1",
			"L6 vm.command[stop] i-x1-replica-1 i-x1-replica-3",
			"L7 vm.stop_instance i-x1-replica-1 i-x1-replica-3",
			"L8 vm.resize_instance i-x1-replica-1 i-x1-replica-3",
			"L9 vm.start_instance i-x1-replica-1 i-x1-replica-3",
			"L10 vm.render i-x1-replica-1 i-x1-replica-3",
			"L11 vm.command[start] i-x1-replica-1 i-x1-replica-3",
			"L12 vm.metadata cl-x1 hosts=[master-1 replica-1 replica-3]",
			"L13 vm.render i-x1-master-1 i-x1-replica-1 i-x1-replica-3",
		}},
		{"resize sequential one node at a time", Input{Action: providers.ActionResize, ClusterID: "cl-z", Current: zk, Next: zkBigger, Nodes: some(t, "cl-z", zk, nil, "zk-1", "zk-2", "proxy-1")}, []string{
			"L0 vm.command[stop] i-z-zk-1",
			"L1 vm.stop_instance i-z-zk-1",
			"L2 vm.resize_instance i-z-zk-1",
			"L3 vm.start_instance i-z-zk-1",
			"L4 vm.render i-z-zk-1",
			"L5 vm.command[start] i-z-zk-1",
			"L6 vm.command[stop] i-z-zk-2",
			"L7 vm.stop_instance i-z-zk-2",
			"L8 vm.resize_instance i-z-zk-2",
			"L9 vm.start_instance i-z-zk-2",
			"L10 vm.render i-z-zk-2",
			"L11 vm.command[start] i-z-zk-2",
			"L12 vm.command[stop] i-z-proxy-1",
			"L13 vm.stop_instance i-z-proxy-1",
			"L14 vm.resize_instance i-z-proxy-1",
			"L15 vm.start_instance i-z-proxy-1",
			"L16 vm.render i-z-proxy-1",
			"L17 vm.command[start] i-z-proxy-1",
			"L18 vm.metadata cl-z hosts=[zk-1 zk-2 proxy-1]",
			"L19 vm.render i-z-zk-1 i-z-zk-2 i-z-proxy-1",
		}},
		{"upgrade", Input{Action: providers.ActionUpgrade, ClusterID: "cl-z", Current: zk, Next: zkNext}, []string{
			"L0 vm.command[stop] i-z-proxy-1 i-z-proxy-2",
			"L1 vm.command[stop] i-z-zk-1 i-z-zk-2 i-z-zk-3",
			"L2 vm.metadata cl-z hosts=[zk-1 zk-2 zk-3 proxy-1 proxy-2] bundle",
			"L3 vm.render i-z-zk-1 i-z-zk-2 i-z-zk-3 i-z-proxy-1 i-z-proxy-2",
			"L4 vm.command[start] i-z-zk-1 i-z-zk-2 i-z-zk-3",
			"L5 vm.command[start] i-z-proxy-1 i-z-proxy-2",
			"L6 vm.command[upgrade] i-z-zk-1",
		}},
		{"rollback", Input{Action: providers.ActionRollback, ClusterID: "cl-z", Current: zkNext, Next: zk}, []string{
			"L0 vm.command[stop] i-z-proxy-1 i-z-proxy-2",
			"L1 vm.command[stop] i-z-zk-1 i-z-zk-2 i-z-zk-3",
			"L2 vm.metadata cl-z hosts=[zk-1 zk-2 zk-3 proxy-1 proxy-2] bundle",
			"L3 vm.render i-z-zk-1 i-z-zk-2 i-z-zk-3 i-z-proxy-1 i-z-proxy-2",
			"L4 vm.command[start] i-z-zk-1 i-z-zk-2 i-z-zk-3",
			"L5 vm.command[start] i-z-proxy-1 i-z-proxy-2",
		}},
		{"upgrade that adds and drops roles", Input{Action: providers.ActionUpgrade, ClusterID: "cl-z", Current: zk, Next: zkV3}, []string{
			"L0 vm.command[stop] i-z-proxy-1 i-z-proxy-2",
			"L1 vm.command[stop] i-z-zk-1 i-z-zk-2 i-z-zk-3",
			"L2 vm.create_instance i-z-monitor-1",
			"L3 vm.metadata cl-z hosts=[zk-1 zk-2 zk-3 monitor-1] bundle",
			"L4 vm.delete_instance i-z-proxy-1 i-z-proxy-2",
			"L5 vm.render i-z-zk-1 i-z-zk-2 i-z-zk-3 i-z-monitor-1",
			"L6 vm.command[start] i-z-zk-1 i-z-zk-2 i-z-zk-3",
			"L7 vm.command[start] i-z-monitor-1",
			"L8 vm.command[init] i-z-monitor-1",
			"L9 vm.command[upgrade] i-z-zk-1",
		}},
		{"custom service by order on nodes_to_execute_on", Input{Action: ActionService, ClusterID: "cl-z", Current: zk, Service: "rebalance"}, []string{
			"L0 vm.command[rebalance] i-z-zk-1",
			"L1 vm.command[rebalance] i-z-proxy-1 i-z-proxy-2",
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p, err := PlanJob(tc.in)
			if err != nil {
				t.Fatal(err)
			}
			got := lines(t, p)
			if strings.Join(got, "\n") != strings.Join(tc.want, "\n") {
				t.Fatalf("plan:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tc.want, "\n"))
			}
			again, _ := PlanJob(tc.in)
			if strings.Join(lines(t, again), "\n") != strings.Join(got, "\n") {
				t.Fatal("re-planning the same input gives another plan")
			}
		})
	}
}

// params returns the params of the plan's first task with action on node nodeID.
func params[T any](t *testing.T, p providers.Plan, action, nodeID string) T {
	t.Helper()
	var v T
	for _, l := range p.Layers {
		for _, s := range l {
			if s.Action == action && s.NodeID == nodeID {
				if err := json.Unmarshal(s.Params, &v); err != nil {
					t.Fatal(err)
				}
				return v
			}
		}
	}
	t.Fatalf("no %s task on %s", action, nodeID)
	return v
}

func TestPlanJobParams(t *testing.T) {
	zk := zkCluster()
	t.Run("new nodes get the next spec's resources and their own ids", func(t *testing.T) {
		next := clone(t, zk)
		next.Nodes[1].Memory = 768
		p, err := PlanJob(Input{Action: providers.ActionAddNodes, ClusterID: "cl-z", Current: zk, Next: next, Role: "proxy", Count: 1})
		if err != nil {
			t.Fatal(err)
		}
		np := params[NodeParams](t, p, TaskCreateInstance, "cln-z-proxy-3")
		want := NodeParams{Node: Node{ID: "cln-z-proxy-3", InstanceID: "i-z-proxy-3", Role: "proxy", Index: 3}, CPU: 1, Memory: 768}
		if np != want {
			t.Fatalf("create_instance params = %+v, want %+v", np, want)
		}
		var cp CommandParams
		if err := json.Unmarshal(p.Layers[0][0].Params, &cp); err != nil {
			t.Fatal(err)
		}
		if cp.Service != "pre_check" || cp.Cmd != "proxy-ok" || cp.ID != "cln-z-proxy-1" {
			t.Fatalf("pre_check = %+v, want proxy's pre_check on proxy-1", cp)
		}
		if p.Layers[0][0].Timeout != spec.DefaultServiceTimeout*1e9 {
			t.Fatalf("pre_check timeout = %v, want the default", p.Layers[0][0].Timeout)
		}
	})
	t.Run("pre_check takes scale_out's timeout", func(t *testing.T) {
		p, err := PlanJob(Input{Action: providers.ActionAddNodes, ClusterID: "cl-z", Current: zk, Role: "zk", Count: 1})
		if err != nil {
			t.Fatal(err)
		}
		if got := p.Layers[0][0].Timeout.Seconds(); got != 30 {
			t.Fatalf("pre_check timeout = %vs, want 30s", got)
		}
	})
	t.Run("resize_instance carries the new size", func(t *testing.T) {
		next := clone(t, zk)
		next.Nodes[0].CPU, next.Nodes[0].Volume.Size = 4, 50
		p, err := PlanJob(Input{Action: providers.ActionResize, ClusterID: "cl-z", Current: zk, Next: next})
		if err != nil {
			t.Fatal(err)
		}
		np := params[NodeParams](t, p, TaskResizeInstance, "cln-z-zk-2")
		if np.CPU != 4 || np.Memory != 1024 || np.VolumeSize != 50 || np.MountPoint != "/data" || np.InstanceID != "i-z-zk-2" {
			t.Fatalf("resize params = %+v", np)
		}
		for _, l := range p.Layers {
			for _, s := range l {
				if s.Action == TaskResizeInstance && strings.Contains(s.NodeID, "proxy") {
					t.Fatalf("proxy did not change but is resized: %s", s.Target)
				}
			}
		}
	})
	t.Run("metadata lists nodes with ids", func(t *testing.T) {
		p, err := PlanJob(Input{Action: providers.ActionDeleteNodes, ClusterID: "cl-z", Current: zk, NodeIDs: []string{"cln-z-zk-2"}})
		if err != nil {
			t.Fatal(err)
		}
		var mp MetadataParams
		if err := json.Unmarshal(p.Layers[0][0].Params, &mp); err != nil {
			t.Fatal(err)
		}
		if mp.ClusterID != "cl-z" || len(mp.Nodes) != 5 || mp.Nodes[1].InstanceID != "i-z-zk-2" || len(mp.Deleting) != 1 || mp.Bundle {
			t.Fatalf("metadata params = %+v", mp)
		}
	})
	t.Run("an unnamed single role", func(t *testing.T) {
		c := &spec.Cluster{Name: "one", Nodes: []spec.Role{{Count: 1, Services: map[string]spec.Service{"scale_out": {Cmd: "reload"}}}}}
		p, err := PlanJob(Input{Action: providers.ActionAddNodes, ClusterID: "cl-o", Current: c, Count: 1})
		if err != nil {
			t.Fatal(err)
		}
		got := strings.Join(lines(t, p), "\n")
		if !strings.Contains(got, "vm.create_instance i-o-node-2") || !strings.Contains(got, "vm.command[scale_out] i-o-node-1") {
			t.Fatalf("plan:\n%s", got)
		}
	})
	t.Run("nodes without an index are read from their id", func(t *testing.T) {
		nodes := Nodes("cl-z", zk)
		for i := range nodes {
			nodes[i].Index = 0
		}
		p, err := PlanJob(Input{Action: providers.ActionAddNodes, ClusterID: "cl-z", Current: zk, Nodes: nodes, Role: "zk", Count: 1})
		if err != nil {
			t.Fatal(err)
		}
		params[NodeParams](t, p, TaskCreateInstance, "cln-z-zk-4")
	})
}

func TestPlanJobErrors(t *testing.T) {
	zk := zkCluster()
	smaller := clone(t, zk)
	smaller.Nodes[0].Volume.Size = 5
	alien := []Node{{ID: "cln-z-db-1", InstanceID: "i-z-db-1", Role: "db", Index: 1}}
	twice := append(Nodes("cl-z", zk), Nodes("cl-z", zk)[0])
	cases := []struct {
		name string
		in   Input
		want string
	}{
		{"unknown action", Input{Action: "explode", Current: zk}, `action "explode" is not planned`},
		{"create without spec", Input{Action: providers.ActionCreate}, "spec missing"},
		{"stop without current", Input{Action: providers.ActionStop, Next: zk}, "spec missing"},
		{"upgrade without next", Input{Action: providers.ActionUpgrade, Current: zk}, "spec missing"},
		{"spec without nodes", Input{Action: providers.ActionCreate, Next: &spec.Cluster{}}, "no rendered nodes"},
		{"node of an unknown role", Input{Action: providers.ActionStop, Current: zk, Nodes: alien}, `role "db"`},
		{"node listed twice", Input{Action: providers.ActionStop, Current: zk, Nodes: twice}, "listed twice"},
		{"add_nodes unknown role", Input{Action: providers.ActionAddNodes, Current: zk, Role: "db", Count: 1}, `unknown role "db"`},
		{"add_nodes no role of many", Input{Action: providers.ActionAddNodes, Current: zk, Count: 1}, `unknown role ""`},
		{"add_nodes count 0", Input{Action: providers.ActionAddNodes, Current: zk, Role: "zk"}, "count 0"},
		{"delete_nodes none", Input{Action: providers.ActionDeleteNodes, Current: zk}, "no node ids"},
		{"delete_nodes unknown id", Input{Action: providers.ActionDeleteNodes, Current: zk, ClusterID: "cl-z", NodeIDs: []string{"cln-z-zk-9"}}, `"cln-z-zk-9" is not in the cluster`},
		{"delete_nodes below 0", Input{Action: providers.ActionDeleteNodes, Current: zk, ClusterID: "cl-z", NodeIDs: []string{"cln-z-proxy-1", "cln-z-proxy-2", "cln-z-proxy-1"}}, "below 0"},
		{"resize nothing", Input{Action: providers.ActionResize, Current: zk, Next: clone(t, zk)}, "nothing to resize"},
		{"resize shrinks a volume", Input{Action: providers.ActionResize, Current: zk, Next: smaller}, "cannot shrink"},
		{"service unknown", Input{Action: ActionService, Current: zk, Service: "compact"}, "unknown service"},
		{"service lifecycle", Input{Action: ActionService, Current: zk, Service: "scale_out"}, "lifecycle service"},
		{"service unnamed", Input{Action: ActionService, Current: zk}, "no service named"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := PlanJob(tc.in)
			if !errors.Is(err, providers.ErrPermanent) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want a permanent error with %q", err, tc.want)
			}
		})
	}
}

// FuzzPlanJob plans scaling and custom services from arbitrary input: PlanJob never panics,
// fails only permanently, and a plan has no empty layer nor a node twice in one layer.
func FuzzPlanJob(f *testing.F) {
	f.Add(uint8(0), "zk", 2, "cln-z-zk-1")
	f.Add(uint8(1), "proxy", 0, "cln-z-proxy-2,cln-z-zk-3")
	f.Add(uint8(2), "rebalance", 1, "")
	f.Add(uint8(1), "", -3, "cln-z-zk-1,cln-z-zk-1")
	actions := []string{providers.ActionAddNodes, providers.ActionDeleteNodes, ActionService, providers.ActionRestart, "nope"}
	zk := zkCluster()
	f.Fuzz(func(t *testing.T, action uint8, word string, count int, ids string) {
		if count > 50 {
			count %= 50
		}
		in := Input{Action: actions[int(action)%len(actions)], ClusterID: "cl-z", Current: zk,
			Role: word, Service: word, Count: count}
		if ids != "" {
			in.NodeIDs = strings.Split(ids, ",")
		}
		p, err := PlanJob(in)
		if err != nil {
			if !errors.Is(err, providers.ErrPermanent) {
				t.Fatalf("err %v is not permanent", err)
			}
			return
		}
		for i, l := range p.Layers {
			if len(l) == 0 {
				t.Fatalf("layer %d is empty", i)
			}
			seen := map[string]bool{}
			for _, s := range l {
				if s.NodeID != "" && seen[s.NodeID] {
					t.Fatalf("layer %d acts on %s twice", i, s.NodeID)
				}
				seen[s.NodeID] = true
			}
		}
	})
}

// TestPlanTeardownForce: delete and cease mark their stop and destroy commands as a teardown of
// that action, forced when asked; other jobs' commands are not marked.
func TestPlanTeardownForce(t *testing.T) {
	zk := zkCluster()
	for _, tc := range []struct {
		action string
		force  bool
	}{{providers.ActionDelete, false}, {providers.ActionDelete, true}, {providers.ActionCease, true}} {
		p, err := PlanJob(Input{Action: tc.action, ClusterID: "cl-z", Current: zk, Force: tc.force})
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, l := range p.Layers {
			for _, s := range l {
				if s.Action != TaskCommand {
					continue
				}
				n++
				var cp CommandParams
				if err := json.Unmarshal(s.Params, &cp); err != nil {
					t.Fatal(err)
				}
				if cp.Teardown != tc.action || cp.Force != tc.force || (cp.Service != "stop" && cp.Service != "destroy") {
					t.Fatalf("%s force=%v: command %+v", tc.action, tc.force, cp)
				}
			}
		}
		if n == 0 {
			t.Fatalf("%s: no commands planned", tc.action)
		}
	}
	p, err := PlanJob(Input{Action: providers.ActionStop, ClusterID: "cl-z", Current: zk, Force: true})
	if err != nil {
		t.Fatal(err)
	}
	var cp CommandParams
	if err := json.Unmarshal(p.Layers[0][0].Params, &cp); err != nil || cp.Teardown != "" || cp.Force {
		t.Fatalf("stop's command %+v (%v): a stop is not a teardown", cp, err)
	}
}
