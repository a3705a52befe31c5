package main

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/pitrix/pitrix/http/client"
)

// TestPrivateReposAndSecrets: an isv's private repo (behind basic auth) is theirs alone, its
// apps need no admin's pass, and no response ever carries a secret.
func TestPrivateReposAndSecrets(t *testing.T) {
	repoDir := t.TempDir()
	buildRepo(t, repoDir, [][3]string{{"secret-app", "1.0.0", "private"}})
	files := http.FileServer(http.Dir(repoDir))
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if u, p, ok := r.BasicAuth(); !ok || u != "carol" || p != "s3cret-pw" {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		files.ServeHTTP(w, r)
	}))
	defer hs.Close()
	s := startServer(t, t.TempDir(), "--local-runtime=false")
	admin := s.client(s.token())
	mk := func(name, role string) (string, *client.Client) {
		u := do(t, admin, http.MethodPost, "/v1/users", obj{"name": name, "role": role})
		tok := do(t, admin, http.MethodPost, "/v1/users/"+u["id"].(string)+"/tokens", obj{"name": name})
		return u["id"].(string), s.client(tok["token"].(string))
	}
	carolID, carol := mk("carol", "isv")
	_, dave := mk("dave", "user")
	_, erin := mk("erin", "developer")

	// Without the credential the index cannot be read: refused, with the cause named.
	err := carol.Do(ctxT(t), http.MethodPost, "/v1/repos", nil, obj{"name": "mine", "type": "http", "url": hs.URL, "providers": []string{"local"}}, nil)
	if ae := apiErr(t, err, 400, "invalid_argument"); !strings.Contains(strings.ToLower(ae.Details["url"].(string)), "401") &&
		!strings.Contains(strings.ToLower(ae.Details["url"].(string)), "unauthorized") {
		t.Fatalf("the error does not say the repo refused the credential: %v", ae.Details)
	}
	// A developer may not own a public repo; a user no repo at all.
	apiErr(t, dave.Do(ctxT(t), http.MethodPost, "/v1/repos", nil, obj{"name": "any", "type": "http", "url": hs.URL,
		"providers": []string{"local"}}, nil), 403, "permission_denied")
	apiErr(t, erin.Do(ctxT(t), http.MethodPost, "/v1/repos", nil, obj{"name": "pub", "type": "http", "url": hs.URL, "visibility": "public",
		"providers": []string{"local"}, "credential": obj{"username": "carol", "password": "s3cret-pw"}}, nil), 403, "permission_denied")

	var raw bytes.Buffer
	if err := carol.Do(ctxT(t), http.MethodPost, "/v1/repos", nil, obj{"name": "mine", "type": "http", "url": hs.URL, "providers": []string{"local"},
		"index_interval": 0, "credential": obj{"username": "carol", "password": "s3cret-pw"}}, &raw); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(raw.String(), "s3cret-pw") || !strings.Contains(raw.String(), `"has_credential":true`) {
		t.Fatalf("create repo answered %s", raw.String())
	}
	repos := list(t, carol, "/v1/repos", nil)
	if len(repos) != 1 || repos[0]["visibility"] != "private" || repos[0]["owner"] != carolID {
		t.Fatalf("carol's repos = %v", repos)
	}
	repoID := repos[0]["id"].(string)
	ev := waitEvent(t, carol, repoID, list(t, carol, "/v1/repos/"+repoID+"/events", nil)[0]["id"].(string))
	if ev["status"] != "successful" {
		t.Fatalf("index with the credential = %v", ev)
	}
	if got := list(t, dave, "/v1/repos", nil); len(got) != 0 {
		t.Fatalf("dave sees carol's private repos: %v", got)
	}
	apiErr(t, dave.Do(ctxT(t), http.MethodGet, "/v1/repos/"+repoID, nil, nil, nil), 404, "not_found")
	apiErr(t, dave.Do(ctxT(t), http.MethodPost, "/v1/repos/"+repoID+"/index", nil, nil, nil), 403, "permission_denied") // a user indexes no repo
	apiErr(t, erin.Do(ctxT(t), http.MethodPost, "/v1/repos/"+repoID+"/index", nil, nil, nil), 404, "not_found")         // nor another's

	// Her apps: a private repo's versions pass without an admin.
	apps := list(t, carol, "/v1/apps", url.Values{"repo_id": {repoID}})
	if len(apps) != 1 {
		t.Fatalf("carol's apps = %v", apps)
	}
	vid := apps[0]["latest_version_id"].(string)
	if v := do(t, carol, http.MethodPost, "/v1/app_versions/"+vid+"/submit", obj{}); v["status"] != "passed" {
		t.Fatalf("submit in a private repo = %v, want passed", v["status"])
	}
	if v := do(t, carol, http.MethodPost, "/v1/app_versions/"+vid+"/release", obj{}); v["status"] != "active" {
		t.Fatalf("release = %v", v["status"])
	}
	if got := list(t, dave, "/v1/apps", nil); len(got) != 0 {
		t.Fatalf("dave sees apps of carol's private repo: %v", got)
	}
	// The package is fetched with the sealed credential and checked against the index digest.
	var pkg bytes.Buffer
	if err := carol.Do(ctxT(t), http.MethodGet, "/v1/app_versions/"+vid+"/package", nil, nil, &pkg); err != nil || pkg.Len() == 0 {
		t.Fatalf("package = %d bytes, %v", pkg.Len(), err)
	}

	// Runtime credentials are write-only too.
	raw.Reset()
	if err := carol.Do(ctxT(t), http.MethodPost, "/v1/runtime_credentials", nil, obj{"name": "c", "provider": "local", "content": "{}"}, &raw); err != nil {
		t.Fatal(err)
	}
	apiErr(t, carol.Do(ctxT(t), http.MethodPost, "/v1/runtime_credentials", nil, obj{"name": "c", "provider": "local", "content": "apiVersion: v1"}, nil), 400, "invalid_argument")
	apiErr(t, carol.Do(ctxT(t), http.MethodPost, "/v1/runtimes", nil, obj{"name": "x", "provider": "kubernetes"}, nil), 400, "invalid_argument")
	apiErr(t, carol.Do(ctxT(t), http.MethodPost, "/v1/runtimes", nil, obj{"name": "x", "provider": "local", "zone": "mars"}, nil), 403, "permission_denied")
	apiErr(t, admin.Do(ctxT(t), http.MethodPost, "/v1/runtimes", nil, obj{"name": "x", "provider": "local", "zone": "mars"}, nil), 400, "invalid_argument")
	for _, path := range []string{"/v1/repos", "/v1/repos/" + repoID, "/v1/runtime_credentials"} {
		raw.Reset()
		if err := carol.Do(ctxT(t), http.MethodGet, path, nil, nil, &raw); err != nil {
			t.Fatal(err)
		}
		if strings.Contains(raw.String(), "s3cret-pw") || strings.Contains(raw.String(), "sealed") {
			t.Fatalf("GET %s leaks a secret: %s", path, raw.String())
		}
	}

	// Deleting the repo takes its apps out of the store.
	if err := carol.Do(ctxT(t), http.MethodDelete, "/v1/repos/"+repoID, nil, nil, nil); err != nil {
		t.Fatal(err)
	}
	if got := list(t, carol, "/v1/apps", nil); len(got) != 0 {
		t.Fatalf("apps of a deleted repo are listed: %v", got)
	}
}
