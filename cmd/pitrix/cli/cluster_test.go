package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// lastTo returns the last request the fake saw for method and path.
func (f *fakeAPI) lastTo(method, path string) (fakeRequest, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for i := len(f.requests) - 1; i >= 0; i-- {
		if r := f.requests[i]; r.Method == method && r.Path == path {
			return r, true
		}
	}
	return fakeRequest{}, false
}

func createOut(t *testing.T, r *runner, name string, extra ...string) (clusterID, jobID string) {
	t.Helper()
	out := r.ok(append([]string{"cluster", "create", "--name", name, "--version", "appv-1", "--runtime", "rt-1"}, extra...)...)
	m := regexp.MustCompile(`(?m)^cluster_id:\s+(\S+)\njob_id:\s+(\S+)$`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("create output:\n%s", out)
	}
	return m[1], m[2]
}

func TestClusterCreateConf(t *testing.T) {
	r := newRunner(t)
	conf := filepath.Join(t.TempDir(), "conf.yaml")
	os.WriteFile(conf, []byte("cluster:\n  name: zk\n  zk_node:\n    count: 3\n    cpu: 1\nenv:\n  tick: 2000\n"), 0o600)
	_, _ = createOut(t, r, "zk", "--app", "app-9", "--description", "three nodes", "--conf", conf,
		"--set", "cluster.zk_node.count=5", "--set", "env.debug=true", "--set", "env.opts=-Xmx1g",
		"--set", `env.id="007"`, "--set", "env.none=null", "--set", "env.list=[1]", "--set", "env.big=12345678901234567890")
	d := json.NewDecoder(strings.NewReader(string(r.api.last().Body)))
	d.UseNumber()
	var got map[string]any
	if err := d.Decode(&got); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"name": "zk", "version_id": "appv-1", "runtime_id": "rt-1", "app_id": "app-9", "description": "three nodes",
		"conf": map[string]any{
			"cluster": map[string]any{"name": "zk", "zk_node": map[string]any{"count": 5, "cpu": 1}},
			"env": map[string]any{"tick": 2000, "debug": true, "opts": "-Xmx1g", "id": "007", "none": nil,
				"list": "[1]", "big": json.Number("12345678901234567890")},
		},
	}
	if g, w := mustJSON(t, got), mustJSON(t, want); g != w {
		t.Errorf("create body:\n got %s\nwant %s", g, w)
	}

	t.Run("conf from stdin as JSON", func(t *testing.T) {
		r.stdin = `{"replicaCount": 2, "image": {"tag": "v1"}}`
		defer func() { r.stdin = "" }()
		createOut(t, r, "web", "--conf", "-", "--set", "image.tag=v2")
		var body struct {
			Conf map[string]any `json:"conf"`
		}
		json.Unmarshal(r.api.last().Body, &body)
		if mustJSON(t, body.Conf) != `{"image":{"tag":"v2"},"replicaCount":2}` {
			t.Errorf("conf %v", body.Conf)
		}
	})
	t.Run("no conf sends none", func(t *testing.T) {
		createOut(t, r, "plain")
		if strings.Contains(string(r.api.last().Body), "conf") {
			t.Errorf("body %s", r.api.last().Body)
		}
	})
	t.Run("bad conf file", func(t *testing.T) {
		bad := filepath.Join(t.TempDir(), "bad.yaml")
		os.WriteFile(bad, []byte("- a\n- b\n"), 0o600)
		res := r.run("cluster", "create", "--name", "x", "--version", "v", "--runtime", "r", "--conf", bad)
		if res.code != 1 || !strings.Contains(res.stderr, "top level must be an object") {
			t.Errorf("%+v", res)
		}
	})
	t.Run("set through a scalar", func(t *testing.T) {
		res := r.run("cluster", "create", "--name", "x", "--version", "v", "--runtime", "r", "--conf", conf, "--set", "env.tick.ms=1")
		if res.code != 2 || !strings.Contains(res.stderr, "env.tick is not an object") {
			t.Errorf("%+v", res)
		}
	})
	t.Run("server validation shown", func(t *testing.T) {
		res := r.run("cluster", "create", "--name", "x", "--version", "v", "--runtime", "")
		if res.code != 2 || !strings.Contains(res.stderr, "--runtime is required") {
			t.Errorf("%+v", res)
		}
	})
}

