package driver

import (
	"context"
	"fmt"
	"syscall"
	"testing"
	"time"

	"github.com/pitrix/pitrix/providers/vm"
)

// TestSupervise: a killed Drone and a killed Frontgate are started again; a stopped instance
// is left stopped.
func TestSupervise(t *testing.T) {
	r := newRig(t)
	ctx := r.ctx()
	vpc, err := r.d.EnsureVPC(ctx, r.rt, "sue")
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"i-run", "i-stop"} {
		if _, err := r.d.CreateInstance(ctx, r.rt, vpc, vm.InstanceSpec{ID: id, ClusterID: "cl-1", Role: "node"}); err != nil {
			t.Fatal(err)
		}
	}
	if err := r.d.StopInstance(ctx, r.rt, vpc, "i-stop"); err != nil {
		t.Fatal(err)
	}
	sctx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- r.d.Supervise(sctx, 100*time.Millisecond) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Error(err)
		}
	}()

	drone := pidOf(t, r.d.droneAgent("i-run"))
	s, _ := r.d.loadVPC(vpc.ID)
	fg := pidOf(t, r.d.frontgateAgent(s))
	for _, pid := range []int{drone, fg} {
		if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
	}
	eventually(t, "the drone and the frontgate run again", func() (bool, string) {
		d, f := pidOf(t, r.d.droneAgent("i-run")), pidOf(t, r.d.frontgateAgent(s))
		_, _, dok := r.d.find(r.d.droneAgent("i-run"))
		_, _, fok := r.d.find(r.d.frontgateAgent(s))
		return dok && fok && d != drone && f != fg, fmt.Sprintf("drone %d (%v), frontgate %d (%v)", d, dok, f, fok)
	})
	waitDrones(t, r.gw, vpc.FrontgateID, "i-run")
	if _, _, ok := r.d.find(r.d.droneAgent("i-stop")); ok {
		t.Fatal("the supervisor started a stopped instance")
	}
}
