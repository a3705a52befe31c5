package cli

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// fakeAPI is a small stateful stand-in for the Pitrix server: categories and repos CRUD
// with paging, package upload and download, the review state machine, and error answers in
// the API's envelope. It records every request.
type fakeAPI struct {
	token string
	srv   *httptest.Server

	mu       sync.Mutex
	seq      int
	objects  map[string]map[string]any // by id
	order    map[string][]string       // collection → ids, newest first
	packages map[string][]byte         // version id → package bytes
	requests []fakeRequest

	cl *fakeClusters // clusters, jobs and the event stream, with their own lock
}

type fakeRequest struct {
	Method, Path, Query, Auth, ContentType string
	Body                                   []byte
}

func newFakeAPI(t *testing.T) *fakeAPI {
	t.Helper()
	f := &fakeAPI{
		token:    "admintok",
		objects:  map[string]map[string]any{},
		order:    map[string][]string{},
		packages: map[string][]byte{},
	}
	mux := http.NewServeMux()
	f.cl = newFakeClusters()
	f.cl.routes(mux)
	for _, coll := range []string{"categories", "repos", "runtimes", "runtime_credentials"} {
		mux.HandleFunc("GET /v1/"+coll, f.list(coll))
		mux.HandleFunc("POST /v1/"+coll, f.create(coll))
		mux.HandleFunc("GET /v1/"+coll+"/{id}", f.get)
		mux.HandleFunc("PATCH /v1/"+coll+"/{id}", f.patch)
		mux.HandleFunc("DELETE /v1/"+coll+"/{id}", f.delete(coll))
	}
	mux.HandleFunc("POST /v1/repos/validate", func(w http.ResponseWriter, r *http.Request) {
		var in map[string]any
		json.Unmarshal(f.last().Body, &in)
		if strings.HasPrefix(fmt.Sprint(in["url"]), "http://127.0.0.1") {
			fakeJSON(w, 200, map[string]any{"ok": true})
			return
		}
		fakeJSON(w, 200, map[string]any{"ok": false, "error": "cannot read index.yaml"})
	})
	mux.HandleFunc("POST /v1/repos/{id}/index", func(w http.ResponseWriter, r *http.Request) {
		if f.lookup(r.PathValue("id")) == nil {
			notFound(w, r.PathValue("id"))
			return
		}
		fakeJSON(w, 200, map[string]any{"id": "repoe-1", "repo_id": r.PathValue("id"), "status": "pending",
			"apps_added": 0, "versions_added": 0, "versions_removed": 0})
	})
	mux.HandleFunc("GET /v1/repos/{id}/events", f.list("events"))
	mux.HandleFunc("PATCH /v1/apps/{id}", f.patch)
	mux.HandleFunc("GET /v1/app_versions/{id}/audits", f.list("audits"))
	mux.HandleFunc("GET /v1/app_versions/{id}/runtimes", f.list("runtimes"))
	mux.HandleFunc("GET /v1/app_versions/{id}/files", func(w http.ResponseWriter, r *http.Request) {
		fakeJSON(w, 200, map[string]any{"total_count": 1, "items": []any{map[string]any{"path": "config.json", "size": 16}}})
	})
	mux.HandleFunc("POST /v1/runtime_credentials/{id}/validate", func(w http.ResponseWriter, r *http.Request) {
		fakeJSON(w, 200, map[string]any{"ok": false, "error": "cluster unreachable"})
	})
	mux.HandleFunc("GET /v1/admin/actors", func(w http.ResponseWriter, r *http.Request) {
		fakeJSON(w, 200, map[string]any{"total_count": 1, "items": []any{map[string]any{"kind": "repo", "id": "repo-1", "node": "n1", "mailbox_len": 0}}})
	})
	mux.HandleFunc("GET /v1/apps", f.list("apps"))
	mux.HandleFunc("GET /v1/apps/{id}", f.get)
	mux.HandleFunc("POST /v1/apps", f.upload)
	mux.HandleFunc("POST /v1/apps/{id}/versions", f.upload)
	mux.HandleFunc("GET /v1/apps/{id}/versions", f.list("versions"))
	mux.HandleFunc("POST /v1/apps/validate_package", func(w http.ResponseWriter, r *http.Request) {
		if !bytes.HasPrefix(f.last().Body, []byte{0x1f, 0x8b}) {
			fakeJSON(w, 200, map[string]any{"ok": false, "errors": map[string]any{"package": "not a gzip file", "config.json": "missing"}})
			return
		}
		fakeJSON(w, 200, map[string]any{"ok": true})
	})
	mux.HandleFunc("GET /v1/app_versions/{id}", f.get)
	mux.HandleFunc("GET /v1/app_versions/{id}/package", func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		pkg, ok := f.packages[r.PathValue("id")]
		f.mu.Unlock()
		if !ok {
			notFound(w, r.PathValue("id"))
			return
		}
		w.Header().Set("Content-Type", "application/gzip")
		w.Write(pkg)
	})
	mux.HandleFunc("GET /v1/app_versions/{id}/files/{path...}", func(w http.ResponseWriter, r *http.Request) {
		if r.PathValue("path") != "config/config.json" {
			notFound(w, r.PathValue("path"))
			return
		}
		io.WriteString(w, `{"type":"array"}`)
	})
	mux.HandleFunc("POST /v1/app_versions/{id}/{step}", f.review)
	mux.HandleFunc("GET /v1/providers", func(w http.ResponseWriter, r *http.Request) {
		fakeJSON(w, 200, map[string]any{"total_count": 2, "items": []any{
			map[string]any{"name": "kubernetes", "app_type": "helm"},
			map[string]any{"name": "local", "app_type": "vm", "zones": []string{"z1", "z2"}},
		}})
	})
	mux.HandleFunc("GET /v1/admin/nodes", func(w http.ResponseWriter, r *http.Request) {
		fakeJSON(w, 200, []any{map[string]any{"id": "Ab3", "name": "n1", "address": "127.0.0.1:7946", "status": "alive", "raft_role": "leader",
			"raft_voter": true, "raft_term": 2, "raft_commit_index": 40, "raft_applied_index": 39, "actors": 3}})
	})
	mux.HandleFunc("GET /v1/admin/actors/{kind}/{id}", func(w http.ResponseWriter, r *http.Request) {
		fakeJSON(w, 200, map[string]any{"kind": r.PathValue("kind"), "id": r.PathValue("id"), "state": map[string]any{"n": 1}})
	})
	f.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		f.mu.Lock()
		f.requests = append(f.requests, fakeRequest{Method: r.Method, Path: r.URL.EscapedPath(), Query: r.URL.RawQuery,
			Auth: r.Header.Get("Authorization"), ContentType: r.Header.Get("Content-Type"), Body: body})
		f.mu.Unlock()
		r.Body = io.NopCloser(bytes.NewReader(body))
		if r.Header.Get("Authorization") != "Bearer "+f.token {
			fakeError(w, 401, "unauthenticated", "missing or invalid token", nil)
			return
		}
		mux.ServeHTTP(w, r)
	}))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeAPI) last() fakeRequest {
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.requests) == 0 {
		return fakeRequest{}
	}
	return f.requests[len(f.requests)-1]
}

