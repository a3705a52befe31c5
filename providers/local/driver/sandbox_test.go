package driver

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pitrix/pitrix/edge/edgepb"
	"github.com/pitrix/pitrix/providers/local/sandbox"
	"github.com/pitrix/pitrix/providers/vm"
)

// needRoot skips tests that sandbox instances where this process may not.
func needRoot(t *testing.T) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("sandboxed instances need root (mount and PID namespaces, overlayfs)")
	}
}

// TestSandboxedInstances: two instances of one package write /data, /etc and /opt; each
// file lands in its own instance's root, none on the host, neither instance sees the other's;
// the server's data dir (with its admin token) is empty inside; delete leaves no mount, no
// process and no directory.
func TestSandboxedInstances(t *testing.T) {
	needRoot(t)
	r := newRig(t)
	ctx := r.ctx()
	// A data dir as the server has it, outside /tmp (a fresh tmpfs inside every sandbox), so
	// only the hiding keeps it out of sight.
	dataDir, err := os.MkdirTemp("/var/tmp", "pitrix-driver-data-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dataDir) })
	const token = "admin-token-sandbox-test-0123456789"
	if err := os.WriteFile(filepath.Join(dataDir, "admin.token"), []byte(token+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	// Another node of the cluster on this host: its data dir comes from HideMore.
	otherDir, err := os.MkdirTemp("/var/tmp", "pitrix-driver-other-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(otherDir) })
	const otherToken = "join-token-of-another-node-9876543210"
	if err := os.WriteFile(filepath.Join(otherDir, "join.token"), []byte(otherToken+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	d := r.driverWith(func(c *Config) {
		c.Hide = []string{dataDir}
		c.HideMore = func() []string { return []string{otherDir, "/nonexistent/pitrix-node"} }
	})
	vpc, err := d.EnsureVPC(ctx, r.rt, "carol")
	if err != nil {
		t.Fatal(err)
	}
	ids := []string{"i-a", "i-b"}
	for _, id := range ids {
		if _, err := d.CreateInstance(ctx, r.rt, vpc, vm.InstanceSpec{ID: id, ClusterID: "cl-1", Role: "node"}); err != nil {
			t.Fatal(err)
		}
	}
	waitDrones(t, r.gw, vpc.FrontgateID, ids...)
	run := func(id, cid, cmd string) *edgepb.CommandResult {
		t.Helper()
		reply, err := r.gw.Request(ctx, vpc.FrontgateID, &edgepb.RunCommand{CommandId: cid, InstanceId: id, Cmd: cmd, TimeoutSec: 30})
		if err != nil {
			t.Fatal(err)
		}
		return reply.(*edgepb.CommandResult)
	}
	marker := fmt.Sprintf("pitrix-sandbox-%d", os.Getpid())
	for _, id := range ids {
		res := run(id, "write", fmt.Sprintf(`set -e
test ! -e /etc/%[1]s/who   # the other instance's file is not here
mkdir -p /data/%[1]s /etc/%[1]s /opt/%[1]s
for d in /data /etc /opt; do echo %[2]s > $d/%[1]s/who; done
cat /etc/%[1]s/who`, marker, id))
		if res.ExitCode != 0 || string(res.Stdout) != id+"\n" {
			t.Fatalf("%s: %d %q %q", id, res.ExitCode, res.Stdout, res.Stderr)
		}
		for _, dir := range []string{"data", "etc", "opt"} {
			path := filepath.Join(d.Root(id), dir, marker, "who")
			if got, err := os.ReadFile(path); err != nil || string(got) != id+"\n" {
				t.Fatalf("%s = %q, %v; want %q", path, got, err, id+"\n")
			}
			if _, err := os.Stat(filepath.Join("/", dir, marker)); !errors.Is(err, os.ErrNotExist) {
				t.Fatalf("the instance wrote the host's /%s/%s: %v", dir, marker, err)
			}
		}
		// The token is not readable, by its path or by looking for it.
		res = run(id, "peek", "cat "+filepath.Join(dataDir, "admin.token")+" "+filepath.Join(otherDir, "join.token")+"; ls -a "+dataDir+" "+otherDir+" "+d.Dir()+"; grep -rs "+token+" /run /etc /var 2>/dev/null; true")
		if out := string(res.Stdout) + string(res.Stderr); strings.Contains(out, token) || strings.Contains(out, otherToken) || strings.Contains(out, "admin.token\n") || strings.Contains(out, "join.token\n") ||
			!strings.Contains(string(res.Stderr), "No such file") {
			t.Fatalf("%s reads the data dir: %q %q", id, res.Stdout, res.Stderr)
		}
	}

	// Delete: nothing of i-a is left, and i-b is untouched.
	procs := instanceProcs(t, d, "i-a")
	if len(procs) < 2 {
		t.Fatalf("i-a's sandbox runs %v; want its init and drone", pids(procs))
	}
	if err := d.DeleteInstance(ctx, r.rt, vpc, "i-a"); err != nil {
		t.Fatal(err)
	}
	noSandboxProcs(t, procs)
	if mps, err := sandbox.Mounts(d.instanceDir("i-a")); err != nil || len(mps) > 0 {
		t.Fatalf("mounts left after delete: %v %v", mps, err)
	}
	for _, dir := range []string{d.instanceDir("i-a"), filepath.Join(d.Dir(), trashDir, "i-a")} {
		if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
			t.Fatalf("%s after delete: %v", dir, err)
		}
	}
	if ents, _ := os.ReadDir(filepath.Join(d.Dir(), trashDir)); len(ents) > 0 {
		t.Fatalf("trash after delete: %v", ents)
	}
	if res := run("i-b", "after", "cat /opt/"+marker+"/who"); res.ExitCode != 0 || string(res.Stdout) != "i-b\n" {
		t.Fatalf("i-b after i-a's delete: %d %q %q", res.ExitCode, res.Stdout, res.Stderr)
	}
}

// TestNoSandboxRefuses: where the sandbox cannot be made (here: a base that does not exist),
// Probe says why and CreateInstance refuses to start a Drone instead of running it on the host.
func TestNoSandboxRefuses(t *testing.T) {
	r := newRig(t)
	ctx := r.ctx()
	d := r.driverWith(func(c *Config) { c.Base = filepath.Join(t.TempDir(), "no-such-image") })
	err := d.Probe(ctx)
	if !errors.Is(err, ErrNoSandbox) || !strings.Contains(err.Error(), "no-such-image") {
		t.Fatalf("Probe = %v; want ErrNoSandbox naming the base", err)
	}
	vpc, err := d.EnsureVPC(ctx, r.rt, "dan")
	if err != nil {
		t.Fatal(err)
	}
	_, err = d.CreateInstance(ctx, r.rt, vpc, vm.InstanceSpec{ID: "i-1", ClusterID: "cl-1", Role: "node"})
	if !errors.Is(err, ErrNoSandbox) || !strings.Contains(err.Error(), "i-1") {
		t.Fatalf("CreateInstance without a sandbox = %v; want ErrNoSandbox naming i-1", err)
	}
	if _, _, ok := d.find(d.droneAgent("i-1")); ok {
		t.Fatal("a drone runs although the sandbox cannot be made")
	}
	noProcsUnder(t, d.instanceDir("i-1"))
	if err := d.DeleteInstance(ctx, r.rt, vpc, "i-1"); err != nil {
		t.Fatal(err)
	}
}
