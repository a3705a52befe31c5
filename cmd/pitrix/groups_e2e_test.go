package main

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/pitrix/pitrix/http/client"
)

// account makes a user of role with a token and returns its id, token and a client.
func account(t *testing.T, s *server, admin *client.Client, name, role string) (string, string, *client.Client) {
	t.Helper()
	u := do(t, admin, http.MethodPost, "/v1/users", obj{"name": name, "role": role})
	tok := do(t, admin, http.MethodPost, "/v1/users/"+u["id"].(string)+"/tokens", obj{"name": name})["token"].(string)
	return u["id"].(string), tok, s.client(tok)
}

// TestGroupsPrivateMarket: an isv shares a private repo with a group. Its members see the repo
// and its active, reviewed apps; other users do not. Sharing sends what skipped review back to
// draft and makes later versions wait for an admin's pass, as making the repo public does. The
// group's owner manages members through the CLI; a member who leaves stops seeing the repo.
func TestGroupsPrivateMarket(t *testing.T) {
	dir := t.TempDir()
	buildRepo(t, dir, [][3]string{{"hello", "0.1.0", "for the group"}})
	hs := repoServer(t, dir)
	s := startServer(t, t.TempDir(), "--local-runtime=false")
	admin := s.client(s.token())
	_, isvTok, isv := account(t, s, admin, "vendor", "isv")
	bobID, _, bob := account(t, s, admin, "bob", "user")
	carolID, _, carol := account(t, s, admin, "carol", "user")

	r := do(t, isv, http.MethodPost, "/v1/repos", obj{"name": "market", "type": "http", "url": hs.URL, "providers": []string{"local"}, "index_interval": 0})
	repoID := r["id"].(string)
	waitEvent(t, isv, repoID, list(t, isv, "/v1/repos/"+repoID+"/events", nil)[0]["id"].(string))
	app := list(t, isv, "/v1/apps", url.Values{"repo_id": {repoID}})[0]
	appID := app["id"].(string)
	vid := list(t, isv, "/v1/apps/"+appID+"/versions", nil)[0]["id"].(string)
	// The private shortcut: passed without review, then released.
	if v := do(t, isv, http.MethodPost, "/v1/app_versions/"+vid+"/submit", obj{}); v["status"] != "passed" {
		t.Fatalf("submit in an unshared private repo = %v", v["status"])
	}
	do(t, isv, http.MethodPost, "/v1/app_versions/"+vid+"/release", obj{})

	// The group, through the CLI of its owner.
	cli := func(c string, args ...string) string {
		t.Helper()
		env := func(k string) string { return map[string]string{"PITRIX_SERVER": s.url, "PITRIX_TOKEN": c}[k] }
		var out, errb bytes.Buffer
		if code := run(ctxT(t), args, env, nil, &out, &errb); code != 0 {
			t.Fatalf("pitrix %s = %d: %s", strings.Join(args, " "), code, errb.String())
		}
		return out.String()
	}
	out := cli(isvTok, "group", "create", "--name", "customers", "--member", bobID, "-o", "json")
	var g obj
	if err := json.Unmarshal([]byte(out), &g); err != nil {
		t.Fatalf("pitrix group create -o json: %v: %s", err, out)
	}
	groupID := g["id"].(string)
	if !strings.Contains(cli(isvTok, "group", "list"), "customers") {
		t.Fatal("pitrix group list does not show the new group")
	}
	// Not a member: carol cannot see the group; bob can, and cannot change it.
	apiErr(t, carol.Do(ctxT(t), http.MethodGet, "/v1/groups/"+groupID, nil, nil, nil), 404, "not_found")
	do(t, bob, http.MethodGet, "/v1/groups/"+groupID, nil)
	apiErr(t, bob.Do(ctxT(t), http.MethodPost, "/v1/groups/"+groupID+"/members", nil, obj{"user_id": carolID}, nil), 403, "permission_denied")
	// Only groups of one's own may be named.
	carolGroup := do(t, carol, http.MethodPost, "/v1/groups", obj{"name": "carols"})["id"].(string)
	apiErr(t, isv.Do(ctxT(t), http.MethodPatch, "/v1/repos/"+repoID, nil, obj{"group_ids": []string{carolGroup}}, nil), 400, "invalid_argument")

	// Sharing demotes the unreviewed release: nobody but the owner sees it yet.
	var rr obj
	if out := cli(isvTok, "repo", "update", repoID, "--group", groupID, "-o", "json"); json.Unmarshal([]byte(out), &rr) != nil ||
		len(rr["group_ids"].([]any)) != 1 || rr["group_ids"].([]any)[0] != groupID {
		t.Fatalf("pitrix repo update --group = %s", out)
	}
	if v := do(t, isv, http.MethodGet, "/v1/app_versions/"+vid, nil); v["status"] != "draft" {
		t.Fatalf("after sharing the unreviewed version is %v, want draft", v["status"])
	}
	do(t, bob, http.MethodGet, "/v1/repos/"+repoID, nil) // the repo itself is visible to members
	if got := list(t, bob, "/v1/apps", nil); len(got) != 0 {
		t.Fatalf("a member sees unreviewed apps: %v", got)
	}
	// Now review is needed: submit waits, the isv cannot pass, the admin does.
	if v := do(t, isv, http.MethodPost, "/v1/app_versions/"+vid+"/submit", obj{}); v["status"] != "submitted" {
		t.Fatalf("submit in a shared repo = %v, want submitted", v["status"])
	}
	apiErr(t, isv.Do(ctxT(t), http.MethodPost, "/v1/app_versions/"+vid+"/pass", nil, obj{}, nil), 403, "permission_denied")
	do(t, admin, http.MethodPost, "/v1/app_versions/"+vid+"/pass", obj{"message": "reviewed"})
	do(t, isv, http.MethodPost, "/v1/app_versions/"+vid+"/release", obj{})

	// The group's member sees the app and its version; carol sees nothing.
	if got := list(t, bob, "/v1/apps", nil); len(got) != 1 || got[0]["id"] != appID {
		t.Fatalf("the member sees %v, want %s", got, appID)
	}
	do(t, bob, http.MethodGet, "/v1/app_versions/"+vid, nil)
	if got := list(t, carol, "/v1/apps", nil); len(got) != 0 {
		t.Fatalf("a non-member sees %v", got)
	}
	apiErr(t, carol.Do(ctxT(t), http.MethodGet, "/v1/apps/"+appID, nil, nil, nil), 404, "not_found")
	apiErr(t, carol.Do(ctxT(t), http.MethodGet, "/v1/repos/"+repoID, nil, nil, nil), 404, "not_found")

	// Membership changes take effect at once.
	cli(isvTok, "group", "add-member", groupID, carolID)
	if got := list(t, carol, "/v1/apps", nil); len(got) != 1 {
		t.Fatalf("a new member sees %v", got)
	}
	cli(isvTok, "group", "remove-member", groupID, bobID)
	if got := list(t, bob, "/v1/apps", nil); len(got) != 0 {
		t.Fatalf("a removed member still sees %v", got)
	}
	cli(isvTok, "group", "delete", groupID)
	if got := list(t, carol, "/v1/apps", nil); len(got) != 0 {
		t.Fatalf("after the group is deleted a former member sees %v", got)
	}
	if got := list(t, carol, "/v1/groups", nil); len(got) != 1 || got[0]["id"] != carolGroup {
		t.Fatalf("carol's groups = %v", got)
	}
}

