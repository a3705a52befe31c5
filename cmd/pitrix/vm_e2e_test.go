package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/pitrix/pitrix/http/client"
	"github.com/pitrix/pitrix/internal/testutil"
)

// vmEnv is a server with the demo repo and the local runtime, whose edge listener keeps its
// address across restarts (Frontgates keep dialing it).
type vmEnv struct {
	t         *testing.T
	dataDir   string
	edge      string
	s         *server
	admin     *client.Client
	runtimeID string
	versions  map[string]string // app name → latest version id
}

func newVMEnv(t *testing.T) *vmEnv {
	t.Helper()
	return newVMEnvAt(t, t.TempDir())
}

// newVMEnvAt is newVMEnv on data dir dataDir.
func newVMEnvAt(t *testing.T, dataDir string) *vmEnv {
	t.Helper()
	e := &vmEnv{t: t, dataDir: dataDir, edge: freePort(t)}
	// Registered first, so it runs last: after the server is gone, nothing of the local
	// runtime may be left running.
	t.Cleanup(func() { killUnder(t, e.dataDir) })
	e.start()
	eventually(t, "demo apps are listed", func() (bool, string) {
		got := list(t, e.admin, "/v1/apps", nil)
		return len(got) == 3, fmt.Sprint(got)
	})
	e.versions = map[string]string{}
	for name, a := range byName(list(t, e.admin, "/v1/apps", nil), "name") {
		e.versions[name] = a["latest_version_id"].(string)
	}
	eventually(t, "the local runtime is registered", func() (bool, string) {
		for _, rt := range list(t, e.admin, "/v1/runtimes", nil) {
			if rt["provider"] == "local" {
				e.runtimeID = rt["id"].(string)
				return true, ""
			}
		}
		return false, "no local runtime"
	})
	return e
}

// start (re)starts the server on the env's data dir and edge address.
func (e *vmEnv) start() {
	e.s = startServer(e.t, e.dataDir, "--demo-src", filepath.Join(projectRoot(), "demo", "packages"), "--edge", e.edge)
	e.admin = e.s.client(e.s.token())
}

// create starts a cluster of app with conf and returns its id and the create job's id.
func (e *vmEnv) create(app string, conf obj) (string, string) {
	e.t.Helper()
	acc := do(e.t, e.admin, http.MethodPost, "/v1/clusters", obj{"name": app + "-e2e", "version_id": e.versions[app], "runtime_id": e.runtimeID, "conf": conf})
	return acc["cluster_id"].(string), acc["job_id"].(string)
}

// act runs an action and waits for its job to succeed.
func (e *vmEnv) act(clusterID, action string, body obj) obj {
	e.t.Helper()
	method, path := http.MethodPost, "/v1/clusters/"+clusterID+"/"+action
	if action == "delete" {
		method, path = http.MethodDelete, "/v1/clusters/"+clusterID
	}
	var b any
	if body != nil {
		b = body
	}
	acc := do(e.t, e.admin, method, path, b)
	return e.succeed(acc["job_id"].(string))
}

// succeed waits for a job and fails the test unless it succeeded, showing its tasks.
func (e *vmEnv) succeed(jobID string) obj {
	e.t.Helper()
	j := waitJob(e.t, e.admin, jobID)
	if j["status"] != "successful" {
		var lines []string
		for _, tk := range list(e.t, e.admin, "/v1/jobs/"+jobID+"/tasks", nil) {
			lines = append(lines, fmt.Sprintf("L%v %v %v %v attempts=%v err=%v out=%v", tk["layer"], tk["action"], tk["target"], tk["status"], tk["attempts"], tk["error"], tk["output"]))
		}
		e.t.Fatalf("job %s (%s) = %s: %v\n%s", jobID, j["action"], j["status"], j["error"], strings.Join(lines, "\n"))
	}
	return j
}

func (e *vmEnv) cluster(id string) obj {
	e.t.Helper()
	return do(e.t, e.admin, http.MethodGet, "/v1/clusters/"+id, nil)
}

// nodes returns the cluster's nodes by role.
func (e *vmEnv) nodes(id string) map[string][]obj {
	e.t.Helper()
	out := map[string][]obj{}
	for _, n := range list(e.t, e.admin, "/v1/clusters/"+id+"/nodes", nil) {
		out[n["role"].(string)] = append(out[n["role"].(string)], n)
	}
	return out
}

// root is where the local runtime keeps what an instance wrote to its root (its sandbox's
// upper layer): the instance's /etc/x is root/etc/x.
func (e *vmEnv) root(instanceID string) string {
	return filepath.Join(e.dataDir, "local", "instances", instanceID, "root")
}

