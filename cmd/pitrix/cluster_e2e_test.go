package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pitrix/pitrix/cluster/trust"
)

// peerAddr reads the node's peer address from its start line.
func (s *server) peerAddr() string {
	s.t.Helper()
	for _, line := range strings.Split(s.logText(), "\n") {
		if _, rest, ok := strings.Cut(line, ", peer address "); ok {
			addr, _, _ := strings.Cut(rest, " ")
			return addr
		}
	}
	s.t.Fatalf("no peer address in the log:\n%s", s.logText())
	return ""
}

// serverFails runs `pitrix server` expecting it to exit with an error; it returns the output.
func serverFails(t *testing.T, timeout time.Duration, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, binary, append([]string{"server", "--listen", "127.0.0.1:0", "--local-runtime=false"}, args...)...)
	cmd.Env = append(os.Environ(), "PITRIX_JOIN=", "PITRIX_JOIN_TOKEN=")
	out, err := cmd.CombinedOutput()
	if ctx.Err() != nil {
		t.Fatalf("server %v did not exit within %s:\n%s", args, timeout, out)
	}
	if err == nil {
		t.Fatalf("server %v succeeded:\n%s", args, out)
	}
	return string(out)
}

// Three real nodes share one state: a token made on one works on all, a write through any
// node is read through every node, and a node without the cluster's token gets nothing.
func TestThreeNodeCluster(t *testing.T) {
	dir := t.TempDir()
	n1 := startServer(t, filepath.Join(dir, "n1"), "--local-runtime=false", "--node-name", "n1")
	tokFile := filepath.Join(dir, "n1", "join.token")
	fi, err := os.Stat(tokFile)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("join.token: %v %v, want mode 0600", fi, err)
	}
	b, _ := os.ReadFile(tokFile)
	joinToken := strings.TrimSpace(string(b))
	if strings.Contains(n1.logText(), joinToken) {
		t.Fatal("the join token is in the log")
	}
	peer := n1.peerAddr()
	n2 := startServer(t, filepath.Join(dir, "n2"), "--local-runtime=false", "--node-name", "n2", "--join", peer, "--join-token", joinToken)
	n3 := startServer(t, filepath.Join(dir, "n3"), "--local-runtime=false", "--node-name", "n3", "--join", peer, "--join-token-file", tokFile)
	nodes := []*server{n1, n2, n3}

	admin := n1.token()
	for i, n := range nodes {
		list(t, n.client(admin), "/v1/categories", nil) // 200 on every node
		// A category made through each node is read back at once through that node, and
		// through every node soon after.
		name := "cat-" + string(rune('a'+i))
		do(t, n.client(admin), "POST", "/v1/categories", map[string]any{"name": name, "description": "made on " + n.url})
		if _, ok := byName(list(t, n.client(admin), "/v1/categories", nil), "name")[name]; !ok {
			t.Fatalf("node %d does not list the category it just made", i+1)
		}
	}
	for i, n := range nodes {
		eventually(t, "every category on every node", func() (bool, string) {
			got := byName(list(t, n.client(admin), "/v1/categories", nil), "name")
			return len(got) == 3, "node " + string(rune('1'+i)) + " lists " + strings.Join(keys(got), ",")
		})
	}
	// Every node reports the same configuration: three voters, one leader, one term.
	eventually(t, "three voters and a leader in /v1/admin/nodes", func() (bool, string) {
		nodes := list(t, n2.client(admin), "/v1/admin/nodes", nil)
		leaders, voters, terms := 0, 0, map[any]bool{}
		for _, n := range nodes {
			if n["raft_role"] == "leader" {
				leaders++
			}
			if n["raft_voter"] == true {
				voters++
			}
			terms[n["raft_term"]] = true
			if n["raft_applied_index"].(float64) == 0 {
				return false, fmt.Sprintf("node %v has applied nothing", n["name"])
			}
		}
		return len(nodes) == 3 && leaders == 1 && voters == 3 && len(terms) == 1, fmt.Sprint(nodes)
	})
	// /metrics carries the raft and gossip figures: one leader among the three.
	leaders := 0
	for _, n := range nodes {
		var m bytes.Buffer
		if err := n.client(admin).Do(ctxT(t), "GET", "/metrics", nil, nil, &m); err != nil {
			t.Fatal(err)
		}
		for _, want := range []string{`pitrix_raft_servers{suffrage="voter"} 3`, `pitrix_gossip_members{state="alive"} 3`, "pitrix_raft_commit_index "} {
			if !strings.Contains(m.String(), want) {
				t.Fatalf("metrics of %s lack %s", n.url, want)
			}
		}
		if strings.Contains(m.String(), `pitrix_raft_state{state="leader"} 1`) {
			leaders++
		}
	}
	if leaders != 1 {
		t.Fatalf("%d nodes export pitrix_raft_state leader 1, want 1", leaders)
	}
	// One edge CA for the cluster: every node's edge-ca holds the same certificate and key.
	ca1 := readFile(t, filepath.Join(dir, "n1", "edge-ca", "ca.crt"))
	for _, d := range []string{"n2", "n3"} {
		if readFile(t, filepath.Join(dir, d, "edge-ca", "ca.crt")) != ca1 ||
			readFile(t, filepath.Join(dir, d, "edge-ca", "ca.key")) != readFile(t, filepath.Join(dir, "n1", "edge-ca", "ca.key")) {
			t.Fatalf("%s's edge CA differs from n1's", d)
		}
	}
	// A token n2 made itself (its own admin.token) works on n1 and n3.
	admin2 := n2.token()
	for _, n := range []*server{n1, n3} {
		list(t, n.client(admin2), "/v1/categories", nil)
	}

	// Refusals: a node with another cluster's token, a join without a token, a data dir of
	// this cluster started with another cluster's token.
	other, _ := trust.NewSecret()
	out := serverFails(t, 60*time.Second, "--data-dir", filepath.Join(dir, "intruder"), "--join", peer, "--join-token", other.Token())
	if !strings.Contains(out, "not of this cluster") {
		t.Fatalf("wrong token: want a clear refusal, got:\n%s", out)
	}
	if strings.Contains(out, other.Token()) {
		t.Fatal("the refused token is echoed")
	}
	out = serverFails(t, 30*time.Second, "--data-dir", filepath.Join(dir, "notoken"), "--join", peer)
	if !strings.Contains(out, "--join needs --join-token") {
		t.Fatalf("join without a token:\n%s", out)
	}
	if err := n3.stop(); err != nil {
		t.Fatal(err)
	}
	out = serverFails(t, 30*time.Second, "--data-dir", filepath.Join(dir, "n3"), "--join-token", other.Token())
	if !strings.Contains(out, "belongs to cluster") {
		t.Fatalf("data dir of another cluster:\n%s", out)
	}
	if !strings.Contains(n1.logText(), "refused a peer connection") {
		t.Fatalf("n1 did not log the refused handshake:\n%s", n1.logText())
	}

	// A node started with --leave-on-stop is removed from the replicated log when it stops.
	n4 := startServer(t, filepath.Join(dir, "n4"), "--local-runtime=false", "--node-name", "n4", "--leave-on-stop",
		"--join", peer, "--join-token", joinToken)
	raftMembers := func() map[string]bool {
		out := map[string]bool{}
		for _, n := range list(t, n1.client(admin), "/v1/admin/nodes", nil) {
			if n["raft_role"] != "none" {
				out[n["name"].(string)] = true
			}
		}
		return out
	}
	if !raftMembers()["n4"] {
		t.Fatal("n4 is not in the replicated log after joining")
	}
	if err := n4.stop(); err != nil {
		t.Fatal(err)
	}
	if m := raftMembers(); m["n4"] {
		t.Fatalf("n4 is still in the replicated log after leaving: %v", m)
	}

	// n3 restarted with its data dir and no --join rejoins and sees what was written meanwhile.
	do(t, n1.client(admin), "POST", "/v1/categories", map[string]any{"name": "while-n3-was-down"})
	n3 = startServer(t, filepath.Join(dir, "n3"), "--local-runtime=false")
	eventually(t, "n3 catches up", func() (bool, string) {
		_, ok := byName(list(t, n3.client(admin), "/v1/categories", nil), "name")["while-n3-was-down"]
		return ok, "not yet"
	})
}

func keys(m map[string]obj) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}