// TestDeveloperRole: a developer builds apps but never reviews them: no public repo, submit
// waits for an admin even in its own private repo, pass is refused; its own unreleased version
// deploys only to a runtime marked test, and it manages no users.
func TestDeveloperRole(t *testing.T) {
	kc := testKubeconfig(t)
	e := newHelmEnv(t, t.TempDir())
	s, admin := e.s, e.admin
	_, _, dev := account(t, s, admin, "dana", "developer")
	charts := chartRepo(t)

	apiErr(t, dev.Do(ctxT(t), http.MethodPost, "/v1/repos", nil, obj{"name": "pub", "type": "http", "url": charts, "visibility": "public",
		"providers": []string{"kubernetes"}, "index_interval": 0}, nil), 403, "permission_denied")
	apiErr(t, dev.Do(ctxT(t), http.MethodPost, "/v1/users", nil, obj{"name": "x"}, nil), 403, "permission_denied")
	r := do(t, dev, http.MethodPost, "/v1/repos", obj{"name": "mine", "type": "http", "url": charts, "providers": []string{"kubernetes"}, "index_interval": 0})
	repoID := r["id"].(string)
	waitEvent(t, dev, repoID, list(t, dev, "/v1/repos/"+repoID+"/events", nil)[0]["id"].(string))
	app := list(t, dev, "/v1/apps", url.Values{"repo_id": {repoID}})[0]
	vid := byName(list(t, dev, "/v1/apps/"+app["id"].(string)+"/versions", nil), "name")["0.1.0"]["id"].(string)
	if v := do(t, dev, http.MethodPost, "/v1/app_versions/"+vid+"/submit", obj{}); v["status"] != "submitted" {
		t.Fatalf("a developer's submit = %v, want submitted (no shortcut)", v["status"])
	}
	for _, a := range []string{"pass", "reject"} {
		apiErr(t, dev.Do(ctxT(t), http.MethodPost, "/v1/app_versions/"+vid+"/"+a, nil, obj{}, nil), 403, "permission_denied")
	}

	cred := do(t, dev, http.MethodPost, "/v1/runtime_credentials", obj{"name": "k8s", "provider": "kubernetes", "content": kc})
	prod := do(t, dev, http.MethodPost, "/v1/runtimes", obj{"name": "prod", "provider": "kubernetes", "zone": e.ns, "credential_id": cred["id"]})
	test := do(t, dev, http.MethodPost, "/v1/runtimes", obj{"name": "test", "provider": "kubernetes", "zone": e.ns, "credential_id": cred["id"], "test": true})
	apiErr(t, dev.Do(ctxT(t), http.MethodPost, "/v1/clusters", nil, obj{"name": "try", "version_id": vid, "runtime_id": prod["id"]}, nil), 403, "permission_denied")
	acc := do(t, dev, http.MethodPost, "/v1/clusters", obj{"name": "try", "version_id": vid, "runtime_id": test["id"]})
	if j := waitJob(t, dev, acc["job_id"].(string)); j["status"] != "successful" {
		t.Fatalf("deploy to the test runtime = %v", j)
	}
	// Once an admin passed it and the developer released it, it deploys anywhere.
	do(t, admin, http.MethodPost, "/v1/app_versions/"+vid+"/pass", obj{})
	if v := do(t, dev, http.MethodPost, "/v1/app_versions/"+vid+"/release", obj{}); v["status"] != "active" {
		t.Fatalf("release = %v", v["status"])
	}
	do(t, dev, http.MethodPost, "/v1/clusters", obj{"name": "live", "version_id": vid, "runtime_id": prod["id"]})
}
