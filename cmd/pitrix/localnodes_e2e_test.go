package main

import (
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/pitrix/pitrix/http/client"
)

// localNode is one node of a cluster whose nodes each have their own local runtime.
type localNode struct {
	name, dir, edge string
	args            []string
	s               *server
	c               *client.Client // the admin's, one per process (its connections are reused)
}

func (n *localNode) start(t *testing.T) {
	t.Helper()
	n.s = startServer(t, n.dir, n.args...)
	n.c = n.s.client(n.s.token())
}

// nodeStatus returns what node via says of node name in /v1/admin/nodes: "alive" when one of
// its processes is (a restarted node is listed once per process), "" when it is not listed.
func nodeStatus(t *testing.T, via *client.Client, name string) string {
	t.Helper()
	out := ""
	for _, n := range list(t, via, "/v1/admin/nodes", nil) {
		if n["name"] == name && out != "alive" {
			out = fmt.Sprint(n["status"])
		}
	}
	return out
}

// frontgateArgs returns the command line of the running Frontgate process of id.
func frontgateArgs(id string) []string {
	for _, pid := range procsUnder(string(filepath.Separator)) {
		b, _ := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "cmdline"))
		args := strings.Split(strings.TrimRight(string(b), "\x00"), "\x00")
		if len(args) > 1 && args[1] == "frontgate" && slices.Contains(args, id) {
			return args
		}
	}
	return nil
}

func flagOf(args []string, name string) string {
	for i, a := range args {
		if a == name && i+1 < len(args) {
			return args[i+1]
		}
	}
	return ""
}

