//go:build !race

// Tests that run several protoactor members in one process. protoactor's
// remote sets grpc's global logger on every start, racing with the grpc
// servers already running, so these run only without -race.

package node

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/pitrix/pitrix/cluster/gossip"
)

func (n *Node) topologyIDs() []string {
	n.topoMu.RLock()
	defer n.topoMu.RUnlock()
	var ids []string
	for _, m := range n.topo {
		ids = append(ids, m.Id)
	}
	slices.Sort(ids)
	return ids
}

func memberStates(n *Node) map[string]gossip.State {
	out := make(map[string]gossip.State)
	for _, m := range n.Members() {
		out[m.ID] = m.Status
	}
	return out
}

// ownerOf asks every node for id and returns the node ID that served it,
// failing unless they all agree.
func ownerOf(t *testing.T, nodes []*Node, id string) string {
	t.Helper()
	owner := ""
	for _, n := range nodes {
		parts := strings.Split(ask(t, n, id, "from-"+n.ID()), "|")
		if len(parts) != 3 || parts[0] != id || parts[1] != "from-"+n.ID() {
			t.Fatalf("reply %q to %s from %s", parts, id, n.ID())
		}
		if owner != "" && parts[2] != owner {
			t.Fatalf("%s served by %s for %s, by %s for others", id, parts[2], n.ID(), owner)
		}
		owner = parts[2]
	}
	return owner
}

func activationsByID(n *Node) map[string]Activation {
	out := make(map[string]Activation)
	for _, a := range n.Activations() {
		out[a.ID] = a
	}
	return out
}

func TestThreeNodes(t *testing.T) {
	t0 := time.Now()
	a := startNode(t, testConfig(t), echoKind())
	cfg := testConfig(t)
	cfg.Join = []string{a.GossipAddr()}
	b := startNode(t, cfg, echoKind())
	c := startNode(t, cfg, echoKind())
	nodes := []*Node{a, b, c}
	byID := map[string]*Node{a.ID(): a, b.ID(): b, c.ID(): c}
	all := slices.Sorted(maps.Keys(byID))

	eventually(t, 20*time.Second, func() string {
		for _, n := range nodes {
			if got := n.topologyIDs(); !slices.Equal(got, all) {
				return fmt.Sprintf("%s topology %v, want %v", n.ID(), got, all)
			}
			for id, st := range memberStates(n) {
				if st != gossip.Alive {
					return fmt.Sprintf("%s sees %s %v", n.ID(), id, st)
				}
			}
		}
		return ""
	})
	t.Logf("3 nodes started and converged in %v", time.Since(t0))
	for _, n := range nodes {
		if len(n.Members()) != 3 || !n.Ready() {
			t.Fatalf("%s: members %+v ready %v", n.ID(), n.Members(), n.Ready())
		}
	}

	// Every node routes an identity to the same owner, which holds the
	// only activation.
	owners := make(map[string]string)
	perNode := make(map[string][]string)
	for i := range 30 {
		id := fmt.Sprintf("id-%02d", i)
		owner := ownerOf(t, nodes, id)
		owners[id] = owner
		perNode[owner] = append(perNode[owner], id)
	}
	for _, n := range nodes {
		acts := activationsByID(n)
		if len(acts) != len(perNode[n.ID()]) {
			t.Errorf("%s holds %d activations, owns %d ids", n.ID(), len(acts), len(perNode[n.ID()]))
		}
		for _, id := range perNode[n.ID()] {
			if a := acts[id]; a.Kind != "echo" || a.Node != n.ID() || a.Messages != 3 {
				t.Errorf("%s activation of %s: %+v, want 3 messages", n.ID(), id, a)
			}
		}
	}
	if len(perNode) < 2 {
		t.Fatalf("30 ids all placed on one node: %v", perNode)
	}

	// Any node lists every node's activations, each with the node that holds it.
	for _, n := range nodes {
		got := map[string]string{}
		for _, ma := range n.ClusterActivations(t.Context(), 5*time.Second) {
			if ma.Err != nil {
				t.Fatalf("%s asking %s: %v", n.ID(), ma.Member.ID, ma.Err)
			}
			for _, a := range ma.Activations {
				if a.Node != ma.Member.ID || a.NodeName != ma.Member.Name {
					t.Errorf("%s lists %s from member %s/%s as held by %s/%s", n.ID(), a.ID, ma.Member.ID, ma.Member.Name, a.Node, a.NodeName)
				}
				got[a.ID] = a.Node
			}
		}
		if !maps.Equal(got, owners) {
			t.Fatalf("%s's cluster-wide activations %v, want %v", n.ID(), got, owners)
		}
	}
	// The counts alone, as the admin's node list asks for them.
	for _, n := range nodes {
		for _, ma := range n.ClusterActivationCounts(t.Context(), 5*time.Second) {
			if ma.Err != nil || ma.Count != len(perNode[ma.Member.ID]) || ma.Activations != nil {
				t.Fatalf("%s counts %s: %d activations (%v, err %v), want %d and no list", n.ID(), ma.Member.ID, ma.Count, ma.Activations, ma.Err, len(perNode[ma.Member.ID]))
			}
		}
	}

	// Close the node owning the most ids; the others drop it and re-place
	// its ids on themselves as new activations.
	victim := slices.MaxFunc(nodes, func(x, y *Node) int { return len(perNode[x.ID()]) - len(perNode[y.ID()]) })
	survivors := slices.DeleteFunc(slices.Clone(nodes), func(n *Node) bool { return n == victim })
	t1 := time.Now()
	if err := victim.Close(); err != nil {
		t.Fatalf("Close %s: %v", victim.ID(), err)
	}
	t.Logf("Close took %v", time.Since(t1))
	eventually(t, 20*time.Second, func() string {
		for _, n := range survivors {
			if st := memberStates(n)[victim.ID()]; st != gossip.Left {
				return fmt.Sprintf("%s sees closed %s as %v", n.ID(), victim.ID(), st)
			}
			if got := n.topologyIDs(); slices.Contains(got, victim.ID()) || len(got) != 2 {
				return fmt.Sprintf("%s topology %v still has %s", n.ID(), got, victim.ID())
			}
		}
		return ""
	})
	t.Logf("survivors dropped the closed node %v after Close began", time.Since(t1))

	for _, id := range perNode[victim.ID()] {
		owner := ownerOf(t, survivors, id)
		n := byID[owner]
		if n == nil || n == victim {
			t.Fatalf("%s now served by %q", id, owner)
		}
		if a := activationsByID(n)[id]; a.Messages != 2 {
			t.Errorf("%s re-activated on %s with %d messages, want a fresh activation with 2", id, owner, a.Messages)
		}
	}
	// Identities owned by survivors did not move.
	for id, owner := range owners {
		if owner != victim.ID() {
			if got := ownerOf(t, survivors, id); got != owner {
				t.Errorf("%s moved from surviving %s to %s", id, owner, got)
			}
		}
	}
}

