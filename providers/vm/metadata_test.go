package vm

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"maps"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/pitrix/pitrix/edge/metadata"
	"github.com/pitrix/pitrix/providers"
	"github.com/pitrix/pitrix/providers/pkgfile"
	"github.com/pitrix/pitrix/providers/vm/frame"
	"github.com/pitrix/pitrix/providers/vm/spec"
)

func frameNode(n providers.Node, index int) frame.Node {
	return frame.Node{ID: n.ID, InstanceID: n.InstanceID, Role: n.Role, Index: index}
}

// richEnv is twoRoles with env values of every JSON kind.
func richEnv() *spec.Cluster {
	c := twoRoles()
	c.Env = map[string]any{"port": 5432, "ratio": 0.25, "debug": true, "name": "prod", "tags": []string{"a", "b"},
		"limits": map[string]any{"cpu": 2}, "none": nil, "big": 1e20}
	return c
}

func TestExecuteMetadata(t *testing.T) {
	ctx := testCtx(t)
	d, e := fakes()
	op := newOp(t, d, e)
	m1, w1, w2 := node("master", 1, "10.0.0.1"), node("worker", 1, ""), node("worker", 2, "10.0.0.3")
	d.put(Instance{ID: w1.InstanceID, IP: "10.9.0.77", Status: InstanceRunning}) // the node was observed without its address
	params := frame.MetadataParams{ClusterID: testClusterID,
		Nodes:  []frame.Node{frameNode(w2, 2), frameNode(m1, 1), frameNode(w1, 1)},
		Adding: []string{w2.ID}}
	task := newTask(t, "t-md", frame.TaskMetadata, params, richEnv(), m1, w1, w2)

	res, err := op.Execute(ctx, task)
	if err != nil {
		t.Fatal(err)
	}
	if len(e.puts) != 1 || e.count("PutBundle") != 0 {
		t.Fatalf("%d PutMetadata and %d PutBundle sent, want 1 and 0", len(e.puts), e.count("PutBundle"))
	}
	hW2 := metadata.Host{InstanceID: w2.InstanceID, NodeID: w2.ID, Role: "worker", IP: "10.0.0.3", SID: 3, CPU: 1, Memory: 1024}
	hM1 := metadata.Host{InstanceID: m1.InstanceID, NodeID: m1.ID, Role: "master", IP: "10.0.0.1", SID: 1, CPU: 2, Memory: 2048, VolumeSize: 20}
	hW1 := metadata.Host{InstanceID: w1.InstanceID, NodeID: w1.ID, Role: "worker", IP: "10.9.0.77", SID: 2, CPU: 1, Memory: 1024}
	want := metadata.Cluster{ClusterID: testClusterID, AppID: "app-1", Name: "db", Zone: "zone-a", Provider: "fakecloud",
		Endpoints: map[string]metadata.Endpoint{"client": {Port: 5432, Protocol: "tcp"}, "admin": {Port: 8080}},
		Hosts:     []metadata.Host{hW2, hM1, hW1},
		Env: map[string]map[string]string{
			"":       {"port": "5432", "ratio": "0.25", "debug": "true", "name": "prod", "tags": `["a","b"]`, "limits": `{"cpu":2}`, "none": "", "big": "100000000000000000000"},
			"master": {"max_conn": "100"},
		},
		Adding: []metadata.Host{hW2},
	}
	if got := e.metadata[testClusterID]; !reflect.DeepEqual(got, want) {
		t.Errorf("metadata sent:\n %+v\nwant\n %+v", got, want)
	}
	if d.count("Instance") != 1 {
		t.Errorf("Driver.Instance called %d times, want once (for the node without an address)", d.count("Instance"))
	}
	if res.Output != "metadata: 3 hosts, 1 adding, 0 deleting" {
		t.Errorf("output %q", res.Output)
	}
	wantRoles := []providers.Role{{Role: "master", Kind: "vm", Count: 1, Ready: 1, CPU: 2, Memory: 2048},
		{Role: "worker", Kind: "vm", Count: 2, Ready: 2, CPU: 1, Memory: 1024}}
	wantEPs := []providers.Endpoint{{Name: "admin", Kind: "vm", Host: "10.0.0.3", Port: 8080},
		{Name: "client", Kind: "vm", Host: "10.0.0.3", Port: 5432, Protocol: "tcp"}}
	if res.Observed == nil || !slices.Equal(res.Observed.Roles, wantRoles) || !slices.Equal(res.Observed.Endpoints, wantEPs) {
		t.Errorf("observed %+v\nwant roles %+v\n endpoints %+v", res.Observed, wantRoles, wantEPs)
	}

	// Scale in: the deleting hosts are listed, sids follow the hosts listed.
	params = frame.MetadataParams{ClusterID: testClusterID, Nodes: []frame.Node{frameNode(m1, 1), frameNode(w2, 2)}, Deleting: []string{w2.ID}}
	if _, err := op.Execute(ctx, newTask(t, "t-md2", frame.TaskMetadata, params, richEnv(), m1, w1, w2)); err != nil {
		t.Fatal(err)
	}
	got := e.metadata[testClusterID]
	hW2.SID = 2
	if !slices.Equal(got.Deleting, []metadata.Host{hW2}) || len(got.Adding) != 0 || len(got.Hosts) != 2 || got.Hosts[1].SID != 2 {
		t.Errorf("scale-in metadata hosts %+v deleting %+v adding %+v", got.Hosts, got.Deleting, got.Adding)
	}
}

