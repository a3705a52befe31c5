package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"mime/multipart"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pitrix/pitrix/providers/pkgrepo"
)

// zkFiles is a package in AppCenter's shape, written for these tests: no package.json, a
// config.json with a dashed env key, cluster.json.mustache with AppCenter's bare placeholders
// and a named role, locale/, and confd resources whose template does its arithmetic on
// metadata strings (as AppCenter's confd allows). Its reload_cmd always fails (the render
// status says so, the job goes on) and its stop always fails (delete needs --force).
func zkFiles() map[string][]byte {
	return map[string][]byte{
		"config.json": []byte(`{
  "type": "array",
  "properties": [
    {"key": "cluster", "description": "ZooKeeper cluster properties", "type": "array", "properties": [
      {"key": "name", "label": "Name", "type": "string", "default": "ZooKeeper", "required": "no"},
      {"key": "description", "label": "Description", "type": "string", "default": "", "required": "no"},
      {"key": "zk_node", "label": "ZooKeeper Node", "type": "array", "properties": [
        {"key": "cpu", "label": "CPU", "type": "integer", "default": 1, "range": [1, 2, 4], "required": "yes"},
        {"key": "memory", "label": "Memory", "type": "integer", "default": 1024, "range": [1024, 2048], "required": "yes"},
        {"key": "count", "label": "Count", "type": "integer", "default": 3, "range": [1, 3, 5], "required": "yes"}
      ]}
    ]},
    {"key": "env", "description": "application configuration properties", "type": "array", "properties": [
      {"key": "tickTime", "label": "tickTime", "type": "integer", "default": 2000, "min": 1000, "max": 10000, "required": "yes", "changeable": true},
      {"key": "max-client-cnxns", "label": "maxClientCnxns", "type": "integer", "default": 1000, "min": 1, "required": "yes", "changeable": true}
    ]}
  ]
}`),
		"cluster.json.mustache": []byte(`{
  "name": {{cluster.name}},
  "description": {{cluster.description}},
  "nodes": [{
    "role": "zk_node",
    "container": {"type": "process"},
    "count": {{cluster.zk_node.count}},
    "cpu": {{cluster.zk_node.cpu}},
    "memory": {{cluster.zk_node.memory}},
    "services": {
      "init": {"cmd": "mkdir -p \"$PITRIX_ROOT/data/zookeeper\" && echo \"$PITRIX_INSTANCE_ID\" > \"$PITRIX_ROOT/data/zookeeper/myid\""},
      "start": {"cmd": "cp \"$PITRIX_ROOT/opt/zookeeper/conf/zoo.cfg\" \"$PITRIX_ROOT/data/zookeeper/running.cfg\""},
      "stop": {"cmd": "echo 'zkServer.sh stop: no zookeeper to stop (pid file missing)' >&2; exit 9"}
    }
  }],
  "env": {
    "tickTime": {{env.tickTime}},
    "max-client-cnxns": {{env.max-client-cnxns}}
  }
}`),
		"locale/zh-cn.json": []byte(`{"Name": "名称", "ZooKeeper Node": "ZooKeeper 节点"}`),
		"confd/conf.d/zoo.cfg.toml": []byte(`[template]
src = "zoo.cfg.tmpl"
dest = "/opt/zookeeper/conf/zoo.cfg"
keys = ["/"]
reload_cmd = "echo reload >> \"$PITRIX_ROOT/data/zookeeper/reloads.log\"; echo 'zkServer.sh restart: not running' >&2; exit 7"
`),
		"confd/templates/zoo.cfg.tmpl": []byte(`tickTime={{getv "/env/tickTime"}}
initLimit={{div (getv "/env/tickTime") 200}}
syncLimit={{sub (div (getv "/env/tickTime") 400) 0}}
maxClientCnxns={{getv "/env/max-client-cnxns"}}
{{- range $dir := lsdir "/hosts/zk_node"}}
server.{{getv (printf "/hosts/zk_node/%s/sid" $dir)}}={{getv (printf "/hosts/zk_node/%s/ip" $dir)}}:2888:3888
{{- end}}
quorum={{add (div (len (lsdir "/hosts/zk_node")) 2) 1}}
{{if gt (getv "/env/tickTime") "2500"}}slow=yes{{else}}slow=no{{end}}
`),
	}
}

// rawPost sends body to the API with the admin token and returns the status and the answer.
func rawPost(t *testing.T, s *server, path, contentType string, body []byte) (int, obj) {
	t.Helper()
	req, err := http.NewRequestWithContext(ctxT(t), http.MethodPost, s.url+path, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", contentType)
	req.Header.Set("Authorization", "Bearer "+s.token())
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out obj
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		t.Fatalf("POST %s: %d, answer not JSON: %v", path, resp.StatusCode, err)
	}
	return resp.StatusCode, out
}

