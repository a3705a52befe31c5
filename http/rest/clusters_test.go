package rest

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/pitrix/pitrix/actors/appcluster"
	"github.com/pitrix/pitrix/actors/catalog"
	"github.com/pitrix/pitrix/actors/fault"
)

func createCluster(t *testing.T, e *testEnv, body string) appcluster.Accepted {
	t.Helper()
	var acc appcluster.Accepted
	e.callOK("POST", "/v1/clusters", body, 202, &acc)
	if !strings.HasPrefix(acc.ClusterID, "cl-") || !strings.HasPrefix(acc.JobID, "j-") {
		t.Fatalf("accepted %+v", acc)
	}
	return acc
}

func TestClusterCreate(t *testing.T) {
	e := startServer(t, Config{})
	t.Run("object conf passes through", func(t *testing.T) {
		acc := createCluster(t, e, `{"name":"zk","version_id":"appv-1","runtime_id":"rt-1","conf":{"cluster":{"zk_node":{"count":3}}}}`)
		var c appcluster.Cluster
		e.callOK("GET", "/v1/clusters/"+acc.ClusterID, "", 200, &c)
		if c.Status != appcluster.StatusPending || c.TransitionStatus != appcluster.TransCreating || c.LastJobID != acc.JobID {
			t.Errorf("cluster %+v", c)
		}
		if string(c.Conf) != `{"cluster":{"zk_node":{"count":3}}}` {
			t.Errorf("conf %s", c.Conf)
		}
		var j appcluster.Job
		e.callOK("GET", "/v1/jobs/"+acc.JobID, "", 200, &j)
		if j.ClusterID != acc.ClusterID || j.Action != "create" || j.Status != appcluster.JobPending {
			t.Errorf("job %+v", j)
		}
	})
	t.Run("YAML string conf passes through", func(t *testing.T) {
		acc := createCluster(t, e, `{"name":"web","version_id":"appv-2","runtime_id":"rt-k8s","conf":"replicas: 2\nimage:\n  tag: v1\n"}`)
		var c appcluster.Cluster
		e.callOK("GET", "/v1/clusters/"+acc.ClusterID, "", 200, &c)
		var s string
		if err := json.Unmarshal(c.Conf, &s); err != nil || s != "replicas: 2\nimage:\n  tag: v1\n" {
			t.Errorf("conf %s (%v)", c.Conf, err)
		}
	})
	for _, tc := range []struct {
		name, body string
		keys       []string
	}{
		{"missing fields", `{"name":""}`, []string{"name", "version_id", "runtime_id"}},
		{"unknown field", `{"name":"a","version_id":"v","runtime_id":"r","replicas":3}`, []string{"replicas"}},
		{"wrong type", `{"name":7}`, []string{"name"}},
		{"conf neither object nor string", `{"name":"a","version_id":"v","runtime_id":"r","conf":[1]}`, []string{"conf"}},
		{"empty body", ``, []string{"body"}},
		{"trailing data", `{"name":"a"} {}`, []string{"body"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			wantError(t, e.call("POST", "/v1/clusters", tc.body), 400, fault.CodeInvalid, tc.keys...)
		})
	}
	t.Run("backend error goes through the table", func(t *testing.T) {
		e.be.memClusters.failNext("CreateCluster", fault.Forbidden("runtime rt-1 is not yours"))
		wantError(t, e.call("POST", "/v1/clusters", `{"name":"a","version_id":"v","runtime_id":"rt-1"}`), 403, fault.CodePermission)
	})
}