// TestExecuteMetadataFromPlan runs the metadata task a scale out plans, as the engine would.
func TestExecuteMetadataFromPlan(t *testing.T) {
	ctx := testCtx(t)
	d, e := fakes()
	op := newOp(t, d, e)
	nodes := []providers.Node{node("master", 1, "10.0.0.1"), node("worker", 1, "10.0.0.2")}
	p, err := op.Plan(providers.PlanRequest{Action: providers.ActionAddNodes, Cluster: clusterOf(t, twoRoles(), nodes...),
		Params: json.RawMessage(`{"role":"worker","count":1}`)})
	if err != nil {
		t.Fatal(err)
	}
	create := tasksOf(p, frame.TaskCreateInstance)
	if len(create) != 1 {
		t.Fatalf("plan creates %d instances", len(create))
	}
	res, err := op.Execute(ctx, providers.Task{ID: "t-c", Runtime: testRuntime, Cluster: clusterOf(t, twoRoles(), nodes...), Spec: create[0]})
	if err != nil {
		t.Fatal(err)
	}
	// The engine records the new node before the next layer runs.
	nodes = append(nodes, res.Observed.Nodes...)
	md := tasksOf(p, frame.TaskMetadata)[0]
	if _, err := op.Execute(ctx, providers.Task{ID: "t-md", Runtime: testRuntime, Cluster: clusterOf(t, twoRoles(), nodes...), Spec: md}); err != nil {
		t.Fatal(err)
	}
	got := e.metadata[testClusterID]
	if len(got.Hosts) != 3 || len(got.Adding) != 1 || got.Adding[0].NodeID != "cln-abc-worker-2" || got.Adding[0].IP != res.Observed.Nodes[0].PrivateIP {
		t.Errorf("metadata hosts %+v adding %+v", got.Hosts, got.Adding)
	}
	if d.count("Instance") != 0 {
		t.Errorf("asked the driver for %d addresses the cluster's nodes had", d.count("Instance"))
	}
}

// singleRole is an app with one unnamed role.
func singleRole() *spec.Cluster {
	return &spec.Cluster{Name: "hello", Nodes: []spec.Role{{Count: 2, CPU: 1, Memory: 512, Env: map[string]any{"greeting": "hi"}}},
		Env: map[string]any{"port": 8000}, Endpoints: map[string]spec.Endpoint{"http": {Port: 8000}}}
}

