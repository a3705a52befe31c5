package vm

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"sync"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/pitrix/pitrix/edge/edgepb"
	"github.com/pitrix/pitrix/edge/metadata"
	"github.com/pitrix/pitrix/providers"
	"github.com/pitrix/pitrix/providers/vm/spec"
)

// The fakes below keep the state a cloud and a Frontgate would (instances with addresses,
// connected Drones, registered metadata, commands run by id) and fail on request. They never
// block: a Drone "boots" over a number of DroneStatus polls instead of over time.

const (
	testClusterID = "cl-abc"
	testOwner     = "usr-1"
	testFG        = "fg-1"
)

var testRuntime = providers.RuntimeSpec{ID: "rt-1", Zone: "zone-a"}

// fakeProvider answers the provider questions of the Operator.
type fakeProvider struct{}

func (fakeProvider) Name() string                                                   { return "fakecloud" }
func (fakeProvider) AppType() string                                                { return providers.AppTypeVM }
func (fakeProvider) NeedsCredential() bool                                          { return false }
func (fakeProvider) Zones(context.Context) []string                                 { return []string{"zone-a"} }
func (fakeProvider) ValidateCredential(context.Context, providers.Credential) error { return nil }
func (fakeProvider) ValidateRuntime(context.Context, string, providers.Credential) error {
	return nil
}

// fakeDriver is a cloud: instances by id with an address and a status. Creating or starting
// an instance boots its Drone on the fake edge (unless noDrone).
type fakeDriver struct {
	edge *fakeEdge

	mu        sync.Mutex
	vpc       VPC
	noDrone   bool // instances come up without their Drone ever connecting
	instances map[string]Instance
	specs     map[string]InstanceSpec // what CreateInstance / ResizeInstance were last given
	nextIP    int
	calls     map[string]int
	fail      map[string]error // by method name: the error it returns
	owners    []string         // owners EnsureVPC was asked about
}

var _ Driver = (*fakeDriver)(nil)

func newFakeDriver(e *fakeEdge) *fakeDriver {
	return &fakeDriver{edge: e, vpc: VPC{ID: "vpc-1", CIDR: "10.9.0.0/24", FrontgateID: testFG},
		instances: map[string]Instance{}, specs: map[string]InstanceSpec{}, calls: map[string]int{}, fail: map[string]error{}}
}

// call counts a call of method and returns the error it was told to fail with.
func (d *fakeDriver) call(ctx context.Context, method string) error {
	d.calls[method]++
	if err := ctx.Err(); err != nil {
		return err
	}
	return d.fail[method]
}

func (d *fakeDriver) failOn(method string, err error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.fail[method] = err
}

func (d *fakeDriver) count(method string) int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.calls[method]
}

func (d *fakeDriver) instance(id string) (Instance, bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	in, ok := d.instances[id]
	return in, ok
}

func (d *fakeDriver) spec(id string) InstanceSpec {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.specs[id]
}

// put adds an instance as if an earlier job had created it.
func (d *fakeDriver) put(in Instance) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.instances[in.ID] = in
}

func (d *fakeDriver) boot(id string) {
	if !d.noDrone && d.edge != nil {
		d.edge.boot(id)
	}
}

func (d *fakeDriver) EnsureVPC(ctx context.Context, rt providers.RuntimeSpec, owner string) (VPC, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if err := d.call(ctx, "EnsureVPC"); err != nil {
		return VPC{}, fmt.Errorf("ensure vpc on %s: %w", rt.ID, err)
	}
	d.owners = append(d.owners, owner)
	return d.vpc, nil
}

func (d *fakeDriver) CreateInstance(ctx context.Context, _ providers.RuntimeSpec, vpc VPC, in InstanceSpec) (Instance, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if err := d.call(ctx, "CreateInstance"); err != nil {
		return Instance{}, fmt.Errorf("create %s: %w", in.ID, err)
	}
	if vpc != d.vpc {
		return Instance{}, fmt.Errorf("create %s: vpc %+v is not the driver's", in.ID, vpc)
	}
	if inst, ok := d.instances[in.ID]; ok {
		return inst, nil
	}
	d.nextIP++
	inst := Instance{ID: in.ID, IP: fmt.Sprintf("10.9.0.%d", 10+d.nextIP), Status: InstanceRunning}
	d.instances[in.ID] = inst
	d.specs[in.ID] = in
	d.boot(in.ID)
	return inst, nil
}

