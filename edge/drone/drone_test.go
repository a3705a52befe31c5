package drone_test

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/pitrix/pitrix/edge/drone"
	"github.com/pitrix/pitrix/edge/edgepb"
	"github.com/pitrix/pitrix/edge/metadata"
	"github.com/pitrix/pitrix/edge/pki"
)

// TestRestartMidRender stops a Drone while a reload_cmd runs (the file is in place, its
// reload cut short) and starts it again with its Frontgate down: it renders from its saved
// bundle and view and runs the reload again; once the Frontgate is back nothing more reloads.
func TestRestartMidRender(t *testing.T) {
	c := newCerts(t)
	cp := startControl(t, c)
	fgData := t.TempDir()
	fg, fgRun := startFrontgate(t, c, cp, "127.0.0.1:0", fgData)
	fgAddr := fg.DroneAddr()
	dir := t.TempDir()
	cfg := droneConfig(c, "i-1", dir, fgAddr, testLogger(t))
	root := cfg.Root
	first := startDrone(t, cfg)

	cp.request(&edgepb.PutBundle{ClusterId: "cl-1", Files: map[string][]byte{
		"conf.d/app.toml": []byte(`[template]
src = "app.tmpl"
dest = "/etc/app.conf"
reload_cmd = 'echo r >> "$PITRIX_ROOT/reloads"; while [ ! -f "$PITRIX_ROOT/go" ]; do sleep 0.02; done'
`),
		"templates/app.tmpl": []byte("ip={{getv \"/host/ip\"}}\n"),
	}})
	js, _ := json.Marshal(metadata.Cluster{ClusterID: "cl-1", Hosts: []metadata.Host{{InstanceID: "i-1", Role: "master", IP: "127.0.0.21"}}})
	cp.request(&edgepb.PutMetadata{ClusterId: "cl-1", Json: js})

	reloads := filepath.Join(root, "reloads")
	waitFor(t, "the reload started", func() (bool, string) {
		n := lines(t, reloads)
		return n == 1, fmt.Sprint(n, " reloads")
	})
	first.Stop(t) // kills the reload mid-way
	fgRun.Stop(t)
	if err := os.WriteFile(filepath.Join(root, "go"), nil, 0o644); err != nil {
		t.Fatal(err)
	}

	startDrone(t, cfg) // the Frontgate is down: this render works from saved state
	waitFor(t, "the cut reload ran again", func() (bool, string) {
		n := lines(t, reloads)
		return n == 2, fmt.Sprint(n, " reloads")
	})
	if b, _ := os.ReadFile(filepath.Join(root, "etc/app.conf")); string(b) != "ip=127.0.0.21\n" {
		t.Errorf("app.conf %q", b)
	}

	startFrontgate(t, c, cp, fgAddr, fgData)
	rr := cp.request(&edgepb.RenderConfig{InstanceId: "i-1"}).(*edgepb.RenderResult)
	if len(rr.Files) != 1 || rr.Files[0].Status != "unchanged" || rr.Files[0].Reloaded {
		t.Errorf("render after the Frontgate returned: %v", rr)
	}
	if n := lines(t, reloads); n != 2 {
		t.Errorf("%d reloads, want 2", n)
	}
}

// TestUnreachableFrontgateLogsOnce points a Drone at a listener whose certificate is not a
// Frontgate's: every dial fails the same way, and the Drone says so once, naming the address
// and the cause.
func TestUnreachableFrontgateLogsOnce(t *testing.T) {
	c := newCerts(t)
	certFile, keyFile := c.Issue(pki.KindServer, "node-9", "127.0.0.1")
	cert, _ := os.ReadFile(certFile)
	key, _ := os.ReadFile(keyFile)
	tlsCfg, err := pki.ServerTLS(cert, key, c.CA.CertPEM())
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var accepted atomic.Int64
	var wg sync.WaitGroup
	wg.Go(func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			accepted.Add(1)
			tc := tls.Server(conn, tlsCfg)
			_ = tc.HandshakeContext(context.Background())
			tc.Close()
		}
	})
	defer wg.Wait()
	defer ln.Close()

	var logs syncBuffer
	log := slog.New(slog.NewTextHandler(&logs, nil))
	a := startDrone(t, droneConfig(c, "i-1", t.TempDir(), ln.Addr().String(), log))
	waitFor(t, "several dials", func() (bool, string) {
		n := accepted.Load()
		return n >= 5, fmt.Sprint(n, " dials")
	})
	a.Stop(t)
	got := linesWith(logs.String(), "frontgate unreachable")
	if len(got) != 1 {
		t.Fatalf("%d 'unreachable' lines, want 1:\n%s", len(got), strings.Join(got, ""))
	}
	for _, want := range []string{ln.Addr().String(), "wrong peer kind", "server/node-9"} {
		if !strings.Contains(got[0], want) {
			t.Errorf("log line %q does not mention %q", got[0], want)
		}
	}
}

func TestConfigValidate(t *testing.T) {
	good := drone.Config{InstanceID: "i-1", StateDir: "/s", FrontgateAddr: "127.0.0.1:1", CertFile: "c", KeyFile: "k", CAFile: "ca"}
	tests := []struct {
		name string
		edit func(*drone.Config)
		want string // "" = valid
	}{
		{"valid", func(*drone.Config) {}, ""},
		{"bad instance id", func(c *drone.Config) { c.InstanceID = "a/b" }, "InstanceID"},
		{"relative root", func(c *drone.Config) { c.Root = "rel" }, "Root"},
		{"no state dir", func(c *drone.Config) { c.StateDir = "" }, "StateDir"},
		{"bad address", func(c *drone.Config) { c.FrontgateAddr = "nowhere" }, "FrontgateAddr"},
		{"no key", func(c *drone.Config) { c.KeyFile = "" }, "KeyFile"},
		{"bad health check", func(c *drone.Config) { c.HealthCheck.Cmd = "true"; c.HealthCheck.Interval = -1 }, "HealthCheck"},
		{"bad backoff", func(c *drone.Config) { c.MinBackoff = 10; c.MaxBackoff = 5 }, "backoff"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg := good
			tc.edit(&cfg)
			err := cfg.Validate()
			switch {
			case tc.want == "" && err != nil:
				t.Errorf("unexpected error %v", err)
			case tc.want != "" && (!errors.Is(err, drone.ErrBadConfig) || !strings.Contains(err.Error(), tc.want)):
				t.Errorf("got %v, want ErrBadConfig mentioning %q", err, tc.want)
			}
		})
	}
}

// TestWrongCertificate refuses to start a Drone whose certificate names another instance.
func TestWrongCertificate(t *testing.T) {
	c := newCerts(t)
	cfg := droneConfig(c, "i-1", t.TempDir(), "127.0.0.1:1", testLogger(t))
	cfg.InstanceID = "i-2"
	if _, err := drone.New(cfg); err == nil || !strings.Contains(err.Error(), "drone/i-1") {
		t.Errorf("got %v, want a certificate mismatch", err)
	}
}
