//go:build !race

// Two protoactor members in one process: protoactor's remote sets grpc's global logger on
// every start, racing with the servers already running, so this runs only without -race.

package relay_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/pitrix/pitrix/actors/frontgate"
	"github.com/pitrix/pitrix/actors/frontgate/sessiongrain"
	"github.com/pitrix/pitrix/actors/relay"
	"github.com/pitrix/pitrix/actors/store"
	"github.com/pitrix/pitrix/cluster/node"
	"github.com/pitrix/pitrix/edge/edgepb"
	fgagent "github.com/pitrix/pitrix/edge/frontgate"
	"github.com/pitrix/pitrix/edge/gateway"
	"github.com/pitrix/pitrix/edge/pki"
	"github.com/pitrix/pitrix/internal/testutil"
)

// member is one control-plane node: its actor node, edge gateway and relay.
type member struct {
	n  *node.Node
	gw *gateway.Gateway
	r  *relay.Relay
}

func startMember(t *testing.T, st store.Store, caDir string, join ...string) *member {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	n, err := node.Start(t.Context(), node.Config{GossipAddr: "127.0.0.1:0", FastGossip: true, Join: join, RequestTimeout: 5 * time.Second},
		sessiongrain.Kind(sessiongrain.Deps{Store: st}))
	if err != nil {
		t.Fatal(err)
	}
	m := &member{n: n}
	m.gw, err = gateway.Open(ctx, gateway.Config{CADir: caDir, NodeID: n.ID(), OnStream: func(id, vpc string, c bool) { m.r.OnStream(id, vpc, c) }})
	if err != nil {
		t.Fatal(err)
	}
	if m.r, err = relay.New(relay.Config{Node: n, Gateway: m.gw, Recheck: 100 * time.Millisecond}); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{}, 2)
	go func() { _ = m.gw.Run(ctx); done <- struct{}{} }()
	go func() { _ = m.r.Run(ctx); done <- struct{}{} }()
	t.Cleanup(func() {
		cancel()
		<-done
		<-done
		m.r.Close()
		_ = n.Close()
	})
	return m
}

// startFrontgate runs an in-process Frontgate dialing control until the returned stop.
func startFrontgate(t *testing.T, gw *gateway.Gateway, dir, control string) (stop func()) {
	t.Helper()
	c, k, err := gw.Issue(pki.KindFrontgate, "fg-1", time.Hour, "127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	files := map[string][]byte{"fg.crt": c, "fg.key": k, "ca.pem": gw.CA()}
	for name, b := range files {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	fg, err := fgagent.New(fgagent.Config{ID: "fg-1", VPC: "vpc-1", ControlAddrs: []string{control}, DroneListen: "127.0.0.1:0",
		DataDir: filepath.Join(dir, "fg"), CertFile: filepath.Join(dir, "fg.crt"), KeyFile: filepath.Join(dir, "fg.key"), CAFile: filepath.Join(dir, "ca.pem")})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { _ = fg.Run(ctx); close(done) }()
	return func() { cancel(); <-done }
}

// TestRelayAcrossNodes: a Frontgate connected to node A is reached from node B through A's
// edge-relay actor; the session actor names the node holding the stream, follows the
// Frontgate when it moves to B, and ignores the old node's late disconnect.
func TestRelayAcrossNodes(t *testing.T) {
	st, err := store.Open(filepath.Join(t.TempDir(), "store"), store.Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	caDir, dir := filepath.Join(t.TempDir(), "ca"), t.TempDir()
	a := startMember(t, st, caDir)
	b := startMember(t, st, caDir, a.n.GossipAddr())
	testutil.Eventually(t, 20*time.Second, "both members see each other", func() (bool, string) {
		return len(a.n.Members()) == 2 && len(b.n.Members()) == 2, fmt.Sprint(a.n.Members())
	})
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()

	stop := startFrontgate(t, a.gw, dir, a.gw.Addr())
	testutil.Eventually(t, 20*time.Second, "the session names node A", func() (bool, string) {
		s, err := b.r.Session(ctx, "fg-1")
		return err == nil && s.Connected && s.Node == a.n.ID() && s.VPC == "vpc-1", fmt.Sprint(s, err)
	})
	if b.gw.Connected("fg-1") {
		t.Fatal("node B holds a stream it never accepted")
	}
	res, err := b.r.Request(ctx, "fg-1", &edgepb.DroneStatus{})
	if err != nil {
		t.Fatalf("request from B: %v", err)
	}
	if _, ok := res.(*edgepb.DroneList); !ok {
		t.Fatalf("reply through A = %T", res)
	}
	if err := b.r.Register(ctx, "fg-1", frontgate.Placement{VPC: "vpc-1", RuntimeID: "runtime-1", Owner: "usr-1"}); err != nil {
		t.Fatal(err)
	}

	// The Frontgate moves to B; A's stream ends after B's began.
	stop()
	stop = startFrontgate(t, b.gw, dir, b.gw.Addr())
	defer stop()
	testutil.Eventually(t, 20*time.Second, "the session follows the Frontgate to node B", func() (bool, string) {
		s, err := a.r.Session(ctx, "fg-1")
		return err == nil && s.Connected && s.Node == b.n.ID() && s.RuntimeID == "runtime-1", fmt.Sprint(s, err)
	})
	a.r.OnStream("fg-1", "vpc-1", false) // a late disconnect from the old holder
	res, err = a.r.Request(ctx, "fg-1", &edgepb.DroneStatus{})
	if err != nil {
		t.Fatalf("request from A after the move: %v", err)
	}
	if _, ok := res.(*edgepb.DroneList); !ok {
		t.Fatalf("reply through B = %T", res)
	}
	if s, _ := a.r.Session(ctx, "fg-1"); !s.Connected || s.Node != b.n.ID() {
		t.Fatalf("the old node's disconnect moved the session: %+v", s)
	}

	// A Frontgate nobody holds: the request waits, then names what is missing.
	short, cancelShort := context.WithTimeout(ctx, 300*time.Millisecond)
	defer cancelShort()
	if _, err := a.r.Request(short, "fg-none", &edgepb.DroneStatus{}); err == nil {
		t.Fatal("a request to an unknown frontgate succeeded")
	} else if !errors.Is(err, relay.ErrNoStream) {
		t.Fatalf("unknown frontgate: %v", err)
	}
}