func (d *fakeDriver) StartInstance(ctx context.Context, _ providers.RuntimeSpec, _ VPC, id string) (Instance, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if err := d.call(ctx, "StartInstance"); err != nil {
		return Instance{}, fmt.Errorf("start %s: %w", id, err)
	}
	inst, ok := d.instances[id]
	if !ok {
		return Instance{}, fmt.Errorf("start %s: %w", id, ErrNoInstance)
	}
	inst.Status = InstanceRunning
	d.instances[id] = inst
	d.boot(id) // a running instance whose Drone died gets its Drone back
	return inst, nil
}

func (d *fakeDriver) StopInstance(ctx context.Context, _ providers.RuntimeSpec, _ VPC, id string) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if err := d.call(ctx, "StopInstance"); err != nil {
		return fmt.Errorf("stop %s: %w", id, err)
	}
	inst, ok := d.instances[id]
	if !ok {
		return fmt.Errorf("stop %s: %w", id, ErrNoInstance)
	}
	inst.Status = InstanceStopped
	d.instances[id] = inst
	if d.edge != nil {
		d.edge.disconnect(id)
	}
	return nil
}

func (d *fakeDriver) ResizeInstance(ctx context.Context, _ providers.RuntimeSpec, _ VPC, in InstanceSpec) (Instance, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if err := d.call(ctx, "ResizeInstance"); err != nil {
		return Instance{}, fmt.Errorf("resize %s: %w", in.ID, err)
	}
	inst, ok := d.instances[in.ID]
	switch {
	case !ok:
		return Instance{}, fmt.Errorf("resize %s: %w", in.ID, ErrNoInstance)
	case inst.Status != InstanceStopped:
		return Instance{}, fmt.Errorf("resize %s: instance is %s, not stopped", in.ID, inst.Status)
	}
	d.specs[in.ID] = in
	return inst, nil
}

func (d *fakeDriver) DeleteInstance(ctx context.Context, _ providers.RuntimeSpec, _ VPC, id string) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if err := d.call(ctx, "DeleteInstance"); err != nil {
		return fmt.Errorf("delete %s: %w", id, err)
	}
	delete(d.instances, id)
	delete(d.specs, id)
	if d.edge != nil {
		d.edge.disconnect(id)
	}
	return nil
}

func (d *fakeDriver) Instance(ctx context.Context, _ providers.RuntimeSpec, _ VPC, id string) (Instance, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if err := d.call(ctx, "Instance"); err != nil {
		return Instance{}, fmt.Errorf("instance %s: %w", id, err)
	}
	inst, ok := d.instances[id]
	if !ok {
		return Instance{}, fmt.Errorf("instance %s: %w", id, ErrNoInstance)
	}
	return inst, nil
}

// fakeEdge is one Frontgate as the edge gateway reaches it: Drones that connect after a
// number of DroneStatus polls, a metadata and bundle store, a renderer answering configured
// results, and a command runner that, like a Drone, runs one command id once.
type fakeEdge struct {
	mu          sync.Mutex
	frontgates  map[string]bool // the Frontgates that are connected
	bootPolls   int             // DroneStatus answers a booting Drone stays out of
	drones      map[string]int  // instance id → polls until it shows (0: connected)
	statusCalls int
	// hangStatusAfter > 0 makes every DroneStatus after that many wait for the request's ctx,
	// as a Frontgate that stopped answering does.
	hangStatusAfter int

	metadata map[string]metadata.Cluster // by cluster id, as registered last
	puts     []metadata.Cluster          // every PutMetadata, decoded
	bundles  map[string]map[string][]byte
	dropped  []string // cluster ids of DeleteMetadata

	renders     map[string]*edgepb.RenderResult // by instance id; default: one unchanged file
	renderCalls map[string]int

	exits    map[string]int32  // by command line; default 0
	stderr   map[string]string // by command line
	results  map[string]*edgepb.CommandResult
	requests []*edgepb.RunCommand // every RunCommand received
	ran      map[string]int       // command id → times it really ran

	fail    map[string]error         // by message name (e.g. "RenderConfig"): the error to answer
	answers map[string]proto.Message // by message name: a reply to give instead
	seen    map[string]int           // by message name: requests received
}

func newFakeEdge() *fakeEdge {
	return &fakeEdge{frontgates: map[string]bool{testFG: true}, drones: map[string]int{},
		metadata: map[string]metadata.Cluster{}, bundles: map[string]map[string][]byte{},
		renders: map[string]*edgepb.RenderResult{}, renderCalls: map[string]int{},
		exits: map[string]int32{}, stderr: map[string]string{}, results: map[string]*edgepb.CommandResult{},
		ran: map[string]int{}, fail: map[string]error{}, answers: map[string]proto.Message{}, seen: map[string]int{}}
}