func TestClusterListAndNodes(t *testing.T) {
	e := startServer(t, Config{})
	a := createCluster(t, e, `{"name":"alpha","app_id":"app-1","version_id":"appv-1","runtime_id":"rt-1"}`)
	b := createCluster(t, e, `{"name":"beta","app_id":"app-2","version_id":"appv-2","runtime_id":"rt-2"}`)
	e.be.finishJob(b.JobID, appcluster.JobSuccessful, "")

	for _, tc := range []struct {
		query string
		want  []string
	}{
		{"", []string{b.ClusterID, a.ClusterID}},
		{"?runtime_id=rt-1", []string{a.ClusterID}},
		{"?app_id=app-2", []string{b.ClusterID}},
		{"?status=active", []string{b.ClusterID}},
		{"?status=pending&runtime_id=rt-1", []string{a.ClusterID}},
		{"?owner=usr-admin&limit=1", []string{b.ClusterID}},
		{"?q=alp", []string{a.ClusterID}},
		{"?sort=name", []string{a.ClusterID, b.ClusterID}},
	} {
		t.Run("list"+tc.query, func(t *testing.T) {
			var p catalog.Page[appcluster.Cluster]
			e.callOK("GET", "/v1/clusters"+tc.query, "", 200, &p)
			var got []string
			for _, c := range p.Items {
				got = append(got, c.ID)
			}
			if strings.Join(got, ",") != strings.Join(tc.want, ",") {
				t.Errorf("ids %v, want %v", got, tc.want)
			}
		})
	}
	t.Run("unknown filter", func(t *testing.T) {
		wantError(t, e.call("GET", "/v1/clusters?zone=z1", ""), 400, fault.CodeInvalid, "zone")
	})
	t.Run("nodes", func(t *testing.T) {
		var p catalog.Page[appcluster.Node]
		e.callOK("GET", "/v1/clusters/"+a.ClusterID+"/nodes", "", 200, &p)
		if p.TotalCount != 1 || len(p.Items) != 1 || p.Items[0].Role != "main" {
			t.Errorf("nodes %+v", p)
		}
		wantError(t, e.call("GET", "/v1/clusters/cl-none/nodes", ""), 404, fault.CodeNotFound)
		wantError(t, e.call("GET", "/v1/clusters/"+a.ClusterID+"/nodes?limit=1", ""), 400, fault.CodeInvalid, "limit")
	})
	t.Run("get", func(t *testing.T) {
		wantError(t, e.call("GET", "/v1/clusters/cl-none", ""), 404, fault.CodeNotFound)
		wantError(t, e.call("GET", "/v1/clusters/"+a.ClusterID+"?x=1", ""), 400, fault.CodeInvalid, "x")
	})
}

