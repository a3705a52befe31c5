package runtimegrain_test

import (
	"encoding/json"
	"path/filepath"
	"testing"
	"time"

	"github.com/pitrix/pitrix/actors/actorpb"
	"github.com/pitrix/pitrix/actors/entity"
	"github.com/pitrix/pitrix/actors/runtimes"
	"github.com/pitrix/pitrix/actors/runtimes/runtimegrain"
	"github.com/pitrix/pitrix/actors/store"
	"github.com/pitrix/pitrix/cluster/node"
)

func command(t *testing.T, n *node.Node, id, op string, body any) (*runtimes.Runtime, *actorpb.Fault) {
	t.Helper()
	var b []byte
	if body != nil {
		b, _ = json.Marshal(body)
	}
	res, err := n.Request(t.Context(), runtimes.KindName, id, &actorpb.RuntimeCommand{Op: op, Body: b})
	if err != nil {
		t.Fatal(err)
	}
	r := res.(*actorpb.RuntimeCommandResult)
	if len(r.Runtime) == 0 {
		return nil, r.Fault
	}
	var rt runtimes.Runtime
	if err := json.Unmarshal(r.Runtime, &rt); err != nil {
		t.Fatal(err)
	}
	return &rt, r.Fault
}

// TestFencing: the actor writes with the version it loaded; a write it did not see makes its
// next write fail (and the activation stop), and the next activation reloads and succeeds.
func TestFencing(t *testing.T) {
	st, err := store.Open(filepath.Join(t.TempDir(), "store"), store.Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	n, err := node.Start(t.Context(), node.Config{GossipAddr: "127.0.0.1:0", FastGossip: true}, runtimegrain.Kind(runtimegrain.Deps{Store: st}))
	if err != nil {
		t.Fatal(err)
	}
	defer n.Close()
	ctx := t.Context()

	id := "runtime-test1"
	rt := runtimes.Runtime{ID: id, Name: "dev", Provider: "local", Zone: "local", Owner: "usr-admin", Status: "active", Labels: map[string]string{}, CreatedAt: time.Now()}
	if got, f := command(t, n, id, runtimes.OpCreate, rt); f != nil || got.Name != "dev" {
		t.Fatalf("create = %+v, %v", got, f)
	}
	if _, f := command(t, n, id, runtimes.OpCreate, rt); f == nil || f.Code != "conflict" {
		t.Fatalf("second create = %v, want conflict", f)
	}
	name := "staging"
	if got, f := command(t, n, id, runtimes.OpUpdate, runtimes.RuntimePatch{Name: &name}); f != nil || got.Name != "staging" {
		t.Fatalf("update = %+v, %v", got, f)
	}

	// Another owner writes behind this activation's back.
	other, v, err := entity.Get[runtimes.Runtime](ctx, st, runtimes.RuntimeKey(id))
	if err != nil {
		t.Fatal(err)
	}
	other.Description = "written elsewhere"
	if _, err := st.Apply(ctx, entity.MustPut(runtimes.RuntimeKey(id), other, v, other.Terms()...)); err != nil {
		t.Fatal(err)
	}
	name = "stale"
	if _, f := command(t, n, id, runtimes.OpUpdate, runtimes.RuntimePatch{Name: &name}); f == nil || f.Code != "conflict" {
		t.Fatalf("stale update = %v, want conflict", f)
	}
	// The stale activation reloaded; the next write keeps the other one.
	deadline := time.Now().Add(10 * time.Second)
	for {
		got, f := command(t, n, id, runtimes.OpUpdate, runtimes.RuntimePatch{Name: &name})
		if f == nil {
			if got.Description != "written elsewhere" || got.Name != "stale" {
				t.Fatalf("after reload = %+v", got)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the runtime never recovered from a stale activation: %v", f)
		}
		time.Sleep(20 * time.Millisecond)
	}

	// A live app cluster on the runtime blocks its deletion.
	if _, err := st.Apply(ctx, store.Op{Key: runtimes.ClusterPrefix + "cl-1", Value: []byte(`{}`), Expect: store.Absent,
		Terms: []string{runtimes.TermRuntime(id), runtimes.TermLive}}); err != nil {
		t.Fatal(err)
	}
	if _, f := command(t, n, id, runtimes.OpDelete, nil); f == nil || f.Code != "failed_precondition" {
		t.Fatalf("delete with a live cluster = %v, want failed_precondition", f)
	}
	if _, err := st.Apply(ctx, store.Op{Key: runtimes.ClusterPrefix + "cl-1", Delete: true, Expect: store.Any}); err != nil {
		t.Fatal(err)
	}
	if _, f := command(t, n, id, runtimes.OpDelete, nil); f != nil {
		t.Fatalf("delete = %v", f)
	}
	if _, _, err := entity.Get[runtimes.Runtime](ctx, st, runtimes.RuntimeKey(id)); err == nil {
		t.Fatal("the runtime is still stored after delete")
	}
	if _, f := command(t, n, id, runtimes.OpGet, nil); f == nil || f.Code != "not_found" {
		t.Fatalf("get after delete = %v", f)
	}
}
