package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"

	"github.com/pitrix/pitrix/http/client"
	"github.com/pitrix/pitrix/providers/pkgrepo"
)

// testKubeconfig returns the test Kubernetes API server's kubeconfig (../shared/scripts/k8s-up.sh).
// Locally a missing one skips the test; in CI it fails it.
func testKubeconfig(t *testing.T) string {
	t.Helper()
	path := os.Getenv("PITRIX_KUBECONFIG")
	if path == "" {
		path = os.Getenv("KUBECONFIG")
	}
	if path == "" {
		if _, err := os.Stat("/tmp/pitrix-k8s/kubeconfig"); err == nil {
			path = "/tmp/pitrix-k8s/kubeconfig"
		}
	}
	if path == "" {
		if os.Getenv("CI") != "" {
			t.Fatal("no test Kubernetes in CI: make test starts one (scripts/test-deps.sh)")
		}
		t.Skip("no test Kubernetes API server: make test starts one (make test-deps; or set PITRIX_KUBECONFIG)")
	}
	// The control plane takes self-contained kubeconfigs only (no file paths): inline them.
	cfg, err := clientcmd.LoadFromFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := clientcmdapi.FlattenConfig(cfg); err != nil {
		t.Fatal(err)
	}
	b, err := clientcmd.Write(*cfg)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func kube(t *testing.T, kubeconfig string) *kubernetes.Clientset {
	t.Helper()
	cfg, err := clientcmd.RESTConfigFromKubeConfig([]byte(kubeconfig))
	if err != nil {
		t.Fatal(err)
	}
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return cs
}

// chartRepo packs the demo chart as versions 0.1.0 and 0.2.0 into a folder served over HTTP.
func chartRepo(t *testing.T) string {
	t.Helper()
	src := filepath.Join(projectRoot(), "demo", "packages", "helm", "web")
	out := t.TempDir()
	var entries []pkgrepo.Entry
	for _, v := range []string{"0.1.0", "0.2.0"} {
		dir := filepath.Join(t.TempDir(), "web")
		if err := os.CopyFS(dir, os.DirFS(src)); err != nil {
			t.Fatal(err)
		}
		chartYAML, err := os.ReadFile(filepath.Join(dir, "Chart.yaml"))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "Chart.yaml"), []byte(strings.Replace(string(chartYAML), "version: 0.1.0", "version: "+v, 1)), 0o644); err != nil {
			t.Fatal(err)
		}
		e, err := pkgrepo.Pack(dir, out, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		entries = append(entries, e)
	}
	if err := pkgrepo.WriteIndex(out, entries, time.Now()); err != nil {
		t.Fatal(err)
	}
	return repoServer(t, out).URL
}

type helmEnv struct {
	s          *server
	admin      *client.Client
	kube       *kubernetes.Clientset
	ns         string
	runtimeID  string
	credID     string
	v1, v2     string
	kubeconfig string
}

func newHelmEnv(t *testing.T, dataDir string) *helmEnv {
	t.Helper()
	kc := testKubeconfig(t)
	e := &helmEnv{kube: kube(t, kc), kubeconfig: kc}
	suffix := make([]byte, 4)
	_, _ = rand.Read(suffix)
	e.ns = "pitrix-e2e-" + hex.EncodeToString(suffix)
	t.Cleanup(func() {
		_ = e.kube.CoreV1().Namespaces().Delete(context.Background(), e.ns, metav1.DeleteOptions{})
	})
	e.s = startServer(t, dataDir, "--local-runtime=false")
	e.setup(t)
	return e
}

// newHelmEnvOn is newHelmEnv on a server the caller started (a node of a cluster).
func newHelmEnvOn(t *testing.T, s *server) *helmEnv {
	t.Helper()
	kc := testKubeconfig(t)
	e := &helmEnv{kube: kube(t, kc), kubeconfig: kc, s: s}
	suffix := make([]byte, 4)
	_, _ = rand.Read(suffix)
	e.ns = "pitrix-e2e-" + hex.EncodeToString(suffix)
	t.Cleanup(func() {
		_ = e.kube.CoreV1().Namespaces().Delete(context.Background(), e.ns, metav1.DeleteOptions{})
	})
	e.setup(t)
	return e
}