// volume is the host directory of an instance's volume (mounted at its mount point inside).
func (e *vmEnv) volume(instanceID string) string {
	return filepath.Join(e.dataDir, "local", "instances", instanceID, "volume")
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// procsUnder lists the pids of processes whose command line or working directory names dir,
// and of every process in the sandbox (PID namespace) of one of them: a local instance's
// sandbox init names its directory, what runs inside does not.
func procsUnder(dir string) []int {
	ents, _ := os.ReadDir("/proc")
	self, _ := os.Readlink("/proc/self/ns/pid")
	var out []int
	sandboxes := map[string]bool{}
	nsOf := map[int]string{}
	for _, ent := range ents {
		pid, err := strconv.Atoi(ent.Name())
		if err != nil || pid == os.Getpid() {
			continue
		}
		ns, _ := os.Readlink(filepath.Join("/proc", ent.Name(), "ns", "pid"))
		nsOf[pid] = ns
		cmdline, _ := os.ReadFile(filepath.Join("/proc", ent.Name(), "cmdline"))
		cwd, _ := os.Readlink(filepath.Join("/proc", ent.Name(), "cwd"))
		if strings.Contains(string(cmdline), dir) || cwd == dir || strings.HasPrefix(cwd, dir+"/") {
			out = append(out, pid)
			if ns != "" && ns != self {
				sandboxes[ns] = true
			}
		}
	}
	for pid, ns := range nsOf {
		if sandboxes[ns] && !slices.Contains(out, pid) {
			out = append(out, pid)
		}
	}
	return out
}

// inInstance runs script with sh inside a local instance's sandbox (its mount namespace and
// root), as someone logged into the VM would; files of the instance change only this way
// while it runs (its root is an overlay's upper layer).
// stdin, if given, is the script's input.
func (e *vmEnv) inInstance(instanceID, script string, stdin ...string) string {
	e.t.Helper()
	var rec struct {
		PID int `json:"pid"`
	}
	b, err := os.ReadFile(filepath.Join(e.dataDir, "local", "instances", instanceID, "drone.pid"))
	if err == nil {
		err = json.Unmarshal(b, &rec)
	}
	if err != nil {
		e.t.Fatalf("the sandbox of %s: %v", instanceID, err)
	}
	cmd := exec.Command("nsenter", "-t", strconv.Itoa(rec.PID), "-m", "-r", "-w", "/bin/sh", "-c", script)
	cmd.Stdin = strings.NewReader(strings.Join(stdin, ""))
	out, err := cmd.CombinedOutput()
	if err != nil {
		e.t.Fatalf("in %s: %s: %v: %s", instanceID, script, err, out)
	}
	return string(out)
}

// killUnder kills whatever a test left running under dir, and fails the test if there was
// anything: deleting a VPC's last cluster stops its Frontgate too.
func killUnder(t *testing.T, dir string) {
	var left []string
	for _, pid := range procsUnder(dir) {
		cmdline, _ := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "cmdline"))
		_ = syscall.Kill(pid, syscall.SIGKILL)
		left = append(left, fmt.Sprintf("%d %s", pid, strings.ReplaceAll(string(cmdline), "\x00", " ")))
	}
	if len(left) > 0 && !t.Failed() {
		t.Errorf("processes were left running under %s:\n%s", dir, strings.Join(left, "\n"))
	}
}

// drones counts the running Drone processes of instances.
func drones(ids []string) int {
	n := 0
	for _, pid := range procsUnder(string(filepath.Separator)) {
		cmdline, _ := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "cmdline"))
		args := strings.Split(string(cmdline), "\x00")
		if len(args) > 1 && args[1] == "drone" {
			for _, id := range ids {
				if slices.Contains(args, id) {
					n++
				}
			}
		}
	}
	return n
}

// initOnce checks that the init service ran exactly once on each node (hello logs each run).
func (e *vmEnv) initOnce(nodes []obj) {
	e.t.Helper()
	for _, n := range nodes {
		got := readFile(e.t, filepath.Join(e.root(n["instance_id"].(string)), "var", "init.log"))
		if strings.Count(got, "\n") != 1 {
			e.t.Fatalf("init ran %d times on %s:\n%s", strings.Count(got, "\n"), n["id"], got)
		}
	}
}

func instanceIDs(nodes map[string][]obj) []string {
	var ids []string
	for _, ns := range nodes {
		for _, n := range ns {
			ids = append(ids, n["instance_id"].(string))
		}
	}
	slices.Sort(ids)
	return ids
}