// multipartUpload is a form with the package as the file part named file and the given fields.
func multipartUpload(t *testing.T, file string, pkg []byte, fields map[string]string) (string, []byte) {
	t.Helper()
	var b bytes.Buffer
	w := multipart.NewWriter(&b)
	for k, v := range fields {
		if err := w.WriteField(k, v); err != nil {
			t.Fatal(err)
		}
	}
	fw, err := w.CreateFormFile("package", file)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := fw.Write(pkg); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return w.FormDataContentType(), b.Bytes()
}

// zooCfg reads a node's rendered zoo.cfg.
func (e *vmEnv) zooCfg(n obj) string {
	e.t.Helper()
	return readFile(e.t, filepath.Join(e.root(n["instance_id"].(string)), "opt", "zookeeper", "conf", "zoo.cfg"))
}

// checkZoo checks every node's zoo.cfg: the arithmetic done on metadata strings and one server
// line per node.
func (e *vmEnv) checkZoo(id string, tick, initLimit, syncLimit, quorum int, slow string) {
	e.t.Helper()
	nodes := e.nodes(id)["zk_node"]
	for _, n := range nodes {
		got := e.zooCfg(n)
		for _, want := range []string{
			fmt.Sprintf("tickTime=%d\n", tick), fmt.Sprintf("initLimit=%d\n", initLimit), fmt.Sprintf("syncLimit=%d\n", syncLimit),
			"maxClientCnxns=1000\n", fmt.Sprintf("quorum=%d\n", quorum), "slow=" + slow,
		} {
			if !strings.Contains(got, want) {
				e.t.Fatalf("zoo.cfg of %s lacks %q:\n%s", n["id"], want, got)
			}
		}
		for _, m := range nodes {
			if !strings.Contains(got, "="+m["private_ip"].(string)+":2888:3888") {
				e.t.Fatalf("zoo.cfg of %s does not list %s:\n%s", n["id"], m["private_ip"], got)
			}
		}
		if c := strings.Count(got, ":2888:3888"); c != len(nodes) {
			e.t.Fatalf("zoo.cfg of %s lists %d servers, want %d:\n%s", n["id"], c, len(nodes), got)
		}
	}
}

// tasksOf lists a job's tasks.
func (e *vmEnv) tasksOf(job string) []obj {
	return list(e.t, e.admin, "/v1/jobs/"+job+"/tasks", nil)
}

