package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"io"
	"io/fs"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"

	"github.com/pitrix/pitrix/actors/store"
	"github.com/pitrix/pitrix/providers/pkgrepo"
)

// TestSecretsScan (issue 7): recognisable secrets sent as a runtime credential, a repo
// credential, user:password repo and credential URLs and password-type conf values (at create and by
// update_env) appear in no HTTP response, no line of the server's log (at debug), no inspector
// view and no file of the data dir — the Pebble store read record by record as well as every
// raw file (SSTs, WAL, raft log). The one place a password may be is the app's own disk on the
// local runtime (<data-dir>/local), which the app was deployed to receive it; the test checks it
// did.
func TestSecretsScan(t *testing.T) {
	canary := func(what string) string {
		b := make([]byte, 8)
		_, _ = rand.Read(b)
		return "Canary" + what + hex.EncodeToString(b)
	}
	credSecret, repoPass, urlPass, confPass, envPass := canary("Cred"), canary("RepoPw"), canary("UrlPw"), canary("Conf"), canary("Env")
	credURLPass := canary("CredUrlPw")
	secrets := []string{credSecret, repoPass, urlPass, confPass, envPass, credURLPass}

	e := &vmEnv{t: t, dataDir: t.TempDir(), edge: freePort(t)}
	t.Cleanup(func() { killUnder(t, e.dataDir) })
	e.s = startServer(t, e.dataDir, "--demo-src", filepath.Join(projectRoot(), "demo", "packages"), "--edge", e.edge, "--log-level", "debug")
	e.admin = e.s.client(e.s.token())
	e.versions = map[string]string{}
	eventually(t, "the local runtime is registered", func() (bool, string) {
		for _, rt := range list(t, e.admin, "/v1/runtimes", nil) {
			if rt["provider"] == "local" {
				e.runtimeID = rt["id"].(string)
				return true, ""
			}
		}
		return false, "no local runtime"
	})

	// Every response body of the test, to scan at the end.
	var seen bytes.Buffer
	call := func(method, path string, body any) obj {
		t.Helper()
		var raw bytes.Buffer
		err := e.admin.Do(ctxT(t), method, path, nil, body, &raw)
		seen.Write(raw.Bytes())
		if err != nil {
			seen.WriteString(err.Error())
			return nil
		}
		out := obj{}
		_ = json.Unmarshal(raw.Bytes(), &out)
		return out
	}

	// A runtime credential and a repo credential hold secrets; a repo URL with one is refused.
	cred := call(http.MethodPost, "/v1/runtime_credentials", obj{"name": "c", "provider": "kubernetes", "content": kubeconfigWithSpare(t, credSecret)})
	if cred == nil || cred["id"] == nil {
		t.Fatalf("credential = %v: %s", cred, seen.String())
	}
	if c := call(http.MethodPost, "/v1/runtime_credentials", obj{"name": "u", "provider": "kubernetes", "url": "https://admin:" + credURLPass + "@127.0.0.1:6443",
		"content": kubeconfigWithSpare(t, "unused")}); c != nil {
		t.Fatalf("a credential URL with user:password was accepted: %v", c)
	}
	dir := t.TempDir()
	buildRepo(t, dir, [][3]string{{"hello", "0.1.0", "behind a password"}})
	hs := repoServer(t, dir)
	repo := call(http.MethodPost, "/v1/repos", obj{"name": "guarded", "type": "http", "url": hs.URL, "providers": []string{"local"}, "index_interval": 0,
		"credential": obj{"username": "reader", "password": repoPass}})
	if repo == nil {
		t.Fatalf("repo with a credential was refused: %s", seen.String())
	}
	withUser := strings.Replace(hs.URL, "http://", "http://reader:"+urlPass+"@", 1)
	if r := call(http.MethodPost, "/v1/repos", obj{"name": "inline", "type": "http", "url": withUser, "providers": []string{"local"}}); r != nil {
		t.Fatalf("a repo URL with user:password was accepted: %v", r)
	}
	call(http.MethodPost, "/v1/repos/validate", obj{"type": "http", "url": withUser})

	// An app with a password-type setting, deployed and then given a new password.
	vid := e.uploadHello("vault", func(files map[string][]byte) {
		files["config.json"] = bytes.Replace(files["config.json"],
			[]byte(`{"key": "greeting", "type": "string"`),
			[]byte(`{"key": "secret", "type": "password", "default": "", "changeable": true},
      {"key": "greeting", "type": "string"`), 1)
		files["cluster.json.tmpl"] = bytes.Replace(files["cluster.json.tmpl"],
			[]byte(`"env": {"greeting": "{{env.greeting}}"},`),
			[]byte(`"env": {"greeting": "{{env.greeting}}", "secret": "{{env.secret}}"},`), 1)
		files["cluster.json.tmpl"] = bytes.Replace(files["cluster.json.tmpl"],
			[]byte(`"start": {"cmd": "cp \"$PITRIX_ROOT/etc/hello.conf\" \"$PITRIX_ROOT/greeting.txt\""}`),
			[]byte(`"start": {"cmd": "cp \"$PITRIX_ROOT/etc/hello.conf\" \"$PITRIX_ROOT/greeting.txt\" && echo '{{env.secret}}' > \"$PITRIX_ROOT/secret.txt\" && echo 'using {{env.secret}}'"}`), 1)
	})
	acc := call(http.MethodPost, "/v1/clusters", obj{"name": "vault", "version_id": vid, "runtime_id": e.runtimeID,
		"conf": obj{"env": obj{"secret": confPass}}})
	if acc == nil || acc["cluster_id"] == nil {
		t.Fatalf("create = %v: %s", acc, seen.String())
	}
	clusterID := acc["cluster_id"].(string)
	e.succeed(acc["job_id"].(string))
	node := e.nodes(clusterID)["node"][0]
	if got := readFile(t, filepath.Join(e.root(node["instance_id"].(string)), "secret.txt")); strings.TrimSpace(got) != confPass {
		t.Fatalf("the app did not receive its password: secret.txt = %q", got)
	}
	upd := call(http.MethodPost, "/v1/clusters/"+clusterID+"/update_env", obj{"env": obj{"secret": envPass}})
	if upd == nil {
		t.Fatalf("update_env: %s", seen.String())
	}
	e.succeed(upd["job_id"].(string))

	// Everything a caller can read about it.
	for _, p := range []string{"/v1/clusters/" + clusterID, "/v1/clusters", "/v1/clusters/" + clusterID + "/nodes",
		"/v1/runtime_credentials/" + cred["id"].(string), "/v1/runtime_credentials", "/v1/repos/" + repo["id"].(string), "/v1/repos",
		"/v1/jobs", "/v1/audit", "/v1/admin/actors"} {
		call(http.MethodGet, p, nil)
	}
	for _, j := range list(t, e.admin, "/v1/jobs", nil) {
		call(http.MethodGet, "/v1/jobs/"+j["id"].(string), nil)
		call(http.MethodGet, "/v1/jobs/"+j["id"].(string)+"/tasks", nil)
	}
	for _, a := range list(t, e.admin, "/v1/admin/actors", nil) {
		call(http.MethodGet, "/v1/admin/actors/"+a["kind"].(string)+"/"+a["id"].(string), nil)
	}
	if !strings.Contains(seen.String(), "ptxsecret-") {
		t.Errorf("the cluster's conf shows no reference where its password was")
	}
	for _, s := range secrets {
		if strings.Contains(seen.String(), s) {
			t.Errorf("a response holds the secret %s", s)
		}
	}

	if !strings.Contains(seen.String(), "using ******") {
		t.Errorf("the start task's output does not show its password masked")
	}
	del := call(http.MethodDelete, "/v1/clusters/"+clusterID, nil)
	if del == nil {
		t.Fatalf("delete: %s", seen.String())
	}
	e.succeed(del["job_id"].(string))
	cease := call(http.MethodPost, "/v1/clusters/"+clusterID+"/cease", nil)
	if cease == nil {
		t.Fatalf("cease: %s", seen.String())
	}
	e.succeed(cease["job_id"].(string))
	if err := e.s.stop(); err != nil {
		t.Fatal(err)
	}
	for _, s := range secrets {
		if strings.Contains(e.s.logText(), s) {
			t.Errorf("the server's log holds the secret %s", s)
		}
	}

	// Every file of the data dir, raw, except the local runtime's instances.
	files := 0
	err := filepath.WalkDir(e.dataDir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if path == filepath.Join(e.dataDir, "local") {
				return fs.SkipDir
			}
			return nil
		}
		if !d.Type().IsRegular() {
			return nil
		}
		f, err := os.Open(path)
		if err != nil {
			return err
		}
		defer f.Close()
		b, err := io.ReadAll(f)
		if err != nil {
			return err
		}
		files++
		for _, s := range secrets {
			if bytes.Contains(b, []byte(s)) {
				t.Errorf("%s holds the secret %s", path, s)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	// And the store record by record (SST blocks may be compressed, hiding bytes from a grep).
	db, err := store.Open(filepath.Join(e.dataDir, "store"), store.Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	records := 0
	err = db.Scan(ctxT(t), store.ScanOptions{}, func(r store.Record) error {
		records++
		if r.Key == "clustersecret/"+clusterID {
			t.Errorf("the sealed secrets of ceased cluster %s are still stored", clusterID)
		}
		for _, s := range secrets {
			if bytes.Contains(r.Value, []byte(s)) || strings.Contains(r.Key, s) {
				t.Errorf("store record %s holds the secret %s", r.Key, s)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("scanned %d bytes of responses, %d files, %d store records", seen.Len(), files, records)
}

// kubeconfigWithSpare is the test kubeconfig with an extra user, unused by its context, whose
// token is secret: a credential that works and holds a recognisable secret.
func kubeconfigWithSpare(t *testing.T, secret string) string {
	t.Helper()
	cfg, err := clientcmd.Load([]byte(testKubeconfig(t)))
	if err != nil {
		t.Fatal(err)
	}
	cfg.AuthInfos["spare"] = &clientcmdapi.AuthInfo{Token: secret}
	b, err := clientcmd.Write(*cfg)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestHelmSecretValues: a chart's values that its values.schema.json marks writeOnly are
// sealed as conf passwords are: the release gets the value (a Secret of the chart holds it), the
// cluster's conf, jobs, tasks and the store hold a reference, also after update_env.
func TestHelmSecretValues(t *testing.T) {
	kc := testKubeconfig(t)
	kcs := kube(t, kc)
	rnd := make([]byte, 8)
	_, _ = rand.Read(rnd)
	first, second := "CanaryHelm"+hex.EncodeToString(rnd), "CanaryHelmNext"+hex.EncodeToString(rnd)
	suffix := make([]byte, 4)
	_, _ = rand.Read(suffix)
	ns := "pitrix-e2e-" + hex.EncodeToString(suffix)
	t.Cleanup(func() { _ = kcs.CoreV1().Namespaces().Delete(context.Background(), ns, metav1.DeleteOptions{}) })

	// The demo chart with a write-only adminPassword that a Secret of the chart holds.
	dir := filepath.Join(t.TempDir(), "web")
	if err := os.CopyFS(dir, os.DirFS(filepath.Join(projectRoot(), "demo", "packages", "helm", "web"))); err != nil {
		t.Fatal(err)
	}
	schema, err := os.ReadFile(filepath.Join(dir, "values.schema.json"))
	if err != nil {
		t.Fatal(err)
	}
	schema = bytes.Replace(schema, []byte(`"replicaCount": {`), []byte(`"adminPassword": {"type": "string", "writeOnly": true},
    "replicaCount": {`), 1)
	writeSrc(t, dir, map[string][]byte{
		"values.schema.json": schema,
		"templates/admin-secret.yaml": []byte("apiVersion: v1\nkind: Secret\nmetadata:\n  name: {{ .Release.Name }}-admin\n" +
			"stringData:\n  password: {{ .Values.adminPassword | default \"\" | quote }}\n"),
	})
	out := t.TempDir()
	entry, err := pkgrepo.Pack(dir, out, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if err := pkgrepo.WriteIndex(out, []pkgrepo.Entry{entry}, time.Now()); err != nil {
		t.Fatal(err)
	}
	hs := repoServer(t, out)

	dataDir := t.TempDir()
	s := startServer(t, dataDir, "--local-runtime=false", "--log-level", "debug")
	admin := s.client(s.token())
	repo := do(t, admin, http.MethodPost, "/v1/repos", obj{"name": "charts", "type": "http", "url": hs.URL, "visibility": "public",
		"providers": []string{"kubernetes"}, "app_default_status": "active", "index_interval": 0})
	waitEvent(t, admin, repo["id"].(string), list(t, admin, "/v1/repos/"+repo["id"].(string)+"/events", nil)[0]["id"].(string))
	app := list(t, admin, "/v1/apps", url.Values{"repo_id": {repo["id"].(string)}})[0]
	vid := app["latest_version_id"].(string)
	cred := do(t, admin, http.MethodPost, "/v1/runtime_credentials", obj{"name": "k8s", "provider": "kubernetes", "content": kc})
	rt := do(t, admin, http.MethodPost, "/v1/runtimes", obj{"name": "k8s", "provider": "kubernetes", "zone": ns, "credential_id": cred["id"]})

	acc := do(t, admin, http.MethodPost, "/v1/clusters", obj{"name": "web", "version_id": vid, "runtime_id": rt["id"], "conf": obj{"adminPassword": first}})
	clusterID := acc["cluster_id"].(string)
	if j := waitJob(t, admin, acc["job_id"].(string)); j["status"] != "successful" {
		t.Fatalf("create = %v", j)
	}
	password := func() string {
		sec, err := kcs.CoreV1().Secrets(ns).Get(t.Context(), clusterID+"-admin", metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		return string(sec.Data["password"])
	}
	if got := password(); got != first {
		t.Fatalf("the release's secret holds %q, want the password given", got)
	}
	conf := do(t, admin, http.MethodGet, "/v1/clusters/"+clusterID, nil)["conf"].(map[string]any)
	if ref, _ := conf["adminPassword"].(string); !strings.HasPrefix(ref, "ptxsecret-") {
		t.Fatalf("the cluster's conf shows adminPassword %q, want a reference", ref)
	}
	upd := do(t, admin, http.MethodPost, "/v1/clusters/"+clusterID+"/update_env", obj{"env": obj{"adminPassword": second}})
	if j := waitJob(t, admin, upd["job_id"].(string)); j["status"] != "successful" {
		t.Fatalf("update_env = %v", j)
	}
	if got := password(); got != second {
		t.Fatalf("after update_env the release's secret holds %q", got)
	}

	var seen bytes.Buffer
	for _, p := range []string{"/v1/clusters/" + clusterID, "/v1/jobs", "/v1/admin/actors/appcluster/" + clusterID} {
		var raw bytes.Buffer
		if err := admin.Do(ctxT(t), http.MethodGet, p, nil, nil, &raw); err != nil {
			t.Fatalf("GET %s: %v", p, err)
		}
		seen.Write(raw.Bytes())
	}
	for _, j := range list(t, admin, "/v1/jobs", nil) {
		var raw bytes.Buffer
		if err := admin.Do(ctxT(t), http.MethodGet, "/v1/jobs/"+j["id"].(string)+"/tasks", nil, nil, &raw); err != nil {
			t.Fatal(err)
		}
		seen.Write(raw.Bytes())
	}
	if err := s.stop(); err != nil {
		t.Fatal(err)
	}
	db, err := store.Open(filepath.Join(dataDir, "store"), store.Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, secret := range []string{first, second} {
		if strings.Contains(seen.String(), secret) || strings.Contains(s.logText(), secret) {
			t.Errorf("a response or the log holds %s", secret)
		}
		err := db.Scan(ctxT(t), store.ScanOptions{}, func(r store.Record) error {
			if bytes.Contains(r.Value, []byte(secret)) {
				t.Errorf("store record %s holds %s", r.Key, secret)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
}