func TestClusterListGetNodes(t *testing.T) {
	r := newRunner(t)
	a, _ := createOut(t, r, "alpha")
	createOut(t, r, "beta")
	out := r.ok("cluster", "list", "--runtime", "rt-1", "--status", "pending")
	if q := r.api.last().Query; q != "runtime_id=rt-1&status=pending" {
		t.Errorf("query %q", q)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if !regexp.MustCompile(`^ID\s+NAME\s+STATUS\s+TRANSITION\s+APP_ID\s+VERSION_ID\s+RUNTIME_ID\s+UPDATED_AT$`).MatchString(lines[0]) ||
		len(lines) != 4 || !regexp.MustCompile(`^cl-\d+\s+beta\s+pending\s+creating\s+app-1\s+appv-1\s+rt-1\s+2025`).MatchString(lines[1]) {
		t.Errorf("list:\n%s", out)
	}
	out = r.ok("cluster", "get", a)
	if !regexp.MustCompile(`(?m)^transition_status:\s+creating$`).MatchString(out) || objectID(t, out) != a {
		t.Errorf("get:\n%s", out)
	}
	out = r.ok("cluster", "nodes", a)
	if !regexp.MustCompile(`(?s)^ID\s+ROLE\s+INSTANCE_ID\s+PRIVATE_IP\s+STATUS\s+HEALTH\n` + a + `-n1\s+main\s+i-1\s+10\.0\.0\.5\s+running\s+ok\n`).MatchString(out) {
		t.Errorf("nodes:\n%s", out)
	}
}

func TestClusterActionsSend(t *testing.T) {
	r := newRunner(t)
	id, _ := createOut(t, r, "zk")
	envFile := filepath.Join(t.TempDir(), "env.json")
	os.WriteFile(envFile, []byte(`{"JAVA_OPTS": "-Xmx1g"}`), 0o600)
	tests := []struct {
		args   []string
		method string
		action string
		body   string
	}{
		{[]string{"stop", id}, "POST", "stop", ""},
		{[]string{"recover", id}, "POST", "recover", ""},
		{[]string{"cease", id}, "POST", "cease", ""},
		{[]string{"delete", id}, "DELETE", "", ""},
		{[]string{"scale-out", id, "--role", "main", "--count", "2"}, "POST", "add_nodes", `{"count":2,"role":"main"}`},
		{[]string{"scale-in", id, "--node", "n1", "--node", "n2,n3"}, "POST", "delete_nodes", `{"node_ids":["n1","n2","n3"]}`},
		{[]string{"resize", id, "--role", "main", "--cpu", "2", "--memory", "4096"}, "POST", "resize", `{"roles":[{"cpu":2,"memory":4096,"role":"main"}]}`},
		{[]string{"resize", id, "--role", "db", "--volume-size", "20"}, "POST", "resize", `{"roles":[{"role":"db","volume_size":20}]}`},
		{[]string{"update-env", id, "--set", "PORT=8080", "--set", "MODE=fast"}, "POST", "update_env", `{"env":{"MODE":"fast","PORT":8080}}`},
		{[]string{"update-env", id, "--env", envFile}, "POST", "update_env", `{"env":{"JAVA_OPTS":"-Xmx1g"}}`},
		{[]string{"upgrade", id, "--version", "appv-2", "--set", "image.tag=v2"}, "POST", "upgrade", `{"conf":{"image":{"tag":"v2"}},"version_id":"appv-2"}`},
		{[]string{"rollback", id, "--revision", "3"}, "POST", "rollback", `{"revision":3}`},
		{[]string{"rollback", id}, "POST", "rollback", ""},
	}
	for _, tc := range tests {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			out := r.ok(append([]string{"cluster"}, tc.args...)...)
			path := "/v1/clusters/" + id
			if tc.action != "" {
				path += "/" + tc.action
			}
			req, ok := r.api.lastTo(tc.method, path)
			if !ok {
				t.Fatalf("no %s %s", tc.method, path)
			}
			if body := string(req.Body); body != tc.body {
				t.Errorf("body %s, want %s", body, tc.body)
			}
			if !regexp.MustCompile(`(?m)^cluster_id:\s+` + id + `\njob_id:\s+j-\d+$`).MatchString(out) {
				t.Errorf("output:\n%s", out)
			}
		})
	}
	t.Run("conflict is an error", func(t *testing.T) {
		res := r.run("cluster", "start", id)
		if res.code != 1 || !strings.Contains(res.stderr, "error: failed_precondition: cannot start a cluster in status pending") {
			t.Errorf("%+v", res)
		}
	})
}