func TestClusterActions(t *testing.T) {
	e := startServer(t, Config{})
	acc := createCluster(t, e, `{"name":"zk","version_id":"appv-1","runtime_id":"rt-1"}`)
	id := acc.ClusterID
	base := "/v1/clusters/" + id

	// Pending with a creating transition: nothing may start.
	wantError(t, e.call("POST", base+"/stop", ""), 409, fault.CodeFailedPrecondition)
	e.be.finishJob(acc.JobID, appcluster.JobSuccessful, "")

	for _, tc := range []struct {
		name, action, body string
		status             int
		keys               []string
	}{
		{"start needs a stopped cluster", "start", "", 409, nil},
		{"add_nodes needs a body", "add_nodes", "", 400, []string{"body"}},
		{"add_nodes unknown field", "add_nodes", `{"role":"main","count":1,"force":true}`, 400, []string{"force"}},
		{"add_nodes wrong type", "add_nodes", `{"role":"main","count":"two"}`, 400, []string{"count"}},
		{"add_nodes missing fields", "add_nodes", `{}`, 400, []string{"role", "count"}},
		{"delete_nodes needs ids", "delete_nodes", `{"node_ids":[]}`, 400, []string{"node_ids"}},
		{"resize wrong nested type", "resize", `{"roles":[{"role":"main","cpu":"4"}]}`, 400, []string{"roles.cpu"}},
		{"upgrade needs version", "upgrade", `{"conf":{"a":1}}`, 400, []string{"version_id"}},
		{"stop unknown field in optional body", "stop", `{"now":true}`, 400, []string{"now"}},
		{"add_nodes", "add_nodes", `{"role":"main","count":2}`, 202, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := e.call("POST", base+"/"+tc.action, tc.body)
			if tc.status != 202 {
				code := fault.CodeInvalid
				if tc.status == 409 {
					code = fault.CodeFailedPrecondition
				}
				wantError(t, r, tc.status, code, tc.keys...)
				return
			}
			if r.status != 202 {
				t.Fatalf("status %d: %s", r.status, r.body)
			}
			var got appcluster.Accepted
			if err := json.Unmarshal(r.body, &got); err != nil || got.ClusterID != id || !strings.HasPrefix(got.JobID, "j-") {
				t.Fatalf("accepted %s (%v)", r.body, err)
			}
			var j appcluster.Job
			e.callOK("GET", "/v1/jobs/"+got.JobID, "", 200, &j)
			if j.Action != tc.action || string(j.Params) != `{"role":"main","count":2}` {
				t.Errorf("job %+v params %s", j, j.Params)
			}
			e.be.finishJob(got.JobID, appcluster.JobSuccessful, "")
		})
	}

	t.Run("every action is routed with 202", func(t *testing.T) {
		bodies := map[string]string{
			"resize":       `{"roles":[{"role":"main","cpu":2,"memory":2048,"volume_size":10}]}`,
			"add_nodes":    `{"role":"main","count":1}`,
			"delete_nodes": `{"node_ids":["n1"]}`,
			"upgrade":      `{"version_id":"appv-2","conf":"a: 1"}`,
			"update_env":   `{"env":{"JAVA_OPTS":"-Xmx1g"}}`,
			"rollback":     `{"revision":2}`,
			"service":      `{"service":"backup"}`,
		}
		// Status each action needs first, reached with a finished job of its own.
		setup := map[string]string{"start": "stop", "recover": "", "cease": "delete"}
		for _, a := range clusterActions {
			t.Run(a.name, func(t *testing.T) {
				acc := createCluster(t, e, `{"name":"c-`+a.name+`","version_id":"appv-1","runtime_id":"rt-1"}`)
				cb := "/v1/clusters/" + acc.ClusterID
				switch prep, ok := setup[a.name]; {
				case ok && prep == "":
					e.be.finishJob(acc.JobID, appcluster.JobFailed, "boom")
				case ok:
					e.be.finishJob(acc.JobID, appcluster.JobSuccessful, "")
					var p appcluster.Accepted
					if prep == "delete" {
						e.callOK("DELETE", cb, "", 202, &p)
					} else {
						e.callOK("POST", cb+"/"+prep, "", 202, &p)
					}
					e.be.finishJob(p.JobID, appcluster.JobSuccessful, "")
				default:
					e.be.finishJob(acc.JobID, appcluster.JobSuccessful, "")
				}
				var got appcluster.Accepted
				e.callOK("POST", cb+"/"+a.name, bodies[a.name], 202, &got)
				var j appcluster.Job
				e.callOK("GET", "/v1/jobs/"+got.JobID, "", 200, &j)
				if j.Action != a.name || j.ClusterID != acc.ClusterID {
					t.Errorf("job %+v", j)
				}
			})
		}
	})

	t.Run("routing of unknown actions", func(t *testing.T) {
		wantError(t, e.call("POST", base+"/explode", "{}"), 404, fault.CodeNotFound)
		r := e.call("GET", base+"/stop", "")
		wantError(t, r, 405, fault.CodeInvalid)
		if r.header.Get("Allow") != "POST" {
			t.Errorf("Allow %q", r.header.Get("Allow"))
		}
		wantError(t, e.call("POST", "/v1/clusters/cl-none/stop", ""), 404, fault.CodeNotFound)
	})

	t.Run("delete", func(t *testing.T) {
		wantError(t, e.call("DELETE", base, `{"force":"yes"}`), 400, fault.CodeInvalid, "force")
		wantError(t, e.call("DELETE", base+"?force=1", ""), 400, fault.CodeInvalid, "force")
		wantError(t, e.call("DELETE", base+"?now=true", ""), 400, fault.CodeInvalid, "now")
		var got appcluster.Accepted
		e.callOK("DELETE", base+"?force=true", "{}", 202, &got)
		var j appcluster.Job
		e.callOK("GET", "/v1/jobs/"+got.JobID, "", 200, &j)
		if j.Action != "delete" || !strings.Contains(string(j.Params), `"force":true`) {
			t.Errorf("job %+v params %s", j, j.Params)
		}
	})
}