// boot starts an instance's Drone: it connects after bootPolls DroneStatus answers.
func (e *fakeEdge) boot(id string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if n, ok := e.drones[id]; ok && n == 0 {
		return // already connected
	}
	e.drones[id] = e.bootPolls
}

func (e *fakeEdge) disconnect(id string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	delete(e.drones, id)
}

func (e *fakeEdge) connected(id string) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	n, ok := e.drones[id]
	return ok && n == 0
}

func (e *fakeEdge) with(f func(e *fakeEdge)) {
	e.mu.Lock()
	defer e.mu.Unlock()
	f(e)
}

func (e *fakeEdge) count(name string) int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.seen[name]
}

func (e *fakeEdge) Request(ctx context.Context, frontgateID string, msg proto.Message) (proto.Message, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if _, ok := msg.(*edgepb.DroneStatus); ok {
		e.mu.Lock()
		hang := e.hangStatusAfter > 0 && e.statusCalls >= e.hangStatusAfter
		e.mu.Unlock()
		if hang {
			<-ctx.Done()
			return nil, ctx.Err()
		}
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if !e.frontgates[frontgateID] {
		return nil, fmt.Errorf("fake edge: frontgate %s is not connected", frontgateID)
	}
	name := string(msg.ProtoReflect().Descriptor().Name())
	e.seen[name]++
	if err := e.fail[name]; err != nil {
		return nil, err
	}
	if a, ok := e.answers[name]; ok {
		return a, nil
	}
	switch m := msg.(type) {
	case *edgepb.DroneStatus:
		e.statusCalls++
		var ids []string
		for id, n := range e.drones {
			if n == 0 {
				ids = append(ids, id)
			} else {
				e.drones[id] = n - 1
			}
		}
		slices.Sort(ids)
		return &edgepb.DroneList{InstanceIds: ids}, nil
	case *edgepb.PutMetadata:
		var c metadata.Cluster
		dec := json.NewDecoder(bytes.NewReader(m.Json))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&c); err != nil {
			return nil, fmt.Errorf("fake edge: metadata of %s: %w", m.ClusterId, err)
		}
		if c.ClusterID != m.ClusterId {
			return nil, fmt.Errorf("fake edge: metadata of %s names cluster %s", m.ClusterId, c.ClusterID)
		}
		if err := c.Validate(); err != nil {
			return nil, err
		}
		e.metadata[m.ClusterId] = c
		e.puts = append(e.puts, c)
		return &edgepb.Ack{}, nil
	case *edgepb.PutBundle:
		e.bundles[m.ClusterId] = maps.Clone(m.Files)
		return &edgepb.Ack{}, nil
	case *edgepb.DeleteMetadata:
		delete(e.metadata, m.ClusterId)
		delete(e.bundles, m.ClusterId)
		e.dropped = append(e.dropped, m.ClusterId)
		return &edgepb.Ack{}, nil
	case *edgepb.RenderConfig:
		if n, ok := e.drones[m.InstanceId]; !ok || n > 0 {
			return nil, fmt.Errorf("fake edge: drone %s is not connected", m.InstanceId)
		}
		e.renderCalls[m.InstanceId]++
		if r, ok := e.renders[m.InstanceId]; ok {
			return proto.Clone(r), nil
		}
		return &edgepb.RenderResult{InstanceId: m.InstanceId, Files: []*edgepb.RenderedFile{{Name: "app.toml", Dest: "/etc/app.conf", Status: "unchanged"}}}, nil
	case *edgepb.RunCommand:
		e.requests = append(e.requests, proto.Clone(m).(*edgepb.RunCommand))
		if r, ok := e.results[m.CommandId]; ok {
			out := proto.Clone(r).(*edgepb.CommandResult)
			out.Deduplicated = true
			return out, nil
		}
		if n, ok := e.drones[m.InstanceId]; !ok || n > 0 {
			return nil, fmt.Errorf("fake edge: drone %s is not connected", m.InstanceId)
		}
		e.ran[m.CommandId]++
		r := &edgepb.CommandResult{CommandId: m.CommandId, ExitCode: e.exits[m.Cmd], Stdout: []byte("ran " + m.Cmd + "\n"),
			Stderr: []byte(e.stderr[m.Cmd]), DurationMs: 7}
		e.results[m.CommandId] = r
		return proto.Clone(r), nil
	}
	return nil, fmt.Errorf("fake edge: unexpected %s", name)
}