func TestClusterWait(t *testing.T) {
	t.Run("successful over the event stream", func(t *testing.T) {
		r := newRunner(t)
		out := r.ok("cluster", "create", "--name", "zk", "--version", "appv-1", "--runtime", "rt-1", "--wait")
		m := regexp.MustCompile(`job_id:\s+(j-\d+)`).FindStringSubmatch(out)
		if m == nil {
			t.Fatalf("output:\n%s", out)
		}
		job := m[1]
		want := "job " + job + " pending 0/3 tasks\njob " + job + " working 1/3 tasks\njob " + job +
			" working 2/3 tasks\njob " + job + " successful 3/3 tasks\n"
		if !strings.HasSuffix(out, want) {
			t.Errorf("progress:\n%s\nwant suffix:\n%s", out, want)
		}
		if req, ok := r.api.lastTo("GET", "/v1/events"); !ok || req.Query != "cluster_id=cl-1" {
			t.Errorf("events request %+v", req)
		}
		if strings.Contains(out, "j-other") {
			t.Errorf("another job's events shown:\n%s", out)
		}
	})
	t.Run("task events make it fetch the job", func(t *testing.T) {
		r := newRunner(t)
		_, job := createOut(t, r, "zk")
		r.api.cl.mu.Lock()
		r.api.cl.taskEvents = true
		r.api.cl.mu.Unlock()
		out := r.ok("job", "watch", job)
		want := "job " + job + " pending 0/3 tasks\njob " + job + " working 1/3 tasks\njob " + job +
			" working 2/3 tasks\njob " + job + " successful 3/3 tasks\n"
		if out != want {
			t.Errorf("progress:\n%s\nwant:\n%s", out, want)
		}
	})
	t.Run("failed job exits 1 with its errors", func(t *testing.T) {
		r := newRunner(t)
		res := r.run("cluster", "create", "--name", "bad-zk", "--version", "appv-1", "--runtime", "rt-1", "--wait")
		if res.code != 1 {
			t.Fatalf("exit %d\n%s\n%s", res.code, res.stdout, res.stderr)
		}
		if !strings.Contains(res.stdout, "job j-2 failed 1/3 tasks") {
			t.Errorf("stdout:\n%s", res.stdout)
		}
		want := "error: job j-2 (create) failed: task j-2-t2 failed\n  task j-2-t2 create node-2: quota exceeded: 0 cores left\n"
		if res.stderr != want {
			t.Errorf("stderr:\n%q\nwant\n%q", res.stderr, want)
		}
		// Retry, and follow the retried job to its end.
		out := r.ok("job", "retry", "j-2", "--wait")
		if !strings.HasSuffix(out, "job j-2 successful 3/3 tasks\n") {
			t.Errorf("retry:\n%s", out)
		}
	})
	t.Run("json output is the job", func(t *testing.T) {
		r := newRunner(t)
		res := r.run("cluster", "create", "--name", "zk", "--version", "appv-1", "--runtime", "rt-1", "--wait", "-o", "json")
		if res.code != 0 {
			t.Fatalf("%+v", res)
		}
		var job map[string]any
		if err := json.Unmarshal([]byte(res.stdout), &job); err != nil || job["status"] != "successful" || job["id"] != "j-2" {
			t.Errorf("stdout %q (%v)", res.stdout, err)
		}
		if !strings.Contains(res.stderr, "job j-2 successful 3/3 tasks") {
			t.Errorf("progress not on stderr: %q", res.stderr)
		}
	})
}