// setup registers the chart repo, the credential and the runtime through e.s.
func (e *helmEnv) setup(t *testing.T) {
	t.Helper()
	kc := e.kubeconfig
	e.admin = e.s.client(e.s.token())
	repo := do(t, e.admin, http.MethodPost, "/v1/repos", obj{"name": "charts", "type": "http", "url": chartRepo(t), "visibility": "public",
		"providers": []string{"kubernetes"}, "app_default_status": "active", "index_interval": 0})
	waitEvent(t, e.admin, repo["id"].(string), list(t, e.admin, "/v1/repos/"+repo["id"].(string)+"/events", nil)[0]["id"].(string))
	apps := list(t, e.admin, "/v1/apps", url.Values{"repo_id": {repo["id"].(string)}})
	if len(apps) != 1 {
		t.Fatalf("chart repo apps = %v", apps)
	}
	vs := byName(list(t, e.admin, "/v1/apps/"+apps[0]["id"].(string)+"/versions", nil), "name")
	e.v1, e.v2 = vs["0.1.0"]["id"].(string), vs["0.2.0"]["id"].(string)
	cred := do(t, e.admin, http.MethodPost, "/v1/runtime_credentials", obj{"name": "test-k8s", "provider": "kubernetes", "content": kc})
	rt := do(t, e.admin, http.MethodPost, "/v1/runtimes", obj{"name": "k8s", "provider": "kubernetes", "zone": e.ns, "credential_id": cred["id"]})
	e.runtimeID, e.credID = rt["id"].(string), cred["id"].(string)
	if _, err := e.kube.CoreV1().Namespaces().Get(t.Context(), e.ns, metav1.GetOptions{}); err != nil {
		t.Fatalf("the runtime's namespace %s was not created: %v", e.ns, err)
	}
}

