package gateway_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/pitrix/pitrix/edge/drone"
	"github.com/pitrix/pitrix/edge/edgepb"
	"github.com/pitrix/pitrix/edge/frontgate"
	"github.com/pitrix/pitrix/edge/gateway"
	"github.com/pitrix/pitrix/edge/metadata"
	"github.com/pitrix/pitrix/edge/pki"
)

// pemFiles writes an issued certificate, its key and the CA as files, as the local driver does.
func pemFiles(t testing.TB, g *gateway.Gateway, dir string, kind pki.Kind, id string, hosts ...string) (cert, key, ca string) {
	t.Helper()
	c, k, err := g.Issue(kind, id, time.Hour, hosts...)
	if err != nil {
		t.Fatal(err)
	}
	cert, key, ca = filepath.Join(dir, id+".crt"), filepath.Join(dir, id+".key"), filepath.Join(dir, "ca.pem")
	for f, b := range map[string][]byte{cert: c, key: k, ca: g.CA()} {
		if err := os.WriteFile(f, b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return cert, key, ca
}

// TestEdgePath runs the whole edge on loopback: the control plane's gateway, a real Frontgate
// that dials it, a real Drone that dials the Frontgate; a command sent by the control plane
// runs on the Drone's instance, once per command id.
func TestEdgePath(t *testing.T) {
	dir := t.TempDir()
	ctx, cancel := context.WithCancel(t.Context())
	var streamMu sync.Mutex
	var streams []string // what OnStream was told, in order
	g, err := gateway.Open(ctx, gateway.Config{CADir: filepath.Join(dir, "ca"), NodeID: "node-1",
		OnStream: func(id, vpc string, connected bool) {
			streamMu.Lock()
			streams = append(streams, fmt.Sprintf("%s %s %v", id, vpc, connected))
			streamMu.Unlock()
		}})
	if err != nil {
		t.Fatal(err)
	}
	told := func() []string {
		streamMu.Lock()
		defer streamMu.Unlock()
		return slices.Clone(streams)
	}
	done := make(chan error, 3)
	go func() { done <- g.Run(ctx) }()

	fgCert, fgKey, caFile := pemFiles(t, g, dir, pki.KindFrontgate, "fg-1", "127.0.0.1")
	fg, err := frontgate.New(frontgate.Config{ID: "fg-1", VPC: "vpc-1", ControlAddrs: []string{g.Addr()}, DroneListen: "127.0.0.1:0",
		DataDir: filepath.Join(dir, "fg"), CertFile: fgCert, KeyFile: fgKey, CAFile: caFile})
	if err != nil {
		t.Fatal(err)
	}
	fgCtx, stopFG := context.WithCancel(ctx)
	go func() { done <- fg.Run(fgCtx) }()
	<-fg.Ready()
	drCert, drKey, _ := pemFiles(t, g, dir, pki.KindDrone, "i-1")
	d, err := drone.New(drone.Config{InstanceID: "i-1", ClusterID: "cl-1", Role: "web", IP: "127.0.0.1", Root: filepath.Join(dir, "i-1"),
		StateDir: filepath.Join(dir, "i-1.state"), FrontgateAddr: fg.DroneAddr(), CertFile: drCert, KeyFile: drKey, CAFile: caFile})
	if err != nil {
		t.Fatal(err)
	}
	go func() { done <- d.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		for range 3 {
			<-done
		}
	})

	rctx, rcancel := context.WithTimeout(ctx, 30*time.Second)
	defer rcancel()
	js, _ := json.Marshal(metadata.Cluster{ClusterID: "cl-1", Hosts: []metadata.Host{{InstanceID: "i-1", Role: "web", IP: "127.0.0.1"}}})
	if _, err := g.Request(rctx, "fg-1", &edgepb.PutMetadata{ClusterId: "cl-1", Json: js}); err != nil {
		t.Fatal(err)
	}
	if _, err := g.Request(rctx, "fg-1", &edgepb.PutBundle{ClusterId: "cl-1", Files: map[string][]byte{}}); err != nil {
		t.Fatal(err)
	}
	if got := told(); !g.Connected("fg-1") || !slices.Equal(got, []string{"fg-1 vpc-1 true"}) {
		t.Fatalf("connected %v; OnStream told %v", g.Connected("fg-1"), got)
	}
	run := func() *edgepb.CommandResult {
		reply, err := g.Request(rctx, "fg-1", &edgepb.RunCommand{CommandId: "t-1", InstanceId: "i-1", TimeoutSec: 30,
			Cmd: `echo run >> "$PITRIX_ROOT/count"; echo "hi from $PITRIX_INSTANCE_ID"`})
		if err != nil {
			t.Fatal(err)
		}
		return reply.(*edgepb.CommandResult)
	}
	if res := run(); res.ExitCode != 0 || string(res.Stdout) != "hi from i-1\n" || res.Deduplicated {
		t.Fatalf("first run = %+v", res)
	}
	if res := run(); !res.Deduplicated {
		t.Fatalf("second run of the same id = %+v, want deduplicated", res)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "i-1", "count")); string(b) != "run\n" {
		t.Fatalf("the command ran %q times", b)
	}

	// The Frontgate goes away: a request waits for it, then names it.
	stopFG()
	deadline := time.Now().Add(10 * time.Second)
	for g.Connected("fg-1") || len(told()) != 2 {
		if time.Now().After(deadline) {
			t.Fatalf("frontgate still connected; OnStream told %v", told())
		}
		time.Sleep(10 * time.Millisecond)
	}
	if got := told(); got[1] != "fg-1 vpc-1 false" {
		t.Fatalf("OnStream told %v, want the disconnect last", got)
	}
	short, scancel := context.WithTimeout(ctx, 200*time.Millisecond)
	defer scancel()
	_, err = g.Request(short, "fg-1", &edgepb.DroneStatus{})
	if !errors.Is(err, gateway.ErrNotConnected) {
		t.Fatalf("request to a gone frontgate: %v, want ErrNotConnected", err)
	}
}