func (f *fakeAPI) count() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.requests)
}

func (f *fakeAPI) lookup(id string) map[string]any {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.objects[id]
}

func fakeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

func fakeError(w http.ResponseWriter, status int, code, msg string, details map[string]any) {
	e := map[string]any{"code": code, "message": msg}
	if details != nil {
		e["details"] = details
	}
	fakeJSON(w, status, map[string]any{"error": e})
}

func notFound(w http.ResponseWriter, id string) {
	fakeError(w, 404, "not_found", fmt.Sprintf("%q not found", id), nil)
}

var idPrefix = map[string]string{"categories": "ctg-", "repos": "repo-", "runtimes": "runtime-",
	"runtime_credentials": "rcred-", "apps": "app-", "versions": "appv-"}

// add stores obj in coll under a new id; the caller holds mu.
func (f *fakeAPI) add(coll string, obj map[string]any) map[string]any {
	f.seq++
	id := idPrefix[coll] + strconv.Itoa(f.seq)
	obj["id"] = id
	obj["created_at"] = fmt.Sprintf("2025-01-01T00:00:%02dZ", f.seq%60)
	f.objects[id] = obj
	f.order[coll] = append([]string{id}, f.order[coll]...)
	return obj
}

func (f *fakeAPI) create(coll string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		var in map[string]any
		if err := json.Unmarshal(f.last().Body, &in); err != nil {
			fakeError(w, 400, "invalid_argument", "body is not JSON", nil)
			return
		}
		bad := map[string]any{}
		if s, _ := in["name"].(string); s == "" {
			bad["name"] = "is required"
		}
		if _, ok := in["url"]; coll == "repos" && !ok {
			bad["url"] = "is required"
		}
		if len(bad) > 0 {
			fakeError(w, 400, "invalid_argument", "invalid "+coll, bad)
			return
		}
		delete(in, "credential") // write-only
		delete(in, "content")
		f.mu.Lock()
		obj := f.add(coll, in)
		f.mu.Unlock()
		fakeJSON(w, 201, obj)
	}
}

