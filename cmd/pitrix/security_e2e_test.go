package main

import (
	"fmt"
	"net"
	"net/http"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pitrix/pitrix/http/client"
	"github.com/pitrix/pitrix/providers/pkgrepo"
)

// connCounter is a loopback listener that records every connection and closes it: the
// proof that a refused address was never reached.
type connCounter struct {
	ln net.Listener
	n  atomic.Int32
}

func countConns(t *testing.T, addr string) *connCounter {
	t.Helper()
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Skipf("listen on %s: %v", addr, err)
	}
	c := &connCounter{ln: ln}
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			c.n.Add(1)
			conn.Close()
		}
	}()
	t.Cleanup(func() { ln.Close() })
	return c
}

// serveDir serves dir over HTTP on addr (a loopback address with port 0).
func serveDir(t *testing.T, addr, dir string) string {
	t.Helper()
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Skipf("listen on %s: %v", addr, err)
	}
	srv := &http.Server{Handler: http.FileServer(http.Dir(dir)), ReadHeaderTimeout: 5 * time.Second}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return "http://" + ln.Addr().String()
}

// TestSSRFPackageURLRefused (issue 7, chain 3): a repo index on an allowed loopback address
// names a package at another loopback address that --allow-fetch does not cover. Indexing
// refuses the version, naming the refusal, and neither the index nor a repo at that address
// reaches it: the listener there records no connection.
func TestSSRFPackageURLRefused(t *testing.T) {
	target := countConns(t, "127.0.0.3:0")
	secretURL := "http://" + target.ln.Addr().String() + "/secret.tgz"

	repoDir := t.TempDir()
	e, err := pkgrepo.Pack(writeSrcDir(t, vmFiles("hello", "0.1.0", "points elsewhere")), repoDir, time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	e.URLs = []string{secretURL}
	entries := []pkgrepo.Entry{e}
	// The IPv6 loopback too, where the machine has it.
	var target6 *connCounter
	if ln, err := net.Listen("tcp", "[::1]:0"); err == nil {
		ln.Close()
		target6 = countConns(t, "[::1]:0")
		e6, err := pkgrepo.Pack(writeSrcDir(t, vmFiles("greeter", "1.0.0", "points at ::1")), repoDir, time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
		if err != nil {
			t.Fatal(err)
		}
		e6.URLs = []string{"http://" + target6.ln.Addr().String() + "/secret.tgz"}
		entries = append(entries, e6)
	}
	if err := pkgrepo.WriteIndex(repoDir, entries, time.Now()); err != nil {
		t.Fatal(err)
	}
	repoURL := serveDir(t, "127.0.0.2:0", repoDir)

	s := startServer(t, t.TempDir(), "--local-runtime=false", "--allow-fetch", "127.0.0.2/32")
	admin := s.client(s.token())
	ctx := ctxT(t)

	// A repo on the refused address itself is refused when created, naming the address.
	ae := apiErr(t, admin.Do(ctx, http.MethodPost, "/v1/repos", nil, obj{"name": "direct", "type": "http",
		"url": "http://" + target.ln.Addr().String(), "providers": []string{"local"}}, nil), 400, "invalid_argument")
	if d := fmt.Sprint(ae.Details["url"]); !strings.Contains(d, "refusing to connect to 127.0.0.3") || !strings.Contains(d, "loopback") {
		t.Fatalf("refusal does not name the address and why: %v", ae.Details)
	}
	// So is a name that resolves to it.
	port := target.ln.Addr().(*net.TCPAddr).Port
	ae = apiErr(t, admin.Do(ctx, http.MethodPost, "/v1/repos", nil, obj{"name": "byname", "type": "http",
		"url": "http://localhost:" + strconv.Itoa(port), "providers": []string{"local"}}, nil), 400, "invalid_argument")
	if d := fmt.Sprint(ae.Details["url"]); !strings.Contains(d, "refusing to connect to localhost") {
		t.Fatalf("refusal of localhost: %v", ae.Details)
	}
	// A URL holding a password is refused before any request, without echoing it.
	ae = apiErr(t, admin.Do(ctx, http.MethodPost, "/v1/repos", nil, obj{"name": "pw", "type": "http",
		"url": "http://bob:hunter2@" + strings.TrimPrefix(repoURL, "http://"), "providers": []string{"local"}}, nil), 400, "invalid_argument")
	if strings.Contains(ae.Message+fmt.Sprint(ae.Details["url"]), "hunter2") || !strings.Contains(fmt.Sprint(ae.Details["url"]), "credential") {
		t.Fatalf("password URL: %s %v", ae.Message, ae.Details)
	}

	repo := do(t, admin, http.MethodPost, "/v1/repos", obj{"name": "pointer", "type": "http", "url": repoURL,
		"visibility": "public", "providers": []string{"local"}, "index_interval": 0})
	repoID := repo["id"].(string)
	ev := waitEvent(t, admin, repoID, list(t, admin, "/v1/repos/"+repoID+"/events", nil)[0]["id"].(string))
	if ev["status"] != "successful" {
		t.Fatalf("index = %v", ev)
	}
	// The index fetches and checks every new VM package before listing it: these are refused
	// there, each named in the event with the refusal, and none is listed.
	if apps := list(t, admin, "/v1/apps", url.Values{"repo_id": {repoID}}); len(apps) != 0 {
		t.Fatalf("apps listed from unreachable packages: %v", apps)
	}
	refused := map[string]string{}
	for _, r := range ev["refused"].([]any) {
		r := r.(map[string]any)
		refused[r["name"].(string)] = fmt.Sprint(r["problems"])
	}
	for _, en := range entries {
		want := "refusing to connect to 127.0.0.3"
		if en.Name == "greeter" {
			want = "refusing to connect to ::1"
		}
		if !strings.Contains(refused[en.Name], want) {
			t.Fatalf("index event on %s = %q, want the refusal %q (event %v)", en.Name, refused[en.Name], want, ev)
		}
	}
	if n := target.n.Load(); n != 0 {
		t.Fatalf("the refused address saw %d connections, want 0", n)
	}
	if target6 != nil && target6.n.Load() != 0 {
		t.Fatalf("the refused address ::1 saw %d connections, want 0", target6.n.Load())
	}
}

func writeSrcDir(t *testing.T, files map[string][]byte) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "src")
	writeSrc(t, dir, files)
	return dir
}