// TestVMHelloLifecycle drives the dependency-free demo app through every action on the local
// runtime: real Frontgate and Drone processes, confd renders, service commands.
func TestVMHelloLifecycle(t *testing.T) {
	e := newVMEnv(t)
	id, job := e.create("hello", obj{"cluster": obj{"node": obj{"count": 2}}, "env": obj{"greeting": "hi there"}})
	e.succeed(job)
	c := e.cluster(id)
	if c["status"] != "active" || c["transition_status"] != "" {
		t.Fatalf("after create: %v / %v", c["status"], c["transition_status"])
	}
	nodes := e.nodes(id)["node"]
	if len(nodes) != 2 {
		t.Fatalf("nodes = %v", nodes)
	}
	var ips []string
	for _, n := range nodes {
		ip := n["private_ip"].(string)
		if !strings.HasPrefix(ip, "127.") || n["status"] != "running" {
			t.Fatalf("node %v: want a running node on loopback", n)
		}
		ips = append(ips, ip)
	}
	for _, n := range nodes {
		got := readFile(t, filepath.Join(e.root(n["instance_id"].(string)), "greeting.txt"))
		if !strings.Contains(got, "greeting = hi there") || !strings.Contains(got, "me = "+n["private_ip"].(string)) {
			t.Fatalf("greeting.txt of %s:\n%s", n["id"], got)
		}
		for _, ip := range ips {
			if !strings.Contains(got, "member = "+ip) {
				t.Fatalf("greeting.txt of %s does not list member %s:\n%s", n["id"], ip, got)
			}
		}
	}
	if got := drones(instanceIDs(e.nodes(id))); got != 2 {
		t.Fatalf("%d drone processes, want 2", got)
	}
	e.initOnce(nodes)
	eventually(t, "every node reports healthy", func() (bool, string) {
		got := e.nodes(id)["node"]
		for _, n := range got {
			if n["health"] != "healthy" {
				return false, fmt.Sprint(got)
			}
		}
		return true, ""
	})
	// A node whose health check fails is reported unhealthy, and healthy again once it passes.
	sickID := nodes[0]["instance_id"].(string)
	saved := readFile(t, filepath.Join(e.root(sickID), "greeting.txt"))
	e.inInstance(sickID, "rm /greeting.txt")
	healthOf := func(want string) func() (bool, string) {
		return func() (bool, string) {
			for _, n := range e.nodes(id)["node"] {
				if n["id"] == nodes[0]["id"] {
					return n["health"] == want, fmt.Sprint(n)
				}
			}
			return false, "node gone"
		}
	}
	eventually(t, "the node is reported unhealthy", healthOf("unhealthy"))
	e.inInstance(sickID, "cat > /greeting.txt", saved)
	eventually(t, "the node is reported healthy again", healthOf("healthy"))
	// The VPC's Frontgate is known with its runtime and its Drones.
	fgs := list(t, e.admin, "/v1/frontgates", nil)
	if len(fgs) != 1 || fgs[0]["runtime_id"] != e.runtimeID || fgs[0]["connected"] != true || len(fgs[0]["drones"].([]any)) != 2 {
		t.Fatalf("frontgates = %v", fgs)
	}

	// update_env re-renders every node and runs the reload command.
	e.act(id, "update_env", obj{"env": obj{"greeting": "bonjour"}})
	for _, n := range nodes {
		root := e.root(n["instance_id"].(string))
		if got := readFile(t, filepath.Join(root, "etc", "hello.conf")); !strings.Contains(got, "greeting = bonjour") {
			t.Fatalf("hello.conf of %s after update_env:\n%s", n["id"], got)
		}
		if got := readFile(t, filepath.Join(root, "reloads.log")); strings.Count(got, "reloaded") < 1 {
			t.Fatalf("reloads.log of %s: %q", n["id"], got)
		}
	}

	// A custom service runs on every node; restart runs the services again.
	e.act(id, "service", obj{"service": "greet"})
	for _, n := range nodes {
		if got := readFile(t, filepath.Join(e.root(n["instance_id"].(string)), "var", "greet.log")); !strings.Contains(got, "greeting = bonjour") {
			t.Fatalf("greet.log of %s: %q", n["id"], got)
		}
	}
	e.act(id, "restart", nil)
	err := e.admin.Do(ctxT(t), http.MethodPost, "/v1/clusters/"+id+"/service", nil, obj{"service": "nope"}, nil)
	if ae := apiErr(t, err, http.StatusBadRequest, "invalid_argument"); !strings.Contains(fmt.Sprint(ae.Details), "greet") {
		t.Fatalf("unknown service error does not list the services: %v", ae.Details)
	}

	// Scale out: the new node gets the next index and every node lists three members.
	e.act(id, "add_nodes", obj{"role": "node", "count": 1})
	nodes = e.nodes(id)["node"]
	if len(nodes) != 3 || !strings.HasSuffix(nodes[2]["id"].(string), "-3") {
		t.Fatalf("after add_nodes: %v", nodes)
	}
	for _, n := range nodes {
		if got := readFile(t, filepath.Join(e.root(n["instance_id"].(string)), "etc", "hello.conf")); strings.Count(got, "member = ") != 3 {
			t.Fatalf("hello.conf of %s after add_nodes:\n%s", n["id"], got)
		}
	}
	// Scale in: the removed node's instance is gone.
	gone := nodes[0]
	e.act(id, "delete_nodes", obj{"node_ids": []string{gone["id"].(string)}})
	nodes = e.nodes(id)["node"]
	if len(nodes) != 2 {
		t.Fatalf("after delete_nodes: %v", nodes)
	}
	if _, err := os.Stat(e.root(gone["instance_id"].(string))); !os.IsNotExist(err) {
		t.Fatalf("the deleted node's root is still there: %v", err)
	}
	for _, n := range nodes {
		if got := readFile(t, filepath.Join(e.root(n["instance_id"].(string)), "etc", "hello.conf")); strings.Count(got, "member = ") != 2 {
			t.Fatalf("hello.conf of %s after delete_nodes:\n%s", n["id"], got)
		}
	}

	// Stop: the stop service ran and no Drone runs; start brings them back.
	e.act(id, "stop", nil)
	if c := e.cluster(id); c["status"] != "stopped" {
		t.Fatalf("after stop: %v", c["status"])
	}
	for _, n := range nodes {
		if _, err := os.Stat(filepath.Join(e.root(n["instance_id"].(string)), "greeting.txt")); !os.IsNotExist(err) {
			t.Fatalf("the stop service did not run on %s", n["id"])
		}
	}
	if got := drones(instanceIDs(e.nodes(id))); got != 0 {
		t.Fatalf("%d drone processes after stop", got)
	}
	for _, n := range e.nodes(id)["node"] {
		if n["status"] != "stopped" || n["health"] != "" {
			t.Fatalf("stopped node %v: want status stopped and no (stale) health", n)
		}
	}
	// An action not allowed now: 409.
	err = e.admin.Do(ctxT(t), http.MethodPost, "/v1/clusters/"+id+"/stop", nil, nil, nil)
	apiErr(t, err, http.StatusConflict, "failed_precondition")
	e.act(id, "start", nil)
	if got := drones(instanceIDs(e.nodes(id))); got != 2 {
		t.Fatalf("%d drone processes after start, want 2", got)
	}

	// Delete: nothing of the cluster keeps running; the record stays as deleted.
	ids := instanceIDs(e.nodes(id))
	e.act(id, "delete", nil)
	if c := e.cluster(id); c["status"] != "deleted" {
		t.Fatalf("after delete: %v", c["status"])
	}
	for _, iid := range ids {
		if pids := procsUnder(filepath.Join(e.dataDir, "local", "instances", iid)); len(pids) > 0 {
			t.Fatalf("processes of %s remain: %v", iid, pids)
		}
	}
}

