//go:build !race

// Two protoactor members in one process: protoactor's remote sets grpc's global logger on
// every start, racing with the servers already running, so this runs only without -race.

package localroute_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/pitrix/pitrix/actors/localroute"
	"github.com/pitrix/pitrix/cluster/node"
	"github.com/pitrix/pitrix/internal/testutil"
	"github.com/pitrix/pitrix/providers"
	"github.com/pitrix/pitrix/providers/vm"
)

// failing is a driver that fails every call, naming its node and the call: it shows where a
// call ran, and that its error (vm.ErrNoInstance included) comes back to the caller.
type failing struct{ node string }

func (f failing) fail(method string, rt providers.RuntimeSpec) error {
	return fmt.Errorf("driver of %s: %s for runtime %s (zone %s)", f.node, method, rt.ID, rt.Zone)
}

func (f failing) EnsureVPC(_ context.Context, rt providers.RuntimeSpec, owner string) (vm.VPC, error) {
	return vm.VPC{}, f.fail("EnsureVPC of "+owner, rt)
}
func (f failing) CreateInstance(_ context.Context, rt providers.RuntimeSpec, _ vm.VPC, in vm.InstanceSpec) (vm.Instance, error) {
	return vm.Instance{}, f.fail("CreateInstance "+in.ID+" role "+in.Role, rt)
}
func (f failing) StartInstance(_ context.Context, rt providers.RuntimeSpec, _ vm.VPC, id string) (vm.Instance, error) {
	return vm.Instance{}, f.fail("StartInstance "+id, rt)
}
func (f failing) StopInstance(_ context.Context, rt providers.RuntimeSpec, _ vm.VPC, id string) error {
	return f.fail("StopInstance "+id, rt)
}
func (f failing) ResizeInstance(_ context.Context, rt providers.RuntimeSpec, _ vm.VPC, in vm.InstanceSpec) (vm.Instance, error) {
	return vm.Instance{}, f.fail("ResizeInstance "+in.ID, rt)
}
func (f failing) DeleteInstance(_ context.Context, rt providers.RuntimeSpec, _ vm.VPC, id string) error {
	return f.fail("DeleteInstance "+id, rt)
}
func (f failing) Instance(_ context.Context, rt providers.RuntimeSpec, vpc vm.VPC, id string) (vm.Instance, error) {
	return vm.Instance{}, fmt.Errorf("%w: %s in %s", vm.ErrNoInstance, id, vpc.ID)
}

type member struct {
	n       *node.Node
	r       *localroute.Router
	stopped bool
}

func startMember(t *testing.T, name string, join ...string) *member {
	t.Helper()
	n, err := node.Start(t.Context(), node.Config{Name: name, GossipAddr: "127.0.0.1:0", FastGossip: true, Join: join, RequestTimeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	r, err := localroute.New(localroute.Config{Name: name, Driver: failing{node: name}, Grace: 300 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Serve(n); err != nil {
		t.Fatal(err)
	}
	m := &member{n: n, r: r}
	t.Cleanup(m.stop)
	return m
}

func (m *member) stop() {
	if m.stopped {
		return
	}
	m.stopped = true
	m.r.Close()
	_ = m.n.Close()
}

// TestRoutesToTheOwner: a call for a runtime of node b made on node a runs on b's driver, its
// errors come back (vm.ErrNoInstance still recognised); a runtime of this node or of none runs
// here; a runtime of a node that is not a member, or that left, fails with ErrNodeDown naming
// it and never runs on another driver.
func TestRoutesToTheOwner(t *testing.T) {
	a := startMember(t, "a")
	b := startMember(t, "b", a.n.GossipAddr())
	testutil.Eventually(t, 20*time.Second, "both members see each other", func() (bool, string) {
		return len(a.n.Members()) == 2 && len(b.n.Members()) == 2, fmt.Sprint(a.n.Members())
	})
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	ofB := providers.RuntimeSpec{ID: "rt-b", Zone: "local", Node: "b"}
	vpc := vm.VPC{ID: "vpc-1"}

	calls := map[string]func(rt providers.RuntimeSpec) error{
		"EnsureVPC of alice": func(rt providers.RuntimeSpec) error { _, err := a.r.EnsureVPC(ctx, rt, "alice"); return err },
		"CreateInstance i-1 role web": func(rt providers.RuntimeSpec) error {
			_, err := a.r.CreateInstance(ctx, rt, vpc, vm.InstanceSpec{ID: "i-1", Role: "web"})
			return err
		},
		"StartInstance i-1": func(rt providers.RuntimeSpec) error { _, err := a.r.StartInstance(ctx, rt, vpc, "i-1"); return err },
		"StopInstance i-1":  func(rt providers.RuntimeSpec) error { return a.r.StopInstance(ctx, rt, vpc, "i-1") },
		"ResizeInstance i-1": func(rt providers.RuntimeSpec) error {
			_, err := a.r.ResizeInstance(ctx, rt, vpc, vm.InstanceSpec{ID: "i-1"})
			return err
		},
		"DeleteInstance i-1": func(rt providers.RuntimeSpec) error { return a.r.DeleteInstance(ctx, rt, vpc, "i-1") },
	}
	for what, call := range calls {
		err := call(ofB)
		if err == nil || !strings.Contains(err.Error(), "driver of b: "+what+" for runtime rt-b (zone local)") || !strings.Contains(err.Error(), "on node b") {
			t.Fatalf("%s for b's runtime from a: %v; want it run on b's driver", what, err)
		}
		// This node's runtime, and a runtime of no node, run here.
		for _, rt := range []providers.RuntimeSpec{{ID: "rt-a", Zone: "local", Node: "a"}, {ID: "rt-a", Zone: "local"}} {
			if err := call(rt); err == nil || !strings.Contains(err.Error(), "driver of a: "+what) {
				t.Fatalf("%s for a's runtime %+v: %v; want it run on a's driver", what, rt, err)
			}
		}
	}
	if _, err := a.r.Instance(ctx, ofB, vpc, "i-9"); !errors.Is(err, vm.ErrNoInstance) || !strings.Contains(err.Error(), "i-9 in vpc-1") {
		t.Fatalf("Instance of a missing instance on b: %v; want vm.ErrNoInstance from b", err)
	}

	// A node that is not a member: ErrNodeDown naming it, after the grace.
	start := time.Now()
	_, err := a.r.EnsureVPC(ctx, providers.RuntimeSpec{ID: "rt-c", Node: "c"}, "alice")
	if !errors.Is(err, localroute.ErrNodeDown) || !strings.Contains(err.Error(), "node c") || time.Since(start) < 300*time.Millisecond {
		t.Fatalf("EnsureVPC on node c's runtime: %v after %s; want ErrNodeDown naming c after the grace", err, time.Since(start))
	}

	// b leaves: its runtime's calls fail with ErrNodeDown, never on a's driver.
	b.stop()
	testutil.Eventually(t, 20*time.Second, "a sees b gone", func() (bool, string) {
		_, err := a.r.EnsureVPC(ctx, ofB, "alice")
		return errors.Is(err, localroute.ErrNodeDown), fmt.Sprint(err)
	})
	_, err = a.r.CreateInstance(ctx, ofB, vpc, vm.InstanceSpec{ID: "i-2"})
	if !errors.Is(err, localroute.ErrNodeDown) || !strings.Contains(err.Error(), "node b") || strings.Contains(err.Error(), "driver of a") {
		t.Fatalf("CreateInstance on b's runtime with b gone: %v", err)
	}
}
