package frontgate_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pitrix/pitrix/edge/drone/runner"
	"github.com/pitrix/pitrix/edge/edgepb"
	"github.com/pitrix/pitrix/edge/frontgate"
	"github.com/pitrix/pitrix/edge/metadata"
	"github.com/pitrix/pitrix/edge/wire"
)

// appBundle renders /etc/app.conf from the view and counts reloads in $PITRIX_ROOT/reloads.
func appBundle() map[string][]byte {
	return map[string][]byte{
		"conf.d/app.toml": []byte(`[template]
src = "app.conf.tmpl"
dest = "/etc/app.conf"
keys = ["/host", "/hosts"]
reload_cmd = 'echo reload >> "$PITRIX_ROOT/reloads"'
`),
		"templates/app.conf.tmpl": []byte(`role={{getv "/host/role"}} master={{range lsdir "/hosts/master"}}{{getv (printf "/hosts/master/%s/ip" .)}}{{end}} replicas={{range lsdir "/hosts/replica"}}{{.}} {{end}}
`),
	}
}

func putCluster(t *testing.T, cp *control, hosts ...metadata.Host) {
	t.Helper()
	js, err := json.Marshal(metadata.Cluster{ClusterID: "cl-1", AppID: "app-1", Hosts: hosts})
	if err != nil {
		t.Fatal(err)
	}
	cp.mustRequest(&edgepb.PutMetadata{ClusterId: "cl-1", Json: js})
}

func runCmd(t *testing.T, cp *control, instance, id, cmd string) *edgepb.CommandResult {
	t.Helper()
	reply := cp.mustRequest(&edgepb.RunCommand{CommandId: id, InstanceId: instance, Cmd: cmd, TimeoutSec: 20})
	res, ok := reply.(*edgepb.CommandResult)
	if !ok {
		t.Fatalf("RunCommand answered with %T", reply)
	}
	return res
}

func renderStatuses(t *testing.T, cp *control, instance string) []string {
	t.Helper()
	reply := cp.mustRequest(&edgepb.RenderConfig{InstanceId: instance})
	rr, ok := reply.(*edgepb.RenderResult)
	if !ok {
		t.Fatalf("RenderConfig answered with %T", reply)
	}
	var out []string
	for _, f := range rr.Files {
		out = append(out, f.Name+":"+f.Status+":"+f.Error)
	}
	return out
}

func conf(role, replicas string) string {
	return fmt.Sprintf("role=%s master=127.0.0.11 replicas=%s\n", role, replicas)
}