func TestExecuteMetadataSingleRole(t *testing.T) {
	d, e := fakes()
	op := newOp(t, d, e)
	n1, n2 := node("node", 1, "10.0.0.1"), node("node", 2, "10.0.0.2")
	params := frame.MetadataParams{ClusterID: testClusterID, Nodes: []frame.Node{frameNode(n1, 1), frameNode(n2, 2)}}
	res, err := op.Execute(testCtx(t), newTask(t, "t-md", frame.TaskMetadata, params, singleRole(), n1, n2))
	if err != nil {
		t.Fatal(err)
	}
	got := e.metadata[testClusterID]
	if !got.SingleRole {
		t.Error("one unnamed role: SingleRole not set")
	}
	for _, h := range got.Hosts {
		if h.Role != "" || h.CPU != 1 || h.Memory != 512 {
			t.Errorf("host %+v, want no role and the role's resources", h)
		}
	}
	// The hosts have no role, so the role's env travels with the cluster's.
	if _, ok := got.Env["node"]; ok || got.Env[""]["greeting"] != "hi" || got.Env[""]["port"] != "8000" {
		t.Errorf("env %v", got.Env)
	}
	wantRoles := []providers.Role{{Role: "node", Kind: "vm", Count: 2, Ready: 2, CPU: 1, Memory: 512}}
	if !slices.Equal(res.Observed.Roles, wantRoles) {
		t.Errorf("roles %+v, want %+v", res.Observed.Roles, wantRoles)
	}

	// One named role is not SingleRole.
	c := singleRole()
	c.Nodes[0].Role = "web"
	w := node("web", 1, "10.0.0.9")
	params = frame.MetadataParams{ClusterID: testClusterID, Nodes: []frame.Node{frameNode(w, 1)}}
	if _, err := op.Execute(testCtx(t), newTask(t, "t-md2", frame.TaskMetadata, params, c, w)); err != nil {
		t.Fatal(err)
	}
	if got := e.metadata[testClusterID]; got.SingleRole || got.Hosts[0].Role != "web" {
		t.Errorf("one named role: single %v, host %+v", got.SingleRole, got.Hosts[0])
	}
}

// TestSingleRoleEnvReachesTheDrone: the env of the one unnamed role must show in each Drone's
// /env, as a named role's env does.
func TestSingleRoleEnvReachesTheDrone(t *testing.T) {
	d, e := fakes()
	op := newOp(t, d, e)
	n1 := node("node", 1, "10.0.0.1")
	params := frame.MetadataParams{ClusterID: testClusterID, Nodes: []frame.Node{frameNode(n1, 1)}}
	if _, err := op.Execute(testCtx(t), newTask(t, "t-md", frame.TaskMetadata, params, singleRole(), n1)); err != nil {
		t.Fatal(err)
	}
	v, err := metadata.SelfView(metadata.Build(e.metadata[testClusterID]), n1.InstanceID)
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := v.Get("/env/greeting"); got != "hi" {
		t.Errorf("/env/greeting = %q, want the role's env \"hi\"", got)
	}
}