func TestStartRemotePortTaken(t *testing.T) {
	a := startNode(t, testConfig(t), echoKind())
	_, port, _ := strings.Cut(a.Address(), ":")
	cfg := testConfig(t)
	if _, err := fmt.Sscan(port, &cfg.RemotePort); err != nil {
		t.Fatal(err)
	}
	n, err := Start(t.Context(), cfg, echoKind())
	if err == nil {
		_ = n.Close()
		t.Fatalf("Start on taken remote port %d succeeded", cfg.RemotePort)
	}
	if !strings.Contains(err.Error(), port) {
		t.Fatalf("error %q does not name the port", err)
	}
}

// Draining a node through another: it leaves placement, stops its activations, and its
// identities are served by the others from their next request.
func TestDrainMember(t *testing.T) {
	a := startNode(t, testConfig(t), echoKind())
	cfg := testConfig(t)
	cfg.Join = []string{a.GossipAddr()}
	before := make(chan struct{}, 1)
	vcfg := cfg
	vcfg.Name = "victim"
	vcfg.BeforeDrain = func(context.Context) { before <- struct{}{} }
	b := startNode(t, cfg, echoKind())
	victim := startNode(t, vcfg, echoKind())
	nodes := []*Node{a, b, victim}
	eventually(t, 20*time.Second, func() string {
		for _, n := range nodes {
			if len(n.topologyIDs()) != 3 {
				return fmt.Sprintf("%s topology %v", n.ID(), n.topologyIDs())
			}
		}
		return ""
	})
	var onVictim []string
	for i := range 30 {
		id := fmt.Sprintf("d-%02d", i)
		if ownerOf(t, nodes, id) == victim.ID() {
			onVictim = append(onVictim, id)
		}
	}
	if len(onVictim) == 0 {
		t.Fatal("no id placed on the victim")
	}
	if err := a.DrainMember(t.Context(), "nosuch"); !errors.Is(err, ErrNoMember) {
		t.Fatalf("DrainMember(nosuch) = %v, want ErrNoMember", err)
	}
	if err := a.DrainMember(t.Context(), "victim"); err != nil {
		t.Fatalf("DrainMember(victim): %v", err)
	}
	select {
	case <-before:
	case <-time.After(10 * time.Second):
		t.Fatal("BeforeDrain did not run")
	}
	eventually(t, 20*time.Second, func() string {
		if !victim.Draining() || victim.Ready() || len(victim.Activations()) != 0 {
			return fmt.Sprintf("victim draining %v ready %v activations %d", victim.Draining(), victim.Ready(), len(victim.Activations()))
		}
		for _, n := range []*Node{a, b} {
			if slices.Contains(n.topologyIDs(), victim.ID()) {
				return fmt.Sprintf("%s still places on the victim", n.ID())
			}
		}
		return ""
	})
	for _, id := range onVictim {
		owner := ownerOf(t, []*Node{a, b}, id)
		if owner == victim.ID() {
			t.Fatalf("%s still served by the drained node", id)
		}
	}
	// The drained node activates nothing itself any more.
	if _, err := victim.Request(t.Context(), "echo", onVictim[0], wrapperspb.String("x")); !errors.Is(err, ErrDraining) {
		t.Fatalf("request through the drained node for an id it owned = %v, want ErrDraining", err)
	}
}