// TestVMBadInput: bad conf, unknown version, wrong runtime type get a 4xx and create nothing.
func TestVMBadInput(t *testing.T) {
	e := newVMEnv(t)
	post := func(body obj) error {
		return e.admin.Do(ctxT(t), http.MethodPost, "/v1/clusters", nil, body, nil)
	}
	base := func() obj {
		return obj{"name": "bad", "version_id": e.versions["redis"], "runtime_id": e.runtimeID}
	}
	b := base()
	b["conf"] = obj{"cluster": obj{"replica": obj{"count": 50}}, "env": obj{"maxmemory": "lots", "port": 1}}
	ae := apiErr(t, post(b), http.StatusBadRequest, "invalid_argument")
	for _, key := range []string{"conf.cluster.replica.count", "conf.env.maxmemory", "conf.env.port"} {
		if _, ok := ae.Details[key]; !ok {
			t.Errorf("bad conf error does not name %s: %v", key, ae)
		}
	}
	b = base()
	b["version_id"] = "appv-nope"
	if ae := apiErr(t, post(b), http.StatusBadRequest, "invalid_argument"); !strings.Contains(fmt.Sprint(ae.Details), "appv-nope") {
		t.Errorf("unknown version error: %v", ae)
	}
	b = base()
	b["version_id"] = e.versions["web"] // a chart: not for the local runtime
	if ae := apiErr(t, post(b), http.StatusBadRequest, "invalid_argument"); !strings.Contains(fmt.Sprint(ae.Details), "runtime") {
		t.Errorf("wrong runtime error: %v", ae)
	}
	if got := list(t, e.admin, "/v1/clusters", nil); len(got) != 0 {
		t.Fatalf("clusters after bad input: %v", got)
	}
	if ents, _ := os.ReadDir(filepath.Join(e.dataDir, "local", "instances")); len(ents) != 0 {
		t.Fatalf("instances after bad input: %v", ents)
	}
}

// redisCLI runs redis-cli against host:port.
func redisCLI(t *testing.T, host string, args ...string) (string, error) {
	t.Helper()
	out, err := exec.CommandContext(ctxT(t), "redis-cli", append([]string{"-h", host, "-p", "6379"}, args...)...).CombinedOutput()
	return strings.TrimSpace(string(out)), err
}

// needRedis skips without Debian's redis-server locally; CI installs it, so there it fails.
func needRedis(t *testing.T) {
	if _, err := exec.LookPath("redis-server"); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("redis-server is not installed (make test installs it: scripts/test-deps.sh): %v", err)
		}
		t.Skipf("redis-server is not installed: %v", err)
	}
}