// TestVMAppCenterPackage takes a package in AppCenter's shape (no package.json) through
// validate, upload (file name, form fields, query), a loopback HTTP repo's index (with a
// broken package the index refuses, naming it and every problem), create on the local runtime,
// update_env, scale-out, a delete that fails on the package's failing stop (naming node,
// command and --force), a forced delete through the CLI that removes every instance, and cease.
func TestVMAppCenterPackage(t *testing.T) {
	e := newVMEnv(t)
	files := zkFiles()
	pkg := tgz(t, "zookeeper", files)

	// Validate: nothing names the package → the name and the version are both missing.
	var res obj
	if err := e.admin.Do(ctxT(t), http.MethodPost, "/v1/apps/validate_package", url.Values{"type": {"vm"}}, bytes.NewReader(pkg), &res); err != nil {
		t.Fatal(err)
	}
	errs, _ := res["errors"].(map[string]any)
	if res["ok"] != false || !strings.Contains(fmt.Sprint(errs["name"]), "no package.json") || !strings.Contains(fmt.Sprint(errs["version"]), "no package.json") {
		t.Fatalf("validate without a name = %v", res)
	}
	if err := e.admin.Do(ctxT(t), http.MethodPost, "/v1/apps/validate_package", url.Values{"type": {"vm"}, "filename": {"zookeeper-3.4.13.tar.gz"}}, bytes.NewReader(pkg), &res); err != nil || res["ok"] != true {
		t.Fatalf("validate with a file name = %v, %v", res, err)
	}
	// Upload with neither: 400 naming both.
	err := e.admin.Do(ctxT(t), http.MethodPost, "/v1/apps", url.Values{"type": {"vm"}, "filename": {"upload.tgz"}}, bytes.NewReader(pkg), nil)
	ae := apiErr(t, err, 400, "invalid_argument")
	if !strings.Contains(fmt.Sprint(ae.Details["version"]), `"upload.tgz" has none`) || ae.Details["name"] == nil {
		t.Fatalf("upload without name or version: %v", ae.Details)
	}

	// Upload through the CLI: the name and version come from the file name.
	pkgFile := filepath.Join(t.TempDir(), "zookeeper-3.4.13.tar.gz")
	if err := os.WriteFile(pkgFile, pkg, 0o644); err != nil {
		t.Fatal(err)
	}
	env := func(k string) string {
		return map[string]string{"PITRIX_SERVER": e.s.url, "PITRIX_TOKEN": e.s.token()}[k]
	}
	var out, errb bytes.Buffer
	if code := run(ctxT(t), []string{"app", "upload", pkgFile, "--type", "vm", "-o", "json"}, env, nil, &out, &errb); code != 0 {
		t.Fatalf("pitrix app upload = %d: %s%s", code, out.String(), errb.String())
	}
	var up struct{ App, Version obj }
	if err := json.Unmarshal(out.Bytes(), &up); err != nil || up.App["name"] != "zookeeper" || up.Version["name"] != "3.4.13" {
		t.Fatalf("upload = %s (%v)", out.String(), err)
	}
	appID := up.App["id"].(string)
	// A new version as a multipart form: the version field wins over the file name, the
	// name is the app's.
	ct, body := multipartUpload(t, "zookeeper-3.4.13.tar.gz", pkg, map[string]string{"version": "3.4.14"})
	if code, got := rawPost(t, e.s, "/v1/apps/"+appID+"/versions?type=vm", ct, body); code != 201 || got["version"].(map[string]any)["name"] != "3.4.14" {
		t.Fatalf("multipart upload = %d %v", code, got)
	}
	// And by query: ?name= must be the app's.
	if code, got := rawPost(t, e.s, "/v1/apps/"+appID+"/versions?type=vm&name=kafka&version=3.5.0", "application/gzip", pkg); code != 400 || !strings.Contains(fmt.Sprint(got), "kafka") {
		t.Fatalf("upload of another app's name = %d %v", code, got)
	}

	// A repo of AppCenter folders on loopback HTTP: the good one is listed, the broken one is
	// refused with every problem.
	src, repoDir := t.TempDir(), t.TempDir()
	writeSrc(t, filepath.Join(src, "zookeeper-3.4.13"), files)
	broken := zkFiles()
	delete(broken, "cluster.json.mustache")
	broken["config.json"] = []byte(`{"type": "array", "properties": [`)
	broken["confd/templates/zoo.cfg.tmpl"] = []byte(`{{if}}`)
	writeSrc(t, filepath.Join(src, "brokenzk-1.0.0"), broken)
	if _, err := pkgrepo.Build(src, repoDir, time.Now()); err != nil {
		t.Fatal(err)
	}
	hs := repoServer(t, repoDir)
	repo := do(t, e.admin, http.MethodPost, "/v1/repos", obj{"name": "appcenter", "type": "http", "url": hs.URL, "visibility": "private",
		"providers": []string{"local"}, "app_default_status": "active", "index_interval": 0})
	repoID := repo["id"].(string)
	events := list(t, e.admin, "/v1/repos/"+repoID+"/events", nil)
	ev := waitEvent(t, e.admin, repoID, events[0]["id"].(string))
	refused, _ := ev["refused"].([]any)
	if ev["status"] != "successful" || ev["versions_added"] != 1.0 || len(refused) != 1 {
		t.Fatalf("index = %v", ev)
	}
	r0 := refused[0].(map[string]any)
	problems := r0["problems"].(map[string]any)
	if r0["name"] != "brokenzk" || r0["version"] != "1.0.0" || problems["config.json"] == nil || problems["cluster.json.tmpl"] == nil ||
		problems["confd/templates/zoo.cfg.tmpl"] == nil || !strings.Contains(ev["result"].(string), "brokenzk 1.0.0") {
		t.Fatalf("refused = %v; result %v", refused, ev["result"])
	}
	apps := byName(list(t, e.admin, "/v1/apps", url.Values{"repo_id": {repoID}}), "name")
	if len(apps) != 1 || apps["zookeeper"] == nil || apps["zookeeper"]["status"] != "active" {
		t.Fatalf("apps of the repo = %v", apps)
	}
	e.versions["zookeeper"] = apps["zookeeper"]["latest_version_id"].(string)

	// Create from the indexed version: three nodes, zoo.cfg rendered with arithmetic on strings.
	id, job := e.create("zookeeper", obj{"cluster": obj{"zk_node": obj{"count": 3}}})
	e.succeed(job)
	e.checkZoo(id, 2000, 10, 5, 2, "no")
	// The reload_cmd failed on every node: reported as the render status, not a job failure.
	renders := 0
	for _, tk := range e.tasksOf(job) {
		if tk["action"] == "vm.render" {
			renders++
			if tk["status"] != "successful" || !strings.Contains(tk["output"].(string), "reload_failed") || !strings.Contains(tk["output"].(string), "exited with 7") {
				t.Fatalf("render task %v", tk)
			}
		}
	}
	if renders != 3 {
		t.Fatalf("%d render tasks, want 3", renders)
	}
	for _, n := range e.nodes(id)["zk_node"] {
		if got := readFile(t, filepath.Join(e.root(n["instance_id"].(string)), "data", "zookeeper", "myid")); strings.TrimSpace(got) != n["instance_id"] {
			t.Fatalf("myid of %s = %q", n["id"], got)
		}
	}
	// Cease of a live cluster is refused.
	apiErr(t, e.admin.Do(ctxT(t), http.MethodPost, "/v1/clusters/"+id+"/cease", nil, obj{}, nil), 409, "failed_precondition")

	// update_env with a number above 2500: initLimit, syncLimit and the comparison follow.
	e.act(id, "update_env", obj{"env": obj{"tickTime": 3000}})
	e.checkZoo(id, 3000, 15, 7, 2, "yes")

	// Scale out to five (config.json's range allows 1, 3 or 5): every node lists all five; the
	// quorum grows.
	e.act(id, "add_nodes", obj{"role": "zk_node", "count": 2})
	if n := len(e.nodes(id)["zk_node"]); n != 5 {
		t.Fatalf("after scale-out %d nodes", n)
	}
	e.checkZoo(id, 3000, 15, 7, 3, "yes")
	instances := instanceIDs(e.nodes(id))

	// Delete: the package's stop fails; the error names the node and the command and says
	// that force exists. Nothing was removed.
	acc := do(t, e.admin, http.MethodDelete, "/v1/clusters/"+id, nil)
	j := waitJob(t, e.admin, acc["job_id"].(string))
	msg := fmt.Sprint(j["error"])
	if j["status"] != "failed" || !strings.Contains(msg, "stop command") || !strings.Contains(msg, "exited 9") ||
		!strings.Contains(msg, "--force") || !strings.Contains(msg, "?force=true") || !strings.Contains(msg, "on node cln-") {
		t.Fatalf("delete of a cluster whose stop fails = %v: %v", j["status"], msg)
	}
	if got := drones(instances); got != 5 {
		t.Fatalf("after the failed delete %d drones run, want 5", got)
	}

	// Forced, through the CLI: every failing stop is skipped (recorded with its error) and
	// every instance goes.
	out.Reset()
	errb.Reset()
	if code := run(ctxT(t), []string{"cluster", "delete", id, "--force", "--wait", "--timeout", "90s"}, env, nil, &out, &errb); code != 0 {
		for _, jb := range list(t, e.admin, "/v1/jobs", url.Values{"cluster_id": {id}}) {
			t.Logf("job %v %v %v %v", jb["id"], jb["action"], jb["status"], jb["error"])
			e.logTasks(jb["id"].(string))
		}
		t.Fatalf("pitrix cluster delete --force = %d: %s%s", code, out.String(), errb.String())
	}
	if c := e.cluster(id); c["status"] != "deleted" {
		t.Fatalf("after forced delete: %v", c["status"])
	}
	jobs := list(t, e.admin, "/v1/jobs", url.Values{"cluster_id": {id}})
	var forced obj
	for _, jb := range jobs {
		if jb["action"] == "delete" && jb["status"] == "successful" {
			forced = jb
		}
	}
	if forced == nil {
		t.Fatalf("no successful delete job among %v", jobs)
	}
	skipped := 0
	for _, tk := range e.tasksOf(forced["id"].(string)) {
		if tk["status"] == "skipped" {
			skipped++
			if !strings.Contains(tk["error"].(string), "exited 9") || !strings.Contains(tk["output"].(string), "skipped (force)") {
				t.Fatalf("skipped task %v", tk)
			}
		}
	}
	if skipped != 5 {
		t.Fatalf("%d skipped tasks, want the 5 stops", skipped)
	}
	eventually(t, "no drone of the cluster runs", func() (bool, string) {
		n := drones(instances)
		return n == 0, fmt.Sprintf("%d drones", n)
	})
	for _, iid := range instances {
		if _, err := os.Stat(e.root(iid)); !os.IsNotExist(err) {
			t.Fatalf("instance %s root still there: %v", iid, err)
		}
	}
	// Cease with force purges the deleted cluster.
	var ceased obj
	if err := e.admin.Do(ctxT(t), http.MethodPost, "/v1/clusters/"+id+"/cease", url.Values{"force": {"true"}}, nil, &ceased); err != nil {
		t.Fatal(err)
	}
	e.succeed(ceased["job_id"].(string))
	if c := e.cluster(id); c["status"] != "ceased" {
		t.Fatalf("after cease: %v", c["status"])
	}
}