func TestJobWatchFallbackAndTimeout(t *testing.T) {
	for _, tc := range []struct {
		name string
		set  func(*fakeClusters)
		hint string
	}{
		{"stream refused", func(fc *fakeClusters) { fc.sseDown = true }, "event stream: client: GET /v1/events: unavailable: events are not available (HTTP 503)"},
		{"stream ends early", func(fc *fakeClusters) { fc.sseEndEarly = true }, "event stream: ended before the job did"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := newRunner(t)
			r.poll = 5 * time.Millisecond
			_, job := createOut(t, r, "zk")
			r.api.cl.mu.Lock()
			tc.set(r.api.cl)
			r.api.cl.mu.Unlock()
			res := r.run("job", "watch", job)
			if res.code != 0 {
				t.Fatalf("%+v", res)
			}
			if !strings.Contains(res.stderr, tc.hint) || !strings.Contains(res.stderr, "polling the job every 5ms") {
				t.Errorf("stderr %q", res.stderr)
			}
			if !strings.HasSuffix(res.stdout, "job "+job+" working 2/3 tasks\njob "+job+" successful 3/3 tasks\n") {
				t.Errorf("stdout:\n%s", res.stdout)
			}
		})
	}
	t.Run("timeout", func(t *testing.T) {
		r := newRunner(t)
		_, job := createOut(t, r, "stuck-zk")
		res := r.run("job", "watch", job, "--timeout", "100ms")
		if res.code != 1 || !strings.Contains(res.stderr, "job "+job+" still running after 100ms") ||
			!strings.Contains(res.stderr, "pitrix job watch "+job) {
			t.Errorf("%+v", res)
		}
		if res.stdout != "job "+job+" pending 0/3 tasks\n" {
			t.Errorf("stdout %q", res.stdout)
		}
	})
	t.Run("unknown job", func(t *testing.T) {
		r := newRunner(t)
		res := r.run("job", "watch", "j-404")
		if res.code != 1 || !strings.Contains(res.stderr, `error: not_found: "j-404" not found`) {
			t.Errorf("%+v", res)
		}
	})
}

func TestJobListAndTasks(t *testing.T) {
	r := newRunner(t)
	cl, job := createOut(t, r, "bad-zk")
	r.run("job", "watch", job) // fails the job
	out := r.ok("job", "list", "--cluster", cl, "--status", "failed")
	if q := r.api.last().Query; q != "cluster_id="+cl+"&status=failed" {
		t.Errorf("query %q", q)
	}
	if !regexp.MustCompile(`^ID\s+CLUSTER_ID\s+ACTION\s+STATUS\s+DONE\s+TOTAL\s+ERROR\s+CREATED_AT\n` + job + `\s+` + cl + `\s+create\s+failed\s+1\s+3\s+task `).MatchString(out) {
		t.Errorf("list:\n%s", out)
	}
	out = r.ok("job", "tasks", job)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 5 || !regexp.MustCompile(`^LAYER\s+ID\s+ACTION\s+TARGET\s+STATUS\s+ATTEMPTS\s+ERROR$`).MatchString(lines[0]) ||
		!regexp.MustCompile(`^1\s+`+job+`-t2\s+create\s+node-2\s+failed\s+3\s+quota exceeded: 0 cores left$`).MatchString(lines[2]) {
		t.Errorf("tasks:\n%s", out)
	}
	if got := r.jsonOf("job", "get", job); got["status"] != "failed" {
		t.Errorf("get %v", got)
	}
	res := r.run("job", "retry", "j-404")
	if res.code != 1 {
		t.Errorf("retry unknown: %+v", res)
	}
}