// newUser creates a user of role through the admin and returns a client with its token.
func newUser(t *testing.T, s *server, admin *client.Client, name, role string) *client.Client {
	t.Helper()
	u := do(t, admin, http.MethodPost, "/v1/users", obj{"name": name, "role": role})
	tok := do(t, admin, http.MethodPost, "/v1/users/"+u["id"].(string)+"/tokens", obj{"name": name})
	return s.client(tok["token"].(string))
}

// TestReviewCannotBeSkipped (issue 7, chain 4): an ISV activates versions in private repos
// without review (app_default_status active; submit "passed without review", then release)
// and switches the repos to public. No user sees them until they have been through review.
func TestReviewCannotBeSkipped(t *testing.T) {
	dirA, dirB := t.TempDir(), t.TempDir()
	buildRepo(t, dirA, [][3]string{{"hello", "0.1.0", "auto-active"}})
	buildRepo(t, dirB, [][3]string{{"greeter", "1.0.0", "self-passed"}})
	hsA, hsB := repoServer(t, dirA), repoServer(t, dirB)
	s := startServer(t, t.TempDir(), "--local-runtime=false")
	admin := s.client(s.token())
	isv := newUser(t, s, admin, "vendor", "isv")
	bob := newUser(t, s, admin, "bob", "user")

	index := func(c *client.Client, name, repoURL, status string) (repoID, versionID string) {
		t.Helper()
		r := do(t, c, http.MethodPost, "/v1/repos", obj{"name": name, "type": "http", "url": repoURL, "visibility": "private",
			"providers": []string{"local"}, "index_interval": 0, "app_default_status": status})
		repoID = r["id"].(string)
		if ev := waitEvent(t, c, repoID, list(t, c, "/v1/repos/"+repoID+"/events", nil)[0]["id"].(string)); ev["status"] != "successful" {
			t.Fatalf("index of %s = %v", name, ev)
		}
		apps := list(t, c, "/v1/apps", url.Values{"repo_id": {repoID}})
		if len(apps) != 1 {
			t.Fatalf("apps of %s = %v", name, apps)
		}
		vs := list(t, c, "/v1/apps/"+apps[0]["id"].(string)+"/versions", nil)
		if len(vs) != 1 {
			t.Fatalf("versions of %s = %v", name, vs)
		}
		return repoID, vs[0]["id"].(string)
	}
	repoA, vA := index(isv, "auto", hsA.URL, "active")
	repoB, vB := index(isv, "self", hsB.URL, "draft")
	for _, step := range []struct{ action, want string }{{"submit", "passed"}, {"release", "active"}} {
		if v := do(t, isv, http.MethodPost, "/v1/app_versions/"+vB+"/"+step.action, obj{}); v["status"] != step.want {
			t.Fatalf("%s in a private repo: %v, want %s", step.action, v["status"], step.want)
		}
	}
	for _, id := range []string{vA, vB} {
		if v := do(t, isv, http.MethodGet, "/v1/app_versions/"+id, nil); v["status"] != "active" || v["unreviewed"] != true {
			t.Fatalf("shortcut version %s = %v, want active and unreviewed", id, v)
		}
	}

	// The switch to public: allowed, but publishes nothing unreviewed.
	do(t, isv, http.MethodPatch, "/v1/repos/"+repoA, obj{"visibility": "public", "app_default_status": "draft"})
	do(t, isv, http.MethodPatch, "/v1/repos/"+repoB, obj{"visibility": "public"})
	if got := list(t, bob, "/v1/apps", nil); len(got) != 0 {
		t.Fatalf("a user sees unreviewed apps after the repos went public: %v", got)
	}
	for _, id := range []string{vA, vB} {
		apiErr(t, bob.Do(ctxT(t), http.MethodGet, "/v1/app_versions/"+id, nil, nil, nil), 404, "not_found")
		v := do(t, isv, http.MethodGet, "/v1/app_versions/"+id, nil)
		if v["status"] != "draft" || v["unreviewed"] == true {
			t.Fatalf("version %s after publishing = %v, want back in draft", id, v)
		}
	}
	// A new index run of the public repo does not re-activate anything either.
	ev := waitEvent(t, isv, repoA, do(t, isv, http.MethodPost, "/v1/repos/"+repoA+"/index", nil)["id"].(string))
	if ev["status"] != "successful" {
		t.Fatalf("re-index = %v", ev)
	}
	if got := list(t, bob, "/v1/apps", nil); len(got) != 0 {
		t.Fatalf("a user sees apps after a re-index: %v", got)
	}
	// In a public repo the ISV cannot pass its own version; through review it is published.
	do(t, isv, http.MethodPost, "/v1/app_versions/"+vA+"/submit", obj{})
	apiErr(t, isv.Do(ctxT(t), http.MethodPost, "/v1/app_versions/"+vA+"/pass", nil, obj{}, nil), 403, "permission_denied")
	do(t, admin, http.MethodPost, "/v1/app_versions/"+vA+"/pass", obj{"message": "reviewed"})
	do(t, isv, http.MethodPost, "/v1/app_versions/"+vA+"/release", obj{})
	seen := list(t, bob, "/v1/apps", nil)
	if len(seen) != 1 || seen[0]["name"] != "hello" || seen[0]["status"] != "active" {
		t.Fatalf("after review the user sees %v, want hello only", seen)
	}
	if v := do(t, bob, http.MethodGet, "/v1/app_versions/"+vA, nil); v["status"] != "active" {
		t.Fatalf("reviewed version = %v", v)
	}
}