// TestVMFailedCreateRetryAndDelete: a create whose init fails leaves a failed cluster that can
// be retried from the failed task (the instances are not made again) or deleted cleanly. Its
// package keeps the confd resources under etc/confd/, as AppCenter's image sources do.
func TestVMFailedCreateRetryAndDelete(t *testing.T) {
	e := newVMEnv(t)
	files := zkFiles()
	files["cluster.json.mustache"] = []byte(strings.NewReplacer(
		`"init": {"cmd": "mkdir -p`, `"init": {"cmd": "test -f \"$PITRIX_ROOT/init-ok\" || { echo 'init: no init-ok yet' >&2; exit 4; }; mkdir -p`,
		`"stop": {"cmd": "echo 'zkServer.sh stop: no zookeeper to stop (pid file missing)' >&2; exit 9"}`, `"stop": {"cmd": "rm -f \"$PITRIX_ROOT/data/zookeeper/running.cfg\""}`,
	).Replace(string(files["cluster.json.mustache"])))
	// The confd resources where AppCenter's sources keep them: as on the image.
	for name, data := range files {
		if rel, ok := strings.CutPrefix(name, "confd/"); ok {
			files["etc/confd/"+rel] = data
			delete(files, name)
		}
	}
	ct, body := multipartUpload(t, "package.tgz", tgz(t, "zk", files), map[string]string{"name": "zkinit", "version": "1.0.0"})
	code, up := rawPost(t, e.s, "/v1/apps?type=vm", ct, body)
	if code != 201 {
		t.Fatalf("upload = %d %v", code, up)
	}
	e.versions["zkinit"] = up["version"].(map[string]any)["id"].(string)

	// Create fails at init; retry after the cause is fixed runs the failed tasks only.
	id, job := e.create("zkinit", obj{"cluster": obj{"zk_node": obj{"count": 1}}})
	j := waitJob(t, e.admin, job)
	if j["status"] != "failed" || !strings.Contains(fmt.Sprint(j["error"]), "no init-ok yet") {
		t.Fatalf("create = %v: %v", j["status"], j["error"])
	}
	if c := e.cluster(id); c["status"] != "failed" {
		t.Fatalf("after a failed create: %v", c["status"])
	}
	nodes := e.nodes(id)["zk_node"]
	if len(nodes) != 1 {
		t.Fatalf("nodes = %v", nodes)
	}
	// Fixed inside the instance (writes into its root from the host are not seen by its sandbox).
	e.inInstance(nodes[0]["instance_id"].(string), "touch /init-ok")
	do(t, e.admin, http.MethodPost, "/v1/jobs/"+job+"/retry", nil)
	e.succeed(job)
	if c := e.cluster(id); c["status"] != "active" {
		t.Fatalf("after retry: %v", c["status"])
	}
	for _, tk := range e.tasksOf(job) {
		if tk["action"] == "vm.create_instance" && tk["attempts"] != 1.0 {
			t.Fatalf("the retry made the instance again: %v", tk)
		}
	}
	if got := e.zooCfg(nodes[0]); !strings.Contains(got, "initLimit=10") {
		t.Fatalf("zoo.cfg after retry:\n%s", got)
	}

	// Another failed create is deleted cleanly: its instance goes, then cease purges it.
	id2, job2 := e.create("zkinit", obj{"cluster": obj{"zk_node": obj{"count": 1}}})
	if j := waitJob(t, e.admin, job2); j["status"] != "failed" {
		t.Fatalf("second create = %v", j)
	}
	inst := instanceIDs(e.nodes(id2))
	e.act(id2, "delete", nil)
	eventually(t, "the failed cluster's drone is gone", func() (bool, string) {
		n := drones(inst)
		return n == 0, fmt.Sprintf("%d drones", n)
	})
	for _, iid := range inst {
		if _, err := os.Stat(e.root(iid)); !os.IsNotExist(err) {
			t.Fatalf("instance %s root still there: %v", iid, err)
		}
	}
	e.act(id2, "cease", nil)
	if c := e.cluster(id2); c["status"] != "ceased" {
		t.Fatalf("after cease: %v", c["status"])
	}
	e.act(id, "delete", nil)
}
