package cli

import (
	"bytes"
	"encoding/json"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

type result struct {
	code           int
	stdout, stderr string
}

// runner runs the CLI in-process against a fake API, with PITRIX_SERVER and PITRIX_TOKEN
// pointing at it unless env overrides them.
type runner struct {
	t     *testing.T
	api   *fakeAPI
	env   map[string]string
	home  string
	stdin string
	poll  time.Duration // Env.pollEvery
}

func newRunner(t *testing.T) *runner {
	api := newFakeAPI(t)
	return &runner{t: t, api: api, home: t.TempDir(), env: map[string]string{
		"PITRIX_SERVER": api.srv.URL,
		"PITRIX_TOKEN":  api.token,
	}}
}

func (r *runner) run(args ...string) result {
	r.t.Helper()
	var out, errb bytes.Buffer
	code := Run(r.t.Context(), Env{
		Args:    args,
		Getenv:  func(k string) string { return r.env[k] },
		Stdin:   strings.NewReader(r.stdin),
		Stdout:  &out,
		Stderr:  &errb,
		HomeDir: r.home,

		pollEvery: r.poll,
	})
	return result{code: code, stdout: out.String(), stderr: errb.String()}
}

// ok runs args and fails the test unless they exit 0.
func (r *runner) ok(args ...string) string {
	r.t.Helper()
	res := r.run(args...)
	if res.code != 0 {
		r.t.Fatalf("pitrix %s: exit %d\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), res.code, res.stdout, res.stderr)
	}
	return res.stdout
}

// jsonOf runs args with -o json and decodes the output.
func (r *runner) jsonOf(args ...string) map[string]any {
	r.t.Helper()
	out := r.ok(append(args, "-o", "json")...)
	var m map[string]any
	if err := json.Unmarshal([]byte(out), &m); err != nil {
		r.t.Fatalf("pitrix %s -o json: output is not a JSON object: %v\n%s", strings.Join(args, " "), err, out)
	}
	return m
}

var idLine = regexp.MustCompile(`(?m)^\s*id:\s+(\S+)$`)

func objectID(t *testing.T, out string) string {
	t.Helper()
	m := idLine.FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("no id line in:\n%s", out)
	}
	return m[1]
}

func TestCategoryLifecycle(t *testing.T) {
	r := newRunner(t)
	out := r.ok("category", "create", "--name", "databases", "--description", "SQL and NoSQL")
	id := objectID(t, out)
	if !strings.HasPrefix(id, "ctg-") || !strings.Contains(out, "description: SQL and NoSQL") {
		t.Fatalf("create output:\n%s", out)
	}
	if got := r.api.last(); got.Method != "POST" || got.Path != "/v1/categories" || got.ContentType != "application/json" {
		t.Errorf("create request = %+v", got)
	}
	r.ok("category", "create", "--name", "web")

	out = r.ok("category", "list")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 4 || !regexp.MustCompile(`^ID\s+NAME\s+DESCRIPTION\s+CREATED_AT$`).MatchString(lines[0]) {
		t.Fatalf("list output:\n%s", out)
	}
	if !strings.HasPrefix(lines[1], "ctg-2") || !strings.Contains(lines[2], "SQL and NoSQL") || lines[3] != "total_count: 2" {
		t.Errorf("list rows (newest first, total last):\n%s", out)
	}
	// Columns are aligned: every row's NAME starts where the header's does.
	nameAt := strings.Index(lines[0], "NAME")
	for _, l := range lines[1:3] {
		if l[nameAt-1] != ' ' || l[nameAt] == ' ' {
			t.Errorf("row %q not aligned on NAME at %d", l, nameAt)
		}
	}

	list := r.jsonOf("category", "list", "--q", "data")
	if list["total_count"] != 1.0 {
		t.Errorf("json list = %v", list)
	}

	out = r.ok("category", "update", id, "--name", "db")
	if !regexp.MustCompile(`(?m)^name:\s+db$`).MatchString(out) {
		t.Errorf("update output:\n%s", out)
	}
	if body := string(r.api.last().Body); body != `{"name":"db"}` {
		t.Errorf("update sent %s, want only the given field", body)
	}
	if got := r.jsonOf("category", "get", id); got["name"] != "db" || got["description"] != "SQL and NoSQL" {
		t.Errorf("get after update = %v", got)
	}

	if out := r.ok("category", "delete", id); out != "deleted "+id+"\n" {
		t.Errorf("delete output = %q", out)
	}
	res := r.run("category", "get", id)
	if res.code != 1 || res.stdout != "" || res.stderr != `error: not_found: "`+id+`" not found`+"\n" {
		t.Errorf("get deleted: %+v", res)
	}
}

func TestRepoCreateSendsFields(t *testing.T) {
	r := newRunner(t)
	out := r.ok("repo", "create", "--name", "charts", "--url", "http://127.0.0.1:1/charts", "--type", "http",
		"--provider", "kubernetes", "--provider", "local,openstack", "--visibility", "public",
		"--label", "team=db", "--label", "tier=a=b", "--selector", "env=prod,dev", "--selector", "zone=z1",
		"--category", "ctg-x", "--app-default-status", "active", "--description", "D",
		"--username", "u", "--password", "p", "--credential", "region=r1")
	var got map[string]any
	if err := json.Unmarshal(r.api.last().Body, &got); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"name": "charts", "url": "http://127.0.0.1:1/charts", "type": "http", "visibility": "public",
		"providers": []any{"kubernetes", "local", "openstack"}, "labels": map[string]any{"team": "db", "tier": "a=b"},
		"selectors": map[string]any{"env": []any{"prod", "dev"}, "zone": []any{"z1"}}, "category_ids": []any{"ctg-x"},
		"app_default_status": "active", "description": "D",
		"credential": map[string]any{"username": "u", "password": "p", "region": "r1"},
	}
	if g, w := mustJSON(t, got), mustJSON(t, want); g != w {
		t.Errorf("create body:\n got %s\nwant %s", g, w)
	}
	for _, s := range []string{"providers:", "kubernetes,local,openstack", "labels:", "team=db,tier=a=b", "selectors:", "env=prod|dev,zone=z1"} {
		if !strings.Contains(out, s) {
			t.Errorf("create output lacks %q:\n%s", s, out)
		}
	}
	if strings.Contains(out, "password") {
		t.Errorf("output shows a secret:\n%s", out)
	}
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestListPagingAndFilters(t *testing.T) {
	r := newRunner(t)
	for _, n := range []string{"repo-a", "repo-b", "other"} {
		r.ok("repo", "create", "--name", n, "--url", "http://127.0.0.1:1/"+n)
	}
	out := r.ok("repo", "list", "--limit", "1", "--offset", "1", "--q", "repo")
	if q := r.api.last().Query; q != "limit=1&offset=1&q=repo" {
		t.Errorf("query = %q", q)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 3 || !strings.Contains(lines[1], "repo-a") || lines[2] != "total_count: 2" {
		t.Errorf("paged list:\n%s", out)
	}

	r.ok("app", "list", "--repo", "repo-1", "--category", "ctg-1", "--status", "active", "--filter", "owner=usr-1", "--sort", "name")
	if q := r.api.last().Query; q != "category_id=ctg-1&owner=usr-1&repo_id=repo-1&sort=name&status=active" {
		t.Errorf("app list query = %q", q)
	}
	if out := r.ok("app", "list"); out != "ID  NAME  TYPE  STATUS  REPO_ID  LATEST_VERSION_ID  UPDATED_AT\ntotal_count: 0\n" {
		t.Errorf("empty list = %q", out)
	}

	res := r.run("repo", "list", "--limit", "500")
	if res.code != 1 || !strings.Contains(res.stderr, "error: invalid_argument: invalid list\n  limit: at most 200\n") {
		t.Errorf("limit 500: %+v", res)
	}
}

func TestGlobalFlagPositions(t *testing.T) {
	r := newRunner(t)
	id := objectID(t, r.ok("category", "create", "--name", "c1"))
	tests := []struct {
		name string
		args []string
	}{
		{"before noun", []string{"-o", "json", "category", "get", id}},
		{"after verb", []string{"category", "get", "-o", "json", id}},
		{"after argument", []string{"category", "get", id, "-o", "json"}},
		{"long form", []string{"category", "get", id, "--output=json"}},
		{"later wins", []string{"-o", "table", "category", "get", id, "-o", "json"}},
		{"server after verb", []string{"--server", "http://127.0.0.1:1", "category", "get", id, "--server", r.api.srv.URL, "-o", "json"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := r.ok(tt.args...)
			var m map[string]any
			if err := json.Unmarshal([]byte(out), &m); err != nil || m["id"] != id {
				t.Errorf("output is not the JSON object (%v):\n%s", err, out)
			}
			if !strings.Contains(out, "\n  \"id\": ") {
				t.Errorf("JSON is not indented:\n%s", out)
			}
		})
	}
}

func TestUsageErrors(t *testing.T) {
	r := newRunner(t)
	tests := []struct {
		name   string
		args   []string
		stderr []string
	}{
		{"no args", nil, []string{"error: missing command", "Usage: pitrix <noun> <verb>"}},
		{"unknown noun", []string{"frobnicate"}, []string{`unknown command "frobnicate"`, "Nouns:"}},
		{"server is not ours", []string{"server", "--data-dir", "x"}, []string{`unknown command "server"`}},
		{"cluster create without version", []string{"cluster", "create", "--name", "zk", "--runtime", "rt-1"}, []string{"pitrix cluster create: --version is required"}},
		{"cluster bad --set", []string{"cluster", "create", "--name", "zk", "--version", "v", "--runtime", "r", "--set", "a..b=1"}, []string{"empty key"}},
		{"scale-out without role", []string{"cluster", "scale-out", "cl-1", "--count", "2"}, []string{"--role is required"}},
		{"scale-in without nodes", []string{"cluster", "scale-in", "cl-1"}, []string{"--node"}},
		{"resize without sizes", []string{"cluster", "resize", "cl-1", "--role", "main"}, []string{"--cpu"}},
		{"update-env without values", []string{"cluster", "update-env", "cl-1"}, []string{"--set key=value or --env FILE"}},
		{"job watch bad timeout", []string{"job", "watch", "j-1", "--timeout", "soon"}, []string{"-timeout"}},
		{"missing verb", []string{"repo"}, []string{"pitrix repo: missing verb", "Verbs:"}},
		{"unknown verb", []string{"repo", "explode"}, []string{`pitrix repo: unknown verb "explode"`}},
		{"bad flag", []string{"repo", "create", "--nmae", "x"}, []string{"unknown flag: --nmae", "pitrix repo create --help"}},
		{"bad global before noun", []string{"--sever", "x", "repo", "list"}, []string{"unknown flag: --sever"}},
		{"missing ID", []string{"repo", "get"}, []string{"pitrix repo get: missing ID"}},
		{"missing PATH", []string{"version", "file", "appv-1"}, []string{"missing PATH"}},
		{"extra arg", []string{"category", "get", "ctg-1", "ctg-2"}, []string{`unexpected argument "ctg-2"`}},
		{"bad output", []string{"category", "list", "-o", "yaml"}, []string{`invalid value "yaml" for flag -o`}},
		{"bad int", []string{"category", "list", "--limit", "ten"}, []string{`invalid argument "ten" for "--limit" flag`}},
		{"negative offset", []string{"category", "list", "--offset", "-1"}, []string{"flag -offset: must not be negative"}},
		{"bad label", []string{"repo", "create", "--label", "novalue"}, []string{`invalid argument "novalue" for "--label" flag: want KEY=VALUE`}},
		{"bad selector", []string{"repo", "create", "--selector", "env="}, []string{`"--selector" flag: want KEY=V1,V2`}},
		{"bad package type", []string{"app", "upload", "x.tgz", "--type", "rpm"}, []string{`invalid value "rpm" for flag -type`}},
		{"empty update", []string{"category", "update", "ctg-1"}, []string{"nothing to change"}},
		{"both contents", []string{"credential", "create", "--content", "a", "--content-file", "b"}, []string{"not both"}},
		{"help of unknown", []string{"help", "nope"}, []string{`help: unknown command "nope"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := r.api.count()
			res := r.run(tt.args...)
			if res.code != 2 {
				t.Errorf("exit %d, want 2; stderr:\n%s", res.code, res.stderr)
			}
			for _, s := range tt.stderr {
				if !strings.Contains(res.stderr, s) {
					t.Errorf("stderr lacks %q:\n%s", s, res.stderr)
				}
			}
			if res.stdout != "" {
				t.Errorf("stdout = %q, want nothing", res.stdout)
			}
			if r.api.count() != before {
				t.Errorf("a usage error called the server")
			}
		})
	}
}

func TestHelp(t *testing.T) {
	r := newRunner(t)
	tests := []struct {
		name string
		args []string
		want []string
	}{
		{"help", []string{"help"}, []string{"Usage: pitrix <noun> <verb>", "repo", "list|get|create|update|delete|index|events|validate", "--server URL", "PITRIX_TOKEN"}},
		{"--help", []string{"--help"}, []string{"Nouns:", "credential"}},
		{"noun --help", []string{"repo", "--help"}, []string{"Usage: pitrix repo <verb>", "index ID", "validate"}},
		{"help noun", []string{"help", "version"}, []string{"submit ID", "package ID", "audits ID"}},
		{"verb --help", []string{"repo", "create", "--help"}, []string{"Usage: pitrix repo create [flags]", "--app-default-status status", "--selector key=v1,v2", "Global flags: --server URL"}},
		{"verb -h after args", []string{"app", "upload", "x.tgz", "-h"}, []string{"Usage: pitrix app upload FILE [flags]", "--app ID", "--type type"}},
		{"help noun verb", []string{"help", "admin", "actors"}, []string{"--kind kind", "--node node", "--limit int"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := r.run(tt.args...)
			if res.code != 0 || res.stderr != "" {
				t.Fatalf("exit %d, stderr %q", res.code, res.stderr)
			}
			for _, s := range tt.want {
				if !strings.Contains(res.stdout, s) {
					t.Errorf("help lacks %q:\n%s", s, res.stdout)
				}
			}
		})
	}
	if n := r.api.count(); n != 0 {
		t.Errorf("help called the server %d times", n)
	}
}

func TestSettingsResolution(t *testing.T) {
	api := newFakeAPI(t)
	writeConfig := func(t *testing.T, home, content string) {
		t.Helper()
		dir := filepath.Join(home, ".config", "pitrix")
		if err := os.MkdirAll(dir, 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "config"), []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		name     string
		env      map[string]string
		config   string
		args     []string
		wantAuth string // "" means the call must fail with unauthenticated
	}{
		{name: "flag beats env", env: map[string]string{"PITRIX_SERVER": api.srv.URL, "PITRIX_TOKEN": "wrong"},
			args: []string{"--token", "admintok"}, wantAuth: "Bearer admintok"},
		{name: "env beats config", env: map[string]string{"PITRIX_TOKEN": "admintok"},
			config: "server=" + api.srv.URL + "\ntoken=wrong\n", wantAuth: "Bearer admintok"},
		{name: "config alone", config: "# pitrix\n\n server = " + api.srv.URL + " \ntoken=\"admintok\"\nfuture=1\n", wantAuth: "Bearer admintok"},
		{name: "explicit config file", env: map[string]string{"PITRIX_CONFIG": "CUSTOM"}, wantAuth: "Bearer admintok"},
		{name: "no token", env: map[string]string{"PITRIX_SERVER": api.srv.URL}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			home := t.TempDir()
			if tt.config != "" {
				writeConfig(t, home, tt.config)
			}
			env := map[string]string{}
			for k, v := range tt.env {
				env[k] = v
			}
			if env["PITRIX_CONFIG"] == "CUSTOM" {
				p := filepath.Join(t.TempDir(), "pitrix.conf")
				os.WriteFile(p, []byte("server="+api.srv.URL+"\ntoken=admintok\n"), 0o600)
				env["PITRIX_CONFIG"] = p
			}
			r := &runner{t: t, api: api, env: env, home: home}
			res := r.run(append(tt.args, "category", "list")...)
			if tt.wantAuth == "" {
				if res.code != 1 || !strings.Contains(res.stderr, "error: unauthenticated:") || !strings.Contains(res.stderr, "hint: no token given") {
					t.Errorf("want unauthenticated with a hint: %+v", res)
				}
				return
			}
			if res.code != 0 {
				t.Fatalf("exit %d: %s", res.code, res.stderr)
			}
			if got := api.last().Auth; got != tt.wantAuth {
				t.Errorf("Authorization = %q, want %q", got, tt.wantAuth)
			}
		})
	}

	t.Run("bad config file", func(t *testing.T) {
		home := t.TempDir()
		writeConfig(t, home, "server="+api.srv.URL+"\njust a line\n")
		r := &runner{t: t, api: api, env: map[string]string{}, home: home}
		res := r.run("category", "list")
		if res.code != 1 || !strings.Contains(res.stderr, "config") || !strings.Contains(res.stderr, "line 2: want key=value") {
			t.Errorf("bad config: %+v", res)
		}
	})
	t.Run("missing explicit config", func(t *testing.T) {
		r := &runner{t: t, api: api, env: map[string]string{"PITRIX_CONFIG": filepath.Join(t.TempDir(), "nope")}}
		if res := r.run("category", "list"); res.code != 1 || !strings.Contains(res.stderr, "read config") {
			t.Errorf("missing PITRIX_CONFIG file: %+v", res)
		}
	})
	t.Run("default server", func(t *testing.T) {
		st, err := resolveSettings(globals{}, Env{Getenv: func(string) string { return "" }}.withDefaults())
		if err != nil || st.server != "http://127.0.0.1:9080" || st.token != "" {
			t.Errorf("resolveSettings() = %+v, %v", st, err)
		}
	})
}

func TestConnectionRefused(t *testing.T) {
	srv := httptest.NewServer(nil)
	addr := srv.URL
	srv.Close()
	r := &runner{t: t, env: map[string]string{"PITRIX_SERVER": addr, "PITRIX_TOKEN": "x"}}
	res := r.run("repo", "list")
	if res.code != 1 || !strings.Contains(res.stderr, "connection refused") || !strings.Contains(res.stderr, "hint: is a server listening at "+addr) {
		t.Errorf("connection refused: %+v", res)
	}
}

func TestPackagesAndReview(t *testing.T) {
	r := newRunner(t)
	dir := t.TempDir()
	pkg := filepath.Join(dir, "zk-1.0.tgz")
	content := append([]byte{0x1f, 0x8b}, bytes.Repeat([]byte("zk"), 5000)...)
	if err := os.WriteFile(pkg, content, 0o600); err != nil {
		t.Fatal(err)
	}

	out := r.ok("app", "upload", pkg, "--type", "vm")
	req := r.api.last()
	if req.Path != "/v1/apps" || req.Query != "filename=zk-1.0.tgz&type=vm" || req.ContentType != "application/gzip" || !bytes.Equal(req.Body, content) {
		t.Errorf("upload request: %s %s?%s %s, %d bytes", req.Method, req.Path, req.Query, req.ContentType, len(req.Body))
	}
	if !strings.Contains(out, "app:\n") || !strings.Contains(out, "\nversion:\n") {
		t.Fatalf("upload output has no sections:\n%s", out)
	}
	up := r.jsonOf("app", "upload", pkg, "--type", "vm")
	appID := up["app"].(map[string]any)["id"].(string)
	verID := up["version"].(map[string]any)["id"].(string)

	r.stdin = string(content[:100])
	r.ok("app", "upload", "-", "--app", appID, "--version", "1.1")
	r.stdin = ""
	if req := r.api.last(); req.Path != "/v1/apps/"+appID+"/versions" || len(req.Body) != 100 || req.Query != "version=1.1" {
		t.Errorf("upload of a version from stdin: %s?%s, %d bytes", req.Path, req.Query, len(req.Body))
	}
	out = r.ok("app", "versions", appID)
	if !strings.Contains(out, "total_count: 2") || !strings.Contains(out, verID) {
		t.Errorf("versions:\n%s", out)
	}

	dest := filepath.Join(dir, "out.tgz")
	out = r.ok("version", "package", verID, "-f", dest)
	if got, err := os.ReadFile(dest); err != nil || !bytes.Equal(got, content) {
		t.Errorf("downloaded package differs (%v)", err)
	}
	if out != "wrote "+dest+" (10002 bytes)\n" {
		t.Errorf("package output = %q", out)
	}
	if out := r.ok("version", "package", verID); out != string(content) {
		t.Errorf("package to stdout: %d bytes", len(out))
	}
	res := r.run("version", "package", "appv-404", "-f", filepath.Join(dir, "missing.tgz"))
	if res.code != 1 || !strings.Contains(res.stderr, "not_found") {
		t.Errorf("missing package: %+v", res)
	}
	if _, err := os.Stat(filepath.Join(dir, "missing.tgz")); !os.IsNotExist(err) {
		t.Errorf("a failed download left a file: %v", err)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 2 {
		t.Errorf("temporary files left in %s: %v", dir, entries)
	}

	if out := r.ok("version", "file", verID, "config/config.json"); out != `{"type":"array"}` {
		t.Errorf("file = %q", out)
	}
	if p := r.api.last().Path; p != "/v1/app_versions/"+verID+"/files/config/config.json" {
		t.Errorf("file path = %q", p)
	}

	for _, step := range []string{"submit", "pass", "release", "suspend", "recover"} {
		r.ok("version", step, verID, "--message", "via "+step)
		if body := string(r.api.last().Body); body != `{"message":"via `+step+`"}` {
			t.Errorf("%s body = %s", step, body)
		}
	}
	if got := r.jsonOf("version", "get", verID); got["status"] != "active" {
		t.Errorf("status after review = %v", got["status"])
	}
	res = r.run("version", "reject", verID)
	if res.code != 1 || res.stderr != "error: failed_precondition: cannot reject a version in status active\n" {
		t.Errorf("reject an active version: %+v", res)
	}
}

func TestChecks(t *testing.T) {
	r := newRunner(t)
	bad := filepath.Join(t.TempDir(), "bad.tgz")
	os.WriteFile(bad, []byte("not gzip"), 0o600)
	res := r.run("app", "validate", bad, "--type", "helm")
	if res.code != 1 || !strings.Contains(res.stdout, "ok:") || !strings.Contains(res.stdout, "config.json=missing") {
		t.Errorf("invalid package: %+v", res)
	}
	if q := r.api.last().Query; q != "filename=bad.tgz&type=helm" {
		t.Errorf("validate query = %q", q)
	}
	res = r.run("repo", "validate", "--type", "http", "--url", "http://127.0.0.1:1/x", "-o", "json")
	if res.code != 0 || !strings.Contains(res.stdout, `"ok": true`) {
		t.Errorf("valid repo: %+v", res)
	}
	res = r.run("repo", "validate", "--type", "s3", "--url", "s3://b", "--credential", "access_key_id=k")
	if res.code != 1 || !regexp.MustCompile(`error:\s+cannot read index.yaml`).MatchString(res.stdout) {
		t.Errorf("unreadable repo: %+v", res)
	}
	if body := string(r.api.last().Body); body != `{"credential":{"access_key_id":"k"},"type":"s3","url":"s3://b"}` {
		t.Errorf("validate body = %s", body)
	}
}

func TestAPIErrorDetails(t *testing.T) {
	r := newRunner(t)
	res := r.run("repo", "create", "--description", "no name")
	want := "error: invalid_argument: invalid repos\n  name: is required\n  url: is required\n"
	if res.code != 1 || res.stderr != want || res.stdout != "" {
		t.Errorf("got exit %d stderr:\n%s\nwant:\n%s", res.code, res.stderr, want)
	}
}

func TestRuntimesCredentialsAdmin(t *testing.T) {
	r := newRunner(t)
	kube := "apiVersion: v1\nkind: Config\n"
	r.stdin = kube
	cred := r.jsonOf("credential", "create", "--name", "k", "--provider", "kubernetes", "--content-file", "-")
	r.stdin = ""
	var sent map[string]any
	json.Unmarshal(r.api.last().Body, &sent)
	if sent["content"] != kube || cred["content"] != nil {
		t.Errorf("credential: sent %v, got back %v", sent, cred)
	}
	rt := r.jsonOf("runtime", "create", "--name", "dev", "--provider", "kubernetes", "--zone", "ns1",
		"--credential", cred["id"].(string), "--label", "env=dev")
	if rt["credential_id"] != cred["id"] || rt["zone"] != "ns1" {
		t.Errorf("runtime = %v", rt)
	}
	out := r.ok("runtime", "list", "--provider", "kubernetes")
	if r.api.last().Query != "provider=kubernetes" || !strings.Contains(out, "env=dev") {
		t.Errorf("runtime list (query %q):\n%s", r.api.last().Query, out)
	}

	out = r.ok("provider", "list")
	if !regexp.MustCompile(`(?m)^local\s+vm\s+z1,z2$`).MatchString(out) || !regexp.MustCompile(`(?m)^kubernetes\s+helm\s+-$`).MatchString(out) {
		t.Errorf("provider list:\n%s", out)
	}
	out = r.ok("admin", "nodes")
	if !regexp.MustCompile(`(?m)^n1\s+127.0.0.1:7946\s+alive\s+leader\s+true\s+2\s+40\s+39\s+3$`).MatchString(out) || strings.Contains(out, "total_count") {
		t.Errorf("admin nodes (a bare array):\n%s", out)
	}
	out = r.ok("admin", "actor", "appcluster", "cl-1")
	if r.api.last().Path != "/v1/admin/actors/appcluster/cl-1" || !strings.Contains(out, "\"state\": {\n") {
		t.Errorf("admin actor:\n%s", out)
	}
}

func TestRunWithNilEnv(t *testing.T) {
	if code := Run(t.Context(), Env{Args: []string{"help"}}); code != 0 {
		t.Errorf("help with a zero Env: exit %d", code)
	}
	if code := Run(t.Context(), Env{}); code != 2 {
		t.Errorf("no args with a zero Env: exit %d", code)
	}
}

// TestVerbRequests checks the request each verb sends and the exit code of its answer.
func TestVerbRequests(t *testing.T) {
	r := newRunner(t)
	repo := r.jsonOf("repo", "create", "--name", "r", "--url", "http://127.0.0.1:1/r")["id"].(string)
	rt := r.jsonOf("runtime", "create", "--name", "rt", "--provider", "local")["id"].(string)
	tests := []struct {
		name         string
		args         []string
		method, path string
		query, body  string
		code         int
		stdout       string
	}{
		{"repo update", []string{"repo", "update", repo, "--visibility", "private", "--provider", "kubernetes"},
			"PATCH", "/v1/repos/" + repo, "", `{"providers":["kubernetes"],"visibility":"private"}`, 0, "visibility: private"},
		{"repo index", []string{"repo", "index", repo}, "POST", "/v1/repos/" + repo + "/index", "", "", 0, "status:           pending"},
		{"repo events", []string{"repo", "events", repo, "--status", "failed", "--limit", "5"},
			"GET", "/v1/repos/" + repo + "/events", "limit=5&status=failed", "", 0, "total_count: 0"},
		{"repo delete json", []string{"repo", "delete", repo, "-o", "json"}, "DELETE", "/v1/repos/" + repo, "", "", 0, ""},
		{"app update", []string{"app", "update", "app-x", "--keyword", "db,kv", "--home", ""},
			"PATCH", "/v1/apps/app-x", "", `{"home":"","keywords":["db","kv"]}`, 1, ""},
		{"version files", []string{"version", "files", "appv-1"}, "GET", "/v1/app_versions/appv-1/files", "", "", 0, "config.json  16"},
		{"version audits", []string{"version", "audits", "appv-1", "--offset", "2"}, "GET", "/v1/app_versions/appv-1/audits", "offset=2", "", 0, "ACTION"},
		{"version runtimes", []string{"version", "runtimes", "appv-1"}, "GET", "/v1/app_versions/appv-1/runtimes", "", "", 0, "PROVIDER"},
		{"runtime update", []string{"runtime", "update", rt, "--label", "env=dev", "--credential", "rcred-9"},
			"PATCH", "/v1/runtimes/" + rt, "", `{"credential_id":"rcred-9","labels":{"env":"dev"}}`, 0, "credential_id: rcred-9"},
		{"credential validate", []string{"credential", "validate", "rcred-1"}, "POST", "/v1/runtime_credentials/rcred-1/validate", "", "", 1, "cluster unreachable"},
		{"admin actors", []string{"admin", "actors", "--kind", "repo", "--node", "n1"}, "GET", "/v1/admin/actors", "kind=repo&node=n1", "", 0, "repo  repo-1  n1"},
		{"escaped id", []string{"category", "get", "../repos"}, "GET", "/v1/categories/..%2Frepos", "", "", 1, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := r.run(tt.args...)
			if res.code != tt.code {
				t.Errorf("exit %d, want %d; stderr: %s", res.code, tt.code, res.stderr)
			}
			req := r.api.last()
			if req.Method != tt.method || req.Path != tt.path || req.Query != tt.query || string(req.Body) != tt.body {
				t.Errorf("request %s %s?%s %s\n   want %s %s?%s %s", req.Method, req.Path, req.Query, req.Body, tt.method, tt.path, tt.query, tt.body)
			}
			if !strings.Contains(res.stdout, tt.stdout) {
				t.Errorf("stdout lacks %q:\n%s", tt.stdout, res.stdout)
			}
		})
	}
}
