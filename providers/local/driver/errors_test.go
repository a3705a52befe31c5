package driver

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pitrix/pitrix/providers"
	"github.com/pitrix/pitrix/providers/vm"
)

// TestErrors: calls that cannot succeed say why and name what they were about.
func TestErrors(t *testing.T) {
	r := newRig(t)
	ctx := r.ctx()
	d := r.d
	ghost := vm.VPC{ID: "vpc-ghost"}
	if _, err := d.CreateInstance(ctx, r.rt, ghost, vm.InstanceSpec{ID: "i-1"}); !errors.Is(err, ErrNoVPC) || !strings.Contains(err.Error(), "i-1") {
		t.Fatalf("CreateInstance in a missing vpc: %v, want ErrNoVPC naming i-1", err)
	}
	for _, id := range []string{"", "../x", ".hidden", "a/b", strings.Repeat("x", 129)} {
		if _, err := d.CreateInstance(ctx, r.rt, ghost, vm.InstanceSpec{ID: id}); !errors.Is(err, ErrBadID) {
			t.Fatalf("CreateInstance %q: %v, want ErrBadID", id, err)
		}
	}
	if _, err := d.Instance(ctx, r.rt, ghost, "i-1"); !errors.Is(err, vm.ErrNoInstance) {
		t.Fatalf("Instance of a missing instance: %v, want ErrNoInstance", err)
	}
	if err := d.StopInstance(ctx, r.rt, ghost, "i-1"); !errors.Is(err, vm.ErrNoInstance) {
		t.Fatalf("StopInstance of a missing instance: %v", err)
	}
	if _, err := d.StartInstance(ctx, r.rt, ghost, "i-1"); !errors.Is(err, vm.ErrNoInstance) {
		t.Fatalf("StartInstance of a missing instance: %v", err)
	}
	if _, err := d.ResizeInstance(ctx, r.rt, ghost, vm.InstanceSpec{ID: "i-1"}); !errors.Is(err, vm.ErrNoInstance) {
		t.Fatalf("ResizeInstance of a missing instance: %v", err)
	}
	if err := d.DeleteInstance(ctx, r.rt, ghost, "i-1"); err != nil {
		t.Fatalf("DeleteInstance of a missing instance: %v", err)
	}
	if err := d.StopVPC(ctx, "vpc-ghost"); err != nil {
		t.Fatalf("StopVPC of a missing vpc: %v", err)
	}
	if err := d.DeleteVPC(ctx, "vpc-ghost"); err != nil {
		t.Fatalf("DeleteVPC of a missing vpc: %v", err)
	}
	if _, err := d.EnsureVPC(ctx, providers.RuntimeSpec{}, "alice"); err == nil {
		t.Fatal("EnsureVPC without a runtime id succeeded")
	}

	// A VPC and an instance in it; the instance is not in another VPC, nor of another runtime.
	vpc, err := d.EnsureVPC(ctx, r.rt, "alice")
	if err != nil {
		t.Fatal(err)
	}
	other, err := d.EnsureVPC(ctx, r.rt, "bob")
	if err != nil {
		t.Fatal(err)
	}
	if other.ID == vpc.ID || other.CIDR == vpc.CIDR || other.FrontgateID == vpc.FrontgateID {
		t.Fatalf("two owners share a vpc: %+v %+v", vpc, other)
	}
	if _, err := d.CreateInstance(ctx, providers.RuntimeSpec{ID: "rt-other"}, vpc, vm.InstanceSpec{ID: "i-1"}); err == nil || !strings.Contains(err.Error(), "rt-other") {
		t.Fatalf("CreateInstance with another runtime: %v", err)
	}
	if _, err := d.CreateInstance(ctx, r.rt, vpc, vm.InstanceSpec{ID: "i-1", Role: "web"}); err != nil {
		t.Fatal(err)
	}
	if _, err := d.Instance(ctx, r.rt, other, "i-1"); !errors.Is(err, ErrWrongVPC) {
		t.Fatalf("Instance in another vpc: %v, want ErrWrongVPC", err)
	}
	if err := d.DeleteInstance(ctx, r.rt, other, "i-1"); !errors.Is(err, ErrWrongVPC) {
		t.Fatalf("DeleteInstance in another vpc: %v, want ErrWrongVPC", err)
	}
	if err := d.DeleteInstance(ctx, r.rt, vpc, "i-1"); err != nil {
		t.Fatal(err)
	}

	// StopVPC stops the Frontgate; EnsureVPC brings it back; DeleteVPC removes it all.
	s, _ := d.loadVPC(other.ID)
	if err := d.StopVPC(ctx, other.ID); err != nil {
		t.Fatal(err)
	}
	if _, _, ok := d.find(d.frontgateAgent(s)); ok {
		t.Fatal("frontgate runs after StopVPC")
	}
	if again, err := d.EnsureVPC(ctx, r.rt, "bob"); err != nil || again != other {
		t.Fatalf("EnsureVPC after StopVPC = %+v, %v", again, err)
	}
	if _, err := drones(ctx, r.gw, other.FrontgateID); err != nil {
		t.Fatalf("restarted frontgate: %v", err)
	}
	if err := d.DeleteVPC(ctx, other.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(d.vpcDir(other.ID)); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("vpc dir after DeleteVPC: %v", err)
	}
	if _, _, ok := d.find(d.frontgateAgent(s)); ok {
		t.Fatal("frontgate runs after DeleteVPC")
	}

	// The control plane has no address.
	empty := ""
	r.control.Store(&empty)
	if _, err := d.EnsureVPC(ctx, r.rt, "carol"); err == nil || !strings.Contains(err.Error(), "no address") {
		t.Fatalf("EnsureVPC without a control address: %v", err)
	}
}

// TestStartFailure: an agent that exits at once is an error naming the Frontgate, its address
// and its log; nothing is left running.
func TestStartFailure(t *testing.T) {
	falseBin, err := exec.LookPath("false")
	if err != nil {
		t.Skip("no false(1)")
	}
	gw := startGateway(t, filepath.Join(t.TempDir(), "ca"))
	d, err := New(Config{Dir: t.TempDir(), Binary: falseBin, Control: gw.Addr, Issuer: gw, Logger: testLogger(t), ReadyTimeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = d.Purge(t.Context()) })
	rt := providers.RuntimeSpec{ID: "rt-1"}
	_, err = d.EnsureVPC(t.Context(), rt, "alice")
	s, _ := d.loadVPC(VPCID("rt-1", "alice"))
	if err == nil || !strings.Contains(err.Error(), "exited") || !strings.Contains(err.Error(), s.FrontgateID) ||
		!strings.Contains(err.Error(), s.frontgateAddr()) || !strings.Contains(err.Error(), "frontgate.log") {
		t.Fatalf("EnsureVPC with a failing binary: %v", err)
	}
	noProcsUnder(t, d.Dir())
}