func (f *fakeAPI) list(coll string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		limit, offset := 20, 0
		if v := q.Get("limit"); v != "" {
			limit, _ = strconv.Atoi(v)
		}
		if v := q.Get("offset"); v != "" {
			offset, _ = strconv.Atoi(v)
		}
		if limit > 200 {
			fakeError(w, 400, "invalid_argument", "invalid list", map[string]any{"limit": "at most 200"})
			return
		}
		f.mu.Lock()
		defer f.mu.Unlock()
		var match []any
		for _, id := range f.order[coll] {
			o := f.objects[id]
			if s := q.Get("q"); s != "" && !strings.Contains(fmt.Sprint(o["name"]), s) {
				continue
			}
			if s := q.Get("status"); s != "" && o["status"] != s {
				continue
			}
			if s := q.Get("repo_id"); s != "" && o["repo_id"] != s {
				continue
			}
			if appID := r.PathValue("id"); appID != "" && o["app_id"] != appID {
				continue
			}
			match = append(match, o)
		}
		items := []any{}
		if offset < len(match) {
			items = match[offset:min(len(match), offset+limit)]
		}
		fakeJSON(w, 200, map[string]any{"total_count": len(match), "items": items})
	}
}

func (f *fakeAPI) get(w http.ResponseWriter, r *http.Request) {
	o := f.lookup(r.PathValue("id"))
	if o == nil {
		notFound(w, r.PathValue("id"))
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	fakeJSON(w, 200, o)
}

func (f *fakeAPI) patch(w http.ResponseWriter, r *http.Request) {
	var in map[string]any
	if err := json.Unmarshal(f.last().Body, &in); err != nil {
		fakeError(w, 400, "invalid_argument", "body is not JSON", nil)
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	o, ok := f.objects[r.PathValue("id")]
	if !ok {
		notFound(w, r.PathValue("id"))
		return
	}
	for k, v := range in {
		o[k] = v
	}
	fakeJSON(w, 200, o)
}

func (f *fakeAPI) delete(coll string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		id := r.PathValue("id")
		f.mu.Lock()
		defer f.mu.Unlock()
		if _, ok := f.objects[id]; !ok {
			notFound(w, id)
			return
		}
		delete(f.objects, id)
		f.order[coll] = slices.DeleteFunc(f.order[coll], func(s string) bool { return s == id })
		w.WriteHeader(http.StatusNoContent)
	}
}

func (f *fakeAPI) upload(w http.ResponseWriter, r *http.Request) {
	req := f.last()
	if req.ContentType != "application/gzip" || len(req.Body) == 0 {
		fakeError(w, 400, "invalid_argument", "want a package .tgz", map[string]any{"package": "empty or wrong content type"})
		return
	}
	typ := r.URL.Query().Get("type")
	f.mu.Lock()
	defer f.mu.Unlock()
	var app map[string]any
	if id := r.PathValue("id"); id != "" {
		if app = f.objects[id]; app == nil {
			notFound(w, id)
			return
		}
	} else {
		app = f.add("apps", map[string]any{"name": "zk", "type": typ, "status": "draft", "repo_id": "repo-upload"})
	}
	v := f.add("versions", map[string]any{"name": "zk", "version": "1.0." + strconv.Itoa(f.seq), "app_id": app["id"], "status": "draft"})
	app["latest_version_id"] = v["id"]
	f.packages[v["id"].(string)] = req.Body
	fakeJSON(w, 201, map[string]any{"app": app, "version": v})
}

// reviewMoves is the review state machine of API.md: step → from → to.
var reviewMoves = map[string]map[string]string{
	"submit":  {"draft": "submitted", "rejected": "submitted"},
	"cancel":  {"submitted": "draft"},
	"pass":    {"submitted": "passed"},
	"reject":  {"submitted": "rejected"},
	"release": {"passed": "active"},
	"suspend": {"active": "suspended"},
	"recover": {"suspended": "active"},
}

func (f *fakeAPI) review(w http.ResponseWriter, r *http.Request) {
	var in struct {
		Message string `json:"message"`
	}
	json.Unmarshal(f.last().Body, &in)
	f.mu.Lock()
	defer f.mu.Unlock()
	v, ok := f.objects[r.PathValue("id")]
	if !ok {
		notFound(w, r.PathValue("id"))
		return
	}
	moves, ok := reviewMoves[r.PathValue("step")]
	if !ok {
		notFound(w, r.PathValue("step"))
		return
	}
	to, ok := moves[fmt.Sprint(v["status"])]
	if !ok {
		fakeError(w, 409, "failed_precondition", fmt.Sprintf("cannot %s a version in status %v", r.PathValue("step"), v["status"]), nil)
		return
	}
	v["status"] = to
	v["message"] = in.Message
	fakeJSON(w, 200, v)
}