// recorder is a slog handler keeping the records a test looks for.
type recorder struct {
	mu      sync.Mutex
	records []slog.Record
}

func (r *recorder) Enabled(context.Context, slog.Level) bool { return true }
func (r *recorder) Handle(_ context.Context, rec slog.Record) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.records = append(r.records, rec.Clone())
	return nil
}
func (r *recorder) WithAttrs([]slog.Attr) slog.Handler { return r }
func (r *recorder) WithGroup(string) slog.Handler      { return r }

// messages returns the messages logged at level.
func (r *recorder) messages(level slog.Level) []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for _, rec := range r.records {
		if rec.Level == level {
			out = append(out, rec.Message)
		}
	}
	return out
}

func testLogger(t *testing.T) *slog.Logger {
	return slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// newOp returns an Operator over d and e with fast polling; opts adjust its config.
func newOp(t *testing.T, d *fakeDriver, e *fakeEdge, opts ...func(*Config)) *Operator {
	t.Helper()
	cfg := Config{Driver: d, Edge: e, Logger: testLogger(t), PollInterval: time.Millisecond, DroneGrace: 20 * time.Millisecond}
	for _, o := range opts {
		o(&cfg)
	}
	op, err := New(fakeProvider{}, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return op
}

// fakes returns a connected driver and edge.
func fakes() (*fakeDriver, *fakeEdge) {
	e := newFakeEdge()
	return newFakeDriver(e), e
}

func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func mustJSON(t *testing.T, v any) json.RawMessage {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// clusterOf is the ClusterSpec of testClusterID rendered as c with nodes.
func clusterOf(t *testing.T, c *spec.Cluster, nodes ...providers.Node) providers.ClusterSpec {
	return providers.ClusterSpec{ID: testClusterID, Name: "db", Owner: testOwner, AppID: "app-1", VersionID: "appv-1",
		Spec: mustJSON(t, c), Nodes: nodes}
}

// newTask is task id running action with params on the cluster of c.
func newTask(t *testing.T, id, action string, params any, c *spec.Cluster, nodes ...providers.Node) providers.Task {
	t.Helper()
	return providers.Task{ID: id, JobID: "j-1", Attempt: 1, Runtime: testRuntime, Cluster: clusterOf(t, c, nodes...),
		Spec: providers.TaskSpec{Action: action, Target: id, Params: mustJSON(t, params)}}
}

// twoRoles is a master with a volume, env and its own health check, and two workers with a
// custom service; the cluster has env, endpoints and a health check of its own.
func twoRoles() *spec.Cluster {
	return &spec.Cluster{Name: "db",
		Nodes: []spec.Role{
			{Role: "master", Count: 1, CPU: 2, Memory: 2048, Volume: &spec.Volume{Size: 20, MountPoint: "/data"},
				Env: map[string]any{"max_conn": 100},
				HealthCheck: &spec.HealthCheck{Enable: true, IntervalSec: 10, TimeoutSec: 5, HealthyThreshold: 2,
					UnhealthyThreshold: 3, CheckCmd: "master-check"},
				Services: map[string]spec.Service{
					"init":  {Cmd: "master-init"},
					"start": {Cmd: "master-start"},
					"stop":  {Cmd: "master-stop"},
				}},
			{Role: "worker", Count: 2, CPU: 1, Memory: 1024,
				Services: map[string]spec.Service{
					"start":     {Cmd: "worker-start", Order: 1},
					"stop":      {Cmd: "worker-stop"},
					"rebalance": {Cmd: "worker-rebalance", NodesToExecuteOn: 1, Timeout: 30},
				}},
		},
		Endpoints:   map[string]spec.Endpoint{"client": {Port: 5432, Protocol: "tcp"}, "admin": {Port: 8080}},
		Env:         map[string]any{"port": 5432, "debug": true},
		HealthCheck: &spec.HealthCheck{Enable: true, IntervalSec: 30, CheckCmd: "cluster-check"},
	}
}

// specWith is twoRoles changed by f.
func specWith(f func(c *spec.Cluster)) *spec.Cluster {
	c := twoRoles()
	f(c)
	return c
}

// node is node <role>-<index> of testClusterID as the cluster records it.
func node(role string, index int, ip string) providers.Node {
	return providers.Node{ID: fmt.Sprintf("cln-abc-%s-%d", role, index), Role: role,
		InstanceID: fmt.Sprintf("i-abc-%s-%d", role, index), PrivateIP: ip, Status: InstanceRunning}
}

var errBoom = errors.New("boom")
