package driver

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/pitrix/pitrix/edge/edgepb"
	"github.com/pitrix/pitrix/providers/vm"
)

// TestLifecycle drives a VPC and its instances through the whole vm.Driver life with real
// Frontgate and Drone processes and a real gateway: creation, adoption by a second Driver,
// commands through the edge, stop (daemons included), start, delete, address reuse, a moved
// control plane, and Purge.
func TestLifecycle(t *testing.T) {
	r := newRig(t)
	ctx := r.ctx()
	d := r.d

	vpc, err := d.EnsureVPC(ctx, r.rt, "alice")
	if err != nil {
		t.Fatal(err)
	}
	if vpc.ID != VPCID(r.rt.ID, "alice") || vpc.FrontgateID != FrontgateID(r.rt.ID, "alice") {
		t.Fatalf("vpc = %+v", vpc)
	}
	pfx, err := netip.ParsePrefix(vpc.CIDR)
	if err != nil || pfx.Bits() != 24 || pfx.Addr().As4()[0] != 127 || pfx.Addr().As4()[1] < blockAMin || pfx.Addr().As4()[1] > blockAMax {
		t.Fatalf("vpc cidr %q: want 127.[100-250].B.0/24 (%v)", vpc.CIDR, err)
	}
	if _, err := drones(ctx, r.gw, vpc.FrontgateID); err != nil {
		t.Fatalf("the gateway does not reach the frontgate: %v", err)
	}
	s, err := d.loadVPC(vpc.ID)
	if err != nil {
		t.Fatal(err)
	}
	fgAgent := d.frontgateAgent(s)
	fgPid := pidOf(t, fgAgent)
	for _, f := range []string{"frontgate.crt", "frontgate.key", "ca.pem", "vpc.json"} {
		if fi, err := os.Stat(filepath.Join(fgAgent.dir, f)); err != nil || fi.Mode().Perm() != 0o600 {
			t.Fatalf("%s: %v %v, want mode 0600", f, fi.Mode(), err)
		}
	}

	again, err := d.EnsureVPC(ctx, r.rt, "alice")
	if err != nil || again != vpc {
		t.Fatalf("second EnsureVPC = %+v, %v; want %+v", again, err, vpc)
	}
	if p := pidOf(t, fgAgent); p != fgPid {
		t.Fatalf("second EnsureVPC: frontgate pid %d, want adopted %d", p, fgPid)
	}

	spec := vm.InstanceSpec{ID: "i-1", ClusterID: "cl-1", NodeID: "nd-1", Role: "master", CPU: 1, Memory: 512,
		VolumeSize: 1, MountPoint: "/data"}
	in1, err := d.CreateInstance(ctx, r.rt, vpc, spec)
	if err != nil {
		t.Fatal(err)
	}
	wantIP := func(n int) string { return fmt.Sprintf("127.%d.%d.%d", s.A, s.B, n) }
	if in1 != (vm.Instance{ID: "i-1", IP: wantIP(2), Status: vm.InstanceRunning}) {
		t.Fatalf("CreateInstance = %+v", in1)
	}
	if fi, err := os.Stat(d.Volume("i-1")); err != nil || !fi.IsDir() {
		t.Fatalf("volume of mount point /data: %v", err)
	}
	waitDrones(t, r.gw, vpc.FrontgateID, "i-1")
	drAgent := d.droneAgent("i-1")
	drPid := pidOf(t, drAgent)
	if again, err := d.CreateInstance(ctx, r.rt, vpc, spec); err != nil || again != in1 {
		t.Fatalf("second CreateInstance = %+v, %v; want %+v", again, err, in1)
	}
	if p := pidOf(t, drAgent); p != drPid {
		t.Fatalf("second CreateInstance: drone pid %d, want %d", p, drPid)
	}

	// A second Driver on the same Dir (a restarted control plane) adopts everything.
	d2 := r.driver()
	if again, err := d2.EnsureVPC(ctx, r.rt, "alice"); err != nil || again != vpc {
		t.Fatalf("EnsureVPC by a second driver = %+v, %v", again, err)
	}
	if again, err := d2.CreateInstance(ctx, r.rt, vpc, spec); err != nil || again != in1 {
		t.Fatalf("CreateInstance by a second driver = %+v, %v", again, err)
	}
	if a, b := pidOf(t, fgAgent), pidOf(t, drAgent); a != fgPid || b != drPid {
		t.Fatalf("second driver: pids %d, %d; want adopted %d, %d", a, b, fgPid, drPid)
	}

	// Commands run in the instance's sandbox, at its /, with an empty $PITRIX_ROOT as on a VM;
	// daemons leave the Drone's process group and session, and must still end with the
	// instance.
	run := func(id, cmd string) *edgepb.CommandResult {
		t.Helper()
		reply, err := r.gw.Request(ctx, vpc.FrontgateID, &edgepb.RunCommand{CommandId: id, InstanceId: "i-1", Cmd: cmd, TimeoutSec: 30})
		if err != nil {
			t.Fatal(err)
		}
		return reply.(*edgepb.CommandResult)
	}
	res := run("c-1", `pwd; echo "[$PITRIX_ROOT] $PITRIX_IP"; echo etc > /etc/pitrix-lifecycle; echo vol > /data/v
cd /data && setsid sleep 300 </dev/null >/dev/null 2>&1 &
cd / && setsid sleep 301 </dev/null >/dev/null 2>&1 &`)
	if want := fmt.Sprintf("/\n[] %s\n", wantIP(2)); res.ExitCode != 0 || string(res.Stdout) != want {
		t.Fatalf("command = %d %q %q; want %q", res.ExitCode, res.Stdout, res.Stderr, want)
	}
	for path, want := range map[string]string{filepath.Join(d.Root("i-1"), "etc", "pitrix-lifecycle"): "etc\n",
		filepath.Join(d.Volume("i-1"), "v"): "vol\n"} {
		if got, err := os.ReadFile(path); err != nil || string(got) != want {
			t.Fatalf("%s = %q, %v; want %q", path, got, err, want)
		}
	}
	if _, err := os.Stat("/etc/pitrix-lifecycle"); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("the instance wrote the host's /etc: %v", err)
	}
	var daemons []proc
	eventually(t, "the daemons run", func() (bool, string) {
		daemons = instanceProcs(t, d, "i-1")
		return len(daemons) >= 4, fmt.Sprint(pids(daemons)) // init, the Drone and two sleeps
	})

	if err := d2.StopInstance(ctx, r.rt, vpc, "i-1"); err != nil {
		t.Fatal(err)
	}
	noProcsUnder(t, d.instanceDir("i-1"))
	noSandboxProcs(t, daemons)
	for _, p := range daemons {
		if p.alive() {
			t.Fatalf("pid %d survived StopInstance", p.PID)
		}
	}
	if got, err := d.Instance(ctx, r.rt, vpc, "i-1"); err != nil || got.Status != vm.InstanceStopped || got.IP != wantIP(2) {
		t.Fatalf("Instance after stop = %+v, %v", got, err)
	}
	if err := d.StopInstance(ctx, r.rt, vpc, "i-1"); err != nil {
		t.Fatalf("second StopInstance: %v", err)
	}
	waitDrones(t, r.gw, vpc.FrontgateID)
	if got, err := d.ResizeInstance(ctx, r.rt, vpc, vm.InstanceSpec{ID: "i-1", CPU: 2, Memory: 1024, VolumeSize: 5}); err != nil || got.Status != vm.InstanceStopped {
		t.Fatalf("ResizeInstance = %+v, %v", got, err)
	}
	if st, _ := d.loadInstance("i-1", vpc.ID); st.CPU != 2 || st.Memory != 1024 || st.VolumeSize != 5 || st.Role != "master" {
		t.Fatalf("resized state = %+v", st)
	}
	// A stopped instance stays stopped on a repeated CreateInstance.
	if got, err := d.CreateInstance(ctx, r.rt, vpc, spec); err != nil || got.Status != vm.InstanceStopped {
		t.Fatalf("CreateInstance of a stopped instance = %+v, %v", got, err)
	}

	if got, err := d.StartInstance(ctx, r.rt, vpc, "i-1"); err != nil || got != in1 {
		t.Fatalf("StartInstance = %+v, %v", got, err)
	}
	waitDrones(t, r.gw, vpc.FrontgateID, "i-1")
	if p := pidOf(t, drAgent); p == drPid || p == 0 {
		t.Fatalf("drone pid after start %d (was %d)", p, drPid)
	}
	if res := run("c-1", "echo again"); !res.Deduplicated {
		t.Fatalf("command c-1 ran again after restart: %+v", res) // the Drone's state dir survived
	}

	in2, err := d.CreateInstance(ctx, r.rt, vpc, vm.InstanceSpec{ID: "i-2", ClusterID: "cl-1", Role: "replica"})
	if err != nil || in2.IP != wantIP(3) {
		t.Fatalf("CreateInstance i-2 = %+v, %v; want ip %s", in2, err, wantIP(3))
	}
	waitDrones(t, r.gw, vpc.FrontgateID, "i-1", "i-2")
	if err := d.DeleteVPC(ctx, vpc.ID); !errors.Is(err, ErrVPCInUse) {
		t.Fatalf("DeleteVPC with instances: %v, want ErrVPCInUse", err)
	}

	// Delete frees the address for the next instance.
	if res := run("c-2", `setsid sleep 302 </dev/null >/dev/null 2>&1 &`); res.ExitCode != 0 {
		t.Fatalf("command = %+v", res)
	}
	if err := d.DeleteInstance(ctx, r.rt, vpc, "i-1"); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(d.instanceDir("i-1")); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("instance dir after delete: %v", err)
	}
	noProcsUnder(t, d.instanceDir("i-1"))
	if _, err := d.Instance(ctx, r.rt, vpc, "i-1"); !errors.Is(err, vm.ErrNoInstance) {
		t.Fatalf("Instance after delete: %v, want ErrNoInstance", err)
	}
	if err := d.DeleteInstance(ctx, r.rt, vpc, "i-1"); err != nil {
		t.Fatalf("second DeleteInstance: %v", err)
	}
	in3, err := d.CreateInstance(ctx, r.rt, vpc, vm.InstanceSpec{ID: "i-3", ClusterID: "cl-1", Role: "master"})
	if err != nil || in3.IP != wantIP(2) {
		t.Fatalf("CreateInstance i-3 = %+v, %v; want the freed ip %s", in3, err, wantIP(2))
	}
	waitDrones(t, r.gw, vpc.FrontgateID, "i-2", "i-3")

	// The control plane moves: the Frontgate is restarted towards it, its Drones reconnect.
	gw2, stopGW2 := startGatewayStop(t, r.caDir)
	addr2 := gw2.Addr()
	r.control.Store(&addr2)
	if again, err := d.EnsureVPC(ctx, r.rt, "alice"); err != nil || again != vpc {
		t.Fatalf("EnsureVPC after the move = %+v, %v", again, err)
	}
	if p := pidOf(t, fgAgent); p == fgPid || p == 0 {
		t.Fatalf("frontgate pid %d after the control plane moved; want a new one (was %d)", p, fgPid)
	}
	waitDrones(t, gw2, vpc.FrontgateID, "i-2", "i-3")

	// More nodes join: the list grows, this node's address still first. The Frontgate that
	// names this node is adopted, not restarted (its stream and its Drones' stay up), and
	// reads the new list from its control file: when its node dies it redials another one it
	// was never started with.
	fgPid = pidOf(t, fgAgent)
	addr1 := r.gw.Addr()
	grown := addr2 + "," + addr1
	r.control.Store(&grown)
	if _, err := d.EnsureVPC(ctx, r.rt, "alice"); err != nil {
		t.Fatalf("EnsureVPC with a grown list: %v", err)
	}
	if p := pidOf(t, fgAgent); p != fgPid {
		t.Fatalf("frontgate pid %d after the list grew; want it adopted (%d)", p, fgPid)
	}
	if got, err := os.ReadFile(d.controlFile(vpc.ID)); err != nil || strings.TrimSpace(string(got)) != grown {
		t.Fatalf("control file = %q, %v; want %q", got, err, grown)
	}
	stopGW2()
	waitDrones(t, r.gw, vpc.FrontgateID, "i-2", "i-3")
	if p := pidOf(t, fgAgent); p != fgPid {
		t.Fatalf("frontgate pid %d after its control plane died; want the same process redialing (%d)", p, fgPid)
	}
	r.control.Store(&addr1)

	// Purge leaves nothing running.
	all, err := procsUnder(d.Dir())
	if err != nil || len(all) != 1 {
		t.Fatalf("before purge: %v %v, want the frontgate", pids(all), err)
	}
	all = append(all, instanceProcs(t, d, "i-2")...)
	all = append(all, instanceProcs(t, d, "i-3")...)
	if len(all) < 5 {
		t.Fatalf("before purge: %v, want the frontgate and two sandboxes of an init and a drone", pids(all))
	}
	if err := d.Purge(ctx); err != nil {
		t.Fatal(err)
	}
	noProcsUnder(t, d.Dir())
	for _, p := range all {
		if p.alive() {
			t.Fatalf("pid %d survived Purge", p.PID)
		}
	}
	if got, err := d.Instance(ctx, r.rt, vpc, "i-2"); err != nil || got.Status != vm.InstanceStopped {
		t.Fatalf("Instance after purge = %+v, %v", got, err)
	}

	// With its Frontgate down a Drone starts without waiting, and connects once it is back.
	if got, err := d.StartInstance(ctx, r.rt, vpc, "i-2"); err != nil || got.Status != vm.InstanceRunning {
		t.Fatalf("StartInstance with the frontgate down = %+v, %v", got, err)
	}
	if _, err := d.EnsureVPC(ctx, r.rt, "alice"); err != nil {
		t.Fatal(err)
	}
	waitDrones(t, r.gw, vpc.FrontgateID, "i-2")
}