func TestApplySets(t *testing.T) {
	tests := []struct {
		name string
		in   string
		sets []string
		want string
		err  string
	}{
		{"nested new", `{}`, []string{"a.b.c=1"}, `{"a":{"b":{"c":1}}}`, ""},
		{"override and add", `{"a":{"x":"y"}}`, []string{"a.x=z", "a.n=2.5"}, `{"a":{"n":2.5,"x":"z"}}`, ""},
		{"scalars", `{}`, []string{"t=true", "f=false", "n=null", "s=\"1\"", "e=", "w=two words", "o={\"a\":1}"},
			`{"e":"","f":false,"n":null,"o":"{\"a\":1}","s":"1","t":true,"w":"two words"}`, ""},
		{"later wins", `{}`, []string{"a=1", "a=2"}, `{"a":2}`, ""},
		{"null parent replaced", `{"a":null}`, []string{"a.b=1"}, `{"a":{"b":1}}`, ""},
		{"value with =", `{}`, []string{"q=a=b"}, `{"q":"a=b"}`, ""},
		{"through a scalar", `{"a":1}`, []string{"a.b=1"}, "", "a is not an object"},
		{"empty key", `{}`, []string{"a..b=1"}, "", "empty key"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			conf, err := parseConf("in", []byte(tc.in))
			if err != nil {
				t.Fatal(err)
			}
			err = applySets(conf, tc.sets)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("err %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := mustJSON(t, conf); got != tc.want {
				t.Errorf("got %s, want %s", got, tc.want)
			}
		})
	}
}

// FuzzConfFile feeds arbitrary conf files and --set values: no panic, and what is accepted is
// an object that encodes to JSON.
func FuzzConfFile(f *testing.F) {
	for _, s := range [][2]string{
		{"a: 1\nb:\n  c: [1, 2]\n", "b.d=x"}, {`{"a": {"b": 1}}`, "a.b.c=1"}, {"- 1\n", "a=1"}, {"", "x="},
		{"a: &x {b: 1}\nc: *x\n", "c.b=2"}, {"? [1]\n: 2\n", "k=v"}, {"a: 1e400\n", "a=1e400"}, {"~", "a..b=1"},
		{"a: !!binary aGk=\n", "a=null"},
	} {
		f.Add([]byte(s[0]), s[1])
	}
	f.Fuzz(func(t *testing.T, data []byte, set string) {
		conf, err := parseConf("fuzz", data)
		if err != nil {
			return
		}
		if conf == nil {
			t.Fatal("nil conf without error")
		}
		var sets setFlag
		if sets.Set(set) == nil {
			if err := applySets(conf, sets); err != nil {
				return
			}
		}
		if _, err := json.Marshal(conf); err != nil {
			t.Fatalf("accepted conf does not encode: %v", err)
		}
	})
}

func TestJobStateBefore(t *testing.T) {
	j := func(status string, done int) jobState { return jobState{Status: status, TasksDone: done} }
	tests := []struct {
		a, b jobState
		want bool
	}{
		{j("working", 1), j("working", 2), true},
		{j("working", 2), j("working", 1), false},
		{j("working", 2), j("working", 2), false},
		{j("pending", 0), j("working", 0), true},
		{j("working", 3), j("successful", 3), true},
		{j("failed", 1), j("working", 2), false},
		{j("successful", 3), j("failed", 1), false},
	}
	for _, tc := range tests {
		if got := tc.a.before(tc.b); got != tc.want {
			t.Errorf("%+v before %+v = %v, want %v", tc.a, tc.b, got, tc.want)
		}
	}
}