// pkg is a package archive under a top folder, with confd files among others.
func pkg(t *testing.T) []byte {
	t.Helper()
	var buf bytes.Buffer
	err := pkgfile.Write(&buf, "db-1.0.0", map[string][]byte{
		"cluster.json.tmpl":             []byte(`{"name":"db"}`),
		"config.json":                   []byte(`{}`),
		"confd/conf.d/db.toml":          []byte("[template]\nsrc = \"db.conf.tmpl\"\n"),
		"confd/templates/db.conf.tmpl":  []byte("port={{getv \"/env/port\"}}\n"),
		"confdx/not-confd.txt":          []byte("no"),
		"scripts/confd/also-not.sh":     []byte("no"),
		"locale/confd/nor-this.json":    []byte("{}"),
		"confd-templates/nor-this.tmpl": []byte("no"),
	})
	if err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestExecuteMetadataBundle(t *testing.T) {
	d, e := fakes()
	op := newOp(t, d, e)
	m1 := node("master", 1, "10.0.0.1")
	params := frame.MetadataParams{ClusterID: testClusterID, Nodes: []frame.Node{frameNode(m1, 1)}, Bundle: true}
	task := newTask(t, "t-md", frame.TaskMetadata, params, twoRoles(), m1)
	archive := pkg(t)
	var asked []string
	task.Package = func(_ context.Context, versionID string) ([]byte, error) {
		asked = append(asked, versionID)
		return archive, nil
	}
	res, err := op.Execute(testCtx(t), task)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string][]byte{
		"conf.d/db.toml":         []byte("[template]\nsrc = \"db.conf.tmpl\"\n"),
		"templates/db.conf.tmpl": []byte("port={{getv \"/env/port\"}}\n"),
	}
	if got := e.bundles[testClusterID]; !maps.EqualFunc(got, want, bytes.Equal) {
		t.Errorf("bundle files %v, want %v", slices.Sorted(maps.Keys(got)), slices.Sorted(maps.Keys(want)))
	}
	if !slices.Equal(asked, []string{"appv-1"}) {
		t.Errorf("package asked for %v, want the cluster's version", asked)
	}
	if !strings.HasPrefix(res.Output, "bundle of appv-1: 2 files\nmetadata: 1 hosts") {
		t.Errorf("output %q", res.Output)
	}
	if len(e.puts) != 1 {
		t.Errorf("%d PutMetadata with the bundle, want 1", len(e.puts))
	}

	// A package without a top folder: the same files.
	var flat bytes.Buffer
	if err := pkgfile.Write(&flat, "", map[string][]byte{"cluster.json.tmpl": []byte(`{}`),
		"confd/conf.d/db.toml": want["conf.d/db.toml"], "confd/templates/db.conf.tmpl": want["templates/db.conf.tmpl"],
		"README.md": []byte("confd/ is where")}); err != nil {
		t.Fatal(err)
	}
	task.Package = func(context.Context, string) ([]byte, error) { return flat.Bytes(), nil }
	if _, err := op.Execute(testCtx(t), task); err != nil {
		t.Fatal(err)
	}
	if got := e.bundles[testClusterID]; !maps.EqualFunc(got, want, bytes.Equal) {
		t.Errorf("bundle of a package without a top folder: %v", slices.Sorted(maps.Keys(got)))
	}
}

func TestExecuteMetadataFailures(t *testing.T) {
	m1, w1 := node("master", 1, "10.0.0.1"), node("worker", 1, "")
	good := frame.MetadataParams{ClusterID: testClusterID, Nodes: []frame.Node{frameNode(m1, 1)}}
	withBundle := good
	withBundle.Bundle = true
	cases := []struct {
		name      string
		params    frame.MetadataParams
		spec      *spec.Cluster
		pkg       func(context.Context, string) ([]byte, error) // nil: no package source
		set       func(d *fakeDriver, e *fakeEdge)
		permanent bool
		is        error
		want      []string
	}{
		{name: "node without address nor instance", params: frame.MetadataParams{ClusterID: testClusterID,
			Nodes: []frame.Node{frameNode(m1, 1), frameNode(w1, 1)}}, spec: twoRoles(),
			is: ErrNoInstance, want: []string{"address of " + w1.InstanceID}},
		{name: "env key that is no path segment", params: good,
			spec: specWith(func(c *spec.Cluster) { c.Env = map[string]any{"a/b": 1} }), permanent: true, want: []string{"a/b"}},
		{name: "no package source", params: withBundle, spec: twoRoles(), permanent: true, want: []string{"no package source for appv-1"}},
		{name: "package unavailable", params: withBundle, spec: twoRoles(),
			pkg: func(context.Context, string) ([]byte, error) { return nil, errBoom }, is: errBoom, want: []string{"package of appv-1"}},
		{name: "package not an archive", params: withBundle, spec: twoRoles(),
			pkg: func(context.Context, string) ([]byte, error) { return []byte("not gzip"), nil }, permanent: true, is: pkgfile.ErrNotGzip},
		{name: "frontgate refuses the bundle", params: withBundle, spec: twoRoles(),
			pkg: func(context.Context, string) ([]byte, error) { return pkg(t), nil },
			set: func(_ *fakeDriver, e *fakeEdge) { e.fail["PutBundle"] = errBoom }, is: errBoom, want: []string{"bundle of cl-abc", testFG}},
		{name: "frontgate refuses the metadata", params: good, spec: twoRoles(),
			set: func(_ *fakeDriver, e *fakeEdge) { e.fail["PutMetadata"] = errBoom }, is: errBoom, want: []string{"metadata of cl-abc", testFG}},
		{name: "no vpc", params: good, spec: twoRoles(),
			set: func(d *fakeDriver, _ *fakeEdge) { d.failOn("EnsureVPC", errBoom) }, is: errBoom},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			d, e := fakes()
			if tc.set != nil {
				tc.set(d, e)
			}
			op := newOp(t, d, e)
			task := newTask(t, "t-md", frame.TaskMetadata, tc.params, tc.spec, m1, w1)
			task.Package = tc.pkg
			_, err := op.Execute(testCtx(t), task)
			if err == nil {
				t.Fatal("metadata task succeeded")
			}
			if got := errors.Is(err, providers.ErrPermanent); got != tc.permanent {
				t.Errorf("err %v: permanent %v, want %v", err, got, tc.permanent)
			}
			if tc.is != nil && !errors.Is(err, tc.is) {
				t.Errorf("err %v does not wrap %v", err, tc.is)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("err %q does not mention %q", err, w)
				}
			}
			if len(e.puts) != 0 {
				t.Errorf("metadata registered despite the failure: %+v", e.puts)
			}
		})
	}
	t.Run("bad spec", func(t *testing.T) {
		d, e := fakes()
		op := newOp(t, d, e)
		task := newTask(t, "t-md", frame.TaskMetadata, good, twoRoles(), m1)
		task.Cluster.Spec = json.RawMessage(`{"nodes":1}`)
		if _, err := op.Execute(testCtx(t), task); !errors.Is(err, providers.ErrPermanent) || len(e.puts) != 0 {
			t.Errorf("err %v, %d puts; want a permanent error and nothing sent", err, len(e.puts))
		}
	})
}

