package main

import (
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pitrix/pitrix/providers/local/sandbox"
)

// TestLocalSandbox: through the real server, a package whose commands write /data, /etc and
// /opt writes each instance's own root, never the host's; two instances of it do not see
// each other's files; a command that reads the server's admin token fails and the token
// appears nowhere in the job; delete leaves no mount, process or directory behind.
func TestLocalSandbox(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("the local runtime sandboxes instances only as root")
	}
	// The data dir outside /tmp (a fresh tmpfs inside every sandbox), so only the hiding of
	// the data dir keeps the token out of reach. Removed last, after the env's own cleanup.
	dataDir, err := os.MkdirTemp("/var/tmp", "pitrix-e2e-sandbox-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dataDir) })
	e := newVMEnvAt(t, dataDir)
	token := e.s.token()
	tokenFile := filepath.Join(dataDir, "admin.token")
	marker := fmt.Sprintf("pitrix-e2e-%d", os.Getpid())
	e.uploadHello("boxed", func(files map[string][]byte) {
		tmpl := string(files["cluster.json.tmpl"])
		tmpl = strings.Replace(tmpl, `"init": {"cmd": "`, `"init": {"cmd": "for d in data etc opt; do mkdir -p /$d/`+marker+` && echo $PITRIX_INSTANCE_ID > /$d/`+marker+`/who; done && `, 1)
		tmpl = strings.Replace(tmpl, `"greet": {"cmd"`, `"peek": {"cmd": "cat `+tokenFile+`"},
      "greet": {"cmd"`, 1)
		files["cluster.json.tmpl"] = []byte(tmpl)
	})
	id, job := e.create("boxed", obj{"cluster": obj{"node": obj{"count": 2}}})
	e.succeed(job)
	nodes := e.nodes(id)["node"]
	if len(nodes) != 2 {
		t.Fatalf("nodes = %v", nodes)
	}
	var instDirs []string
	for _, n := range nodes {
		iid := n["instance_id"].(string)
		instDirs = append(instDirs, filepath.Join(dataDir, "local", "instances", iid))
		for _, d := range []string{"data", "etc", "opt"} {
			if got := readFile(t, filepath.Join(e.root(iid), d, marker, "who")); got != iid+"\n" {
				t.Fatalf("/%s/%s/who of %s = %q", d, marker, iid, got)
			}
			if _, err := os.Stat(filepath.Join("/", d, marker)); !errors.Is(err, os.ErrNotExist) {
				t.Fatalf("the package wrote the host's /%s/%s: %v", d, marker, err)
			}
		}
		// Inside, each instance sees its own file only (both wrote the same paths).
		if got := e.inInstance(iid, "cat /etc/"+marker+"/who /opt/"+marker+"/who"); got != iid+"\n"+iid+"\n" {
			t.Fatalf("inside %s: %q", iid, got)
		}
	}

	// The admin token is out of reach, and out of the job's output.
	acc := do(t, e.admin, http.MethodPost, "/v1/clusters/"+id+"/service", obj{"service": "peek"})
	peek := waitJob(t, e.admin, acc["job_id"].(string))
	tasks := list(t, e.admin, "/v1/jobs/"+acc["job_id"].(string)+"/tasks", nil)
	all := fmt.Sprint(peek, tasks)
	if peek["status"] != "failed" || strings.Contains(all, token) || !strings.Contains(all, "No such file") {
		t.Fatalf("cat %s: job %v, tasks:\n%v", tokenFile, peek["status"], tasks)
	}

	// Delete leaves nothing: no process, no mount, no directory.
	var procs []int
	for _, dir := range instDirs {
		procs = append(procs, procsUnder(dir)...)
	}
	if len(procs) < 4 {
		t.Fatalf("before delete: processes %v; want an init and a drone per instance", procs)
	}
	e.act(id, "delete", nil)
	for _, dir := range instDirs {
		if left := procsUnder(dir); len(left) > 0 {
			t.Fatalf("processes of %s after delete: %v", dir, left)
		}
		if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
			t.Fatalf("%s after delete: %v", dir, err)
		}
	}
	for _, pid := range procs {
		if _, err := os.Stat(fmt.Sprintf("/proc/%d", pid)); err == nil {
			st, _ := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
			if !strings.Contains(string(st), ") Z ") {
				t.Fatalf("pid %d of a deleted instance runs: %s", pid, st)
			}
		}
	}
	if mps, err := sandbox.Mounts(dataDir); err != nil || len(mps) > 0 {
		t.Fatalf("mounts under the data dir after delete: %v %v", mps, err)
	}
	if ents, _ := os.ReadDir(filepath.Join(dataDir, "local", "trash")); len(ents) > 0 {
		t.Fatalf("trash after delete: %v", ents)
	}
}

// TestLocalWithoutSandbox: a server that cannot sandbox (here: a --local-base that does not
// exist) says so at start, refuses a new local runtime with the reason, and refuses clusters on
// the local runtime it had (409) instead of running packages on the host.
func TestLocalWithoutSandbox(t *testing.T) {
	dataDir := t.TempDir()
	demo := filepath.Join(projectRoot(), "demo", "packages")
	s := startServer(t, dataDir, "--demo-src", demo)
	admin := s.client(s.token())
	var localID, helloID string
	eventually(t, "the local runtime and the demo apps", func() (bool, string) {
		for _, rt := range list(t, admin, "/v1/runtimes", nil) {
			if rt["provider"] == "local" {
				localID = rt["id"].(string)
			}
		}
		if a, ok := byName(list(t, admin, "/v1/apps", nil), "name")["hello"]; ok {
			helloID, _ = a["latest_version_id"].(string)
		}
		return localID != "" && helloID != "", fmt.Sprint(localID, helloID)
	})
	if err := s.stop(); err != nil {
		t.Fatal(err)
	}

	s = startServer(t, dataDir, "--demo-src", demo, "--local-base", filepath.Join(t.TempDir(), "no-such-image"))
	admin = s.client(s.token())
	eventually(t, "the server says it cannot sandbox", func() (bool, string) {
		return strings.Contains(s.logText(), "cannot sandbox instances here"), ""
	})
	err := admin.Do(ctxT(t), http.MethodPost, "/v1/clusters", nil, obj{"name": "unboxed", "version_id": helloID, "runtime_id": localID}, nil)
	if ae := apiErr(t, err, 409, "failed_precondition"); !strings.Contains(ae.Message, "sandbox") || !strings.Contains(ae.Message, "no-such-image") {
		t.Fatalf("create on a runtime that cannot sandbox: %s", ae.Message)
	}
	err = admin.Do(ctxT(t), http.MethodPost, "/v1/runtimes", nil, obj{"name": "another", "provider": "local"}, nil)
	if ae := apiErr(t, err, 400, "invalid_argument"); !strings.Contains(fmt.Sprint(ae.Details), "sandbox") {
		t.Fatalf("a new local runtime: %s %v", ae.Message, ae.Details)
	}
	if got := list(t, admin, "/v1/clusters", nil); len(got) != 0 {
		t.Fatalf("clusters were created: %v", got)
	}
	if ents, _ := os.ReadDir(filepath.Join(dataDir, "local", "instances")); len(ents) != 0 {
		t.Fatalf("instances were made: %v", ents)
	}
}