// TestConcurrentCreate places instances in parallel, from two Drivers on one Dir: each gets
// its own address and a single Drone.
func TestConcurrentCreate(t *testing.T) {
	r := newRig(t)
	ctx := r.ctx()
	vpc, err := r.d.EnsureVPC(ctx, r.rt, "bob")
	if err != nil {
		t.Fatal(err)
	}
	ds := []*Driver{r.d, r.driver()}
	const n = 4
	var wg sync.WaitGroup
	got := make([]vm.Instance, 2*n)
	errs := make([]error, 2*n)
	for i := range 2 * n {
		wg.Go(func() {
			// Every instance is created twice, once by each driver.
			id := fmt.Sprintf("i-%d", i%n)
			got[i], errs[i] = ds[i/n].CreateInstance(ctx, r.rt, vpc, vm.InstanceSpec{ID: id, ClusterID: "cl-1", Role: "node"})
		})
	}
	wg.Wait()
	ips := map[string]string{}
	for i, in := range got {
		if errs[i] != nil {
			t.Fatal(errs[i])
		}
		if prev, ok := ips[in.ID]; ok && prev != in.IP {
			t.Fatalf("%s got %s and %s", in.ID, prev, in.IP)
		}
		ips[in.ID] = in.IP
	}
	// The lowest addresses, each once.
	base := strings.TrimSuffix(vpc.CIDR, "0/24")
	var gotIPs, wantIPs []string
	for _, ip := range ips {
		gotIPs = append(gotIPs, ip)
	}
	for i := range n {
		wantIPs = append(wantIPs, fmt.Sprintf("%s%d", base, firstHost+i))
	}
	slices.Sort(gotIPs)
	slices.Sort(wantIPs)
	if !slices.Equal(gotIPs, wantIPs) {
		t.Fatalf("ips = %v, want %v", ips, wantIPs)
	}
	var ids []string
	for i := range n {
		ids = append(ids, fmt.Sprintf("i-%d", i))
	}
	waitDrones(t, r.gw, vpc.FrontgateID, ids...)
	for _, id := range ids {
		a := r.d.droneAgent(id)
		var count int
		ps, _ := listPids()
		for _, pid := range ps {
			if argv, err := readCmdline(pid); err == nil && r.d.matches(a, argv) {
				count++
			}
		}
		if count != 1 {
			t.Fatalf("%s has %d drone processes", id, count)
		}
	}
}

