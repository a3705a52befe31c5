package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pitrix/pitrix/http/client"
	"github.com/pitrix/pitrix/providers/pkgfile"
	"github.com/pitrix/pitrix/providers/pkgrepo"
)

const helloConfig = `{"type": "array", "properties": [
  {"key": "cluster", "type": "array", "properties": [
    {"key": "name", "type": "string", "default": "hello"},
    {"key": "node", "type": "array", "properties": [{"key": "count", "type": "integer", "default": 1, "min": 1, "max": 3}]}
  ]},
  {"key": "env", "type": "array", "properties": [{"key": "greeting", "type": "string", "default": "hi"}]}
]}`

const helloTemplate = `{"name": "{{cluster.name}}", "nodes": [{"container": {"type": "process"}, "count": {{cluster.node.count}},
  "services": {"start": {"cmd": "echo '{{env.greeting}}' > \"$PITRIX_ROOT/greeting.txt\""}}}]}`

// vmFiles returns the files of a small valid VM package.
func vmFiles(name, version, desc string) map[string][]byte {
	meta, _ := json.Marshal(map[string]string{"name": name, "version": version, "description": desc})
	return map[string][]byte{"package.json": meta, "config.json": []byte(helloConfig), "cluster.json.tmpl": []byte(helloTemplate)}
}

