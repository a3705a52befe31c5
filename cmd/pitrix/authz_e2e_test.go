package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/pitrix/pitrix/actors/authz"
)

// matrixOwner is one user with a token and one record of each kind it may own.
type matrixOwner struct {
	role, userID, token string
	ids                 map[string]string // kind -> id: repo, app, version, credential, runtime, cluster, job, token, group
}

// matrixCall is what one request of the matrix sends.
type matrixCall struct {
	path  string
	ctype string
	body  []byte
}

// TestRoleMatrix drives every route of the real server with a token of every role, on a record
// the caller owns and on one it does not, and checks the answer against the permission table
// of actors/authz: a role the table refuses gets 403; an allowed role passes authorization
// (no 401/403, and no 404 on its own record); a non-admin acting on another's record of an
// owner- or visibility-scoped route gets 403 or 404. The routes come from the server's
// openapi.json (kept equal to routes.go by the rest package's tests); a route with no entry in
// the table or no request here fails the test.
func TestRoleMatrix(t *testing.T) {
	kc := testKubeconfig(t)
	kcs := kube(t, kc)
	s := startServer(t, t.TempDir(), "--local-runtime=false")
	admin := s.client(s.token())
	var namespaces []string
	t.Cleanup(func() {
		for _, ns := range namespaces {
			_ = kcs.CoreV1().Namespaces().Delete(context.Background(), ns, metav1.DeleteOptions{})
		}
	})

	// A public chart repo of the admin's whose versions are active: what every role deploys.
	charts := chartRepo(t)
	pub := do(t, admin, http.MethodPost, "/v1/repos", obj{"name": "charts", "type": "http", "url": charts, "visibility": "public",
		"providers": []string{"kubernetes"}, "app_default_status": "active", "index_interval": 0})
	waitEvent(t, admin, pub["id"].(string), list(t, admin, "/v1/repos/"+pub["id"].(string)+"/events", nil)[0]["id"].(string))
	pubApps := list(t, admin, "/v1/apps", url.Values{"repo_id": {pub["id"].(string)}})
	if len(pubApps) != 1 {
		t.Fatalf("chart repo apps = %v", pubApps)
	}
	activeVersion := byName(list(t, admin, "/v1/apps/"+pubApps[0]["id"].(string)+"/versions", nil), "name")["0.1.0"]["id"].(string)
	category := do(t, admin, http.MethodPost, "/v1/categories", obj{"name": "matrix"})["id"].(string)

	// The owners: one user of each role and "other", an isv who owns the records nobody else does.
	owners := map[string]*matrixOwner{}
	mk := func(name, role string) *matrixOwner {
		o := &matrixOwner{role: role, ids: map[string]string{}}
		if role == "admin" && name == "admin" {
			o.userID, o.token = "usr-admin", s.token()
		} else {
			u := do(t, admin, http.MethodPost, "/v1/users", obj{"name": name, "role": role})
			o.userID = u["id"].(string)
			o.token = do(t, admin, http.MethodPost, "/v1/users/"+o.userID+"/tokens", obj{"name": "matrix"})["token"].(string)
		}
		owners[name] = o
		return o
	}
	for _, r := range authz.Roles() {
		mk(r, r)
	}
	other := mk("other", "isv")
	outsider := mk("outsider", "user") // the member of other's group that no other role sees
	for _, name := range []string{"admin", "isv", "developer", "user", "other"} {
		o := owners[name]
		c := s.client(o.token)
		o.ids["token"] = do(t, c, http.MethodPost, "/v1/users/"+o.userID+"/tokens", obj{"name": "spare"})["id"].(string)
		o.ids["group"] = do(t, c, http.MethodPost, "/v1/groups", obj{"name": name + "-group", "members": []string{other.userID}})["id"].(string)
		o.ids["member"] = other.userID
		if name == "other" {
			o.ids["member"] = outsider.userID
			do(t, c, http.MethodPost, "/v1/groups/"+o.ids["group"]+"/members", obj{"user_id": o.ids["member"]})
		}
		o.ids["credential"] = do(t, c, http.MethodPost, "/v1/runtime_credentials", obj{"name": name, "provider": "kubernetes", "content": kc})["id"].(string)
		suffix := make([]byte, 4)
		_, _ = rand.Read(suffix)
		ns := "pitrix-matrix-" + hex.EncodeToString(suffix)
		namespaces = append(namespaces, ns)
		o.ids["runtime"] = do(t, c, http.MethodPost, "/v1/runtimes", obj{"name": name, "provider": "kubernetes", "zone": ns,
			"credential_id": o.ids["credential"]})["id"].(string)
		acc := do(t, c, http.MethodPost, "/v1/clusters", obj{"name": "web", "version_id": activeVersion, "runtime_id": o.ids["runtime"]})
		o.ids["cluster"], o.ids["job"] = acc["cluster_id"].(string), acc["job_id"].(string)
		if o.role == "user" {
			continue // a user publishes nothing
		}
		o.ids["repo"] = do(t, c, http.MethodPost, "/v1/repos", obj{"name": name + "-repo", "type": "http", "url": charts,
			"providers": []string{"kubernetes"}, "index_interval": 0})["id"].(string)
		var up struct{ App, Version obj }
		if err := c.Do(ctxT(t), http.MethodPost, "/v1/apps", url.Values{"type": {"vm"}},
			bytes.NewReader(tgz(t, "hello", vmFiles("hello", "1.0.0", "matrix"))), &up); err != nil {
			t.Fatalf("%s uploads: %v", name, err)
		}
		o.ids["app"], o.ids["version"] = up.App["id"].(string), up.Version["id"].(string)
	}
	for _, o := range owners {
		if o.ids["job"] != "" {
			waitJob(t, s.client(o.token), o.ids["job"])
		}
	}
	pkg := tgz(t, "hello", vmFiles("hello", "2.0.0", "matrix"))

	// build returns the request of a route on the records of o.
	build := func(method, pattern string, o *matrixOwner) (matrixCall, error) {
		kind := ""
		switch {
		case strings.HasPrefix(pattern, "/v1/repos/{id}"):
			kind = "repo"
		case strings.HasPrefix(pattern, "/v1/apps/{id}"):
			kind = "app"
		case strings.HasPrefix(pattern, "/v1/app_versions/{id}"):
			kind = "version"
		case strings.HasPrefix(pattern, "/v1/runtime_credentials/{id}"):
			kind = "credential"
		case strings.HasPrefix(pattern, "/v1/runtimes/{id}"):
			kind = "runtime"
		case strings.HasPrefix(pattern, "/v1/clusters/{id}"):
			kind = "cluster"
		case strings.HasPrefix(pattern, "/v1/jobs/{id}"):
			kind = "job"
		case strings.HasPrefix(pattern, "/v1/tokens/{id}"):
			kind = "token"
		case strings.HasPrefix(pattern, "/v1/groups/{id}"):
			kind = "group"
		}
		path := pattern
		if kind != "" {
			id := o.ids[kind]
			if id == "" {
				id = other.ids[kind] // a user owns no repo, app or version: it acts on another's
			}
			path = strings.Replace(path, "{id}", id, 1)
		}
		path = strings.Replace(path, "/v1/users/{id}", "/v1/users/"+o.userID, 1)
		path = strings.Replace(path, "/v1/categories/{id}", "/v1/categories/"+category, 1)
		path = strings.Replace(path, "{kind}/{id}", "repo/"+pub["id"].(string), 1)
		path = strings.Replace(path, "{path...}", "config.json", 1)
		path = strings.Replace(path, "{user_id}", o.ids["member"], 1)
		path = strings.Replace(path, "{name}", "nosuch-node", 1) // draining the test's own node would end the test
		if strings.Contains(path, "{") {
			return matrixCall{}, fmt.Errorf("no record for %s", pattern)
		}
		js := func(v any) matrixCall {
			b, _ := json.Marshal(v)
			return matrixCall{path: path, ctype: "application/json", body: b}
		}
		switch method + " " + pattern {
		case "POST /v1/apps", "POST /v1/apps/validate_package", "POST /v1/apps/{id}/versions":
			return matrixCall{path: path + "?type=vm", ctype: "application/gzip", body: pkg}, nil
		case "POST /v1/repos":
			return js(obj{"name": "m", "type": "http", "url": charts, "providers": []string{"kubernetes"}, "index_interval": 0}), nil
		case "POST /v1/repos/validate":
			return js(obj{"type": "http", "url": charts}), nil
		case "PATCH /v1/repos/{id}", "PATCH /v1/apps/{id}", "PATCH /v1/runtimes/{id}":
			return js(obj{"description": "changed"}), nil
		case "POST /v1/categories", "PATCH /v1/categories/{id}":
			return js(obj{"name": "c-" + o.role}), nil
		case "POST /v1/runtime_credentials":
			return js(obj{"name": "m", "provider": "kubernetes", "content": kc}), nil
		case "POST /v1/runtimes":
			return js(obj{"name": "m", "provider": "kubernetes", "zone": "pitrix-matrix-unused", "credential_id": o.ids["credential"]}), nil
		case "POST /v1/clusters":
			return js(obj{"name": "m", "version_id": activeVersion, "runtime_id": "rt-nosuch"}), nil
		case "POST /v1/users":
			return js(obj{"name": "new-" + o.role, "role": "user"}), nil
		case "POST /v1/users/{id}/tokens":
			return js(obj{"name": "m"}), nil
		case "POST /v1/groups":
			return js(obj{"name": "g-" + o.role}), nil
		case "POST /v1/groups/{id}/members":
			return js(obj{"user_id": owners["developer"].userID}), nil
		}
		if method == "POST" {
			return js(obj{}), nil
		}
		return matrixCall{path: path}, nil
	}

	// The routes, from the server itself, each with its rule.
	var doc struct {
		Paths map[string]map[string]json.RawMessage `json:"paths"`
	}
	if err := admin.Do(ctxT(t), http.MethodGet, "/v1/openapi.json", nil, nil, &doc); err != nil {
		t.Fatal(err)
	}
	type routeRule struct {
		method, pattern string
		rule            authz.Rule
	}
	var routes []routeRule
	seen := map[string]bool{}
	for p, ops := range doc.Paths {
		for m := range ops {
			if m == "parameters" {
				continue
			}
			method := strings.ToUpper(m)
			pattern := strings.Replace(p, "{path}", "{path...}", 1)
			rule, ok := authz.Lookup(method, pattern)
			if !ok {
				t.Errorf("route %s %s has no entry in the permission table (actors/authz)", method, pattern)
				continue
			}
			seen[method+" "+pattern] = true
			routes = append(routes, routeRule{method, pattern, rule})
		}
	}
	for _, r := range authz.Rules() {
		if !seen[r.Method+" "+r.Path] {
			t.Errorf("permission table entry %s %s (%s) is not a route", r.Method, r.Path, r.Action)
		}
	}
	// Reads first, then writes, then deletes from the leaves up, so that no route loses the
	// records a later one needs; cease and delete of a cluster come last among its actions.
	weight := func(r routeRule) int {
		switch {
		case r.method == "GET":
			return 0
		case r.method == "DELETE":
			for i, p := range []string{"/v1/groups/{id}/members/{user_id}", "/v1/groups/{id}", "/v1/tokens/{id}", "/v1/clusters/{id}",
				"/v1/apps/{id}", "/v1/repos/{id}", "/v1/runtimes/{id}", "/v1/runtime_credentials/{id}", "/v1/categories/{id}"} {
				if r.pattern == p {
					return 10 + i
				}
			}
			return 9
		case strings.HasSuffix(r.pattern, "/cease"):
			return 2
		}
		return 1
	}
	sort.SliceStable(routes, func(i, j int) bool {
		if wi, wj := weight(routes[i]), weight(routes[j]); wi != wj {
			return wi < wj
		}
		return routes[i].method+routes[i].pattern < routes[j].method+routes[j].pattern
	})

	// Admins last, so that what an admin may do to another's record happens after the others
	// were refused it.
	roles := []string{"user", "developer", "isv", "admin"}
	checked := 0
	for _, rr := range routes {
		if rr.rule.Public {
			path := strings.Replace(rr.pattern, "{path...}", "store", 1) // a dashboard page
			st, body := matrixDo(t, s.url, "", rr.method, rr.pattern, matrixCall{path: path})
			if st != 200 {
				t.Errorf("public %s %s without a token: %d %s", rr.method, rr.pattern, st, body)
			}
			checked++
			continue
		}
		scoped := strings.Contains(rr.pattern, "{id}") && rr.rule.Scope != authz.ScopeNone
		for _, role := range roles {
			me := owners[role]
			if scoped {
				// Another's record: refused to all but an admin.
				call, err := build(rr.method, rr.pattern, other)
				if err != nil {
					t.Fatal(err)
				}
				st, body := matrixDo(t, s.url, me.token, rr.method, rr.pattern, call)
				switch {
				case role == "admin" && (st == 401 || st == 403 || st == 404):
					t.Errorf("admin on another's record: %s %s = %d: %s", rr.method, call.path, st, body)
				case role != "admin" && st != 403 && st != 404:
					t.Errorf("%s on another's record: %s %s = %d, want 403 or 404: %s", role, rr.method, call.path, st, body)
				}
				checked++
			}
			call, err := build(rr.method, rr.pattern, me)
			if err != nil {
				t.Fatal(err)
			}
			st, body := matrixDo(t, s.url, me.token, rr.method, rr.pattern, call)
			checked++
			ownRecord := scoped && (me.ids[kindOf(rr.pattern)] != "" || strings.HasPrefix(rr.pattern, "/v1/users/"))
			switch {
			case !rr.rule.Allows(role):
				if st != 403 {
					t.Errorf("%s may not %s (%s %s), got %d: %s", role, rr.rule.Action, rr.method, call.path, st, body)
				}
			case st == 401 || st == 403:
				t.Errorf("%s may %s (%s %s), got %d: %s", role, rr.rule.Action, rr.method, call.path, st, body)
			case ownRecord && st == 404:
				t.Errorf("%s on its own record: %s %s = 404: %s", role, rr.method, call.path, body)
			}
		}
	}
	t.Logf("%d routes, %d requests checked against the permission table", len(routes), checked)
}

// kindOf is the record kind of a route's {id}.
func kindOf(pattern string) string {
	for prefix, kind := range map[string]string{"/v1/repos/": "repo", "/v1/apps/": "app", "/v1/app_versions/": "version",
		"/v1/runtime_credentials/": "credential", "/v1/runtimes/": "runtime", "/v1/clusters/": "cluster", "/v1/jobs/": "job",
		"/v1/tokens/": "token", "/v1/groups/": "group"} {
		if strings.HasPrefix(pattern, prefix) {
			return kind
		}
	}
	return ""
}

// matrixDo sends one request and returns its status and the start of its body. The event
// stream answers its status at once and is then closed.
func matrixDo(t *testing.T, base, token, method, pattern string, c matrixCall) (int, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()
	var body io.Reader
	if c.body != nil {
		body = bytes.NewReader(c.body)
	}
	req, err := http.NewRequestWithContext(ctx, method, base+c.path, body)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if c.ctype != "" {
		req.Header.Set("Content-Type", c.ctype)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, c.path, err)
	}
	defer res.Body.Close()
	if pattern == "/v1/events" {
		return res.StatusCode, ""
	}
	b, _ := io.ReadAll(io.LimitReader(res.Body, 512))
	return res.StatusCode, string(b)
}