// TestFrontgateAndDrones runs a test control plane, a Frontgate and three Drones in-process,
// over real mutual TLS on loopback, through a cluster's life: create, commands, scale-out, a
// cut control stream, a Drone restart and a Frontgate restart.
func TestFrontgateAndDrones(t *testing.T) {
	top := t // agents started in subtests live as long as the whole test
	c := newCerts(t)
	cp := startControl(t, c)
	dataDir := t.TempDir()
	fgCfg := frontgateConfig(t, c, cp, "127.0.0.1:0", dataDir)
	fg, fgRun := startFrontgate(t, fgCfg)
	fgAddr := fg.DroneAddr()
	cp.session(0)

	master, replica := newNode(t, "i-1", "master"), newNode(t, "i-2", "replica")
	master.hc = runner.HealthCheck{Cmd: "true", Interval: 50 * time.Millisecond, HealthyThreshold: 1}
	startDrone(t, c, master, fgAddr)
	replicaRun := startDrone(t, c, replica, fgAddr)
	hosts := []metadata.Host{
		{InstanceID: "i-1", Role: "master", IP: "127.0.0.11", SID: 1},
		{InstanceID: "i-2", Role: "replica", IP: "127.0.0.12", SID: 2},
	}

	t.Run("render", func(t *testing.T) {
		cp.mustRequest(&edgepb.PutBundle{ClusterId: "cl-1", Files: appBundle()})
		putCluster(t, cp, hosts...)
		waitFile(t, master.file("etc/app.conf"), conf("master", "i-2 "))
		waitFile(t, replica.file("etc/app.conf"), conf("replica", "i-2 "))
		waitFor(t, "one reload each", func() (bool, string) {
			m, r := lines(t, master.file("reloads")), lines(t, replica.file("reloads"))
			return m == 1 && r == 1, fmt.Sprintf("master %d, replica %d", m, r)
		})
	})

	t.Run("commands", func(t *testing.T) {
		for _, n := range []*node{master, replica} {
			res := runCmd(t, cp, n.id, "cmd-id-"+n.id, `echo "$PITRIX_INSTANCE_ID $PITRIX_ROLE"; echo oops >&2; exit 3`)
			if res.ExitCode != 3 || string(res.Stdout) != n.id+" "+n.role+"\n" || string(res.Stderr) != "oops\n" || res.Deduplicated {
				t.Errorf("%s: got exit %d stdout %q stderr %q dedup %v", n.id, res.ExitCode, res.Stdout, res.Stderr, res.Deduplicated)
			}
		}
	})

	t.Run("same command id twice runs once", func(t *testing.T) {
		cmd := `echo ran >> "$PITRIX_ROOT/side"; echo done`
		first := runCmd(t, cp, "i-2", "cmd-side", cmd)
		second := runCmd(t, cp, "i-2", "cmd-side", cmd)
		if first.Deduplicated || !second.Deduplicated || string(second.Stdout) != "done\n" || second.ExitCode != 0 {
			t.Errorf("first %v, second %v", first, second)
		}
		if n := lines(t, replica.file("side")); n != 1 {
			t.Errorf("side effect ran %d times, want 1", n)
		}
	})

	t.Run("health is relayed", func(t *testing.T) {
		select {
		case h := <-cp.health:
			if h.InstanceId != "i-1" || !h.Healthy || h.ClusterId != "cl-1" || h.Role != "master" {
				t.Errorf("health %v", h)
			}
		case <-time.After(20 * time.Second):
			t.Fatal("no health message reached the control plane")
		}
	})

	third := newNode(t, "i-3", "replica")
	t.Run("scale out", func(t *testing.T) {
		hosts = append(hosts, metadata.Host{InstanceID: "i-3", Role: "replica", IP: "127.0.0.13", SID: 3})
		// The third Drone connects while the metadata that adds it arrives.
		startDrone(top, c, third, fgAddr)
		putCluster(t, cp, hosts...)
		waitFile(t, third.file("etc/app.conf"), conf("replica", "i-2 i-3 "))
		waitFile(t, master.file("etc/app.conf"), conf("master", "i-2 i-3 "))
		waitFile(t, replica.file("etc/app.conf"), conf("replica", "i-2 i-3 "))
		// A render on request now changes nothing and reloads nothing.
		for _, n := range []*node{master, replica, third} {
			if got, want := renderStatuses(t, cp, n.id), []string{"confd/conf.d/app.toml:unchanged:"}; !slices.Equal(got, want) {
				t.Errorf("%s: render %v, want %v", n.id, got, want)
			}
		}
		for n, want := range map[*node]int{master: 2, replica: 2, third: 1} {
			if got := lines(t, n.file("reloads")); got != want {
				t.Errorf("%s reloaded %d times, want %d", n.id, got, want)
			}
		}
		list := cp.mustRequest(&edgepb.DroneStatus{}).(*edgepb.DroneList)
		if !slices.Equal(list.InstanceIds, []string{"i-1", "i-2", "i-3"}) {
			t.Errorf("drones %v", list.InstanceIds)
		}
	})

	t.Run("control stream cut", func(t *testing.T) {
		before := cp.count()
		cp.session(0).Close()
		cp.session(before)
		res := runCmd(t, cp, "i-3", "cmd-after-cut", "echo back")
		if string(res.Stdout) != "back\n" {
			t.Errorf("after reconnect: %v", res)
		}
		// The last health of each Drone is sent again on the new stream.
		select {
		case h := <-cp.health:
			if h.InstanceId != "i-1" || !h.Healthy {
				t.Errorf("health after reconnect %v", h)
			}
		case <-time.After(20 * time.Second):
			t.Error("health not sent again after the control stream came back")
		}
	})

	t.Run("drone restart", func(t *testing.T) {
		replicaRun.Stop(t)
		before, _ := os.ReadFile(replica.file("etc/app.conf"))
		st, _ := os.Stat(replica.file("etc/app.conf"))
		startDrone(top, c, replica, fgAddr)
		res := runCmd(t, cp, "i-2", "cmd-side", `echo ran >> "$PITRIX_ROOT/side"; echo done`)
		if !res.Deduplicated {
			t.Errorf("old command id ran again: %v", res)
		}
		if got := renderStatuses(t, cp, "i-2"); !slices.Equal(got, []string{"confd/conf.d/app.toml:unchanged:"}) {
			t.Errorf("render after restart: %v", got)
		}
		after, _ := os.ReadFile(replica.file("etc/app.conf"))
		st2, _ := os.Stat(replica.file("etc/app.conf"))
		if string(after) != string(before) || !st2.ModTime().Equal(st.ModTime()) {
			t.Errorf("config changed across restart: %q -> %q", before, after)
		}
		if n := lines(t, replica.file("side")); n != 1 {
			t.Errorf("side effect ran %d times, want 1", n)
		}
		if n := lines(t, replica.file("reloads")); n != 2 {
			t.Errorf("replica reloaded %d times, want 2", n)
		}
	})

	t.Run("unknown instance", func(t *testing.T) {
		_, err := cp.request(&edgepb.RunCommand{CommandId: "c-x", InstanceId: "i-404", Cmd: "true", TimeoutSec: 1})
		var re *wire.RemoteError
		if !errors.As(err, &re) || re.Code != frontgate.CodeDroneUnavailable || !strings.Contains(re.Message, "i-404") || !strings.Contains(re.Message, "fg-1") {
			t.Errorf("got %v", err)
		}
	})

	t.Run("frontgate restart keeps metadata and bundles", func(t *testing.T) {
		fgRun.Stop(t)
		before := cp.count()
		cfg := fgCfg
		cfg.DroneListen = fgAddr // the Drones know this address
		startFrontgate(top, cfg)
		cp.session(before)
		waitFor(t, "drones back", func() (bool, string) {
			list := cp.mustRequest(&edgepb.DroneStatus{}).(*edgepb.DroneList)
			return len(list.InstanceIds) == 3, fmt.Sprint(list.InstanceIds)
		})
		for _, n := range []*node{master, replica, third} {
			if got := renderStatuses(t, cp, n.id); !slices.Equal(got, []string{"confd/conf.d/app.toml:unchanged:"}) {
				t.Errorf("%s: render %v", n.id, got)
			}
		}
		if got, _ := os.ReadFile(master.file("etc/app.conf")); string(got) != conf("master", "i-2 i-3 ") {
			t.Errorf("master config %q", got)
		}
		if n := lines(t, master.file("reloads")); n != 2 {
			t.Errorf("master reloaded %d times, want 2", n)
		}
	})
}