func TestExecuteMetadataNoHosts(t *testing.T) {
	d, e := fakes()
	op := newOp(t, d, e)
	params := frame.MetadataParams{ClusterID: testClusterID, Nodes: []frame.Node{}}
	res, err := op.Execute(testCtx(t), newTask(t, "t-md", frame.TaskMetadata, params, twoRoles()))
	if err != nil {
		t.Fatal(err)
	}
	if got := e.metadata[testClusterID]; len(got.Hosts) != 0 {
		t.Errorf("hosts %+v", got.Hosts)
	}
	for _, r := range res.Observed.Roles {
		if r.Count != 0 || r.Ready != 0 {
			t.Errorf("role %+v counted without hosts", r)
		}
	}
	for _, ep := range res.Observed.Endpoints {
		if ep.Host != "" {
			t.Errorf("endpoint %+v has a host without hosts", ep)
		}
	}
	if len(res.Observed.Endpoints) != 2 {
		t.Errorf("endpoints %+v, want both of the spec", res.Observed.Endpoints)
	}
}

func TestExecuteDropMetadata(t *testing.T) {
	ctx := testCtx(t)
	d, e := fakes()
	op := newOp(t, d, e)
	m1 := node("master", 1, "10.0.0.1")
	params := frame.MetadataParams{ClusterID: testClusterID, Nodes: []frame.Node{frameNode(m1, 1)}}
	if _, err := op.Execute(ctx, newTask(t, "t-md", frame.TaskMetadata, params, twoRoles(), m1)); err != nil {
		t.Fatal(err)
	}
	res, err := op.Execute(ctx, newTask(t, "t-drop", frame.TaskDropMetadata, map[string]string{"cluster_id": testClusterID}, twoRoles()))
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := e.metadata[testClusterID]; ok || !slices.Equal(e.dropped, []string{testClusterID}) {
		t.Errorf("metadata left %v, dropped %v", e.metadata, e.dropped)
	}
	// Empty, not nil: the roles and endpoints are cleared, not left unchanged.
	if res.Observed == nil || res.Observed.Roles == nil || len(res.Observed.Roles) != 0 ||
		res.Observed.Endpoints == nil || len(res.Observed.Endpoints) != 0 {
		t.Errorf("observed %+v, want empty roles and endpoints", res.Observed)
	}

	e.with(func(e *fakeEdge) { e.fail["DeleteMetadata"] = errBoom })
	_, err = op.Execute(ctx, newTask(t, "t-drop2", frame.TaskDropMetadata, nil, twoRoles()))
	if !errors.Is(err, errBoom) || !strings.Contains(err.Error(), testClusterID) || !strings.Contains(err.Error(), testFG) {
		t.Errorf("err %v, want the edge's error naming cluster and frontgate", err)
	}
}