// TestLocalRuntimeAcrossNodes: three nodes, each with its own local runtime (named after the
// node, recording it). A VM cluster on n1's runtime keeps its instances on n1 whichever node
// hosts its actor or takes the request. Its Frontgate knows every node's edge address, n1's
// first.
//
//   - kill -9 of n1 (the runtime's owner): the Frontgate redials another node, which records
//     itself as the holder; a scale-out through a surviving node waits, unfinished, its task's
//     error naming n1, and nothing runs on the other nodes' drivers.
//   - n1 restarts with its data dir: the Frontgate, whose list names n1, is adopted (not
//     restarted); the waiting job resumes (the leader's resume round) and succeeds, its new
//     instance on n1.
//   - kill -9 of the node holding the Frontgate's stream (not the owner): the Frontgate
//     redials, GET /v1/frontgates names the new node, and a scale-out and a custom service
//     through a surviving node succeed.
func TestLocalRuntimeAcrossNodes(t *testing.T) {
	dir := t.TempDir()
	nodes := map[string]*localNode{}
	for _, name := range []string{"n1", "n2", "n3"} {
		n := &localNode{name: name, dir: filepath.Join(dir, name), edge: freePort(t)}
		// Registered first, so it runs last: nothing of any node's local runtime is left.
		t.Cleanup(func() { killUnder(t, n.dir) })
		n.args = []string{"--node-name", name, "--edge", n.edge}
		nodes[name] = n
	}
	n1, n2, n3 := nodes["n1"], nodes["n2"], nodes["n3"]
	n1.args = append(n1.args, "--demo-src", filepath.Join(projectRoot(), "demo", "packages"))
	n1.start(t)
	tokFile := filepath.Join(n1.dir, "join.token")
	for _, n := range []*localNode{n2, n3} {
		n.args = append(n.args, "--join", n1.s.peerAddr(), "--join-token-file", tokFile)
		n.start(t)
	}
	token := n1.s.token()
	via := func(n *localNode) *client.Client { return n.c }

	// Each node registered its own local runtime, named after it and recording it.
	runtimes := map[string]string{} // node → runtime id
	eventually(t, "three local runtimes, one per node", func() (bool, string) {
		got := list(t, via(n2), "/v1/runtimes", url.Values{"provider": {"local"}})
		for _, rt := range got {
			node, _ := rt["node"].(string)
			if rt["name"] != "local-"+node {
				return false, fmt.Sprintf("runtime %v is not named after its node %q", rt["name"], node)
			}
			runtimes[node] = rt["id"].(string)
		}
		return len(got) == 3 && len(runtimes) == 3, fmt.Sprint(got)
	})
	var helloVersion string
	eventually(t, "the demo hello app is listed", func() (bool, string) {
		a, ok := byName(list(t, via(n3), "/v1/apps", nil), "name")["hello"]
		if ok {
			helloVersion, _ = a["latest_version_id"].(string)
		}
		return helloVersion != "", "no hello app yet"
	})

	var id string // the cluster under test
	var acc obj
	succeed := func(c *client.Client, jobID string) {
		t.Helper()
		if j := waitJob(t, c, jobID); j["status"] != "successful" {
			t.Fatalf("job %s (%v) = %v: %v\n%v", jobID, j["action"], j["status"], j["error"], list(t, c, "/v1/jobs/"+jobID+"/tasks", nil))
		}
	}
	instancesOn := func(n *localNode) []string {
		ents, _ := os.ReadDir(filepath.Join(n.dir, "local", "instances"))
		var out []string
		for _, e := range ents {
			out = append(out, e.Name())
		}
		return out
	}
	clusterInstances := func(c *client.Client) []string {
		var out []string
		for _, n := range list(t, c, "/v1/clusters/"+id+"/nodes", nil) {
			out = append(out, n["instance_id"].(string))
		}
		slices.Sort(out)
		return out
	}
	checkPlacement := func(c *client.Client, want int) {
		t.Helper()
		ids := clusterInstances(c)
		if len(ids) != want || !slices.Equal(ids, instancesOn(n1)) {
			t.Fatalf("cluster instances %v, n1 holds %v; want %d, all on n1", ids, instancesOn(n1), want)
		}
		if got := append(instancesOn(n2), instancesOn(n3)...); len(got) > 0 {
			t.Fatalf("instances on other nodes' drivers: %v", got)
		}
	}
	// Where the cluster's actor ran each successful job.
	var hosts []string
	hostNow := func(up ...*localNode) string {
		t.Helper()
		var servers []*server
		for _, n := range up {
			servers = append(servers, n.s)
		}
		h := actorHost(t, servers, token, "appcluster", id)
		for _, n := range up {
			if h != nil && n.s == h {
				hosts = append(hosts, n.name)
				return n.name
			}
		}
		return ""
	}
	// A cluster on n1's runtime, created through n2, whose actor is on another node than n1
	// (placement decides: a cluster whose actor lands on n1 is deleted and another made): its
	// driver calls go to n1, its instances are n1's.
	for try := 1; ; try++ {
		acc = do(t, via(n2), http.MethodPost, "/v1/clusters", obj{"name": "spread", "version_id": helloVersion, "runtime_id": runtimes["n1"],
			"conf": obj{"cluster": obj{"node": obj{"count": 1}}}})
		id = acc["cluster_id"].(string)
		succeed(via(n3), acc["job_id"].(string))
		checkPlacement(via(n1), 1)
		if h := hostNow(n1, n2, n3); h != "n1" {
			break
		}
		if try == 8 {
			t.Fatalf("8 clusters in a row had their actor on n1")
		}
		hosts = nil
		acc = do(t, via(n3), http.MethodDelete, "/v1/clusters/"+id, nil)
		succeed(via(n3), acc["job_id"].(string))
	}

	// Its Frontgate dials n1's edge first and knows every node's.
	fgs := list(t, via(n1), "/v1/frontgates", nil)
	if len(fgs) != 1 || fgs[0]["node_name"] != "n1" || fgs[0]["connected"] != true {
		t.Fatalf("frontgates = %v, want one connected through n1", fgs)
	}
	fgID := fgs[0]["id"].(string)
	fgArgs := frontgateArgs(fgID)
	if want := n1.edge + "," + n2.edge + "," + n3.edge; flagOf(fgArgs, "--control") != want {
		t.Fatalf("frontgate --control %q, want %q", flagOf(fgArgs, "--control"), want)
	}
	if cf := flagOf(fgArgs, "--control-file"); !strings.HasPrefix(cf, filepath.Join(n1.dir, "local")) ||
		strings.TrimSpace(readFile(t, cf)) != n1.edge+","+n2.edge+","+n3.edge {
		t.Fatalf("frontgate --control-file %q: want n1's, holding every node's edge address", cf)
	}
	fgPid := strings.Join(fgArgs, " ")

	// kill -9 of the owner: the Frontgate moves to n2; work on n1's runtime fails, naming n1.
	n1.s.kill()
	eventually(t, "n2 sees n1 gone", func() (bool, string) {
		st := nodeStatus(t, via(n2), "n1")
		return st != "alive" && st != "", st
	})
	eventually(t, "the frontgate redials n2", func() (bool, string) {
		fgs := list(t, via(n3), "/v1/frontgates", nil)
		return len(fgs) == 1 && fgs[0]["node_name"] == "n2" && fgs[0]["connected"] == true, fmt.Sprint(fgs)
	})
	acc = do(t, via(n3), http.MethodPost, "/v1/clusters/"+id+"/add_nodes", obj{"role": "node", "count": 1})
	parkedJob := acc["job_id"].(string)
	eventually(t, "the job waits, a task's error naming n1", func() (bool, string) {
		j := do(t, via(n2), http.MethodGet, "/v1/jobs/"+parkedJob, nil)
		if j["status"] != "working" {
			return false, fmt.Sprintf("job %v", j)
		}
		for _, tk := range list(t, via(n2), "/v1/jobs/"+parkedJob+"/tasks", nil) {
			if e, _ := tk["error"].(string); strings.Contains(e, "node n1") && strings.Contains(e, runtimes["n1"]) {
				return true, ""
			}
		}
		return false, "no task error names node n1 yet"
	})
	if got := append(instancesOn(n2), instancesOn(n3)...); len(got) > 0 {
		t.Fatalf("instances on other nodes' drivers while n1 is down: %v", got)
	}

	// n1 comes back (no --join: it remembers its peers). Its Frontgate, whose list names n1,
	// is adopted as it is; the failed job, retried, adds the node on n1.
	n1.start(t)
	eventually(t, "n2 and n3 see n1 alive", func() (bool, string) {
		st2, st3 := nodeStatus(t, via(n2), "n1"), nodeStatus(t, via(n3), "n1")
		return st2 == "alive" && st3 == "alive", st2 + " " + st3
	})
	succeed(via(n1), parkedJob) // the leader's resume round runs it again
	hostNow(n1, n2, n3)
	checkPlacement(via(n2), 2)
	if got := strings.Join(frontgateArgs(fgID), " "); got != fgPid {
		t.Fatalf("frontgate after n1's restart: %q, want the same process's %q", got, fgPid)
	}
	fgs = list(t, via(n1), "/v1/frontgates", nil)
	if fgs[0]["node_name"] != "n2" || fgs[0]["connected"] != true {
		t.Fatalf("frontgates after n1's restart = %v, want still through n2", fgs)
	}

	// kill -9 of n2, which holds the Frontgate's stream but not the runtime: the Frontgate
	// redials, the new holder is recorded, and jobs through a surviving node succeed.
	n2.s.kill()
	eventually(t, "n3 sees n2 gone", func() (bool, string) {
		st := nodeStatus(t, via(n3), "n2")
		return st != "alive" && st != "", st
	})
	eventually(t, "the frontgate redials a surviving node", func() (bool, string) {
		fgs := list(t, via(n1), "/v1/frontgates", nil)
		return len(fgs) == 1 && (fgs[0]["node_name"] == "n3" || fgs[0]["node_name"] == "n1") && fgs[0]["connected"] == true, fmt.Sprint(fgs)
	})
	acc = do(t, via(n3), http.MethodPost, "/v1/clusters/"+id+"/add_nodes", obj{"role": "node", "count": 1})
	succeed(via(n3), acc["job_id"].(string))
	checkPlacement(via(n1), 3)
	acc = do(t, via(n1), http.MethodPost, "/v1/clusters/"+id+"/service", obj{"service": "greet"})
	succeed(via(n1), acc["job_id"].(string))
	hostNow(n1, n3)
	for _, iid := range clusterInstances(via(n3)) {
		if got := readFile(t, filepath.Join(n1.dir, "local", "instances", iid, "root", "var", "greet.log")); !strings.Contains(got, "greeting") {
			t.Fatalf("greet.log of %s: %q", iid, got)
		}
	}
	t.Logf("the cluster's actor ran its successful jobs on %v", hosts)

	// Delete through n3: nothing of the cluster runs on n1 any more.
	acc = do(t, via(n3), http.MethodDelete, "/v1/clusters/"+id, nil)
	succeed(via(n3), acc["job_id"].(string))
	if pids := procsUnder(filepath.Join(n1.dir, "local")); len(pids) > 0 {
		t.Fatalf("processes of n1's local runtime left after delete: %v", pids)
	}
}
