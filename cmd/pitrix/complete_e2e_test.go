package main

import (
	"bytes"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestCompletionFromServer asks a real server for what `pitrix <TAB>` offers: nouns, verbs and
// flags from the command tree, IDs from the API's lists.
func TestCompletionFromServer(t *testing.T) {
	repoDir := t.TempDir()
	buildRepo(t, repoDir, [][3]string{{"hello", "0.1.0", "first"}, {"hello", "0.2.0", "second"}})
	dataDir := t.TempDir()
	// Registered first, so it runs last: the cluster made below is deleted at the end; this
	// reaps whatever of the local runtime is still there, twice, for a process started while
	// the server was being killed. (It logs rather than fails: the completion test is not
	// about the local runtime, whose own tests use the strict killUnder.)
	t.Cleanup(func() {
		for range 2 {
			for _, pid := range procsUnder(dataDir) {
				t.Logf("reaping pid %d left under %s", pid, dataDir)
				_ = syscall.Kill(pid, syscall.SIGKILL)
			}
			time.Sleep(300 * time.Millisecond)
		}
	})
	s := startServer(t, dataDir)
	admin := s.client(s.token())
	repo := do(t, admin, http.MethodPost, "/v1/repos", obj{"name": "local", "type": "local", "url": repoDir, "providers": []string{"local"}, "app_default_status": "active"})
	repoID := repo["id"].(string)
	var app obj
	eventually(t, "the repo's app is listed", func() (bool, string) {
		apps := list(t, admin, "/v1/apps", url.Values{"repo_id": {repoID}})
		if len(apps) == 1 {
			app = apps[0]
		}
		return len(apps) == 1, ""
	})
	appID := app["id"].(string)
	var versionIDs []string
	eventually(t, "both versions are listed", func() (bool, string) {
		versionIDs = versionIDs[:0]
		for _, v := range list(t, admin, "/v1/apps/"+appID+"/versions", nil) {
			versionIDs = append(versionIDs, v["id"].(string))
		}
		return len(versionIDs) == 2, strings.Join(versionIDs, ",")
	})
	latest := do(t, admin, http.MethodGet, "/v1/apps/"+appID, nil)["latest_version_id"].(string)
	runtimes := list(t, admin, "/v1/runtimes", nil)
	if len(runtimes) != 1 {
		t.Fatalf("runtimes = %v, want the local one", runtimes)
	}
	rtID := runtimes[0]["id"].(string)
	ctgID := do(t, admin, http.MethodPost, "/v1/categories", obj{"name": "tools"})["id"].(string)
	clusterID := do(t, admin, http.MethodPost, "/v1/clusters", obj{"name": "c1", "version_id": latest, "runtime_id": rtID})["cluster_id"].(string)

	env := func(k string) string {
		return map[string]string{"PITRIX_SERVER": s.url, "PITRIX_TOKEN": s.token()}[k]
	}
	complete := func(t *testing.T, args ...string) ([]string, string) {
		t.Helper()
		var out, errb bytes.Buffer
		if code := run(ctxT(t), append([]string{"__complete"}, args...), env, nil, &out, &errb); code != 0 {
			t.Fatalf("pitrix __complete %q = %d: %s", args, code, errb.String())
		}
		lines := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
		var values []string
		for _, l := range lines[:len(lines)-1] {
			v, _, _ := strings.Cut(l, "\t")
			values = append(values, v)
		}
		return values, lines[len(lines)-1]
	}
	tests := []struct {
		name string
		args []string
		want []string
	}{
		{"nouns and node commands", []string{""}, []string{"cluster", "runtime", "version", "server", "frontgate", "drone", "completion"}},
		{"verbs", []string{"cluster", ""}, []string{"create", "delete", "upgrade", "scale-out"}},
		{"flags", []string{"cluster", "create", "--"}, []string{"--runtime", "--version", "--app", "--conf", "--wait"}},
		{"cluster ids", []string{"cluster", "delete", ""}, []string{clusterID}},
		{"runtime ids", []string{"runtime", "get", ""}, []string{rtID}},
		{"--runtime", []string{"cluster", "create", "--runtime", ""}, []string{rtID}},
		{"--version: the latest of each app", []string{"cluster", "create", "--version", ""}, []string{latest}},
		{"--version of --app", []string{"cluster", "create", "--app", appID, "--version", ""}, versionIDs},
		{"--version of the cluster's app", []string{"cluster", "upgrade", clusterID, "--version", ""}, versionIDs},
		{"app ids", []string{"app", "versions", ""}, []string{appID}},
		{"repo ids", []string{"repo", "index", ""}, []string{repoID}},
		{"category ids", []string{"category", "delete", ""}, []string{ctgID}},
		{"providers", []string{"runtime", "list", "--provider", ""}, []string{"local"}},
		{"cluster in job list", []string{"job", "list", "--cluster", ""}, []string{clusterID}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, directive := complete(t, tt.args...)
			for _, w := range tt.want {
				if !slices.Contains(got, w) {
					t.Errorf("candidates %q lack %q", got, w)
				}
			}
			if directive != ":4" {
				t.Errorf("directive %s, want :4 (no file completion)", directive)
			}
		})
	}

	// A bad token completes nothing, quietly.
	bad := func(k string) string {
		return map[string]string{"PITRIX_SERVER": s.url, "PITRIX_TOKEN": "ptx_wrong"}[k]
	}
	var out, errb bytes.Buffer
	if code := run(ctxT(t), []string{"__complete", "cluster", "delete", ""}, bad, nil, &out, &errb); code != 0 || out.String() != ":5\n" {
		t.Errorf("with a bad token: exit %d, stdout %q, stderr %q", code, out.String(), errb.String())
	}

	// The cluster's processes go with it.
	del := do(t, admin, http.MethodDelete, "/v1/clusters/"+clusterID, nil)
	if j := waitJob(t, admin, del["job_id"].(string)); j["status"] != "successful" {
		t.Fatalf("delete job = %v", j)
	}
}