// TestRuntimesByTrust (issue 7, chain 1): a non-admin (here an isv) can neither create a local runtime
// (which runs packages on the control plane's host) nor deploy its own draft, or its own
// shortcut-activated version, to the admin's local runtime.
func TestRuntimesByTrust(t *testing.T) {
	dir := t.TempDir()
	buildRepo(t, dir, [][3]string{{"grab", "0.1.0", "reads the admin token"}})
	hs := repoServer(t, dir)
	s := startServer(t, t.TempDir())
	admin := s.client(s.token())
	// A plain user may not even make a repo (TestRoleMatrix); an isv, who may, still cannot
	// reach the host.
	mallory := newUser(t, s, admin, "mallory", "isv")

	var localID string
	eventually(t, "the local runtime is registered", func() (bool, string) {
		for _, rt := range list(t, admin, "/v1/runtimes", nil) {
			if rt["provider"] == "local" {
				localID = rt["id"].(string)
				return true, ""
			}
		}
		return false, "no local runtime yet"
	})

	for _, body := range []obj{{"name": "mine", "provider": "local"}, {"name": "mine-test", "provider": "local", "test": true}} {
		apiErr(t, mallory.Do(ctxT(t), http.MethodPost, "/v1/runtimes", nil, body, nil), 403, "permission_denied")
	}
	if got := list(t, mallory, "/v1/runtimes", nil); len(got) != 0 {
		t.Fatalf("refused runtimes were stored: %v", got)
	}

	r := do(t, mallory, http.MethodPost, "/v1/repos", obj{"name": "mine", "type": "http", "url": hs.URL, "providers": []string{"local"}, "index_interval": 0})
	repoID := r["id"].(string)
	if ev := waitEvent(t, mallory, repoID, list(t, mallory, "/v1/repos/"+repoID+"/events", nil)[0]["id"].(string)); ev["status"] != "successful" {
		t.Fatalf("index = %v", ev)
	}
	apps := list(t, mallory, "/v1/apps", url.Values{"repo_id": {repoID}})
	if len(apps) != 1 {
		t.Fatalf("apps = %v", apps)
	}
	vid := list(t, mallory, "/v1/apps/"+apps[0]["id"].(string)+"/versions", nil)[0]["id"].(string)
	deploy := func() error {
		return mallory.Do(ctxT(t), http.MethodPost, "/v1/clusters", nil, obj{"name": "grab", "version_id": vid, "runtime_id": localID}, nil)
	}
	// The admin's runtime is not the user's to name (400, as for a runtime that does not exist).
	apiErr(t, deploy(), 400, "invalid_argument")
	// Released through the private-repo shortcut, it is still not reviewed.
	do(t, mallory, http.MethodPost, "/v1/app_versions/"+vid+"/submit", obj{})
	do(t, mallory, http.MethodPost, "/v1/app_versions/"+vid+"/release", obj{})
	apiErr(t, deploy(), 400, "invalid_argument")
	if got := list(t, admin, "/v1/clusters", nil); len(got) != 0 {
		t.Fatalf("clusters were created: %v", got)
	}

	// An admin grants the local runtime to a user: they see it and deploy a reviewed version
	// to it, and cannot change it; only an admin grants, and only to users that exist.
	ursula := newUser(t, s, admin, "ursula", "user")
	var ursulaID string
	for _, u := range list(t, admin, "/v1/users", nil) {
		if u["name"] == "ursula" {
			ursulaID = u["id"].(string)
		}
	}
	pub := do(t, admin, http.MethodPost, "/v1/repos", obj{"name": "public", "type": "http", "url": hs.URL, "visibility": "public",
		"providers": []string{"local"}, "app_default_status": "active", "index_interval": 0})
	waitEvent(t, admin, pub["id"].(string), list(t, admin, "/v1/repos/"+pub["id"].(string)+"/events", nil)[0]["id"].(string))
	pubApps := list(t, admin, "/v1/apps", url.Values{"repo_id": {pub["id"].(string)}})
	if len(pubApps) != 1 {
		t.Fatalf("public apps = %v", pubApps)
	}
	active := list(t, admin, "/v1/apps/"+pubApps[0]["id"].(string)+"/versions", nil)[0]["id"].(string)
	ursulaDeploys := func() (obj, error) {
		var acc obj
		err := ursula.Do(ctxT(t), http.MethodPost, "/v1/clusters", nil, obj{"name": "granted", "version_id": active, "runtime_id": localID}, &acc)
		return acc, err
	}
	if _, err := ursulaDeploys(); err == nil {
		t.Fatal("a user deployed to the local runtime before any grant")
	}
	apiErr(t, mallory.Do(ctxT(t), http.MethodPatch, "/v1/runtimes/"+localID, nil, obj{"granted_to": []string{ursulaID}}, nil), 404, "not_found")
	ae := apiErr(t, admin.Do(ctxT(t), http.MethodPatch, "/v1/runtimes/"+localID, nil, obj{"granted_to": []string{ursulaID, "usr-nosuch"}}, nil), 400, "invalid_argument")
	if _, ok := ae.Details["granted_to[1]"]; !ok {
		t.Fatalf("grant to a user that does not exist: %v", ae.Details)
	}
	if rt := do(t, admin, http.MethodPatch, "/v1/runtimes/"+localID, obj{"granted_to": []string{ursulaID}}); fmt.Sprint(rt["granted_to"]) != "["+ursulaID+"]" {
		t.Fatalf("granted runtime = %v", rt)
	}
	if got := list(t, ursula, "/v1/runtimes", nil); len(got) != 1 || got[0]["id"] != localID {
		t.Fatalf("ursula's runtimes after the grant = %v", got)
	}
	apiErr(t, ursula.Do(ctxT(t), http.MethodPatch, "/v1/runtimes/"+localID, nil, obj{"description": "mine now"}, nil), 404, "not_found")
	acc, err := ursulaDeploys()
	if err != nil {
		t.Fatalf("deploy to the granted runtime: %v", err)
	}
	if j := waitJob(t, ursula, acc["job_id"].(string)); j["status"] != "successful" {
		t.Fatalf("create on the granted runtime = %v", j)
	}
	del := do(t, ursula, http.MethodDelete, "/v1/clusters/"+acc["cluster_id"].(string), nil)
	if j := waitJob(t, ursula, del["job_id"].(string)); j["status"] != "successful" {
		t.Fatalf("delete = %v", j)
	}
}