// TestFrontgatePortTaken: when another process took the Frontgate's port while it was down,
// the Frontgate moves to another port and its running Drones follow.
func TestFrontgatePortTaken(t *testing.T) {
	r := newRig(t)
	ctx := r.ctx()
	d := r.d
	vpc, err := d.EnsureVPC(ctx, r.rt, "alice")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d.CreateInstance(ctx, r.rt, vpc, vm.InstanceSpec{ID: "i-1", ClusterID: "cl-1", Role: "web"}); err != nil {
		t.Fatal(err)
	}
	waitDrones(t, r.gw, vpc.FrontgateID, "i-1")
	drPid := pidOf(t, d.droneAgent("i-1"))
	before, _ := d.loadVPC(vpc.ID)
	if err := d.StopVPC(ctx, vpc.ID); err != nil {
		t.Fatal(err)
	}
	squatter, err := net.Listen("tcp", before.frontgateAddr())
	if err != nil {
		t.Fatal(err)
	}
	defer squatter.Close()

	if again, err := d.EnsureVPC(ctx, r.rt, "alice"); err != nil || again != vpc {
		t.Fatalf("EnsureVPC with its port taken = %+v, %v", again, err)
	}
	after, _ := d.loadVPC(vpc.ID)
	if after.Port == before.Port || after.A != before.A || after.B != before.B {
		t.Fatalf("frontgate at %s, was %s: want another port on the same address", after.frontgateAddr(), before.frontgateAddr())
	}
	waitDrones(t, r.gw, vpc.FrontgateID, "i-1")
	if p := pidOf(t, d.droneAgent("i-1")); p == drPid {
		t.Fatalf("drone %d not restarted towards the new address", p)
	}
}
