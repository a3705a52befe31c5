package main

import (
	"fmt"
	"net/http"
	"net/url"
	"path/filepath"
	"testing"
)

// An actor idle for --actor-idle stops and the next request loads it again from the store:
// the runtime's actor leaves the inspector's list, and a later change through it starts
// from what the first one wrote.
func TestIdleActorPassivates(t *testing.T) {
	s := startServer(t, filepath.Join(t.TempDir(), "n1"), "--actor-idle", "1s")
	admin := s.client(s.token())
	var id string
	eventually(t, "the local runtime registered", func() (bool, string) {
		rts := list(t, admin, "/v1/runtimes", url.Values{"provider": {"local"}})
		if len(rts) == 1 {
			id = rts[0]["id"].(string)
		}
		return id != "", fmt.Sprint(rts)
	})
	live := func() bool {
		for _, a := range list(t, admin, "/v1/admin/actors", url.Values{"kind": {"runtime"}}) {
			if a["id"] == id {
				return true
			}
		}
		return false
	}

	do(t, admin, http.MethodPatch, "/v1/runtimes/"+id, obj{"description": "first"})
	if !live() {
		t.Fatalf("runtime %s has no live actor right after a change through it", id)
	}
	eventually(t, "the idle runtime actor passivated", func() (bool, string) { return !live(), "still live" })

	rt := do(t, admin, http.MethodPatch, "/v1/runtimes/"+id, obj{"labels": obj{"tier": "test"}})
	if rt["description"] != "first" || rt["labels"].(map[string]any)["tier"] != "test" {
		t.Fatalf("runtime after its actor came back = %v, want the first description kept and the label added", rt)
	}
	if !live() {
		t.Fatal("the change did not activate the runtime actor again")
	}
}
