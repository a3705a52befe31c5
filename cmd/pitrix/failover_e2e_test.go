package main

import (
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// actorHost returns which of nodes hosts the live activation of an actor, or nil. Every node
// lists every node's activations, so each is asked and all must name the same host.
func actorHost(t *testing.T, nodes []*server, token, kind, id string) *server {
	t.Helper()
	byName := map[string]*server{}
	for _, n := range nodes {
		byName[strings.TrimSpace(readFile(t, filepath.Join(n.dataDir, "node.name")))] = n
	}
	var host *server
	for i, n := range nodes {
		var named *server
		for _, a := range list(t, n.client(token), "/v1/admin/actors", url.Values{"kind": {kind}}) {
			if a["id"] == id {
				if named = byName[a["node_name"].(string)]; named == nil {
					t.Fatalf("%s lists %s/%s on node %v, not one of the test's", n.url, kind, id, a["node_name"])
				}
			}
		}
		if i > 0 && named != host {
			t.Fatalf("nodes disagree on where %s/%s lives", kind, id)
		}
		host = named
	}
	return host
}

// kill -9 of the node hosting a Helm cluster's actor right after an action was accepted: the
// job finishes through the other nodes (its actor activates elsewhere, reloads the job and
// resumes it), and the release on the API server is the one the action asked for.
func TestHelmJobSurvivesItsNode(t *testing.T) {
	testKubeconfig(t) // skip or fail early without the test Kubernetes
	dir := t.TempDir()
	n1 := startServer(t, filepath.Join(dir, "n1"), "--local-runtime=false", "--node-name", "n1")
	tok := strings.TrimSpace(readFile(t, filepath.Join(dir, "n1", "join.token")))
	n2 := startServer(t, filepath.Join(dir, "n2"), "--local-runtime=false", "--node-name", "n2", "--join", n1.peerAddr(), "--join-token", tok)
	n3 := startServer(t, filepath.Join(dir, "n3"), "--local-runtime=false", "--node-name", "n3", "--join", n1.peerAddr(), "--join-token", tok)
	nodes := []*server{n1, n2, n3}
	e := newHelmEnvOn(t, n1)
	token := n1.token()
	// The credential n1 sealed opens on the other nodes: they check it against the API server.
	for _, n := range []*server{n2, n3} {
		if res := do(t, n.client(token), http.MethodPost, "/v1/runtime_credentials/"+e.credID+"/validate", nil); res["ok"] != true {
			t.Fatalf("credential sealed through n1, validated through %s: %v", n.url, res)
		}
	}

	acc := do(t, e.admin, http.MethodPost, "/v1/clusters", obj{"name": "web", "version_id": e.v1, "runtime_id": e.runtimeID, "conf": obj{"replicaCount": 1}})
	id := acc["cluster_id"].(string)
	if j := waitJob(t, e.admin, acc["job_id"].(string)); j["status"] != "successful" {
		t.Fatalf("create job = %v", j)
	}
	// One round: with three voters a second kill would leave no quorum until the first dead
	// node is removed (30 s) and a replacement promoted.
	for round, want := range []int32{3} {
		host := actorHost(t, nodes, token, "appcluster", id)
		if host == nil {
			t.Fatalf("round %d: no node hosts cluster %s's actor", round, id)
		}
		var via *server
		for _, n := range nodes {
			if n != host {
				via = n
				break
			}
		}
		c := via.client(token)
		body := obj{"conf": obj{"replicaCount": want}}
		if round == 0 {
			body["version_id"] = e.v2
		}
		acc := do(t, c, http.MethodPost, "/v1/clusters/"+id+"/upgrade", body)
		jobID := acc["job_id"].(string)
		host.kill()
		at := do(t, c, http.MethodGet, "/v1/jobs/"+jobID, nil)["status"]
		t.Logf("round %d: killed %s hosting the actor; the job was %v", round, host.url, at)
		var rest []*server
		for _, n := range nodes {
			if n != host {
				rest = append(rest, n)
			}
		}
		nodes = rest
		start := time.Now()
		if j := waitJob(t, c, jobID); j["status"] != "successful" {
			t.Fatalf("round %d: job after its node died = %v\ntasks: %v", round, j, list(t, c, "/v1/jobs/"+jobID+"/tasks", nil))
		}
		t.Logf("round %d: job finished %s after the kill", round, time.Since(start).Round(100*time.Millisecond))
		if r, _, _, ok := e.deployment(t, id); !ok || r != want {
			t.Fatalf("round %d: deployment replicas %d (found %v), want %d", round, r, ok, want)
		}
	}
}