func TestEnvStrings(t *testing.T) {
	cases := []struct {
		name string
		in   any
		want string
	}{
		{"string", "hello", "hello"},
		{"empty string", "", ""},
		{"integer", 3.0, "3"},
		{"negative integer", -42.0, "-42"},
		{"zero", 0.0, "0"},
		{"million without exponent", 1e6, "1000000"},
		{"fraction", 1.5, "1.5"},
		{"small fraction without exponent", 1e-7, "0.0000001"},
		{"huge without exponent", 1e20, "100000000000000000000"},
		{"just below the integer limit", 999999999999999.0, "999999999999999"},
		{"true", true, "true"},
		{"false", false, "false"},
		{"null", nil, ""},
		{"list", []any{"a", 1.0, true}, `["a",1,true]`},
		{"object", map[string]any{"k": "v", "n": 2.0}, `{"k":"v","n":2}`},
		{"nested", map[string]any{"a": []any{map[string]any{"b": nil}}}, `{"a":[{"b":null}]}`},
		{"Go int (not from JSON)", 7, "7"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := envStrings(map[string]any{"k": tc.in})
			if len(got) != 1 || got["k"] != tc.want {
				t.Errorf("envStrings(%#v) = %q, want %q", tc.in, got["k"], tc.want)
			}
		})
	}
	t.Run("as decoded from a spec", func(t *testing.T) {
		var env map[string]any
		if err := json.Unmarshal([]byte(`{"port":6379,"maxmemory":1073741824,"ratio":0.75,"on":true,"pass":"p@ss","x":null}`), &env); err != nil {
			t.Fatal(err)
		}
		want := map[string]string{"port": "6379", "maxmemory": "1073741824", "ratio": "0.75", "on": "true", "pass": "p@ss", "x": ""}
		if got := envStrings(env); !maps.Equal(got, want) {
			t.Errorf("envStrings = %v, want %v", got, want)
		}
		if got := envStrings(nil); got == nil || len(got) != 0 {
			t.Errorf("envStrings(nil) = %#v, want an empty map", got)
		}
	})
}

func TestSidsOf(t *testing.T) {
	n := func(role string, index int) frame.Node {
		return frame.Node{ID: role + "-" + string(rune('0'+index)), Role: role, Index: index}
	}
	cases := []struct {
		name  string
		nodes []frame.Node
		want  map[string]int
	}{
		{"none", nil, map[string]int{}},
		{"one role by index, whatever the order", []frame.Node{n("w", 3), n("w", 1), n("w", 2)},
			map[string]int{"w-1": 1, "w-2": 2, "w-3": 3}},
		{"roles by name, then index", []frame.Node{n("worker", 1), n("master", 2), n("worker", 2), n("master", 1)},
			map[string]int{"master-1": 1, "master-2": 2, "worker-1": 3, "worker-2": 4}},
		{"gaps are closed", []frame.Node{n("w", 7), n("w", 2)}, map[string]int{"w-2": 1, "w-7": 2}},
		// Scale out: existing nodes keep their sids when the new ones sort after them.
		{"added nodes come last", []frame.Node{n("w", 1), n("w", 2), n("w", 3), n("w", 4)},
			map[string]int{"w-1": 1, "w-2": 2, "w-3": 3, "w-4": 4}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			in := slices.Clone(tc.nodes)
			if got := sidsOf(tc.nodes); !maps.Equal(got, tc.want) {
				t.Errorf("sidsOf = %v, want %v", got, tc.want)
			}
			if !slices.Equal(in, tc.nodes) {
				t.Error("sidsOf reordered its input")
			}
		})
	}
	t.Run("equal keys keep the input order", func(t *testing.T) {
		nodes := []frame.Node{{ID: "b", Role: "r", Index: 1}, {ID: "a", Role: "r", Index: 1}}
		if got := sidsOf(nodes); got["b"] != 1 || got["a"] != 2 {
			t.Errorf("sidsOf = %v, want b before a", got)
		}
	})
}
