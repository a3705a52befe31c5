package main

import (
	"bytes"
	"fmt"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
)

// pitrix admin drain NODE through another node: the drained node stops hosting actors, says it
// is not ready, and its actors come back on the others at their next request.
func TestDrainNode(t *testing.T) {
	dir := t.TempDir()
	args := func(name string) []string { return []string{"--local-runtime=false", "--node-name", name} }
	n1 := startServer(t, filepath.Join(dir, "n1"), args("n1")...)
	tokFile := filepath.Join(dir, "n1", "join.token")
	nodes := map[string]*server{"n1": n1}
	for _, name := range []string{"n2", "n3"} {
		nodes[name] = startServer(t, filepath.Join(dir, name), append(args(name), "--join", n1.peerAddr(), "--join-token-file", tokFile)...)
	}
	admin := n1.token()
	c1 := n1.client(admin)
	eventually(t, "three alive nodes", func() (bool, string) {
		alive := 0
		for _, n := range list(t, c1, "/v1/admin/nodes", nil) {
			if n["status"] == "alive" {
				alive++
			}
		}
		return alive == 3, fmt.Sprint(alive)
	})
	charts := chartRepo(t)
	var repos []string
	for i := range 12 {
		r := do(t, c1, http.MethodPost, "/v1/repos", obj{"name": fmt.Sprintf("r%02d", i), "type": "http", "url": charts,
			"providers": []string{"kubernetes"}, "index_interval": 0})
		repos = append(repos, r["id"].(string))
	}
	hosts := func(via *server) map[string]string { // repo id -> node name
		out := map[string]string{}
		for _, a := range list(t, via.client(admin), "/v1/admin/actors", url.Values{"kind": {"repo"}}) {
			out[a["id"].(string)] = a["node_name"].(string)
		}
		return out
	}
	// Touch every repo's actor so each lives somewhere.
	for _, id := range repos {
		do(t, c1, http.MethodPatch, "/v1/repos/"+id, obj{"description": "before"})
	}
	byNode := map[string][]string{}
	for id, n := range hosts(n1) {
		byNode[n] = append(byNode[n], id)
	}
	victim := ""
	for _, name := range []string{"n2", "n3", "n1"} {
		if len(byNode[name]) > 0 {
			victim = name
			break
		}
	}
	if victim == "" {
		t.Fatalf("no node hosts a repo actor: %v", byNode)
	}
	via := n1
	if victim == "n1" {
		via = nodes["n2"]
	}
	cv := via.client(admin)
	apiErr(t, cv.Do(ctxT(t), http.MethodPost, "/v1/admin/nodes/nosuch/drain", nil, nil, nil), 404, "not_found")

	env := func(k string) string { return map[string]string{"PITRIX_SERVER": via.url, "PITRIX_TOKEN": admin}[k] }
	var out, errb bytes.Buffer
	if code := run(ctxT(t), []string{"admin", "drain", victim}, env, nil, &out, &errb); code != 0 {
		t.Fatalf("pitrix admin drain %s = %d: %s", victim, code, errb.String())
	}
	if !strings.Contains(out.String(), `"draining"`) {
		t.Fatalf("pitrix admin drain said %q", out.String())
	}
	eventually(t, victim+" drained", func() (bool, string) {
		for id, n := range hosts(via) {
			if n == victim {
				return false, id + " still on " + victim
			}
		}
		for _, n := range list(t, cv, "/v1/admin/nodes", nil) {
			if n["name"] == victim && n["status"] == "alive" {
				return false, victim + " still alive in gossip"
			}
		}
		return true, ""
	})
	if err := nodes[victim].client("").Do(ctxT(t), http.MethodGet, "/readyz", nil, nil, nil); err == nil {
		t.Fatalf("/readyz on the drained %s answers 200", victim)
	}
	// Its repos are served by the others, with what was written before.
	for _, id := range byNode[victim] {
		r := do(t, cv, http.MethodPatch, "/v1/repos/"+id, obj{"labels": obj{"after": "drain"}})
		if r["description"] != "before" {
			t.Fatalf("repo %s after the drain = %v", id, r)
		}
		if h := hosts(via)[id]; h == victim || h == "" {
			t.Fatalf("repo %s's actor on %q after the drain", id, h)
		}
	}
}
