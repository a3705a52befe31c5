package drone

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pitrix/pitrix/edge/edgepb"
	"github.com/pitrix/pitrix/edge/metadata"
	"github.com/pitrix/pitrix/edge/pki"
	"github.com/pitrix/pitrix/edge/wire"
)

// newTestDrone returns a Drone that is not connected to anything, for handler tests.
func newTestDrone(t *testing.T, edit func(*Config)) *Drone {
	t.Helper()
	dir := t.TempDir()
	ca, err := pki.Open(filepath.Join(dir, "cadir"))
	if err != nil {
		t.Fatal(err)
	}
	cert, key, err := ca.Issue(pki.IssueRequest{Kind: pki.KindDrone, ID: "i-1", TTL: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	files := map[string][]byte{"cert": cert, "key": key, "ca": ca.CertPEM()}
	for name, b := range files {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	cfg := Config{
		InstanceID: "i-1", ClusterID: "cl-1", Role: "master", IP: "127.0.0.31",
		Root: filepath.Join(dir, "root"), StateDir: filepath.Join(dir, "state"), FrontgateAddr: "127.0.0.1:1",
		CertFile: filepath.Join(dir, "cert"), KeyFile: filepath.Join(dir, "key"), CAFile: filepath.Join(dir, "ca"),
	}
	if edit != nil {
		edit(&cfg)
	}
	d, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	d.runCtx = t.Context()
	t.Cleanup(d.wg.Wait)
	return d
}

func TestRunCommand(t *testing.T) {
	d := newTestDrone(t, nil)
	if err := os.MkdirAll(filepath.Join(d.cfg.Root, "opt/app"), 0o755); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name       string
		msg        *edgepb.RunCommand
		exit       int32
		stdout     string
		stderrHas  string
		remoteCode string
	}{
		{"env", &edgepb.RunCommand{CommandId: "c1", Cmd: `echo "$PITRIX_CLUSTER_ID $PITRIX_ROLE $PITRIX_IP $FOO"`, Env: map[string]string{"FOO": "bar"}},
			0, "cl-1 master 127.0.0.31 bar\n", "", ""},
		{"absolute workdir is under the root", &edgepb.RunCommand{CommandId: "c2", Cmd: `pwd`, Workdir: "/opt/app"},
			0, filepath.Join(d.cfg.Root, "opt/app") + "\n", "", ""},
		{"relative workdir", &edgepb.RunCommand{CommandId: "c3", Cmd: `pwd`, Workdir: "opt"},
			0, filepath.Join(d.cfg.Root, "opt") + "\n", "", ""},
		{"missing workdir", &edgepb.RunCommand{CommandId: "c4", Cmd: `pwd`, Workdir: "/no/such"},
			125, "", "no/such", ""},
		{"timeout", &edgepb.RunCommand{CommandId: "c5", Cmd: `sleep 10`, TimeoutSec: 1},
			-1, "", "timed out", ""},
		{"empty", &edgepb.RunCommand{CommandId: "c6"}, 0, "", "", CodeInvalid},
		{"other instance", &edgepb.RunCommand{CommandId: "c7", InstanceId: "i-2", Cmd: "true"}, 0, "", "", CodeInvalid},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res, err := d.runCommand(t.Context(), tc.msg)
			if tc.remoteCode != "" {
				var re *wire.RemoteError
				if !errors.As(err, &re) || re.Code != tc.remoteCode {
					t.Fatalf("got %v, want code %s", err, tc.remoteCode)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if res.ExitCode != tc.exit || (tc.stdout != "" && string(res.Stdout) != tc.stdout) || !strings.Contains(string(res.Stderr), tc.stderrHas) {
				t.Errorf("got exit %d stdout %q stderr %q", res.ExitCode, res.Stdout, res.Stderr)
			}
		})
	}
}

func TestCommandThatCannotStart(t *testing.T) {
	d := newTestDrone(t, func(c *Config) { c.Shell = "/no/such/shell" })
	res, err := d.runCommand(t.Context(), &edgepb.RunCommand{CommandId: "c1", Cmd: "true"})
	if err != nil {
		t.Fatal(err)
	}
	if res.ExitCode != -1 || !strings.Contains(string(res.Stderr), "/no/such/shell") {
		t.Errorf("got exit %d stderr %q", res.ExitCode, res.Stderr)
	}
}

func TestRenderStates(t *testing.T) {
	d := newTestDrone(t, nil)
	ctx := t.Context()
	// No bundle: nothing to render.
	rr, err := d.renderNow(ctx, &edgepb.RenderConfig{InstanceId: "i-1"})
	if err != nil || len(rr.Files) != 0 {
		t.Fatalf("no bundle: %v, %v", rr, err)
	}
	files := map[string][]byte{
		"conf.d/a.toml":    []byte("[template]\nsrc = \"a.tmpl\"\ndest = \"/a.conf\"\n"),
		"templates/a.tmpl": []byte(`ip={{getv "/host/ip"}}` + "\n"),
	}
	var re *wire.RemoteError
	if err := d.putBundle(&edgepb.Bundle{ClusterId: "cl-2", Files: files}); !errors.As(err, &re) || re.Code != CodeInvalid {
		t.Errorf("bundle of another cluster: %v", err)
	}
	if err := d.putBundle(&edgepb.Bundle{ClusterId: "cl-1", Files: map[string][]byte{"conf.d/a.toml": files["conf.d/a.toml"]}}); !errors.As(err, &re) || re.Code != CodeInvalid {
		t.Errorf("bundle without its template: %v", err)
	}
	if err := d.putBundle(&edgepb.Bundle{ClusterId: "cl-1", Files: files}); err != nil {
		t.Fatal(err)
	}
	// A bundle but no view.
	if _, err := d.renderNow(ctx, &edgepb.RenderConfig{InstanceId: "i-1"}); !errors.As(err, &re) || re.Code != CodeNotReady {
		t.Errorf("no view: %v", err)
	}
	other := metadata.View{"/host/instance_id": "i-9", "/host/ip": "127.0.0.9"}
	if err := d.putView(&edgepb.SelfView{InstanceId: "i-1", Json: other.JSON()}); !errors.As(err, &re) || re.Code != CodeInvalid {
		t.Errorf("view of another instance: %v", err)
	}
	if err := d.putView(&edgepb.SelfView{InstanceId: "i-1", Json: []byte(`{"host/ip": "x"}`)}); !errors.As(err, &re) || re.Code != CodeInvalid {
		t.Errorf("malformed view: %v", err)
	}
	view := metadata.View{"/host/instance_id": "i-1", "/host/ip": "127.0.0.31"}
	if err := d.putView(&edgepb.SelfView{InstanceId: "i-1", Json: view.JSON()}); err != nil {
		t.Fatal(err)
	}
	rr, err = d.renderNow(ctx, &edgepb.RenderConfig{InstanceId: "i-1"})
	if err != nil || len(rr.Files) != 1 || rr.Files[0].Status != "changed" {
		t.Fatalf("render: %v, %v", rr, err)
	}
	if b, _ := os.ReadFile(filepath.Join(d.cfg.Root, "a.conf")); string(b) != "ip=127.0.0.31\n" {
		t.Errorf("a.conf %q", b)
	}
	if _, err := os.Stat(filepath.Join(d.cfg.StateDir, markerFileName)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("marker left after a clean render: %v", err)
	}

	// A new Drone on the same state directory has the bundle and view again.
	d2 := newTestDrone(t, func(c *Config) { *c = d.cfg; c.Logger = nil })
	if d2.bundle == nil || d2.view == nil || d2.cutShort {
		t.Fatalf("reloaded state: bundle %v view %v cutShort %v", d2.bundle != nil, d2.view, d2.cutShort)
	}
	rr, err = d2.renderNow(ctx, &edgepb.RenderConfig{})
	if err != nil || len(rr.Files) != 1 || rr.Files[0].Status != "unchanged" {
		t.Fatalf("render after reload: %v, %v", rr, err)
	}
}

func TestShellQuote(t *testing.T) {
	for _, s := range []string{"plain", "with space", "it's", `"$HOME"`, "a\nb"} {
		t.Run(s, func(t *testing.T) {
			d := newTestDrone(t, nil)
			dir := filepath.Join(d.cfg.Root, s)
			if err := os.MkdirAll(dir, 0o755); err != nil {
				t.Fatal(err)
			}
			res, err := d.runCommand(t.Context(), &edgepb.RunCommand{Cmd: "pwd", Workdir: s})
			if err != nil || string(res.Stdout) != dir+"\n" {
				t.Errorf("got %q, %v; want %q", res.GetStdout(), err, dir)
			}
		})
	}
}

func FuzzDecodeBundle(f *testing.F) {
	f.Add([]byte(`{"version":1,"cluster_id":"cl-1","files":{}}`))
	f.Add([]byte(`{"version":1,"cluster_id":"cl-1","files":{"conf.d/a.toml":"W3RlbXBsYXRlXQpzcmMgPSAiYS50bXBsIgpkZXN0ID0gIi9hIgo=","templates/a.tmpl":"eA=="}}`))
	f.Add([]byte(`{"version":2}`))
	f.Add([]byte(`{"version":1,"files":{"conf.d/a.toml":"!!"}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		b, err := decodeBundle(data)
		if err != nil {
			return
		}
		again, err := encodeBundle(b)
		if err != nil {
			t.Fatalf("encode a decoded bundle: %v", err)
		}
		if _, err := decodeBundle(again); err != nil {
			t.Fatalf("a re-encoded bundle does not decode: %v", err)
		}
	})
}