// TestBadRequests checks the Frontgate's error replies for input it refuses.
func TestBadRequests(t *testing.T) {
	c := newCerts(t)
	cp := startControl(t, c)
	startFrontgate(t, frontgateConfig(t, c, cp, "127.0.0.1:0", t.TempDir()))
	tests := []struct {
		name     string
		send     func() error
		code     string
		contains string
	}{
		{"metadata not json", func() error {
			_, err := cp.request(&edgepb.PutMetadata{ClusterId: "cl-1", Json: []byte("{")})
			return err
		}, frontgate.CodeInvalid, "cl-1"},
		{"metadata unknown field", func() error {
			_, err := cp.request(&edgepb.PutMetadata{ClusterId: "cl-1", Json: []byte(`{"hostz":[]}`)})
			return err
		}, frontgate.CodeInvalid, "hostz"},
		{"metadata without roles", func() error {
			_, err := cp.request(&edgepb.PutMetadata{ClusterId: "cl-1", Json: []byte(`{"hosts":[{"instance_id":"i-1"}]}`)})
			return err
		}, frontgate.CodeInvalid, "role is required"},
		{"bundle with a bad path", func() error {
			_, err := cp.request(&edgepb.PutBundle{ClusterId: "cl-1", Files: map[string][]byte{"../x": nil}})
			return err
		}, frontgate.CodeInvalid, "../x"},
		{"bundle with a missing template", func() error {
			_, err := cp.request(&edgepb.PutBundle{ClusterId: "cl-1", Files: map[string][]byte{"conf.d/a.toml": []byte("[template]\nsrc = \"a.tmpl\"\ndest = \"/a\"\n")}})
			return err
		}, frontgate.CodeInvalid, "a.tmpl"},
		{"bundle of a bad cluster id", func() error {
			_, err := cp.request(&edgepb.PutBundle{ClusterId: "../cl"})
			return err
		}, frontgate.CodeInvalid, "cluster_id"},
		{"bad instance id", func() error {
			_, err := cp.request(&edgepb.RenderConfig{InstanceId: "a/b"})
			return err
		}, frontgate.CodeInvalid, "a/b"},
		{"unhandled type", func() error {
			_, err := cp.request(&edgepb.Ack{})
			return err
		}, wire.CodeUnknownType, "fg-1"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.send()
			var re *wire.RemoteError
			if !errors.As(err, &re) || re.Code != tc.code || !strings.Contains(re.Message, tc.contains) {
				t.Errorf("got %v, want code %s mentioning %q", err, tc.code, tc.contains)
			}
		})
	}
	t.Run("delete is idempotent", func(t *testing.T) {
		for range 2 {
			if _, err := cp.request(&edgepb.DeleteMetadata{ClusterId: "cl-gone"}); err != nil {
				t.Fatal(err)
			}
		}
	})
}