// TestVMRedis: the demo Redis app, 1 master + 2 replicas, for real: replication, scale-out,
// update env, stop/start, delete.
func TestVMRedis(t *testing.T) {
	needRedis(t)
	e := newVMEnv(t)
	id, job := e.create("redis", obj{"cluster": obj{"replica": obj{"count": 2}}})
	e.succeed(job)
	nodes := e.nodes(id)
	if len(nodes["master"]) != 1 || len(nodes["replica"]) != 2 {
		t.Fatalf("nodes = %v", nodes)
	}
	master := nodes["master"][0]["private_ip"].(string)
	if out, err := redisCLI(t, master, "set", "greeting", "hello"); err != nil || out != "OK" {
		t.Fatalf("set on the master %s = %q, %v", master, out, err)
	}
	readOnEach := func(replicas []obj, key, want string) {
		for _, r := range replicas {
			ip := r["private_ip"].(string)
			eventually(t, "replica "+ip+" has "+key, func() (bool, string) {
				out, err := redisCLI(t, ip, "get", key)
				return err == nil && out == want, fmt.Sprintf("%q %v", out, err)
			})
		}
	}
	readOnEach(nodes["replica"], "greeting", "hello")

	// A new replica syncs from the master.
	e.act(id, "add_nodes", obj{"role": "replica", "count": 1})
	nodes = e.nodes(id)
	if len(nodes["replica"]) != 3 {
		t.Fatalf("replicas after add_nodes = %v", nodes["replica"])
	}
	readOnEach(nodes["replica"][2:], "greeting", "hello")

	// update_env reaches every node's config file and the running server.
	e.act(id, "update_env", obj{"env": obj{"maxmemory": "300mb"}})
	for _, ns := range nodes {
		for _, n := range ns {
			ip := n["private_ip"].(string)
			if out, err := redisCLI(t, ip, "config", "get", "maxmemory"); err != nil || !strings.HasSuffix(out, "314572800") {
				t.Fatalf("maxmemory on %s = %q, %v", ip, out, err)
			}
			if conf := readFile(t, filepath.Join(e.volume(n["instance_id"].(string)), "redis", "redis.conf")); !strings.Contains(conf, "maxmemory 300mb") {
				t.Fatalf("redis.conf of %s:\n%s", n["id"], conf)
			}
		}
	}

	// Stop: no server answers; start: they do again, with the data (appendonly).
	e.act(id, "stop", nil)
	if _, err := redisCLI(t, master, "ping"); err == nil {
		out, _ := redisCLI(t, master, "ping")
		if out == "PONG" {
			t.Fatal("the master answers after stop")
		}
	}
	e.act(id, "start", nil)
	eventually(t, "the master answers after start", func() (bool, string) {
		out, err := redisCLI(t, master, "get", "greeting")
		return err == nil && out == "hello", fmt.Sprintf("%q %v", out, err)
	})

	// Delete: no process and no listener of the cluster remains.
	all := e.nodes(id)
	e.act(id, "delete", nil)
	for _, ns := range all {
		for _, n := range ns {
			ip := n["private_ip"].(string)
			if c, err := net.DialTimeout("tcp", ip+":6379", time.Second); err == nil {
				c.Close()
				t.Fatalf("something still listens on %s:6379 after delete", ip)
			}
			if pids := procsUnder(filepath.Join(e.dataDir, "local", "instances", n["instance_id"].(string))); len(pids) > 0 {
				t.Fatalf("processes of %s remain: %v", n["instance_id"], pids)
			}
		}
	}
}

// uploadHello uploads a variant of the demo hello package as app name and returns its
// version id.
func (e *vmEnv) uploadHello(name string, change func(files map[string][]byte)) string {
	e.t.Helper()
	files := demoFiles(e.t, "hello")
	files["package.json"] = []byte(`{"name": "` + name + `", "version": "1.0.0", "description": "a variant of hello"}`)
	change(files)
	var up struct{ Version obj }
	if err := e.admin.Do(ctxT(e.t), http.MethodPost, "/v1/apps", url.Values{"type": {"vm"}}, bytes.NewReader(tgz(e.t, name, files)), &up); err != nil {
		e.t.Fatal(err)
	}
	e.versions[name] = up.Version["id"].(string)
	return e.versions[name]
}