func TestJobs(t *testing.T) {
	e := startServer(t, Config{})
	a := createCluster(t, e, `{"name":"a","version_id":"appv-1","runtime_id":"rt-1"}`)
	b := createCluster(t, e, `{"name":"b","version_id":"appv-1","runtime_id":"rt-1"}`)
	e.be.finishJob(b.JobID, appcluster.JobFailed, "quota exceeded")

	t.Run("list filters", func(t *testing.T) {
		var p catalog.Page[appcluster.Job]
		e.callOK("GET", "/v1/jobs?cluster_id="+a.ClusterID, "", 200, &p)
		if p.TotalCount != 1 || p.Items[0].ID != a.JobID {
			t.Errorf("by cluster %+v", p)
		}
		e.callOK("GET", "/v1/jobs?status=failed", "", 200, &p)
		if p.TotalCount != 1 || p.Items[0].ID != b.JobID || p.Items[0].Error != "quota exceeded" {
			t.Errorf("by status %+v", p)
		}
		wantError(t, e.call("GET", "/v1/jobs?runtime_id=x", ""), 400, fault.CodeInvalid, "runtime_id")
	})
	t.Run("tasks", func(t *testing.T) {
		var p catalog.Page[appcluster.Task]
		e.callOK("GET", "/v1/jobs/"+b.JobID+"/tasks", "", 200, &p)
		if p.TotalCount != 2 || len(p.Items) != 2 || p.Items[1].Error != "quota exceeded" || p.Items[1].Layer != 1 {
			t.Errorf("tasks %+v", p)
		}
		wantError(t, e.call("GET", "/v1/jobs/j-none/tasks", ""), 404, fault.CodeNotFound)
	})
	t.Run("retry", func(t *testing.T) {
		wantError(t, e.call("POST", "/v1/jobs/"+a.JobID+"/retry", ""), 409, fault.CodeFailedPrecondition)
		wantError(t, e.call("POST", "/v1/jobs/"+b.JobID+"/retry", `{"from":1}`), 400, fault.CodeInvalid, "from")
		var got appcluster.Accepted
		e.callOK("POST", "/v1/jobs/"+b.JobID+"/retry", "", 202, &got)
		if got.JobID != b.JobID || got.ClusterID != b.ClusterID {
			t.Errorf("retry %+v", got)
		}
		var j appcluster.Job
		e.callOK("GET", "/v1/jobs/"+b.JobID, "", 200, &j)
		if j.Status != appcluster.JobPending || j.Error != "" {
			t.Errorf("retried job %+v", j)
		}
	})
	t.Run("unknown job", func(t *testing.T) {
		wantError(t, e.call("GET", "/v1/jobs/j-none", ""), 404, fault.CodeNotFound)
	})
}

// FuzzDecodeClusterBodies feeds arbitrary bytes to the strict decoder with the cluster bodies:
// no panic, and every failure is a classified invalid_argument or too_large with details.
func FuzzDecodeClusterBodies(f *testing.F) {
	for _, s := range []string{
		`{"name":"zk","version_id":"v","runtime_id":"r","conf":{"cluster":{"a":1}}}`,
		`{"conf":"replicas: 2\n"}`, `{"conf":null}`, `{"conf":[1,2]}`, `{"conf":{"a":`,
		`{"roles":[{"role":"m","cpu":2,"memory":1024,"volume_size":10}]}`, `{"roles":[{"cpu":"x"}]}`,
		`{"node_ids":["a","b"]}`, `{"node_ids":"a"}`, `{"count":1e3}`, `{"count":-1}`, `{"revision":9223372036854775808}`,
		`{"env":{"A":"b"}}`, `{"env":`, `{"unknown":1}`, `{}`, ``, `[]`, "{\"role\":\"\xff\"}",
	} {
		f.Add([]byte(s))
	}
	check := func(t *testing.T, body []byte, err error) {
		if err == nil {
			return
		}
		var fe *fault.Error
		if !errors.As(err, &fe) {
			t.Fatalf("unclassified error %v", err)
		}
		switch fe.Code {
		case fault.CodeInvalid:
			if len(fe.Details) == 0 {
				t.Fatalf("invalid_argument without details: %v", err)
			}
		case fault.CodeTooLarge:
			if len(body) <= 4096 {
				t.Fatalf("too_large for %d bytes", len(body))
			}
		default:
			t.Fatalf("code %s for %q", fe.Code, body)
		}
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		var ci appcluster.CreateInput
		check(t, body, decodeJSON(body, 4096, &ci))
		var ai appcluster.ActionInput
		err := decodeOptionalJSON(body, 4096, &ai)
		check(t, body, err)
		if err == nil {
			// What was accepted re-encodes, so the backend can store it as job params.
			if _, err := json.Marshal(ai); err != nil {
				t.Fatalf("accepted body does not re-encode: %v", err)
			}
		}
	})
}