// TestDeleteMetadataRemovesBundle checks that a deleted cluster's bundle is gone after a
// restart too.
func TestDeleteMetadataRemovesBundle(t *testing.T) {
	c := newCerts(t)
	cp := startControl(t, c)
	dataDir := t.TempDir()
	startFrontgate(t, frontgateConfig(t, c, cp, "127.0.0.1:0", dataDir))
	cp.mustRequest(&edgepb.PutBundle{ClusterId: "cl-1", Files: appBundle()})
	if _, err := os.Stat(filepath.Join(dataDir, "bundles", "cl-1.json")); err != nil {
		t.Fatalf("bundle not stored: %v", err)
	}
	cp.mustRequest(&edgepb.DeleteMetadata{ClusterId: "cl-1"})
	if _, err := os.Stat(filepath.Join(dataDir, "bundles", "cl-1.json")); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("bundle still stored: %v", err)
	}
}

// TestFrontgateRestartMidCommand restarts the Frontgate while a command runs on a Drone: the
// command is not killed, and the control plane's retry with the same command id gets its
// result without a second run.
func TestFrontgateRestartMidCommand(t *testing.T) {
	c := newCerts(t)
	cp := startControl(t, c)
	cfg := frontgateConfig(t, c, cp, "127.0.0.1:0", t.TempDir())
	fg, fgRun := startFrontgate(t, cfg)
	cfg.DroneListen = fg.DroneAddr()
	n := newNode(t, "i-1", "master")
	startDrone(t, c, n, cfg.DroneListen)
	cp.session(0)

	cmd := &edgepb.RunCommand{CommandId: "job-1/init", InstanceId: "i-1", TimeoutSec: 30,
		Cmd: `echo s >> "$PITRIX_ROOT/started"; while [ ! -f "$PITRIX_ROOT/go" ]; do sleep 0.02; done; echo ran >> "$PITRIX_ROOT/side"; echo ok`}
	firstErr := make(chan error, 1)
	go func() {
		_, err := cp.request(cmd)
		firstErr <- err
	}()
	waitFor(t, "the command started", func() (bool, string) {
		n := lines(t, n.file("started"))
		return n == 1, fmt.Sprint(n)
	})
	before := cp.count()
	fgRun.Stop(t)
	if err := <-firstErr; err == nil {
		t.Fatal("the first delivery succeeded although its Frontgate stopped")
	}
	startFrontgate(t, cfg)
	cp.session(before)
	if err := os.WriteFile(n.file("go"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	res := runCmd(t, cp, "i-1", cmd.CommandId, cmd.Cmd)
	if string(res.Stdout) != "ok\n" || !res.Deduplicated {
		t.Errorf("retry: %v", res)
	}
	if s, r := lines(t, n.file("started")), lines(t, n.file("side")); s != 1 || r != 1 {
		t.Errorf("started %d times, finished %d times; want 1 and 1", s, r)
	}
}

// TestControlFile: a Frontgate started with one control address that refuses connections and a
// control file naming a live one dials the file's; a file rewritten while it runs is read
// again before the next dial (a node that joined); an empty or unreadable file falls back to
// the addresses it was started with.
func TestControlFile(t *testing.T) {
	c := newCerts(t)
	cp := startControl(t, c)
	dead, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	deadAddr := dead.Addr().String()
	dead.Close()
	file := filepath.Join(t.TempDir(), "control")
	if err := os.WriteFile(file, []byte("not-an-address, "+deadAddr+"\n"+cp.addr+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := frontgateConfig(t, c, cp, "127.0.0.1:0", t.TempDir())
	cfg.ControlAddrs, cfg.ControlFile = []string{deadAddr}, file
	startFrontgate(t, cfg)
	cp.session(0) // reached only through the file

	// A second control plane; the file now names it alone, and the first one goes away.
	cp2 := startControl(t, c)
	if err := os.WriteFile(file, []byte(cp2.addr+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cp.session(0).Close()
	cp2.session(0)

	// An empty file: the addresses it was started with (the dead one) are tried, so no
	// session comes back to cp2 once its session is cut.
	if err := os.WriteFile(file, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	n := cp2.count()
	cp2.session(0).Close()
	time.Sleep(time.Second)
	if got := cp2.count(); got != n {
		t.Fatalf("%d new sessions to cp2 with an empty control file; want the started-with address only", got-n)
	}
}