// TestVMKillDuringCreate kills the server (-9) in the middle of creates, after different
// numbers of finished tasks (the VPC; the instances; the renders, with the init commands
// running on the Drones), and restarts it: each job finishes, each cluster has exactly the
// instances it asked for, and init ran once on each.
func TestVMKillDuringCreate(t *testing.T) {
	e := newVMEnv(t)
	e.uploadHello("slowinit", func(files map[string][]byte) {
		files["cluster.json.tmpl"] = []byte(strings.Replace(string(files["cluster.json.tmpl"]), `"init": {"cmd": "`, `"init": {"cmd": "sleep 1; `, 1))
	})
	for _, after := range []int{1, 4, 8} {
		id, job := e.create("slowinit", obj{"cluster": obj{"node": obj{"count": 3}}})
		var status any
		eventually(t, fmt.Sprintf("%d tasks of %s done", after, job), func() (bool, string) {
			j := do(t, e.admin, http.MethodGet, "/v1/jobs/"+job, nil)
			status = j["status"]
			return j["tasks_done"].(float64) >= float64(after), fmt.Sprint(j["tasks_done"], j["status"])
		})
		e.s.kill()
		if status != "working" {
			t.Fatalf("kill after %d tasks: the job was %v just before the kill, want working", after, status)
		}
		e.start()
		e.succeed(job)
		nodes := e.nodes(id)["node"]
		ids := instanceIDs(map[string][]obj{"node": nodes})
		if len(ids) != 3 {
			t.Fatalf("kill after %d tasks: nodes = %v", after, nodes)
		}
		var dirs []string
		ents, _ := os.ReadDir(filepath.Join(e.dataDir, "local", "instances"))
		for _, ent := range ents {
			if strings.Contains(ent.Name(), strings.TrimPrefix(id, "cl-")) {
				dirs = append(dirs, ent.Name())
			}
		}
		if !slices.Equal(dirs, ids) {
			t.Fatalf("kill after %d tasks: instance dirs %v, nodes %v", after, dirs, ids)
		}
		if got := drones(ids); got != 3 {
			t.Fatalf("kill after %d tasks: %d drone processes, want 3", after, got)
		}
		e.initOnce(nodes)
		e.act(id, "delete", nil)
		if got := drones(ids); got != 0 {
			t.Fatalf("kill after %d tasks: %d drone processes after delete", after, got)
		}
	}
}

// demoFiles reads the files of a demo VM package.
func demoFiles(t *testing.T, name string) map[string][]byte {
	t.Helper()
	return testutil.ReadTree(t, filepath.Join(projectRoot(), "demo", "packages", "vm", name))
}

// pidOf finds the pid of the agent (frontgate or drone) whose command line names id.
func pidOf(t *testing.T, dir, kind, id string) int {
	t.Helper()
	for _, pid := range procsUnder(dir) {
		cmdline, _ := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "cmdline"))
		args := strings.Split(string(cmdline), "\x00")
		if len(args) > 1 && args[1] == kind && slices.Contains(args, id) {
			return pid
		}
	}
	t.Fatalf("no %s process of %s", kind, id)
	return 0
}

// waitTask waits until a task of job with action is in status.
func (e *vmEnv) waitTask(job, action, status string) obj {
	e.t.Helper()
	var found obj
	eventually(e.t, fmt.Sprintf("a %s task of %s is %s", action, job, status), func() (bool, string) {
		for _, tk := range list(e.t, e.admin, "/v1/jobs/"+job+"/tasks", nil) {
			if tk["action"] == action && tk["status"] == status {
				found = tk
				return true, ""
			}
		}
		return false, ""
	})
	return found
}

