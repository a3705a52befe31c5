package sessiongrain_test

import (
	"encoding/json"
	"path/filepath"
	"testing"
	"time"

	"github.com/pitrix/pitrix/actors/actorpb"
	"github.com/pitrix/pitrix/actors/entity"
	"github.com/pitrix/pitrix/actors/fault"
	"github.com/pitrix/pitrix/actors/frontgate"
	"github.com/pitrix/pitrix/actors/frontgate/sessiongrain"
	"github.com/pitrix/pitrix/actors/store"
	"github.com/pitrix/pitrix/cluster/node"
)

func command(t *testing.T, n *node.Node, id, op string, body any) (frontgate.Session, error) {
	t.Helper()
	var b []byte
	if body != nil {
		b, _ = json.Marshal(body)
	}
	res, err := n.Request(t.Context(), frontgate.KindName, id, &actorpb.FrontgateCommand{Op: op, Body: b})
	if err != nil {
		t.Fatal(err)
	}
	r := res.(*actorpb.FrontgateCommandResult)
	var s frontgate.Session
	if len(r.Session) > 0 {
		if err := json.Unmarshal(r.Session, &s); err != nil {
			t.Fatal(err)
		}
	}
	return s, fault.FromProto(r.Fault)
}

// TestSession: stream events and placements are stored; a disconnect from a node that no
// longer holds the stream is ignored; a write behind the actor's back is reloaded, not lost.
func TestSession(t *testing.T) {
	st, err := store.Open(filepath.Join(t.TempDir(), "store"), store.Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	n, err := node.Start(t.Context(), node.Config{GossipAddr: "127.0.0.1:0", FastGossip: true}, sessiongrain.Kind(sessiongrain.Deps{Store: st}))
	if err != nil {
		t.Fatal(err)
	}
	defer n.Close()
	at := time.Date(2026, 11, 22, 0, 0, 0, 0, time.UTC)

	if _, err := command(t, n, "fg-1", frontgate.OpGet, nil); !fault.Is(err, fault.CodeNotFound) {
		t.Fatalf("get of an unknown frontgate = %v, want not_found", err)
	}
	s, err := command(t, n, "fg-1", frontgate.OpConnected, frontgate.StreamEvent{Node: "a", NodeAddress: "127.0.0.1:1", VPC: "vpc-1", Connected: true, At: at})
	if err != nil || !s.Connected || s.Node != "a" || s.VPC != "vpc-1" || !s.LastSeen.Equal(at) {
		t.Fatalf("connected = %+v, %v", s, err)
	}
	if s, err = command(t, n, "fg-1", frontgate.OpRegister, frontgate.Placement{VPC: "vpc-1", RuntimeID: "runtime-1", Owner: "usr-1"}); err != nil || s.RuntimeID != "runtime-1" || s.Owner != "usr-1" {
		t.Fatalf("register = %+v, %v", s, err)
	}
	// The Frontgate moves to node b; a's late disconnect does not undo that.
	if _, err = command(t, n, "fg-1", frontgate.OpConnected, frontgate.StreamEvent{Node: "b", NodeAddress: "127.0.0.1:2", Connected: true, At: at.Add(time.Second)}); err != nil {
		t.Fatal(err)
	}
	if s, err = command(t, n, "fg-1", frontgate.OpDisconnected, frontgate.StreamEvent{Node: "a", At: at.Add(2 * time.Second)}); err != nil || !s.Connected || s.Node != "b" {
		t.Fatalf("a's late disconnect = %+v, %v", s, err)
	}
	if s, err = command(t, n, "fg-1", frontgate.OpDisconnected, frontgate.StreamEvent{Node: "b", At: at.Add(3 * time.Second)}); err != nil || s.Connected || s.RuntimeID != "runtime-1" || s.VPC != "vpc-1" {
		t.Fatalf("b's disconnect = %+v, %v", s, err)
	}
	stored, _, err := entity.Get[frontgate.Session](t.Context(), st, frontgate.Key("fg-1"))
	if err != nil || stored.Connected || stored.Node != "b" {
		t.Fatalf("stored = %+v, %v", stored, err)
	}

	// Another writer changes the record: the actor's next write conflicts, it reloads, and the
	// retry applies over the other write.
	_, v, _ := entity.Get[frontgate.Session](t.Context(), st, frontgate.Key("fg-1"))
	stored.Owner = "usr-2"
	if _, err := st.Apply(t.Context(), entity.MustPut(frontgate.Key("fg-1"), stored, v)); err != nil {
		t.Fatal(err)
	}
	ev := frontgate.StreamEvent{Node: "a", NodeAddress: "127.0.0.1:1", Connected: true, At: at.Add(4 * time.Second)}
	if _, err := command(t, n, "fg-1", frontgate.OpConnected, ev); !fault.Is(err, fault.CodeConflict) {
		t.Fatalf("write over a changed record = %v, want conflict", err)
	}
	if s, err = command(t, n, "fg-1", frontgate.OpConnected, ev); err != nil || !s.Connected || s.Node != "a" || s.Owner != "usr-2" {
		t.Fatalf("retry after reload = %+v, %v", s, err)
	}

	if _, err := command(t, n, "fg-1", "explode", nil); !fault.Is(err, fault.CodeInvalid) {
		t.Fatalf("unknown op = %v, want invalid_argument", err)
	}
	if _, err := command(t, n, "fg-1", frontgate.OpConnected, "not an event"); !fault.Is(err, fault.CodeInvalid) {
		t.Fatalf("bad body = %v, want invalid_argument", err)
	}
}