// waitJob waits for a job to end and returns it.
func waitJob(t *testing.T, c *client.Client, id string) obj {
	t.Helper()
	var j obj
	deadline := time.Now().Add(3 * time.Minute)
	for {
		j = do(t, c, http.MethodGet, "/v1/jobs/"+id, nil)
		if j["status"] == "successful" || j["status"] == "failed" {
			return j
		}
		if time.Now().After(deadline) {
			t.Fatalf("job %s not done after 3m: %v", id, j)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func (e *helmEnv) deployment(t *testing.T, clusterID string) (replicas, ready int32, chart string, ok bool) {
	t.Helper()
	deps, err := e.kube.AppsV1().Deployments(e.ns).List(t.Context(), metav1.ListOptions{LabelSelector: "app.kubernetes.io/instance=" + clusterID})
	if err != nil {
		t.Fatal(err)
	}
	if len(deps.Items) == 0 {
		return 0, 0, "", false
	}
	d := deps.Items[0]
	return *d.Spec.Replicas, d.Status.ReadyReplicas, d.Annotations["meta.helm.sh/release-name"] + " " + d.Labels["helm.sh/chart"], true
}

func (e *helmEnv) releaseSecrets(t *testing.T, clusterID string) int {
	t.Helper()
	s, err := e.kube.CoreV1().Secrets(e.ns).List(t.Context(), metav1.ListOptions{LabelSelector: "owner=helm,name=" + clusterID})
	if err != nil {
		t.Fatal(err)
	}
	return len(s.Items)
}

// TestHelmLifecycle deploys a chart from an HTTP chart repo to the real test API server through
// the API and checks every step on the API server itself.
func TestHelmLifecycle(t *testing.T) {
	e := newHelmEnv(t, t.TempDir())
	acc := do(t, e.admin, http.MethodPost, "/v1/clusters", obj{"name": "web", "version_id": e.v1, "runtime_id": e.runtimeID, "conf": obj{"replicaCount": 2}})
	id := acc["cluster_id"].(string)
	if j := waitJob(t, e.admin, acc["job_id"].(string)); j["status"] != "successful" {
		t.Fatalf("create job = %v\ntasks: %v", j, list(t, e.admin, "/v1/jobs/"+acc["job_id"].(string)+"/tasks", nil))
	}
	c := do(t, e.admin, http.MethodGet, "/v1/clusters/"+id, nil)
	if c["status"] != "active" || c["revision"] != 1.0 || c["release_status"] != "deployed" {
		t.Fatalf("cluster after create = %v", c)
	}
	if r, ready, _, ok := e.deployment(t, id); !ok || r != 2 || ready != 2 {
		t.Fatalf("deployment on the API server: replicas %d ready %d found %v", r, ready, ok)
	}

	acc = do(t, e.admin, http.MethodPost, "/v1/clusters/"+id+"/upgrade", obj{"version_id": e.v2, "conf": obj{"replicaCount": 3}})
	if j := waitJob(t, e.admin, acc["job_id"].(string)); j["status"] != "successful" {
		t.Fatalf("upgrade job = %v", j)
	}
	c = do(t, e.admin, http.MethodGet, "/v1/clusters/"+id, nil)
	if c["revision"] != 2.0 || c["version_id"] != e.v2 {
		t.Fatalf("cluster after upgrade = %v", c)
	}
	if r, ready, chart, _ := e.deployment(t, id); r != 3 || ready != 3 || !strings.Contains(chart, "web-0.2.0") {
		t.Fatalf("after upgrade: replicas %d ready %d chart %q", r, ready, chart)
	}

	acc = do(t, e.admin, http.MethodPost, "/v1/clusters/"+id+"/rollback", obj{})
	if j := waitJob(t, e.admin, acc["job_id"].(string)); j["status"] != "successful" {
		t.Fatalf("rollback job = %v", j)
	}
	if c = do(t, e.admin, http.MethodGet, "/v1/clusters/"+id, nil); c["revision"] != 3.0 {
		t.Fatalf("cluster after rollback = %v", c)
	}
	if r, _, chart, _ := e.deployment(t, id); r != 2 || !strings.Contains(chart, "web-0.1.0") {
		t.Fatalf("after rollback: replicas %d chart %q", r, chart)
	}

	// Invalid values are refused before anything runs, naming the path.
	err := e.admin.Do(t.Context(), http.MethodPost, "/v1/clusters/"+id+"/upgrade", nil, obj{"conf": obj{"replicaCount": "many"}}, nil)
	if ae := apiErr(t, err, 400, "invalid_argument"); !strings.Contains(fmt.Sprint(ae.Details), "replicaCount") {
		t.Fatalf("invalid values details = %v", ae.Details)
	}

	acc = do(t, e.admin, http.MethodDelete, "/v1/clusters/"+id, nil)
	if j := waitJob(t, e.admin, acc["job_id"].(string)); j["status"] != "successful" {
		t.Fatalf("delete job = %v", j)
	}
	if c = do(t, e.admin, http.MethodGet, "/v1/clusters/"+id, nil); c["status"] != "deleted" {
		t.Fatalf("cluster after delete = %v", c)
	}
	if _, _, _, ok := e.deployment(t, id); ok {
		t.Fatal("the deployment is still there after delete")
	}
	if n := e.releaseSecrets(t, id); n == 0 {
		t.Fatal("delete did not keep the release history")
	}
	acc = do(t, e.admin, http.MethodPost, "/v1/clusters/"+id+"/cease", obj{})
	if j := waitJob(t, e.admin, acc["job_id"].(string)); j["status"] != "successful" {
		t.Fatalf("cease job = %v", j)
	}
	if n := e.releaseSecrets(t, id); n != 0 {
		t.Fatalf("cease left %d release secrets", n)
	}
	apiErr(t, e.admin.Do(t.Context(), http.MethodPost, "/v1/clusters/"+id+"/start", nil, obj{}, nil), 409, "failed_precondition")
}

// TestHelmBadInput: bad kubeconfigs, unreachable servers, invalid values and wrong runtimes get
// clear 4xx answers and nothing is created.
func TestHelmBadInput(t *testing.T) {
	e := newHelmEnv(t, t.TempDir())
	cases := []struct {
		name, content, want string
	}{
		{"not a kubeconfig", "this: [is not", "kubeconfig"},
		{"unreachable server", strings.Replace(unreachable(e.kubeconfig), "\n", "\n", 1), "127.0.0.1:1"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := e.admin.Do(t.Context(), http.MethodPost, "/v1/runtime_credentials", nil, obj{"name": "bad", "provider": "kubernetes", "content": c.content}, nil)
			if ae := apiErr(t, err, 400, "invalid_argument"); !strings.Contains(fmt.Sprint(ae.Message, ae.Details), c.want) {
				t.Fatalf("error %q %v does not mention %q", ae.Message, ae.Details, c.want)
			}
		})
	}
	before := list(t, e.admin, "/v1/clusters", nil)
	err := e.admin.Do(t.Context(), http.MethodPost, "/v1/clusters", nil, obj{"name": "w", "version_id": e.v1, "runtime_id": e.runtimeID,
		"conf": "replicaCount: -3\nimage: {repository: nginx, extra: 1}\n"}, nil)
	ae := apiErr(t, err, 400, "invalid_argument")
	if !strings.Contains(fmt.Sprint(ae.Details), "replicaCount") || !strings.Contains(fmt.Sprint(ae.Details), "extra") {
		t.Fatalf("invalid values details = %v", ae.Details)
	}
	apiErr(t, e.admin.Do(t.Context(), http.MethodPost, "/v1/clusters", nil, obj{"name": "w", "version_id": "appv-nosuch", "runtime_id": e.runtimeID}, nil), 400, "invalid_argument")
	local := do(t, e.admin, http.MethodPost, "/v1/runtimes", obj{"name": "local", "provider": "local"})
	err = e.admin.Do(t.Context(), http.MethodPost, "/v1/clusters", nil, obj{"name": "w", "version_id": e.v1, "runtime_id": local["id"]}, nil)
	if ae := apiErr(t, err, 400, "invalid_argument"); ae.Details["runtime_id"] == nil {
		t.Fatalf("wrong runtime type details = %v", ae.Details)
	}
	if after := list(t, e.admin, "/v1/clusters", nil); len(after) != len(before) {
		t.Fatalf("refused creates made clusters: %v", after)
	}
}

// unreachable rewrites a kubeconfig's server to a loopback port nothing listens on.
func unreachable(kubeconfig string) string {
	var out []string
	for _, line := range strings.Split(kubeconfig, "\n") {
		if strings.HasPrefix(strings.TrimSpace(line), "server:") {
			line = line[:strings.Index(line, "server:")] + "server: https://127.0.0.1:1"
		}
		out = append(out, line)
	}
	return strings.Join(out, "\n")
}

// TestHelmKillDuringUpgrade kills the server with SIGKILL while an upgrade runs; after a restart
// the job ends (active, or cleanly failed) and a following upgrade works.
func TestHelmKillDuringUpgrade(t *testing.T) {
	dataDir := t.TempDir()
	e := newHelmEnv(t, dataDir)
	acc := do(t, e.admin, http.MethodPost, "/v1/clusters", obj{"name": "web", "version_id": e.v1, "runtime_id": e.runtimeID, "conf": obj{"replicaCount": 1}})
	id := acc["cluster_id"].(string)
	if j := waitJob(t, e.admin, acc["job_id"].(string)); j["status"] != "successful" {
		t.Fatalf("create job = %v", j)
	}
	acc = do(t, e.admin, http.MethodPost, "/v1/clusters/"+id+"/upgrade", obj{"version_id": e.v2, "conf": obj{"replicaCount": 2}})
	// Kill as soon as the upgrade's first task has started.
	eventually(t, "the upgrade starts", func() (bool, string) {
		tasks := list(t, e.admin, "/v1/jobs/"+acc["job_id"].(string)+"/tasks", nil)
		for _, tk := range tasks {
			if tk["status"] != "pending" {
				return true, ""
			}
		}
		return false, fmt.Sprint(tasks)
	})
	e.s.kill()
	s2 := startServer(t, dataDir, "--local-runtime=false")
	admin := s2.client(e.s.token())
	j := waitJob(t, admin, acc["job_id"].(string))
	c := do(t, admin, http.MethodGet, "/v1/clusters/"+id, nil)
	if c["transition_status"] != "" || (c["status"] != "active" && c["status"] != "failed") {
		t.Fatalf("after restart: job %v, cluster %v", j, c)
	}
	acc = do(t, admin, http.MethodPost, "/v1/clusters/"+id+"/upgrade", obj{"conf": obj{"replicaCount": 3}})
	if j := waitJob(t, admin, acc["job_id"].(string)); j["status"] != "successful" {
		t.Fatalf("upgrade after the crash = %v\ntasks %v", j, list(t, admin, "/v1/jobs/"+acc["job_id"].(string)+"/tasks", nil))
	}
	if r, ready, _, _ := e.deployment(t, id); r != 3 || ready != 3 {
		t.Fatalf("after the second upgrade: replicas %d ready %d", r, ready)
	}
	if err := s2.stop(); err != nil {
		t.Fatal(err)
	}
}