// BenchmarkEdgeRoundTrip measures running `true` on a Drone through its Frontgate, from the
// control plane (fork, exec and the result's fsync included), and a bare DroneStatus round
// trip to the Frontgate.
func BenchmarkEdgeRoundTrip(b *testing.B) {
	dir := b.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	g, err := gateway.Open(ctx, gateway.Config{CADir: filepath.Join(dir, "ca")})
	if err != nil {
		b.Fatal(err)
	}
	done := make(chan error, 3)
	go func() { done <- g.Run(ctx) }()
	fgCert, fgKey, caFile := pemFiles(b, g, dir, pki.KindFrontgate, "fg-1", "127.0.0.1")
	fg, _ := frontgate.New(frontgate.Config{ID: "fg-1", ControlAddrs: []string{g.Addr()}, DroneListen: "127.0.0.1:0",
		DataDir: filepath.Join(dir, "fg"), CertFile: fgCert, KeyFile: fgKey, CAFile: caFile})
	go func() { done <- fg.Run(ctx) }()
	<-fg.Ready()
	drCert, drKey, _ := pemFiles(b, g, dir, pki.KindDrone, "i-1")
	d, _ := drone.New(drone.Config{InstanceID: "i-1", ClusterID: "cl-1", Role: "web", Root: filepath.Join(dir, "i-1"),
		StateDir: filepath.Join(dir, "i-1.state"), FrontgateAddr: fg.DroneAddr(), CertFile: drCert, KeyFile: drKey, CAFile: caFile})
	go func() { done <- d.Run(ctx) }()
	js, _ := json.Marshal(metadata.Cluster{ClusterID: "cl-1", Hosts: []metadata.Host{{InstanceID: "i-1", Role: "web", IP: "127.0.0.1"}}})
	if _, err := g.Request(ctx, "fg-1", &edgepb.PutMetadata{ClusterId: "cl-1", Json: js}); err != nil {
		b.Fatal(err)
	}
	if _, err := g.Request(ctx, "fg-1", &edgepb.PutBundle{ClusterId: "cl-1", Files: map[string][]byte{}}); err != nil {
		b.Fatal(err)
	}
	b.Run("command", func(b *testing.B) {
		b.ReportAllocs()
		run := time.Now().UnixNano() // command ids are unique across the benchmark's rounds
		n := 0
		for b.Loop() {
			n++
			if _, err := g.Request(ctx, "fg-1", &edgepb.RunCommand{CommandId: fmt.Sprintf("b-%d-%d", run, n), InstanceId: "i-1", Cmd: "true", TimeoutSec: 10}); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("frontgate", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := g.Request(ctx, "fg-1", &edgepb.DroneStatus{}); err != nil {
				b.Fatal(err)
			}
		}
	})
	cancel()
	for range 3 {
		<-done
	}
}
