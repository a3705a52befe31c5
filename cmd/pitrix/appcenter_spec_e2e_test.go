package main

import (
	"bytes"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// appcenterFiles reads the AppCenter-shaped test package of providers/vm/spec (config.json
// as AppCenter writes it, cluster.json.mustache with sections, locale/).
func appcenterFiles(t *testing.T) map[string][]byte {
	t.Helper()
	dir := filepath.Join(projectRoot(), "providers", "vm", "spec", "testdata", "appcenter")
	files := map[string][]byte{}
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		rel, _ := filepath.Rel(dir, p)
		files[filepath.ToSlash(rel)] = b
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

// TestVMAppCenterConfigAndMustache: a package in AppCenter's shapes through the real server: upload,
// bad confs refused with every problem at once, create on the local runtime (two roles, a
// mustache template with sections, odd env keys rendered by confd), update_env, scale-out,
// custom services (one with an empty cmd), delete.
func TestVMAppCenterConfigAndMustache(t *testing.T) {
	e := newVMEnv(t)
	var up struct{ Version obj }
	if err := e.admin.Do(ctxT(t), http.MethodPost, "/v1/apps", url.Values{"type": {"vm"}}, bytes.NewReader(tgz(t, "kvstore", appcenterFiles(t))), &up); err != nil {
		t.Fatalf("upload: %v", err)
	}
	e.versions["kvstore"] = up.Version["id"].(string)

	// Every bad value is named in one answer: lookahead, lookbehind, range, required.
	bad := obj{"cluster": obj{"worker": obj{"count": 9}}, "env": obj{"user": "rootish", "passwd": "weak", "data.dir": "/data/", "-p": "0"}}
	err := e.admin.Do(ctxT(t), http.MethodPost, "/v1/clusters", nil, obj{"name": "kv", "version_id": e.versions["kvstore"], "runtime_id": e.runtimeID, "conf": bad}, nil)
	ae := apiErr(t, err, http.StatusBadRequest, "invalid_argument")
	for _, key := range []string{"conf.cluster.vxnet", "conf.cluster.worker.count", "conf.env.user", "conf.env.passwd", "conf.env.data.dir", "conf.env.-p"} {
		if _, ok := ae.Details[key]; !ok {
			t.Errorf("the refusal does not name %s: %v", key, ae.Details)
		}
	}
	// A link to another cluster is something the local runtime cannot give: said at create.
	linked := obj{"cluster": obj{"vxnet": "vx-local", "upstream_service": "cl-other"}, "env": obj{"passwd": "Secr3tPass"}}
	err = e.admin.Do(ctxT(t), http.MethodPost, "/v1/clusters", nil, obj{"name": "kv", "version_id": e.versions["kvstore"], "runtime_id": e.runtimeID, "conf": linked}, nil)
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

	// Custom services: one with a command, one whose cmd is empty (a no-op, not an error).
	e.act(id, "service", obj{"service": "dump"})
	master := byRole["master"][0]
	if got := readFile(t, filepath.Join(e.root(master["instance_id"].(string)), "var", "dump.log")); got != "dumped\n" {
		t.Fatalf("dump.log = %q", got)
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
