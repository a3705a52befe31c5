package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pitrix/pitrix/internal/testutil"
)

// appcenterFiles reads the AppCenter-shaped test package of providers/vm/spec (config.json
// as AppCenter writes it, cluster.json.mustache with sections, locale/).
func appcenterFiles(t *testing.T) map[string][]byte {
	t.Helper()
	return testutil.ReadTree(t, filepath.Join(projectRoot(), "providers", "vm", "spec", "testdata", "appcenter"))
}

// TestVMAppCenterConfigAndMustache: a package in AppCenter's shapes through the real server: upload,
// bad confs refused with every problem at once, create on the local runtime (two roles, a
// mustache template with sections, odd env keys rendered by confd), update_env, scale-out,
// custom services (one with an empty cmd), delete.
func TestVMAppCenterConfigAndMustache(t *testing.T) {
	e := newVMEnv(t)
	// A package that requires a link to another cluster could never be created here: the
	// upload is refused, naming the item.
	linked := appcenterFiles(t)
	linked["config.json"] = bytes.Replace(linked["config.json"], []byte(`"limits": {"app-kvstore": []},
      "default": "",
      "required": "no"`), []byte(`"limits": {"app-kvstore": []},
      "default": "",
      "required": "yes"`), 1)
	err := e.admin.Do(ctxT(t), http.MethodPost, "/v1/apps", url.Values{"type": {"vm"}}, bytes.NewReader(tgz(t, "kvlinked", linked)), nil)
	if ae := apiErr(t, err, http.StatusBadRequest, "invalid_argument"); !strings.Contains(fmt.Sprint(ae.Details["config.json:cluster.upstream_service"]), "type service") || len(ae.Details) != 1 {
		t.Fatalf("upload of a package requiring a link: %v", ae.Details)
	}
	var up struct{ Version obj }
	if err := e.admin.Do(ctxT(t), http.MethodPost, "/v1/apps", url.Values{"type": {"vm"}}, bytes.NewReader(tgz(t, "kvstore", appcenterFiles(t))), &up); err != nil {
		t.Fatalf("upload: %v", err)
	}
	e.versions["kvstore"] = up.Version["id"].(string)

	// The deploy form speaks the package's locale: zh-CN labels from locale/zh-cn.json.
	labels := map[string]bool{}
	var f struct{ Fields []obj }
	if err := e.admin.Do(ctxT(t), http.MethodGet, "/v1/app_versions/"+e.versions["kvstore"]+"/form", url.Values{"lang": {"zh-CN"}}, nil, &f); err != nil {
		t.Fatalf("form in zh-CN: %v", err)
	}
	for _, fl := range f.Fields {
		labels[fmt.Sprint(fl["label"])] = true
	}
	if !labels["数量"] || !labels["日志级别"] {
		t.Fatalf("zh-CN form labels = %v, want the locale's 数量 and 日志级别", labels)
	}

	// Every bad value is named in one answer: lookahead, lookbehind, range, required.
	bad := obj{"cluster": obj{"worker": obj{"count": 9}}, "env": obj{"user": "rootish", "passwd": "weak", "data.dir": "/data/", "-p": "0"}}
	err = e.admin.Do(ctxT(t), http.MethodPost, "/v1/clusters", nil, obj{"name": "kv", "version_id": e.versions["kvstore"], "runtime_id": e.runtimeID, "conf": bad}, nil)
	ae := apiErr(t, err, http.StatusBadRequest, "invalid_argument")
	for _, key := range []string{"conf.cluster.vxnet", "conf.cluster.worker.count", "conf.env.user", "conf.env.passwd", "conf.env.data.dir", "conf.env.-p"} {
		if _, ok := ae.Details[key]; !ok {
			t.Errorf("the refusal does not name %s: %v", key, ae.Details)
		}
	}
	// A link to another cluster is something the local runtime cannot give: said at create.
	withLink := obj{"cluster": obj{"vxnet": "vx-local", "upstream_service": "cl-other"}, "env": obj{"passwd": "Secr3tPass"}}
	err = e.admin.Do(ctxT(t), http.MethodPost, "/v1/clusters", nil, obj{"name": "kv", "version_id": e.versions["kvstore"], "runtime_id": e.runtimeID, "conf": withLink}, nil)
	ae = apiErr(t, err, http.StatusBadRequest, "invalid_argument")
	if !strings.Contains(fmt.Sprint(ae.Details["conf.cluster.upstream_service"]), "type service") {
		t.Fatalf("a link is not refused by name: %v", ae.Details)
	}

	// service_params are required in config.json but belong to the services: create
	// without them.
	id, job := e.create("kvstore", obj{"cluster": obj{"vxnet": "vx-local"}, "env": obj{"passwd": "Secr3tPass"}})
	e.succeed(job)
	byRole := e.nodes(id)
	if len(byRole["master"]) != 1 || len(byRole["worker"]) != 1 {
		t.Fatalf("nodes = %v", byRole)
	}
	confOf := func(n obj) string {
		return readFile(t, filepath.Join(e.root(n["instance_id"].(string)), "etc", "kv.conf"))
	}
	for _, n := range append(byRole["master"], byRole["worker"]...) {
		got := confOf(n)
		for _, want := range []string{"port = 6379", "log_level = info", "max_conns = 100", "whitelist = stat,ruok", "data_dir = /data/kv"} {
			if !strings.Contains(got, want) {
				t.Fatalf("kv.conf of %s lacks %q:\n%s", n["id"], want, got)
			}
		}
		if got := readFile(t, filepath.Join(e.root(n["instance_id"].(string)), "var", "running.conf")); !strings.Contains(got, "port = 6379") {
			t.Fatalf("start did not run on %s: %q", n["id"], got)
		}
	}
	if c := e.cluster(id); !strings.Contains(fmt.Sprint(c["endpoints"]), "6379") {
		t.Errorf("endpoints of the cluster (port from env.-p) = %v", c["endpoints"])
	}

	// update_env of a dotted key re-renders every node.
	e.act(id, "update_env", obj{"env": obj{"log.level": "debug"}})
	for _, n := range append(byRole["master"], byRole["worker"]...) {
		if got := confOf(n); !strings.Contains(got, "log_level = debug") {
			t.Fatalf("kv.conf of %s after update_env:\n%s", n["id"], got)
		}
	}

	// Scale out the workers: the new one is configured, scale_out ran on the old one.
	e.act(id, "add_nodes", obj{"role": "worker", "count": 1})
	workers := e.nodes(id)["worker"]
	if len(workers) != 2 {
		t.Fatalf("workers after add_nodes: %v", workers)
	}
	for _, n := range workers {
		if got := confOf(n); !strings.Contains(got, "log_level = debug") || strings.Count(got, "member = ") < 2 {
			t.Fatalf("kv.conf of %s after add_nodes:\n%s", n["id"], got)
		}
	}

	// Custom services with their run-time parameters (config.json's service_params): dump
	// uses the required node.ip, so it is refused without it, and every bad parameter is
	// named in one answer.
	err = e.admin.Do(ctxT(t), http.MethodPost, "/v1/clusters/"+id+"/service", nil, obj{"service": "dump"}, nil)
	if ae = apiErr(t, err, http.StatusBadRequest, "invalid_argument"); !strings.Contains(fmt.Sprint(ae.Details["service_params.node.ip"]), "required by service dump") {
		t.Fatalf("dump without node.ip: %v", ae.Details)
	}
	err = e.admin.Do(ctxT(t), http.MethodPost, "/v1/clusters/"+id+"/service", nil, obj{"service": "dump", "service_params": obj{"node.ip": "not-an-ip", "nope": 1}}, nil)
	ae = apiErr(t, err, http.StatusBadRequest, "invalid_argument")
	if !strings.Contains(fmt.Sprint(ae.Details["service_params.node.ip"]), "pattern") || !strings.Contains(fmt.Sprint(ae.Details["service_params.nope"]), "unknown") || len(ae.Details) != 2 {
		t.Fatalf("dump with bad parameters: %v", ae.Details)
	}
	// The command gets them in its environment; the password-type token is sealed: the job
	// and its tasks hold a reference, the command the value.
	token := fmt.Sprintf("Tok%dx", time.Now().UnixNano())
	j := e.act(id, "service", obj{"service": "dump", "service_params": obj{"node.ip": "10.0.0.7", "token": token}})
	master := byRole["master"][0]
	if got := readFile(t, filepath.Join(e.root(master["instance_id"].(string)), "var", "dump.log")); got != "dumped from 10.0.0.7\n" {
		t.Fatalf("dump.log = %q", got)
	}
	var got struct {
		IP    string `json:"node.ip"`
		Token string `json:"token"`
	}
	params := e.inInstance(master["instance_id"].(string), "cat /var/dump.params")
	if err := json.Unmarshal([]byte(params), &got); err != nil || got.IP != "10.0.0.7" || got.Token != token {
		t.Fatalf("the parameters the command got = %q (%v)", params, err)
	}
	if p := fmt.Sprint(j["params"]); !strings.Contains(p, "10.0.0.7") || strings.Contains(p, token) || !strings.Contains(p, "ptxsecret-") {
		t.Fatalf("the job's params = %s: want node.ip recorded and the token sealed", p)
	}
	for _, tk := range list(t, e.admin, "/v1/jobs/"+j["id"].(string)+"/tasks", nil) {
		if strings.Contains(fmt.Sprint(tk), token) {
			t.Fatalf("a task shows the token: %v", tk)
		}
	}
	// Through the CLI, the key as written (dots and all); a service without parameters in
	// its template (compact, an empty cmd: a no-op) runs as before.
	cliEnv := func(k string) string {
		return map[string]string{"PITRIX_SERVER": e.s.url, "PITRIX_TOKEN": e.s.token()}[k]
	}
	var out, errb bytes.Buffer
	if code := run(ctxT(t), []string{"cluster", "service", id, "dump", "--param", "node.ip=10.0.0.8", "--wait", "--timeout", "90s"}, cliEnv, nil, &out, &errb); code != 0 {
		t.Fatalf("pitrix cluster service = %d: %s%s", code, out.String(), errb.String())
	}
	if got := readFile(t, filepath.Join(e.root(master["instance_id"].(string)), "var", "dump.log")); got != "dumped from 10.0.0.7\ndumped from 10.0.0.8\n" {
		t.Fatalf("dump.log after the CLI run = %q", got)
	}
	e.act(id, "service", obj{"service": "compact"})

	e.act(id, "delete", nil)
	if c := e.cluster(id); c["status"] != "deleted" {
		t.Fatalf("after delete: %v", c["status"])
	}
	if got := drones(instanceIDs(byRole)); got != 0 {
		t.Fatalf("%d drone processes after delete", got)
	}
}