func writeSrc(t *testing.T, dir string, files map[string][]byte) {
	t.Helper()
	for p, b := range files {
		if err := os.MkdirAll(filepath.Dir(filepath.Join(dir, p)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, p), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// buildRepo packs each package of pkgs (name, version, description) into repoDir with an index.
func buildRepo(t *testing.T, repoDir string, pkgs [][3]string) {
	t.Helper()
	if err := os.RemoveAll(repoDir); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(repoDir, 0o755); err != nil {
		t.Fatal(err)
	}
	src := t.TempDir()
	var entries []pkgrepo.Entry
	for i, p := range pkgs {
		dir := filepath.Join(src, fmt.Sprint(i))
		writeSrc(t, dir, vmFiles(p[0], p[1], p[2]))
		e, err := pkgrepo.Pack(dir, repoDir, time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
		if err != nil {
			t.Fatal(err)
		}
		entries = append(entries, e)
	}
	if err := pkgrepo.WriteIndex(repoDir, entries, time.Now()); err != nil {
		t.Fatal(err)
	}
}

type page struct {
	TotalCount int               `json:"total_count"`
	Items      []json.RawMessage `json:"items"`
}

type obj = map[string]any

func list(t *testing.T, c *client.Client, path string, q url.Values) []obj {
	t.Helper()
	var p struct {
		TotalCount int   `json:"total_count"`
		Items      []obj `json:"items"`
	}
	if q == nil {
		q = url.Values{}
	}
	paged := !strings.HasPrefix(path, "/v1/admin/") && path != "/v1/frontgates"
	for _, whole := range []string{"/runtimes", "/files", "/tasks", "/nodes"} {
		paged = paged && !strings.HasSuffix(path, whole) // answered whole, no paging
	}
	if paged {
		q.Set("limit", "200")
	}
	if err := c.Do(ctxT(t), http.MethodGet, path, q, nil, &p); err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	if p.TotalCount != len(p.Items) {
		t.Fatalf("GET %s: total_count %d but %d items", path, p.TotalCount, len(p.Items))
	}
	return p.Items
}

func do(t *testing.T, c *client.Client, method, path string, body any) obj {
	t.Helper()
	var out obj
	if err := c.Do(ctxT(t), method, path, nil, body, &out); err != nil {
		var ae *client.APIError
		if errors.As(err, &ae) {
			t.Fatalf("%s %s: %v %v", method, path, err, ae.Details)
		}
		t.Fatalf("%s %s: %v", method, path, err)
	}
	return out
}

func apiErr(t *testing.T, err error, status int, code string) *client.APIError {
	t.Helper()
	var ae *client.APIError
	if !errors.As(err, &ae) {
		t.Fatalf("want HTTP %d %s, got %v", status, code, err)
	}
	if ae.Status != status || ae.Code != code {
		t.Fatalf("want HTTP %d %s, got %d %s: %s %v", status, code, ae.Status, ae.Code, ae.Message, ae.Details)
	}
	return ae
}

// waitEvent waits until the repo's newest event has finished and returns it.
func waitEvent(t *testing.T, c *client.Client, repoID, eventID string) obj {
	t.Helper()
	var ev obj
	eventually(t, "repo event "+eventID+" finishes", func() (bool, string) {
		for _, e := range list(t, c, "/v1/repos/"+repoID+"/events", nil) {
			if e["id"] == eventID {
				ev = e
				return e["status"] == "successful" || e["status"] == "failed", fmt.Sprint(e)
			}
		}
		return false, "no such event"
	})
	return ev
}

func byName(items []obj, key string) map[string]obj {
	m := map[string]obj{}
	for _, it := range items {
		m[fmt.Sprint(it[key])] = it
	}
	return m
}

// TestRepoLifecycle drives the real API of a real server process: an HTTP repo served on
// loopback is indexed, changed and indexed again (only the change applied), a version is
// reviewed to active, a runtime is created and matched, and after kill -9 everything is there.
func TestRepoLifecycle(t *testing.T) {
	dataDir := t.TempDir()
	repoDir := t.TempDir()
	buildRepo(t, repoDir, [][3]string{{"hello", "0.1.0", "first"}, {"hello", "0.2.0", "second"}, {"greeter", "1.0.0", "greets"}})
	hs := repoServer(t, repoDir)
	s := startServer(t, dataDir, "--local-runtime=false")
	admin := s.client(s.token())

	repo := do(t, admin, http.MethodPost, "/v1/repos", obj{"name": "e2e", "type": "http", "url": hs.URL, "visibility": "public",
		"providers": []string{"local"}, "index_interval": 0})
	repoID := repo["id"].(string)
	events := list(t, admin, "/v1/repos/"+repoID+"/events", nil)
	if len(events) != 1 {
		t.Fatalf("a new repo has %d events, want its first index", len(events))
	}
	ev := waitEvent(t, admin, repoID, events[0]["id"].(string))
	if ev["status"] != "successful" || ev["apps_added"] != 2.0 || ev["versions_added"] != 3.0 {
		t.Fatalf("first index = %v", ev)
	}
	apps := byName(list(t, admin, "/v1/apps", url.Values{"repo_id": {repoID}}), "name")
	if len(apps) != 2 || apps["hello"]["status"] != "draft" || apps["hello"]["type"] != "vm" {
		t.Fatalf("apps after first index = %v", apps)
	}
	helloID := apps["hello"]["id"].(string)
	versions := byName(list(t, admin, "/v1/apps/"+helloID+"/versions", nil), "name")
	if len(versions) != 2 || apps["hello"]["latest_version_id"] != versions["0.2.0"]["id"] {
		t.Fatalf("hello versions = %v, latest %v", versions, apps["hello"]["latest_version_id"])
	}

	// The same index again: skipped by ETag, nothing written.
	ev = waitEvent(t, admin, repoID, do(t, admin, http.MethodPost, "/v1/repos/"+repoID+"/index", nil)["id"].(string))
	if ev["status"] != "successful" || ev["skipped"] != true || ev["versions_added"] != 0.0 {
		t.Fatalf("unchanged index = %v", ev)
	}

	// Change the index: add hello 0.3.0, change greeter 1.0.0, drop hello 0.1.0.
	buildRepo(t, repoDir, [][3]string{{"hello", "0.2.0", "second"}, {"hello", "0.3.0", "third"}, {"greeter", "1.0.0", "greets better"}})
	ev = waitEvent(t, admin, repoID, do(t, admin, http.MethodPost, "/v1/repos/"+repoID+"/index", nil)["id"].(string))
	if ev["status"] != "successful" || ev["apps_added"] != 0.0 || ev["versions_added"] != 1.0 || ev["versions_updated"] != 1.0 || ev["versions_removed"] != 1.0 {
		t.Fatalf("changed index = %v", ev)
	}
	versions = byName(list(t, admin, "/v1/apps/"+helloID+"/versions", nil), "name")
	if len(versions) != 3 || versions["0.1.0"]["removed"] != true || versions["0.3.0"] == nil {
		t.Fatalf("hello versions after change = %v", versions)
	}
	if app := do(t, admin, http.MethodGet, "/v1/apps/"+helloID, nil); app["latest_version_id"] != versions["0.3.0"]["id"] {
		t.Fatalf("hello's latest version is %v, want 0.3.0's", app["latest_version_id"])
	}
	greeter := list(t, admin, "/v1/apps/"+apps["greeter"]["id"].(string)+"/versions", nil)
	if greeter[0]["description"] != "greets better" {
		t.Fatalf("greeter 1.0.0 = %v", greeter[0])
	}

	// Review hello 0.2.0 to active. A user sees it only then.
	user := do(t, admin, http.MethodPost, "/v1/users", obj{"name": "alice", "role": "user"})
	tok := do(t, admin, http.MethodPost, "/v1/users/"+user["id"].(string)+"/tokens", obj{"name": "e2e"})
	alice := s.client(tok["token"].(string))
	if got := list(t, alice, "/v1/apps", nil); len(got) != 0 {
		t.Fatalf("a user sees draft apps: %v", got)
	}
	vid := versions["0.2.0"]["id"].(string)
	err := alice.Do(ctxT(t), http.MethodPost, "/v1/app_versions/"+vid+"/pass", nil, obj{"message": "lgtm"}, nil)
	apiErr(t, err, 403, "permission_denied") // a user never reviews (actors/authz)
	err = admin.Do(ctxT(t), http.MethodPost, "/v1/app_versions/"+vid+"/release", nil, obj{}, nil)
	apiErr(t, err, 409, "failed_precondition")
	for _, step := range []struct{ action, want string }{{"submit", "submitted"}, {"pass", "passed"}, {"release", "active"}} {
		v := do(t, admin, http.MethodPost, "/v1/app_versions/"+vid+"/"+step.action, obj{"message": step.action + " it"})
		if v["status"] != step.want {
			t.Fatalf("%s: status %v, want %s", step.action, v["status"], step.want)
		}
	}
	if audits := list(t, admin, "/v1/app_versions/"+vid+"/audits", nil); len(audits) != 3 || audits[0]["status"] != "active" {
		t.Fatalf("audits = %v", audits)
	}
	seen := byName(list(t, alice, "/v1/apps", nil), "name")
	if len(seen) != 1 || seen["hello"]["status"] != "active" {
		t.Fatalf("the user sees %v, want only hello (active)", seen)
	}
	if vs := list(t, alice, "/v1/apps/"+helloID+"/versions", nil); len(vs) != 1 || vs[0]["id"] != vid {
		t.Fatalf("the user sees versions %v, want only the active one", vs)
	}

	// Runtimes matched by provider and the repo's selectors.
	do(t, admin, http.MethodPatch, "/v1/repos/"+repoID, obj{"selectors": obj{"env": []string{"dev"}}})
	dev := do(t, admin, http.MethodPost, "/v1/runtimes", obj{"name": "dev", "provider": "local", "labels": obj{"env": "dev"}})
	do(t, admin, http.MethodPost, "/v1/runtimes", obj{"name": "prod", "provider": "local", "labels": obj{"env": "prod"}})
	matched := list(t, admin, "/v1/app_versions/"+vid+"/runtimes", nil)
	if len(matched) != 1 || matched[0]["id"] != dev["id"] {
		t.Fatalf("matched runtimes = %v, want only %v", matched, dev["id"])
	}
	if got := list(t, alice, "/v1/app_versions/"+vid+"/runtimes", nil); len(got) != 0 {
		t.Fatalf("the user sees the admin's runtimes: %v", got)
	}

	// kill -9 after acknowledged writes; a restart has all of it.
	s.kill()
	s2 := startServer(t, dataDir, "--local-runtime=false")
	admin2 := s2.client(s.token())
	if got := list(t, admin2, "/v1/apps", url.Values{"repo_id": {repoID}}); len(got) != 2 {
		t.Fatalf("after restart apps = %v", got)
	}
	if v := do(t, admin2, http.MethodGet, "/v1/app_versions/"+vid, nil); v["status"] != "active" {
		t.Fatalf("after restart version = %v", v)
	}
	if got := list(t, admin2, "/v1/app_versions/"+vid+"/audits", nil); len(got) != 3 {
		t.Fatalf("after restart audits = %v", got)
	}
	if got := list(t, admin2, "/v1/runtimes", nil); len(got) != 2 {
		t.Fatalf("after restart runtimes = %v", got)
	}
	if got := list(t, s2.client(tok["token"].(string)), "/v1/apps", nil); len(got) != 1 {
		t.Fatalf("after restart the user's token sees %v", got)
	}
	if got := list(t, admin2, "/v1/repos/"+repoID+"/events", nil); len(got) != 3 {
		t.Fatalf("after restart events = %v", got)
	}
	if err := s2.stop(); err != nil {
		t.Fatal(err)
	}
}

func tgz(t *testing.T, top string, files map[string][]byte) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := pkgfile.Write(&b, top, files); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// TestUploadAndBadInput uploads packages and sends bad input of every kind: each gets a clear
// 4xx naming the problem, and nothing is written.
func TestUploadAndBadInput(t *testing.T) {
	s := startServer(t, t.TempDir(), "--local-runtime=false")
	admin := s.client(s.token())
	ctx := ctxT(t)
	upload := func(path string, body []byte, out any) error {
		return admin.Do(ctx, http.MethodPost, path, url.Values{"type": {"vm"}}, bytes.NewReader(body), out)
	}

	var up struct{ App, Version obj }
	if err := upload("/v1/apps", tgz(t, "hello", vmFiles("hello", "1.0.0", "uploaded")), &up); err != nil {
		t.Fatal(err)
	}
	if up.App["name"] != "hello" || up.Version["status"] != "draft" || up.Version["name"] != "1.0.0" {
		t.Fatalf("upload = %+v", up)
	}
	appID, vid := up.App["id"].(string), up.Version["id"].(string)
	if err := upload("/v1/apps/"+appID+"/versions", tgz(t, "hello", vmFiles("hello", "1.1.0", "next")), &up); err != nil {
		t.Fatal(err)
	}
	apiErr(t, upload("/v1/apps/"+appID+"/versions", tgz(t, "hello", vmFiles("hello", "1.1.0", "again")), nil), 409, "conflict")
	apiErr(t, upload("/v1/apps", tgz(t, "hello", vmFiles("hello", "2.0.0", "dup")), nil), 409, "conflict")
	var cfg bytes.Buffer
	if err := admin.Do(ctx, http.MethodGet, "/v1/app_versions/"+vid+"/files/config.json", nil, nil, &cfg); err != nil || cfg.String() != helloConfig {
		t.Fatalf("files/config.json = %q, %v", cfg.String(), err)
	}
	files := byName(list(t, admin, "/v1/app_versions/"+vid+"/files", nil), "path")
	if len(files) != 3 || files["config.json"]["size"] != float64(len(helloConfig)) {
		t.Fatalf("files = %v", files)
	}
	var pkg bytes.Buffer
	if err := admin.Do(ctx, http.MethodGet, "/v1/app_versions/"+vid+"/package", nil, nil, &pkg); err != nil || !bytes.Equal(pkg.Bytes(), tgz(t, "hello", vmFiles("hello", "1.0.0", "uploaded"))) {
		t.Fatalf("package download differs (%d bytes, %v)", pkg.Len(), err)
	}

	badTmpl := vmFiles("broken", "1.0.0", "x")
	badTmpl["cluster.json.tmpl"] = []byte(`{"name": {{cluster.name}, "nodes": []}`)
	badJSON := vmFiles("broken", "1.0.0", "x")
	badJSON["cluster.json.tmpl"] = []byte(`{"name": "{{cluster.name}}", "nodes": [}`)
	badConf := vmFiles("broken", "1.0.0", "x")
	badConf["config.json"] = []byte(`{"type": "array", "properties": [{"key": "cluster", "type": "array", "properties": [{"key": "x", "type": "integer", "default": 5, "max": 3}]}]}`)
	cases := []struct {
		name       string
		body       []byte
		status     int
		code, file string
	}{
		{"not gzip", []byte("this is not a package"), 400, "invalid_argument", "package"},
		{"template does not parse", tgz(t, "broken", badTmpl), 400, "invalid_argument", "cluster.json.tmpl"},
		{"template renders invalid JSON", tgz(t, "broken", badJSON), 400, "invalid_argument", "cluster.json.tmpl"},
		{"config default breaks its own max", tgz(t, "broken", badConf), 400, "invalid_argument", "config.json"},
		{"tar with ../", evilTar(t), 400, "invalid_argument", "package"},
		{"empty body", nil, 400, "invalid_argument", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ae := apiErr(t, upload("/v1/apps", c.body, nil), c.status, c.code)
			if _, ok := ae.Details[c.file]; c.file != "" && !ok {
				t.Fatalf("details %v do not name %s", ae.Details, c.file)
			}
		})
	}
	var val struct {
		OK     bool              `json:"ok"`
		Errors map[string]string `json:"errors"`
	}
	if err := admin.Do(ctx, http.MethodPost, "/v1/apps/validate_package", url.Values{"type": {"vm"}}, bytes.NewReader(tgz(t, "broken", badTmpl)), &val); err != nil || val.OK || val.Errors["cluster.json.tmpl"] == "" {
		t.Fatalf("validate_package = %+v, %v", val, err)
	}

	// JSON bodies: malformed, unknown fields, oversize.
	raw := func(body string) error {
		res, err := admin.Raw(ctx, http.MethodPost, "/v1/categories", nil, strings.NewReader(body), "application/json")
		if err != nil {
			return err
		}
		defer res.Body.Close()
		var e struct {
			Error struct {
				Code    string         `json:"code"`
				Message string         `json:"message"`
				Details map[string]any `json:"details"`
			} `json:"error"`
		}
		_ = json.NewDecoder(res.Body).Decode(&e)
		return &client.APIError{Status: res.StatusCode, Code: e.Error.Code, Message: e.Error.Message, Details: e.Error.Details}
	}
	apiErr(t, raw(`{"name": "db"`), 400, "invalid_argument")
	if ae := apiErr(t, raw(`{"name": "db", "colour": "red"}`), 400, "invalid_argument"); !strings.Contains(ae.Message+fmt.Sprint(ae.Details), "colour") {
		t.Fatalf("unknown field not named: %v %v", ae.Message, ae.Details)
	}
	apiErr(t, raw(`{"name": "`+strings.Repeat("x", 2<<20)+`"}`), 413, "too_large")
	apiErr(t, admin.Do(ctx, http.MethodPost, "/v1/repos", nil, obj{"name": "", "type": "ftp", "url": "x", "providers": []string{"mars"}}, nil), 400, "invalid_argument")

	// A repo whose index is not YAML is refused; nothing is created.
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "index.yaml"), []byte("entries: [this is: not: yaml"), 0o644); err != nil {
		t.Fatal(err)
	}
	ae := apiErr(t, admin.Do(ctx, http.MethodPost, "/v1/repos", nil, obj{"name": "bad", "type": "local", "url": dir, "providers": []string{"local"}}, nil), 400, "invalid_argument")
	if !strings.Contains(fmt.Sprint(ae.Details["url"]), "index.yaml") {
		t.Fatalf("the error does not name the index: %v", ae.Details)
	}
	if got := list(t, admin, "/v1/repos", nil); len(got) != 0 {
		t.Fatalf("a refused repo was stored: %v", got)
	}
	if got := list(t, admin, "/v1/apps", nil); len(got) != 1 {
		t.Fatalf("bad uploads wrote apps: %v", got)
	}
	if got := list(t, admin, "/v1/categories", nil); len(got) != 0 {
		t.Fatalf("bad bodies wrote categories: %v", got)
	}
}

// evilTar is a gzip tar whose entry climbs out of its folder.
func evilTar(t *testing.T) []byte {
	t.Helper()
	return tarOf(t, "../../etc/passwd", "root:x:0:0")
}

// TestFailedIndexKeepsCatalog: a repo that breaks after a good index keeps its catalog, and the
// event says why.
func TestFailedIndexKeepsCatalog(t *testing.T) {
	repoDir := t.TempDir()
	buildRepo(t, repoDir, [][3]string{{"hello", "0.1.0", "first"}})
	s := startServer(t, t.TempDir(), "--local-runtime=false")
	admin := s.client(s.token())
	repo := do(t, admin, http.MethodPost, "/v1/repos", obj{"name": "local", "type": "local", "url": repoDir, "providers": []string{"local"}, "index_interval": 0})
	repoID := repo["id"].(string)
	first := list(t, admin, "/v1/repos/"+repoID+"/events", nil)[0]
	if ev := waitEvent(t, admin, repoID, first["id"].(string)); ev["status"] != "successful" {
		t.Fatalf("first index = %v", ev)
	}
	if err := os.WriteFile(filepath.Join(repoDir, "index.yaml"), []byte("apiVersion: v1\nentries:\n  hello:\n  - {name: hello, version: [broken\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	ev := waitEvent(t, admin, repoID, do(t, admin, http.MethodPost, "/v1/repos/"+repoID+"/index", nil)["id"].(string))
	if ev["status"] != "failed" || !strings.Contains(fmt.Sprint(ev["result"]), "index.yaml") {
		t.Fatalf("broken index event = %v", ev)
	}
	apps := list(t, admin, "/v1/apps", url.Values{"repo_id": {repoID}})
	if len(apps) != 1 {
		t.Fatalf("after a failed index apps = %v", apps)
	}
	if vs := list(t, admin, "/v1/apps/"+apps[0]["id"].(string)+"/versions", nil); len(vs) != 1 || vs[0]["removed"] == true {
		t.Fatalf("after a failed index versions = %v", vs)
	}
}

// TestDemoAndCLI runs what `make run` runs and lists the demo apps with the CLI.
func TestDemoAndCLI(t *testing.T) {
	s := startServer(t, t.TempDir(), "--demo-src", filepath.Join(projectRoot(), "demo", "packages"))
	admin := s.client(s.token())
	eventually(t, "demo apps are listed", func() (bool, string) {
		got := list(t, admin, "/v1/apps", nil)
		return len(got) == 3, fmt.Sprint(got)
	})
	env := func(k string) string {
		return map[string]string{"PITRIX_SERVER": s.url, "PITRIX_TOKEN": s.token()}[k]
	}
	var out, errb bytes.Buffer
	if code := run(ctxT(t), []string{"app", "list"}, env, nil, &out, &errb); code != 0 {
		t.Fatalf("pitrix app list = %d: %s", code, errb.String())
	}
	for _, name := range []string{"redis", "hello", "web"} {
		if !strings.Contains(out.String(), name) {
			t.Fatalf("pitrix app list does not show %s:\n%s", name, out.String())
		}
	}
	out.Reset()
	if code := run(ctxT(t), []string{"runtime", "list", "-o", "json"}, env, nil, &out, &errb); code != 0 || !strings.Contains(out.String(), `"provider": "local"`) {
		t.Fatalf("pitrix runtime list = %d:\n%s%s", code, out.String(), errb.String())
	}
	// The demo VM app runs on the local runtime; the chart does not (no kubernetes runtime yet).
	apps := byName(list(t, admin, "/v1/apps", nil), "name")
	if got := list(t, admin, "/v1/app_versions/"+apps["redis"]["latest_version_id"].(string)+"/runtimes", nil); len(got) != 1 {
		t.Fatalf("redis runtimes = %v", got)
	}
	if got := list(t, admin, "/v1/app_versions/"+apps["web"]["latest_version_id"].(string)+"/runtimes", nil); len(got) != 0 {
		t.Fatalf("web runtimes = %v", got)
	}
	// The chart's package opens and shows its values.
	var values bytes.Buffer
	if err := admin.Do(ctxT(t), http.MethodGet, "/v1/app_versions/"+apps["web"]["latest_version_id"].(string)+"/files/values.yaml", nil, nil, &values); err != nil || !strings.Contains(values.String(), "replica") {
		t.Fatalf("web values.yaml = %q, %v", values.String(), err)
	}
	checkOperations(t, s, admin, apps["redis"]["repo_id"].(string))
	if err := s.stop(); err != nil {
		t.Fatal(err)
	}
}

// checkOperations checks health, readiness, metrics, OpenAPI and the actor inspector.
func checkOperations(t *testing.T, s *server, admin *client.Client, repoID string) {
	t.Helper()
	for _, path := range []string{"/healthz", "/readyz", "/v1/openapi.json"} {
		res, err := http.Get(s.url + path)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != 200 {
			t.Fatalf("GET %s without a token = %d", path, res.StatusCode)
		}
	}
	var metrics bytes.Buffer
	if err := admin.Do(ctxT(t), http.MethodGet, "/metrics", nil, nil, &metrics); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`pitrix_actor_activations{kind="repo"}`, "pitrix_store_commits_total", "pitrix_http_requests_total", "pitrix_cluster_members_alive 1"} {
		if !strings.Contains(metrics.String(), want) {
			t.Fatalf("metrics lack %s:\n%s", want, metrics.String())
		}
	}
	nodes := list(t, admin, "/v1/admin/nodes", nil)
	if len(nodes) != 1 || nodes[0]["status"] != "alive" || nodes[0]["self"] != true {
		t.Fatalf("nodes = %v", nodes)
	}
	actors := list(t, admin, "/v1/admin/actors", url.Values{"kind": {"repo"}})
	if len(actors) != 2 || actors[0]["node"] != nodes[0]["id"] {
		t.Fatalf("repo actors = %v", actors)
	}
	state := do(t, admin, http.MethodGet, "/v1/admin/actors/repo/"+repoID, nil)
	if r, ok := state["repo"].(obj); !ok || r["id"] != repoID {
		t.Fatalf("repo actor state = %v", state)
	}
	apiErr(t, admin.Do(ctxT(t), http.MethodGet, "/v1/admin/actors/repo/repo-nosuch", nil, nil, nil), 404, "not_found")
	user := do(t, admin, http.MethodPost, "/v1/users", obj{"name": "bob", "role": "isv"})
	tok := do(t, admin, http.MethodPost, "/v1/users/"+user["id"].(string)+"/tokens", obj{"name": "t"})
	bob := s.client(tok["token"].(string))
	apiErr(t, bob.Do(ctxT(t), http.MethodGet, "/v1/admin/actors", nil, nil, nil), 403, "permission_denied")
	apiErr(t, s.client("ptx_wrong").Do(ctxT(t), http.MethodGet, "/v1/apps", nil, nil, nil), 401, "unauthenticated")
}
