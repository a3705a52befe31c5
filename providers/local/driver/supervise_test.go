package driver

import (
	"context"
	"errors"
	"fmt"
	"os"
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

// TestSuperviseAfterDelete: the supervisor decides on what it read before taking a VPC's lock;
// by then the VPC's last instance may be deleted (its Frontgate stopped) or the VPC gone. It
// must not start the Frontgate again then: nobody would stop it.
func TestSuperviseAfterDelete(t *testing.T) {
	r := newRig(t)
	ctx := r.ctx()
	vpc, err := r.d.EnsureVPC(ctx, r.rt, "sam")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.d.CreateInstance(ctx, r.rt, vpc, vm.InstanceSpec{ID: "i-1", ClusterID: "cl-1", Role: "node"}); err != nil {
		t.Fatal(err)
	}
	s, _ := r.d.loadVPC(vpc.ID)
	fg := r.d.frontgateAgent(s)
	if err := r.d.DeleteInstance(ctx, r.rt, vpc, "i-1"); err != nil {
		t.Fatal(err)
	}
	if _, _, ok := r.d.find(fg); ok {
		t.Fatal("the frontgate of an empty vpc runs after its last instance was deleted")
	}
	r.d.restartFrontgate(ctx, vpc.ID) // as a supervisor pass that saw i-1 running would
	if _, _, ok := r.d.find(fg); ok {
		t.Fatal("the supervisor started the frontgate of a vpc without instances")
	}
	if err := r.d.DeleteVPC(ctx, vpc.ID); err != nil {
		t.Fatal(err)
	}
	r.d.restartFrontgate(ctx, vpc.ID)
	if _, err := os.Stat(r.d.vpcDir(vpc.ID)); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("the supervisor brought a deleted vpc's directory back: %v", err)
	}
	if _, _, ok := r.d.find(fg); ok {
		t.Fatal("the supervisor started the frontgate of a deleted vpc")
	}
}

// TestLegacyDroneReplaced: a Drone an older driver started outside a sandbox is stopped when
// the instance's sandboxed Drone starts, so one Drone serves the instance.
func TestLegacyDroneReplaced(t *testing.T) {
	needRoot(t)
	r := newRig(t)
	ctx := r.ctx()
	d := r.d
	vpc, err := d.EnsureVPC(ctx, r.rt, "lee")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d.CreateInstance(ctx, r.rt, vpc, vm.InstanceSpec{ID: "i-1", ClusterID: "cl-1", Role: "node"}); err != nil {
		t.Fatal(err)
	}
	if err := d.StopInstance(ctx, r.rt, vpc, "i-1"); err != nil {
		t.Fatal(err)
	}
	// What the driver ran before sandboxes: the Drone on the host, state and root in the instance.
	s, _ := d.loadVPC(vpc.ID)
	a := d.droneAgent("i-1")
	files := certFilesOf(a)
	legacy := agent{kind: "drone", id: "i-1", dir: a.dir, idFlag: "--instance-id", ownFlag: "--state-dir", ownValue: d.stateOf("i-1")}
	if _, err := d.start(ctx, legacy, []string{"--instance-id", "i-1", "--cluster-id", "cl-1", "--role", "node",
		"--root", d.rootOf("i-1"), "--state-dir", d.stateOf("i-1"), "--frontgate", s.frontgateAddr(),
		"--cert", files.cert, "--key", files.key, "--ca", files.ca}, "pitrix: drone i-1 connected to ", nil); err != nil {
		t.Fatal(err)
	}
	old, _, ok := d.find(legacy)
	if !ok {
		t.Fatal("the legacy drone does not run")
	}
	if _, err := d.StartInstance(ctx, r.rt, vpc, "i-1"); err != nil {
		t.Fatal(err)
	}
	if old.alive() {
		t.Fatalf("the legacy drone %d still runs beside the sandboxed one", old.PID)
	}
	if _, _, ok := d.find(a); !ok {
		t.Fatal("no sandboxed drone")
	}
	waitDrones(t, r.gw, vpc.FrontgateID, "i-1")
}
