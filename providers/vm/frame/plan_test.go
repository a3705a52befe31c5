package frame

import (
	"encoding/json"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pitrix/pitrix/internal/testutil"
	"github.com/pitrix/pitrix/providers"
	"github.com/pitrix/pitrix/providers/vm/spec"
)

// redisCluster renders the demo Redis package (1 master, 2 replicas) with its defaults.
func redisCluster(t *testing.T) *spec.Cluster {
	t.Helper()
	files := testutil.ReadTree(t, filepath.Join("..", "..", "..", "demo", "packages", "vm", "redis"))
	pkg, err := spec.Load(files)
	if err != nil {
		t.Fatal(err)
	}
	c, err := pkg.Render(pkg.Defaults())
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// shape prints a plan as one line per layer: each task's action and target.
func shape(p providers.Plan) []string {
	var out []string
	for _, l := range p.Layers {
		var ts []string
		for _, s := range l {
			ts = append(ts, s.Action+"("+s.Target+")")
		}
		out = append(out, strings.Join(ts, " "))
	}
	return out
}

func TestPlanRedis(t *testing.T) {
	c := redisCluster(t)
	cases := []struct {
		action string
		want   []string
	}{
		{providers.ActionCreate, []string{
			"vm.vpc(cl-x1)",
			"vm.create_instance(i-x1-master-1) vm.create_instance(i-x1-replica-1) vm.create_instance(i-x1-replica-2)",
			"vm.metadata(cl-x1)",
			"vm.render(i-x1-master-1) vm.render(i-x1-replica-1) vm.render(i-x1-replica-2)",
			"vm.command(i-x1-master-1 init) vm.command(i-x1-replica-1 init) vm.command(i-x1-replica-2 init)",
			"vm.command(i-x1-master-1 start)",
			"vm.command(i-x1-replica-1 start) vm.command(i-x1-replica-2 start)",
		}},
		{providers.ActionStop, []string{
			"vm.command(i-x1-replica-1 stop) vm.command(i-x1-replica-2 stop)",
			"vm.command(i-x1-master-1 stop)",
			"vm.stop_instance(i-x1-master-1) vm.stop_instance(i-x1-replica-1) vm.stop_instance(i-x1-replica-2)",
		}},
		{providers.ActionStart, []string{
			"vm.start_instance(i-x1-master-1) vm.start_instance(i-x1-replica-1) vm.start_instance(i-x1-replica-2)",
			"vm.render(i-x1-master-1) vm.render(i-x1-replica-1) vm.render(i-x1-replica-2)",
			"vm.command(i-x1-master-1 start)",
			"vm.command(i-x1-replica-1 start) vm.command(i-x1-replica-2 start)",
		}},
		{providers.ActionDelete, []string{
			"vm.command(i-x1-replica-1 stop) vm.command(i-x1-replica-2 stop)",
			"vm.command(i-x1-master-1 stop)",
			"vm.command(i-x1-master-1 destroy) vm.command(i-x1-replica-1 destroy) vm.command(i-x1-replica-2 destroy)",
			"vm.delete_metadata(cl-x1)",
			"vm.delete_instance(i-x1-master-1) vm.delete_instance(i-x1-replica-1) vm.delete_instance(i-x1-replica-2)",
		}},
	}
	for _, tc := range cases {
		t.Run(tc.action, func(t *testing.T) {
			p, err := Plan(tc.action, "cl-x1", c)
			if err != nil {
				t.Fatal(err)
			}
			got := shape(p)
			if strings.Join(got, "\n") != strings.Join(tc.want, "\n") {
				t.Fatalf("plan of %s:\n%s\nwant:\n%s", tc.action, strings.Join(got, "\n"), strings.Join(tc.want, "\n"))
			}
		})
	}
	// Replanning names the same instances: tasks stay idempotent across re-plans.
	a, _ := Plan(providers.ActionCreate, "cl-x1", c)
	b, _ := Plan(providers.ActionCreate, "cl-x1", c)
	if strings.Join(shape(a), "|") != strings.Join(shape(b), "|") {
		t.Fatal("two plans of the same cluster differ")
	}
	var np NodeParams
	if err := json.Unmarshal(a.Layers[1][0].Params, &np); err != nil || np.Role != "master" || np.MountPoint != "/data" || np.Memory == 0 {
		t.Fatalf("instance params = %+v, %v", np, err)
	}
	var cp CommandParams
	if err := json.Unmarshal(a.Layers[5][0].Params, &cp); err != nil || cp.Service != "start" || !strings.Contains(cp.Cmd, "redis-server") || a.Layers[5][0].Timeout == 0 {
		t.Fatalf("command params = %+v, %v", cp, err)
	}
}

func TestPlanServiceRules(t *testing.T) {
	c := &spec.Cluster{Name: "zk", Nodes: []spec.Role{{Role: "zk", Count: 3, Services: map[string]spec.Service{
		"init":  {Cmd: "init-once", NodesToExecuteOn: 1, PostStartService: true},
		"start": {Cmd: "start", Order: 0},
	}}}}
	p, err := Plan(providers.ActionCreate, "cl-z", c)
	if err != nil {
		t.Fatal(err)
	}
	got := shape(p)
	if got[len(got)-2] != "vm.command(i-z-zk-1 start) vm.command(i-z-zk-2 start) vm.command(i-z-zk-3 start)" ||
		got[len(got)-1] != "vm.command(i-z-zk-1 init)" {
		t.Fatalf("post_start_service init on 1 node after start; got:\n%s", strings.Join(got, "\n"))
	}
	// No restart service: restart is stop then start.
	p, _ = Plan(providers.ActionRestart, "cl-z", c)
	if got := shape(p); len(got) != 1 || !strings.Contains(got[0], "start") {
		t.Fatalf("restart without a restart or stop service = %v", got)
	}
	if _, err := Plan(providers.ActionResize, "cl-z", c); !errors.Is(err, providers.ErrPermanent) {
		t.Fatalf("resize: %v, want a permanent not-yet error", err)
	}
	if _, err := Plan(providers.ActionCreate, "cl-z", &spec.Cluster{}); !errors.Is(err, providers.ErrPermanent) {
		t.Fatalf("empty cluster: %v", err)
	}
}