// TestVMEdgeFaults: the Frontgate cut for a while in the middle of a scale-out, and a Drone
// killed in the middle of a render (and started again): both jobs end right, and no command
// ran twice.
func TestVMEdgeFaults(t *testing.T) {
	e := newVMEnv(t)
	// hello with a slow reload, so that a render is caught in the middle.
	e.uploadHello("slowhello", func(files map[string][]byte) {
		files["confd/conf.d/hello.toml"] = []byte(strings.Replace(string(files["confd/conf.d/hello.toml"]),
			`reload_cmd = "echo`, `reload_cmd = "sleep 2; echo`, 1))
	})
	id, job := e.create("slowhello", obj{"cluster": obj{"node": obj{"count": 1}}})
	e.succeed(job)
	fg := list(t, e.admin, "/v1/frontgates", nil)[0]["id"].(string)

	// Scale out while the Frontgate is frozen for two seconds.
	acc := do(t, e.admin, http.MethodPost, "/v1/clusters/"+id+"/add_nodes", obj{"role": "node", "count": 2})
	e.waitTask(acc["job_id"].(string), "vm.create_instance", "successful")
	pid := pidOf(t, e.dataDir, "frontgate", fg)
	if err := syscall.Kill(pid, syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	time.Sleep(2 * time.Second) // the cut: the fault's duration, not a wait for a condition
	if err := syscall.Kill(pid, syscall.SIGCONT); err != nil {
		t.Fatal(err)
	}
	e.succeed(acc["job_id"].(string))
	e.logTasks(acc["job_id"].(string))
	nodes := e.nodes(id)["node"]
	if len(nodes) != 3 {
		t.Fatalf("after scale-out: %v", nodes)
	}
	e.initOnce(nodes)

	// Kill a Drone while its render's reload runs; the task restarts it and the job ends right.
	acc = do(t, e.admin, http.MethodPost, "/v1/clusters/"+id+"/update_env", obj{"env": obj{"greeting": "hola"}})
	e.waitTask(acc["job_id"].(string), "vm.render", "working")
	victim := nodes[0]["instance_id"].(string)
	if err := syscall.Kill(pidOf(t, e.dataDir, "drone", victim), syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	e.succeed(acc["job_id"].(string))
	e.logTasks(acc["job_id"].(string))
	for _, n := range nodes {
		root := e.root(n["instance_id"].(string))
		if got := readFile(t, filepath.Join(root, "etc", "hello.conf")); !strings.Contains(got, "greeting = hola") {
			t.Fatalf("hello.conf of %s:\n%s", n["id"], got)
		}
	}
	if got := drones(instanceIDs(e.nodes(id))); got != 3 {
		t.Fatalf("%d drone processes, want 3", got)
	}
	e.initOnce(nodes)
	e.act(id, "delete", nil)
}

func (e *vmEnv) logTasks(job string) {
	for _, tk := range list(e.t, e.admin, "/v1/jobs/"+job+"/tasks", nil) {
		e.t.Logf("L%v %v %v %v attempts=%v %v..%v err=%v", tk["layer"], tk["action"], tk["target"], tk["status"], tk["attempts"], tk["started_at"], tk["finished_at"], tk["error"])
	}
}

// sizedHello is the demo hello package with cpu and memory per node (to resize) under another
// name; version 2 renders a version line and has an upgrade service.
func sizedHello(t *testing.T, version string) []byte {
	t.Helper()
	files := demoFiles(t, "hello")
	files["package.json"] = []byte(`{"name": "hello2", "version": "` + version + `", "description": "hello with sizes"}`)
	files["config.json"] = []byte(strings.Replace(string(files["config.json"]),
		`{"key": "count", "type": "integer", "default": 1, "min": 1, "max": 3}`,
		`{"key": "count", "type": "integer", "default": 1, "min": 1, "max": 3},
        {"key": "cpu", "type": "integer", "default": 1, "range": [1, 2, 4]},
        {"key": "memory", "type": "integer", "default": 512, "min": 256, "max": 4096}`, 1))
	tmpl := strings.Replace(string(files["cluster.json.tmpl"]), `"count": {{cluster.node.count}},`,
		`"count": {{cluster.node.count}}, "cpu": {{cluster.node.cpu}}, "memory": {{cluster.node.memory}},`, 1)
	if version != "1.0.0" {
		// Version 2 drops the memory setting: an upgrade carries the rest of the conf over.
		files["config.json"] = []byte(strings.Replace(string(files["config.json"]),
			`,
        {"key": "memory", "type": "integer", "default": 512, "min": 256, "max": 4096}`, "", 1))
		tmpl = strings.Replace(tmpl, `{{cluster.node.memory}}`, `512`, 1)
		tmpl = strings.Replace(tmpl, `"services": {`, `"services": {
      "upgrade": {"cmd": "echo upgraded >> \"$PITRIX_ROOT/var/upgrade.log\""},`, 1)
		files["confd/templates/hello.conf.tmpl"] = append(files["confd/templates/hello.conf.tmpl"], []byte("version = 2\n")...)
	}
	files["cluster.json.tmpl"] = []byte(tmpl)
	if !strings.Contains(string(files["config.json"]), `"cpu"`) || !strings.Contains(tmpl, `{{cluster.node.cpu}}`) {
		t.Fatal("the demo hello package changed: sizedHello no longer applies")
	}
	return tgz(t, "hello2", files)
}

// TestVMResizeUpgradeRecover: resize, upgrade to another version, delete, recover, cease.
func TestVMResizeUpgradeRecover(t *testing.T) {
	e := newVMEnv(t)
	var up struct{ App, Version obj }
	if err := e.admin.Do(ctxT(t), http.MethodPost, "/v1/apps", url.Values{"type": {"vm"}}, bytes.NewReader(sizedHello(t, "1.0.0")), &up); err != nil {
		t.Fatal(err)
	}
	v1 := up.Version["id"].(string)
	if err := e.admin.Do(ctxT(t), http.MethodPost, "/v1/apps/"+up.App["id"].(string)+"/versions", url.Values{"type": {"vm"}}, bytes.NewReader(sizedHello(t, "2.0.0")), &up); err != nil {
		t.Fatal(err)
	}
	v2 := up.Version["id"].(string)
	e.versions["hello2"] = v1
	id, job := e.create("hello2", obj{"cluster": obj{"node": obj{"count": 2}}})
	e.succeed(job)

	// Resize: every node is stopped, resized and started again with the new size.
	e.act(id, "resize", obj{"roles": []obj{{"role": "node", "cpu": 2, "memory": 1024}}})
	c := e.cluster(id)
	roles := c["roles"].([]any)
	if r := roles[0].(map[string]any); r["cpu"] != float64(2) || r["memory"] != float64(1024) || r["count"] != float64(2) {
		t.Fatalf("roles after resize = %v", roles)
	}
	nodes := e.nodes(id)["node"]
	for _, n := range nodes {
		if _, err := os.Stat(filepath.Join(e.root(n["instance_id"].(string)), "greeting.txt")); err != nil {
			t.Fatalf("%s was not started again after resize: %v", n["id"], err)
		}
	}
	if got := drones(instanceIDs(e.nodes(id))); got != 2 {
		t.Fatalf("%d drone processes after resize, want 2", got)
	}
	err := e.admin.Do(ctxT(t), http.MethodPost, "/v1/clusters/"+id+"/resize", nil, obj{"roles": []obj{{"role": "node", "cpu": 3}}}, nil)
	apiErr(t, err, http.StatusBadRequest, "invalid_argument")

	// Upgrade: the new version's confd templates and its upgrade service.
	e.act(id, "upgrade", obj{"version_id": v2})
	if c := e.cluster(id); c["version_id"] != v2 || c["status"] != "active" || strings.Contains(fmt.Sprint(c["conf"]), "memory") {
		t.Fatalf("after upgrade: version %v, status %v, conf %v", c["version_id"], c["status"], c["conf"])
	}
	for _, n := range nodes {
		root := e.root(n["instance_id"].(string))
		if got := readFile(t, filepath.Join(root, "etc", "hello.conf")); !strings.Contains(got, "version = 2") {
			t.Fatalf("hello.conf of %s after upgrade:\n%s", n["id"], got)
		}
		if got := readFile(t, filepath.Join(root, "var", "upgrade.log")); got != "upgraded\n" {
			t.Fatalf("upgrade.log of %s: %q", n["id"], got)
		}
	}

	// Rollback: back to the version the upgrade left.
	e.act(id, "rollback", nil)
	if c := e.cluster(id); c["version_id"] != v1 || c["prev_version_id"] != v2 {
		t.Fatalf("after rollback: version %v, previous %v", c["version_id"], c["prev_version_id"])
	}
	for _, n := range nodes {
		if got := readFile(t, filepath.Join(e.root(n["instance_id"].(string)), "etc", "hello.conf")); strings.Contains(got, "version = 2") {
			t.Fatalf("hello.conf of %s after rollback:\n%s", n["id"], got)
		}
	}

	// Delete, then recover: the cluster comes back with its nodes.
	e.act(id, "delete", nil)
	if got := drones(instanceIDs(map[string][]obj{"node": nodes})); got != 0 {
		t.Fatalf("%d drone processes after delete", got)
	}
	err = e.admin.Do(ctxT(t), http.MethodPost, "/v1/clusters/"+id+"/update_env", nil, obj{"env": obj{"greeting": "x"}}, nil)
	apiErr(t, err, http.StatusConflict, "failed_precondition")
	e.act(id, "recover", nil)
	if c := e.cluster(id); c["status"] != "active" {
		t.Fatalf("after recover: %v", c["status"])
	}
	recovered := e.nodes(id)["node"]
	if len(recovered) != 2 || drones(instanceIDs(e.nodes(id))) != 2 {
		t.Fatalf("after recover: nodes %v", recovered)
	}
	for _, n := range recovered {
		if _, err := os.Stat(filepath.Join(e.root(n["instance_id"].(string)), "greeting.txt")); err != nil {
			t.Fatalf("%s is not started after recover: %v", n["id"], err)
		}
	}
	e.act(id, "delete", nil)
	e.act(id, "cease", nil)
	if c := e.cluster(id); c["status"] != "ceased" {
		t.Fatalf("after cease: %v", c["status"])
	}
}

// TestVMPreCheck: a scale-out whose pre_check fails creates nothing and leaves the cluster
// active; once the check passes, retrying the job runs it again and the nodes are added.
func TestVMPreCheck(t *testing.T) {
	e := newVMEnv(t)
	e.uploadHello("guarded", func(files map[string][]byte) {
		files["cluster.json.tmpl"] = []byte(strings.Replace(string(files["cluster.json.tmpl"]), `"services": {`,
			`"services": {
      "scale_out": {"cmd": "echo scaled >> \"$PITRIX_ROOT/var/scale.log\"", "pre_check": "test -f \"$PITRIX_ROOT/allow\""},`, 1))
	})
	id, job := e.create("guarded", obj{"cluster": obj{"node": obj{"count": 1}}})
	e.succeed(job)
	first := e.nodes(id)["node"][0]
	acc := do(t, e.admin, http.MethodPost, "/v1/clusters/"+id+"/add_nodes", obj{"role": "node", "count": 1})
	j := waitJob(t, e.admin, acc["job_id"].(string))
	if j["status"] != "failed" || !strings.Contains(j["error"].(string), "pre_check") {
		t.Fatalf("add_nodes with a failing pre_check = %v: %v", j["status"], j["error"])
	}
	if c := e.cluster(id); c["status"] != "active" || len(e.nodes(id)["node"]) != 1 {
		t.Fatalf("after the refused scale-out: %v, nodes %v", c["status"], e.nodes(id))
	}
	e.inInstance(first["instance_id"].(string), "touch /allow")
	do(t, e.admin, http.MethodPost, "/v1/jobs/"+acc["job_id"].(string)+"/retry", nil)
	e.succeed(acc["job_id"].(string))
	nodes := e.nodes(id)["node"]
	if len(nodes) != 2 {
		t.Fatalf("after the retried scale-out: %v", nodes)
	}
	if got := readFile(t, filepath.Join(e.root(first["instance_id"].(string)), "var", "scale.log")); got != "scaled\n" {
		t.Fatalf("scale_out on the existing node: %q", got)
	}
	e.initOnce(nodes)
	e.act(id, "delete", nil)
}
