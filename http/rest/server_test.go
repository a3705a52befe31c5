package rest

import (
	"archive/tar"
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime/multipart"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/pitrix/pitrix/actors/catalog"
	"github.com/pitrix/pitrix/actors/fault"
)

// testEnv is a Server on a loopback listener with a memBackend behind it.
type testEnv struct {
	t      *testing.T
	be     *memBackend
	srv    *Server
	base   string
	client *http.Client
	cancel context.CancelFunc
	done   chan error
}

func testLogger(t *testing.T) *slog.Logger {
	return slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelDebug}))
}

func startServer(t *testing.T, cfg Config) *testEnv {
	t.Helper()
	if cfg.Logger == nil {
		cfg.Logger = testLogger(t)
	}
	be := newMemBackend()
	srv, err := New(cfg, be)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	e := &testEnv{
		t: t, be: be, srv: srv, base: "http://" + ln.Addr().String(), cancel: cancel, done: make(chan error, 1),
		client: &http.Client{Transport: &http.Transport{}},
	}
	go func() { e.done <- srv.Serve(ctx, ln) }()
	t.Cleanup(func() {
		e.client.CloseIdleConnections()
		cancel()
		if err := <-e.done; err != nil {
			t.Errorf("Serve: %v", err)
		}
	})
	return e
}

// response is a finished HTTP exchange.
type response struct {
	status int
	header http.Header
	body   []byte
}

// errBody decodes the error answer of r.
func (r response) errBody(t *testing.T) errorDetail {
	t.Helper()
	var eb errorBody
	if err := json.Unmarshal(r.body, &eb); err != nil {
		t.Fatalf("error body %q: %v", r.body, err)
	}
	return eb.Error
}

func (e *testEnv) request(method, path, token, contentType string, body []byte) response {
	e.t.Helper()
	req, err := http.NewRequestWithContext(e.t.Context(), method, e.base+path, bytes.NewReader(body))
	if err != nil {
		e.t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := e.client.Do(req)
	if err != nil {
		e.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		e.t.Fatalf("%s %s: read body: %v", method, path, err)
	}
	return response{status: resp.StatusCode, header: resp.Header, body: b}
}

// call makes an admin request with a JSON body (none when body is "").
func (e *testEnv) call(method, path, body string) response {
	e.t.Helper()
	ct := ""
	if body != "" {
		ct = "application/json"
	}
	return e.request(method, path, adminToken, ct, []byte(body))
}

// callOK is call that fails the test unless the status is want, decoding the answer into out.
func (e *testEnv) callOK(method, path, body string, want int, out any) {
	e.t.Helper()
	r := e.call(method, path, body)
	if r.status != want {
		e.t.Fatalf("%s %s: status %d, want %d; body %s", method, path, r.status, want, r.body)
	}
	if out != nil {
		if err := json.Unmarshal(r.body, out); err != nil {
			e.t.Fatalf("%s %s: decode %q: %v", method, path, r.body, err)
		}
	}
}

func wantError(t *testing.T, r response, status int, code string, detailKeys ...string) errorDetail {
	t.Helper()
	if r.status != status {
		t.Fatalf("status %d, want %d; body %s", r.status, status, r.body)
	}
	if ct := r.header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type %q, want application/json", ct)
	}
	d := r.errBody(t)
	if d.Code != code {
		t.Errorf("code %q, want %q (message %q)", d.Code, code, d.Message)
	}
	if d.Message == "" {
		t.Error("empty message")
	}
	for _, k := range detailKeys {
		if _, ok := d.Details[k]; !ok {
			t.Errorf("details %v do not name %q", d.Details, k)
		}
	}
	return d
}

func TestAuth(t *testing.T) {
	e := startServer(t, Config{})
	tests := []struct {
		name   string
		method string
		path   string
		header string
		want   int
	}{
		{"no token", "GET", "/v1/categories", "", 401},
		{"unknown token", "GET", "/v1/categories", "Bearer nope", 401},
		{"basic scheme", "GET", "/v1/categories", "Basic YWRtaW46YWRtaW4=", 401},
		{"empty bearer", "GET", "/v1/categories", "Bearer ", 401},
		{"lower-case scheme", "GET", "/v1/categories", "bearer " + adminToken, 200},
		{"good token", "GET", "/v1/whoami", "Bearer " + adminToken, 200},
		{"metrics need a token", "GET", "/metrics", "", 401},
		{"healthz is public", "GET", "/healthz", "", 200},
		{"readyz is public", "GET", "/readyz", "", 200},
		{"openapi is public", "GET", "/v1/openapi.json", "", 200},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			req, _ := http.NewRequestWithContext(t.Context(), tc.method, e.base+tc.path, nil)
			if tc.header != "" {
				req.Header.Set("Authorization", tc.header)
			}
			resp, err := e.client.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			b, _ := io.ReadAll(resp.Body)
			r := response{resp.StatusCode, resp.Header, b}
			if tc.want == 401 {
				wantError(t, r, 401, fault.CodeUnauthenticated)
				if resp.Header.Get("WWW-Authenticate") == "" {
					t.Error("401 without WWW-Authenticate")
				}
				return
			}
			if r.status != tc.want {
				t.Fatalf("status %d, want %d: %s", r.status, tc.want, b)
			}
		})
	}

	t.Run("whoami", func(t *testing.T) {
		var p principalView
		e.callOK("GET", "/v1/whoami", "", 200, &p)
		if p.UserID != "usr-admin" || p.Role != "admin" || !p.IsAdmin {
			t.Errorf("whoami = %+v", p)
		}
	})
	t.Run("one Authenticate per request", func(t *testing.T) {
		e.be.mu.Lock()
		before := e.be.authN
		e.be.mu.Unlock()
		e.callOK("GET", "/v1/categories", "", 200, nil)
		e.be.mu.Lock()
		after := e.be.authN
		e.be.mu.Unlock()
		if after-before != 1 {
			t.Errorf("Authenticate called %d times", after-before)
		}
	})
	t.Run("backend unavailable is not 401", func(t *testing.T) {
		e.be.failNext("Authenticate", fault.Unavailable(errors.New("store closed"), "identity store unavailable"))
		wantError(t, e.call("GET", "/v1/whoami", ""), 503, fault.CodeUnavailable)
	})
}

func TestCategoryCRUD(t *testing.T) {
	e := startServer(t, Config{})
	var c catalog.Category
	e.callOK("POST", "/v1/categories", `{"name":"databases","description":"SQL and NoSQL"}`, 201, &c)
	if !strings.HasPrefix(c.ID, "ctg-") || c.Name != "databases" || c.Owner != "usr-admin" {
		t.Fatalf("created %+v", c)
	}
	var got catalog.Category
	e.callOK("GET", "/v1/categories/"+c.ID, "", 200, &got)
	if got.ID != c.ID || got.Description != "SQL and NoSQL" {
		t.Fatalf("get %+v", got)
	}
	var p catalog.Page[catalog.Category]
	e.callOK("GET", "/v1/categories?q=DATA", "", 200, &p)
	if p.TotalCount != 1 || len(p.Items) != 1 || p.Items[0].ID != c.ID {
		t.Fatalf("list %+v", p)
	}
	var upd catalog.Category
	e.callOK("PATCH", "/v1/categories/"+c.ID, `{"description":"stores"}`, 200, &upd)
	if upd.Name != "databases" || upd.Description != "stores" {
		t.Fatalf("patched %+v", upd)
	}
	wantError(t, e.call("POST", "/v1/categories", `{"name":"databases"}`), 409, fault.CodeConflict)
	wantError(t, e.call("POST", "/v1/categories", `{"description":"x"}`), 400, fault.CodeInvalid, "name")

	r := e.call("DELETE", "/v1/categories/"+c.ID, "")
	if r.status != 204 || len(r.body) != 0 {
		t.Fatalf("delete: %d %q", r.status, r.body)
	}
	wantError(t, e.call("GET", "/v1/categories/"+c.ID, ""), 404, fault.CodeNotFound)
	wantError(t, e.call("DELETE", "/v1/categories/"+c.ID, ""), 404, fault.CodeNotFound)

	e.callOK("GET", "/v1/categories", "", 200, &p)
	if p.TotalCount != 0 || p.Items == nil {
		t.Errorf("empty list %+v (items must be [] not null)", p)
	}
	if r := e.call("GET", "/v1/categories", ""); !bytes.Contains(r.body, []byte(`"items":[]`)) {
		t.Errorf("empty list body %s", r.body)
	}
}

func TestListPagination(t *testing.T) {
	e := startServer(t, Config{})
	var ids []string
	for i := range 25 {
		var c catalog.Category
		e.callOK("POST", "/v1/categories", fmt.Sprintf(`{"name":"c%02d"}`, i), 201, &c)
		ids = append(ids, c.ID)
	}
	page := func(query string) catalog.Page[catalog.Category] {
		var p catalog.Page[catalog.Category]
		e.callOK("GET", "/v1/categories"+query, "", 200, &p)
		return p
	}
	t.Run("default limit, newest first", func(t *testing.T) {
		p := page("")
		if p.TotalCount != 25 || len(p.Items) != 20 {
			t.Fatalf("total %d, items %d", p.TotalCount, len(p.Items))
		}
		if p.Items[0].ID != ids[24] || p.Items[19].ID != ids[5] {
			t.Errorf("order: first %s last %s", p.Items[0].ID, p.Items[19].ID)
		}
	})
	t.Run("limit and offset", func(t *testing.T) {
		p := page("?limit=10&offset=20")
		if p.TotalCount != 25 || len(p.Items) != 5 || p.Items[4].ID != ids[0] {
			t.Fatalf("got %d items (total %d)", len(p.Items), p.TotalCount)
		}
	})
	t.Run("sort and filter", func(t *testing.T) {
		p := page("?sort=name&limit=2&owner=usr-admin")
		if len(p.Items) != 2 || p.Items[0].Name != "c00" || p.Items[1].Name != "c01" {
			t.Fatalf("got %+v", p.Items)
		}
		if p := page("?owner=usr-other"); p.TotalCount != 0 {
			t.Errorf("filter owner: total %d", p.TotalCount)
		}
		if p := page("?owner="); p.TotalCount != 25 {
			t.Errorf("empty filter value must be ignored: total %d", p.TotalCount)
		}
	})
	bad := []struct {
		query, param string
	}{
		{"?limit=0", "limit"},
		{"?limit=201", "limit"},
		{"?limit=ten", "limit"},
		{"?limit=", "limit"},
		{"?offset=-1", "offset"},
		{"?offset=1e3", "offset"},
		{"?offset=99999999999999999999", "offset"},
		{"?limit=5&limit=6", "limit"},
		{"?sort=name;drop", "sort"},
		{"?colour=red", "colour"},
		{"?repo_id=repo-1", "repo_id"}, // a filter of apps, not of categories
	}
	for _, tc := range bad {
		t.Run("bad "+tc.query, func(t *testing.T) {
			wantError(t, e.call("GET", "/v1/categories"+tc.query, ""), 400, fault.CodeInvalid, tc.param)
		})
	}
}

func TestDecodeErrorsOverHTTP(t *testing.T) {
	e := startServer(t, Config{})
	tests := []struct {
		name, body, detail, mention string
	}{
		{"unknown field", `{"name":"x","colour":"red"}`, "colour", "unknown field"},
		{"wrong type", `{"name":42}`, "name", "expected string"},
		{"wrong nested type", `{"name":"r","type":"http","url":"u","credential":{"username":1}}`, "credential.username", "expected string"},
		{"malformed", `{"name": "x",}`, "body", "byte offset"},
		{"truncated", `{"name": "x"`, "body", "byte offset"},
		{"trailing data", `{"name":"x"} {"name":"y"}`, "body", "byte offset 13"},
		{"empty", ``, "body", "required"},
		{"whitespace only", "  \n", "body", "required"},
		{"not an object", `["name"]`, "body", "JSON object"},
		{"null", `null`, "body", "JSON object"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d := wantError(t, e.request("POST", "/v1/repos", adminToken, "application/json", []byte(tc.body)), 400, fault.CodeInvalid, tc.detail)
			if !strings.Contains(d.Details[tc.detail], tc.mention) {
				t.Errorf("details[%s] = %q, want it to mention %q", tc.detail, d.Details[tc.detail], tc.mention)
			}
		})
	}
	t.Run("valid body reaches the backend", func(t *testing.T) {
		var r catalog.Repo
		e.callOK("POST", "/v1/repos", `{"name":"main","type":"https","url":"https://charts.example/","credential":{"username":"u","password":"p"}}`, 201, &r)
		if !r.HasCredential || r.Visibility != "private" {
			t.Errorf("repo %+v", r)
		}
		if raw := e.call("GET", "/v1/repos/"+r.ID, ""); bytes.Contains(raw.body, []byte(`"p"`)) || bytes.Contains(raw.body, []byte("password")) {
			t.Errorf("repo answer leaks the credential: %s", raw.body)
		}
	})
}

func TestTooLarge(t *testing.T) {
	e := startServer(t, Config{MaxJSONBytes: 4 << 10, MaxPackageBytes: 16 << 10})
	big := `{"name":"` + strings.Repeat("x", 5<<10) + `"}`
	t.Run("json body", func(t *testing.T) {
		wantError(t, e.call("POST", "/v1/categories", big), 413, fault.CodeTooLarge)
		// The connection stays usable.
		e.callOK("GET", "/v1/categories", "", 200, nil)
	})
	pkg := bytes.Repeat([]byte{0x1f}, 17<<10)
	t.Run("raw package", func(t *testing.T) {
		wantError(t, e.request("POST", "/v1/apps?type=vm", adminToken, "application/gzip", pkg), 413, fault.CodeTooLarge)
	})
	t.Run("multipart package", func(t *testing.T) {
		body, ct := multipartBody(t, "package", pkg)
		wantError(t, e.request("POST", "/v1/apps?type=vm", adminToken, ct, body), 413, fault.CodeTooLarge)
	})
	t.Run("over the server limit", func(t *testing.T) {
		// Announce a body far over the server's read limit; fasthttp refuses it before reading
		// and our error handler must still answer the contract's JSON.
		conn, err := net.Dial("tcp", strings.TrimPrefix(e.base, "http://"))
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		fmt.Fprintf(conn, "POST /v1/apps?type=vm HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\nContent-Type: application/gzip\r\nContent-Length: %d\r\n\r\n",
			adminToken, 10<<20)
		resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		wantError(t, response{resp.StatusCode, resp.Header, b}, 413, fault.CodeTooLarge)
	})
}

func multipartBody(t *testing.T, field string, content []byte) ([]byte, string) {
	t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	if err := mw.WriteField("note", "ignored"); err != nil {
		t.Fatal(err)
	}
	fw, err := mw.CreateFormFile(field, "app.tgz")
	if err != nil {
		t.Fatal(err)
	}
	fw.Write(content)
	if err := mw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes(), mw.FormDataContentType()
}

func TestRouting(t *testing.T) {
	e := startServer(t, Config{})
	t.Run("405 with Allow", func(t *testing.T) {
		for _, tc := range []struct{ method, path, allow string }{
			{"POST", "/v1/whoami", "GET, HEAD"},
			{"DELETE", "/v1/repos", "GET, HEAD, POST"},
			{"PUT", "/v1/categories/ctg-1", "DELETE, GET, HEAD, PATCH"},
			{"GET", "/v1/app_versions/appv-1/submit", "POST"},
			{"GET", "/v1/clusters/cl-1/start", "POST"},
			{"PUT", "/v1/clusters/cl-1", "DELETE, GET, HEAD"},
			{"POST", "/v1/events", "GET, HEAD"},
		} {
			r := e.call(tc.method, tc.path, "")
			wantError(t, r, 405, fault.CodeInvalid)
			if got := r.header.Get("Allow"); got != tc.allow {
				t.Errorf("%s %s: Allow %q, want %q", tc.method, tc.path, got, tc.allow)
			}
		}
	})
	t.Run("404 for unknown paths", func(t *testing.T) {
		for _, p := range []string{"/v1/clusterz", "/v1/jobs/j-1/nope", "/nope", "/", "/v1/repos/r/unknown"} {
			wantError(t, e.call("GET", p, ""), 404, fault.CodeNotFound)
		}
	})
	t.Run("static segment over param", func(t *testing.T) {
		var res catalog.ValidateResult
		e.callOK("POST", "/v1/repos/validate", `{"type":"s3","url":"s3://b"}`, 200, &res)
		if !res.OK {
			t.Errorf("validate %+v", res)
		}
		// GET of the same path falls through to {id}.
		wantError(t, e.call("GET", "/v1/repos/validate", ""), 404, fault.CodeNotFound)
	})
	t.Run("trailing slash and HEAD", func(t *testing.T) {
		e.callOK("GET", "/v1/categories/", "", 200, nil)
		if r := e.call("HEAD", "/v1/categories", ""); r.status != 200 || len(r.body) != 0 {
			t.Errorf("HEAD: %d %q", r.status, r.body)
		}
	})
	t.Run("request id", func(t *testing.T) {
		r := e.call("GET", "/healthz", "")
		if r.header.Get("X-Request-Id") == "" {
			t.Error("no X-Request-Id")
		}
		req, _ := http.NewRequestWithContext(t.Context(), "GET", e.base+"/healthz", nil)
		req.Header.Set("X-Request-Id", "abc-123")
		resp, err := e.client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if got := resp.Header.Get("X-Request-Id"); got != "abc-123" {
			t.Errorf("X-Request-Id %q, want the caller's", got)
		}
	})
}

func TestErrorTable(t *testing.T) {
	e := startServer(t, Config{})
	var c catalog.Category
	e.callOK("POST", "/v1/categories", `{"name":"x"}`, 201, &c)
	secret := errors.New("pebble: disk /var/lib/secret-path failed")
	tests := []struct {
		name    string
		err     error
		status  int
		code    string
		message string // "" = don't check
	}{
		{"invalid", fault.InvalidField("name", "too long"), 400, fault.CodeInvalid, "invalid name"},
		{"unauthenticated", fault.Unauthenticated("token expired"), 401, fault.CodeUnauthenticated, "token expired"},
		{"forbidden", fault.Forbidden("not yours"), 403, fault.CodePermission, "not yours"},
		{"not found", fault.NotFound("category", "ctg-x"), 404, fault.CodeNotFound, `category "ctg-x" not found`},
		{"conflict", fault.Conflict("lost a race"), 409, fault.CodeConflict, "lost a race"},
		{"precondition", fault.Precondition("in use"), 409, fault.CodeFailedPrecondition, "in use"},
		{"too large", fault.TooLarge("too big"), 413, fault.CodeTooLarge, "too big"},
		{"overloaded", &fault.Error{Code: fault.CodeOverloaded, Message: "slow down"}, 429, fault.CodeOverloaded, "slow down"},
		{"unavailable", fault.Unavailable(secret, "store unavailable"), 503, fault.CodeUnavailable, "store unavailable"},
		{"internal", fault.Internal(secret, "load category"), 500, fault.CodeInternal, ""},
		{"plain error", secret, 500, fault.CodeInternal, ""},
		{"wrapped fault", fmt.Errorf("get: %w", fault.NotFound("category", "y")), 404, fault.CodeNotFound, ""},
		{"unknown code", &fault.Error{Code: "weird", Message: "?"}, 500, fault.CodeInternal, ""},
		{"deadline", fmt.Errorf("ask actor: %w", context.DeadlineExceeded), 503, fault.CodeUnavailable, ""},
		{"canceled", context.Canceled, 503, fault.CodeUnavailable, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e.be.failNext("GetCategory", tc.err)
			r := e.call("GET", "/v1/categories/"+c.ID, "")
			d := wantError(t, r, tc.status, tc.code)
			if tc.message != "" && d.Message != tc.message {
				t.Errorf("message %q, want %q", d.Message, tc.message)
			}
			if bytes.Contains(r.body, []byte("secret-path")) || bytes.Contains(r.body, []byte("pebble")) {
				t.Errorf("answer leaks the cause: %s", r.body)
			}
			if tc.code == fault.CodeInternal && !strings.Contains(d.Message, r.header.Get("X-Request-Id")) {
				t.Errorf("internal message %q does not carry the request id", d.Message)
			}
		})
	}
	t.Run("details pass through", func(t *testing.T) {
		e.be.failNext("GetCategory", fault.Invalid("bad package", map[string]string{"config.json": "bad key cluster.x"}))
		d := wantError(t, e.call("GET", "/v1/categories/"+c.ID, ""), 400, fault.CodeInvalid, "config.json")
		if d.Details["config.json"] != "bad key cluster.x" {
			t.Errorf("details %v", d.Details)
		}
	})
}

func TestPanicIsContained(t *testing.T) {
	e := startServer(t, Config{})
	e.be.mu.Lock()
	e.be.panics["ListCategories"] = true
	e.be.mu.Unlock()
	r := e.call("GET", "/v1/categories", "")
	d := wantError(t, r, 500, fault.CodeInternal)
	if strings.Contains(string(r.body), "goroutine") || strings.Contains(d.Message, "panic") {
		t.Errorf("panic answer leaks internals: %s", r.body)
	}
	e.callOK("GET", "/v1/categories", "", 200, nil)
}

// makeTgz builds a package .tgz with files under the top folder top.
func makeTgz(t testing.TB, top string, files map[string]string) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	tw := tar.NewWriter(zw)
	for name, content := range files {
		if err := tw.WriteHeader(&tar.Header{Name: top + "/" + name, Mode: 0o644, Size: int64(len(content)), Typeflag: tar.TypeReg}); err != nil {
			t.Fatal(err)
		}
		tw.Write([]byte(content))
	}
	tw.Close()
	zw.Close()
	return buf.Bytes()
}

func TestUploadAndFiles(t *testing.T) {
	e := startServer(t, Config{})
	files := map[string]string{
		"NAME":                      "zookeeper",
		"VERSION":                   "3.9.1",
		"config.json":               `{"type":"array"}`,
		"values.yaml":               "replicas: 3\n",
		"README.md":                 "# ZooKeeper\n",
		"templates/deployment.yaml": "kind: Deployment\n",
		"files/bin/start":           "#!/bin/sh\n",
	}
	pkg := makeTgz(t, "zookeeper", files)

	var up uploadResult
	r := e.request("POST", "/v1/apps?type=helm", adminToken, "application/gzip", pkg)
	if r.status != 201 {
		t.Fatalf("raw upload: %d %s", r.status, r.body)
	}
	if err := json.Unmarshal(r.body, &up); err != nil || up.App == nil || up.Version == nil {
		t.Fatalf("upload answer %s: %v", r.body, err)
	}
	if up.App.Name != "zookeeper" || up.Version.Name != "3.9.1" || up.Version.Status != "draft" || up.App.Type != "helm" {
		t.Fatalf("uploaded %+v %+v", up.App, up.Version)
	}

	t.Run("multipart new version", func(t *testing.T) {
		files2 := map[string]string{"NAME": "zookeeper", "VERSION": "3.9.2"}
		body, ct := multipartBody(t, "package", makeTgz(t, "zookeeper", files2))
		var up2 uploadResult
		r := e.request("POST", "/v1/apps/"+up.App.ID+"/versions?type=helm", adminToken, ct, body)
		if r.status != 201 || json.Unmarshal(r.body, &up2) != nil || up2.Version.Name != "3.9.2" || up2.App.ID != up.App.ID {
			t.Fatalf("multipart upload: %d %s", r.status, r.body)
		}
		var vs catalog.Page[catalog.Version]
		e.callOK("GET", "/v1/apps/"+up.App.ID+"/versions", "", 200, &vs)
		if vs.TotalCount != 2 || vs.Items[0].Name != "3.9.2" {
			t.Errorf("versions %+v", vs)
		}
	})

	t.Run("files", func(t *testing.T) {
		for _, tc := range []struct{ path, ct string }{
			{"config.json", "application/json"},
			{"values.yaml", "application/yaml"},
			{"README.md", "text/markdown; charset=utf-8"},
			{"templates/deployment.yaml", "application/yaml"},
			{"files/bin/start", "application/octet-stream"},
		} {
			r := e.call("GET", "/v1/app_versions/"+up.Version.ID+"/files/"+tc.path, "")
			if r.status != 200 || string(r.body) != files[tc.path] {
				t.Errorf("%s: %d %q", tc.path, r.status, r.body)
			}
			if got := r.header.Get("Content-Type"); got != tc.ct {
				t.Errorf("%s: Content-Type %q, want %q", tc.path, got, tc.ct)
			}
		}
		wantError(t, e.call("GET", "/v1/app_versions/"+up.Version.ID+"/files/templates/missing.yaml", ""), 404, fault.CodeNotFound)
	})

	t.Run("package", func(t *testing.T) {
		r := e.call("GET", "/v1/app_versions/"+up.Version.ID+"/package", "")
		if r.status != 200 || !bytes.Equal(r.body, pkg) {
			t.Fatalf("package: %d, %d bytes", r.status, len(r.body))
		}
		if ct := r.header.Get("Content-Type"); ct != "application/gzip" {
			t.Errorf("Content-Type %q", ct)
		}
		if cd := r.header.Get("Content-Disposition"); !strings.Contains(cd, "attachment") || !strings.Contains(cd, up.Version.ID+".tgz") {
			t.Errorf("Content-Disposition %q", cd)
		}
	})

	t.Run("review", func(t *testing.T) {
		var v catalog.Version
		e.callOK("POST", "/v1/app_versions/"+up.Version.ID+"/submit", `{"message":"please"}`, 200, &v)
		if v.Status != "submitted" || v.Message != "please" {
			t.Errorf("submitted %+v", v)
		}
		e.callOK("POST", "/v1/app_versions/"+up.Version.ID+"/pass", "", 200, &v)
		wantError(t, e.call("POST", "/v1/app_versions/"+up.Version.ID+"/suspend", ""), 409, fault.CodeFailedPrecondition)
		wantError(t, e.call("POST", "/v1/app_versions/"+up.Version.ID+"/release", `{"msg":"x"}`), 400, fault.CodeInvalid, "msg")
		var audits catalog.Page[catalog.Audit]
		e.callOK("GET", "/v1/app_versions/"+up.Version.ID+"/audits", "", 200, &audits)
		if audits.TotalCount != 2 || audits.Items[0].Action != "pass" {
			t.Errorf("audits %+v", audits)
		}
	})

	t.Run("validate_package", func(t *testing.T) {
		var res catalog.ValidateResult
		r := e.request("POST", "/v1/apps/validate_package?type=vm", adminToken, "application/octet-stream", makeTgz(t, "x", map[string]string{"VERSION": "1"}))
		if r.status != 200 || json.Unmarshal(r.body, &res) != nil || res.OK || res.Errors["NAME"] == "" {
			t.Errorf("validate: %d %s", r.status, r.body)
		}
	})

	t.Run("bad uploads", func(t *testing.T) {
		for _, tc := range []struct {
			name, path, ct string
			body           []byte
			detail         string
		}{
			{"no type", "/v1/apps", "application/gzip", pkg, "type"},
			{"bad type", "/v1/apps?type=docker", "application/gzip", pkg, "type"},
			{"extra param", "/v1/apps?type=vm&nom=x", "application/gzip", pkg, "nom"},
			{"json content type", "/v1/apps?type=vm", "application/json", pkg, "Content-Type"},
			{"no content type", "/v1/apps?type=vm", "", pkg, "Content-Type"},
			{"empty", "/v1/apps?type=vm", "application/gzip", nil, "package"},
			{"multipart without package", "/v1/apps?type=vm", "", nil, "package"},
			{"not a tgz", "/v1/apps?type=vm", "application/gzip", []byte("hello"), "package"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				body, ct := tc.body, tc.ct
				if tc.name == "multipart without package" {
					body, ct = multipartBody(t, "file", pkg)
				}
				wantError(t, e.request("POST", tc.path, adminToken, ct, body), 400, fault.CodeInvalid, tc.detail)
			})
		}
	})
}

func TestMetricsAndOps(t *testing.T) {
	e := startServer(t, Config{})
	var c catalog.Category
	e.callOK("POST", "/v1/categories", `{"name":"m"}`, 201, &c)
	e.callOK("GET", "/v1/categories/"+c.ID, "", 200, nil)
	e.call("GET", "/v1/categories/nope", "")
	e.call("GET", "/v1/nothing", "")

	mfs := e.scrape()
	for _, tc := range []struct {
		name   string
		labels map[string]string
		want   float64
	}{
		{"pitrix_http_requests_total", map[string]string{"route": "/v1/categories", "method": "POST", "status": "201"}, 1},
		{"pitrix_http_requests_total", map[string]string{"route": "/v1/categories/{id}", "method": "GET", "status": "200"}, 1},
		{"pitrix_http_requests_total", map[string]string{"route": "/v1/categories/{id}", "method": "GET", "status": "404"}, 1},
		{"pitrix_http_requests_total", map[string]string{"route": "unmatched", "method": "", "status": "404"}, 1},
		{"pitrix_http_request_duration_seconds", map[string]string{"route": "/v1/categories/{id}", "method": "GET"}, 2},
		{"pitrix_http_requests_in_flight", nil, 1}, // the scrape itself
		{"pitrix_test_categories", nil, 1},
	} {
		if got, ok := metricValue(mfs, tc.name, tc.labels); !ok || got != tc.want {
			t.Errorf("%s%v = %v (present %v), want %v", tc.name, tc.labels, got, ok, tc.want)
		}
	}
	if _, ok := metricValue(mfs, "pitrix_http_requests_total", map[string]string{"route": "/metrics", "method": "GET", "status": "200"}); ok {
		t.Errorf("the first scrape counts itself before answering")
	}
	// The Go runtime and process collectors are registered too.
	for _, name := range []string{"go_goroutines", "process_resident_memory_bytes", "go_memstats_heap_alloc_bytes"} {
		if v, ok := metricValue(mfs, name, nil); !ok || v <= 0 {
			t.Errorf("%s = %v (present %v), want > 0", name, v, ok)
		}
	}

	// Counters move with requests: one more GET, and the first scrape is counted now.
	e.callOK("GET", "/v1/categories/"+c.ID, "", 200, nil)
	mfs = e.scrape()
	for _, tc := range []struct {
		name   string
		labels map[string]string
		want   float64
	}{
		{"pitrix_http_requests_total", map[string]string{"route": "/v1/categories/{id}", "method": "GET", "status": "200"}, 2},
		{"pitrix_http_requests_total", map[string]string{"route": "/metrics", "method": "GET", "status": "200"}, 1},
		{"pitrix_http_request_duration_seconds", map[string]string{"route": "/v1/categories/{id}", "method": "GET"}, 3},
	} {
		if got, ok := metricValue(mfs, tc.name, tc.labels); !ok || got != tc.want {
			t.Errorf("after more requests %s%v = %v (present %v), want %v", tc.name, tc.labels, got, ok, tc.want)
		}
	}

	var st statusView
	e.callOK("GET", "/healthz", "", 200, &st)
	if st.Status != "ok" {
		t.Errorf("healthz %+v", st)
	}
	e.be.mu.Lock()
	e.be.ready = errors.New("store: not open")
	e.be.mu.Unlock()
	d := wantError(t, e.call("GET", "/readyz", ""), 503, fault.CodeUnavailable)
	if d.Message != "store: not open" {
		t.Errorf("readyz message %q", d.Message)
	}
}

func TestAdminAndUsers(t *testing.T) {
	e := startServer(t, Config{})
	var u struct {
		ID   string `json:"id"`
		Role string `json:"role"`
	}
	e.callOK("POST", "/v1/users", `{"name":"ann","email":"ann@example.com","role":"isv"}`, 201, &u)
	var tok struct {
		Token string `json:"token"`
	}
	e.callOK("POST", "/v1/users/"+u.ID+"/tokens", `{"name":"cli","ttl_days":30}`, 201, &tok)
	r := e.request("GET", "/v1/whoami", tok.Token, "", nil)
	var p principalView
	if r.status != 200 || json.Unmarshal(r.body, &p) != nil || p.UserID != u.ID || p.Role != "isv" || p.IsAdmin {
		t.Fatalf("whoami as ann: %d %s", r.status, r.body)
	}
	wantError(t, e.request("POST", "/v1/users", tok.Token, "application/json", []byte(`{"name":"bob"}`)), 403, fault.CodePermission)

	var users catalog.Page[json.RawMessage]
	e.callOK("GET", "/v1/users?role=isv", "", 200, &users)
	if users.TotalCount != 1 {
		t.Errorf("users %+v", users)
	}
	var nodes catalog.Page[NodeInfo]
	e.callOK("GET", "/v1/admin/nodes", "", 200, &nodes)
	if nodes.TotalCount != 1 || !nodes.Items[0].Self {
		t.Errorf("nodes %+v", nodes)
	}
	var actors catalog.Page[ActorInfo]
	e.callOK("GET", "/v1/admin/actors?kind=repo", "", 200, &actors)
	if actors.TotalCount != 1 || actors.Items[0].ID != "repo-1" {
		t.Errorf("actors %+v", actors)
	}
	wantError(t, e.call("GET", "/v1/admin/actors?limit=3", ""), 400, fault.CodeInvalid, "limit")
	r = e.call("GET", "/v1/admin/actors/repo/repo-1", "")
	if r.status != 200 || string(r.body) != `{"id":"repo-1","name":"main"}` {
		t.Errorf("actor state: %d %s", r.status, r.body)
	}
	var provs catalog.Page[json.RawMessage]
	e.callOK("GET", "/v1/providers", "", 200, &provs)
	if provs.TotalCount != 2 {
		t.Errorf("providers %+v", provs)
	}
}

func TestRuntimesFlow(t *testing.T) {
	e := startServer(t, Config{})
	var cred struct{ ID string }
	e.callOK("POST", "/v1/runtime_credentials", `{"name":"kc","provider":"kubernetes","content":"apiVersion: v1"}`, 201, &cred)
	if r := e.call("GET", "/v1/runtime_credentials/"+cred.ID, ""); bytes.Contains(r.body, []byte("apiVersion")) {
		t.Errorf("credential answer leaks content: %s", r.body)
	}
	var res catalog.ValidateResult
	e.callOK("POST", "/v1/runtime_credentials/"+cred.ID+"/validate", "", 200, &res)
	if !res.OK {
		t.Errorf("validate %+v", res)
	}
	var rt struct {
		ID     string            `json:"id"`
		Labels map[string]string `json:"labels"`
	}
	e.callOK("POST", "/v1/runtimes", `{"name":"k8s","provider":"kubernetes","zone":"default","credential_id":"`+cred.ID+`","labels":{"env":"test"}}`, 201, &rt)
	e.callOK("PATCH", "/v1/runtimes/"+rt.ID, `{"labels":{"env":"prod"}}`, 200, &rt)
	if rt.Labels["env"] != "prod" {
		t.Errorf("patched labels %v", rt.Labels)
	}
	var list catalog.Page[json.RawMessage]
	e.callOK("GET", "/v1/runtimes?provider=kubernetes", "", 200, &list)
	if list.TotalCount != 1 {
		t.Errorf("runtimes %+v", list)
	}
	wantError(t, e.call("POST", "/v1/runtimes", `{"name":"x","provider":"kubernetes","credential_id":"rcred-none"}`), 400, fault.CodeInvalid, "credential_id")
	if r := e.call("DELETE", "/v1/runtimes/"+rt.ID, ""); r.status != 204 {
		t.Errorf("delete runtime: %d", r.status)
	}
	if r := e.call("DELETE", "/v1/runtime_credentials/"+cred.ID, ""); r.status != 204 {
		t.Errorf("delete credential: %d", r.status)
	}
}

func TestGracefulShutdown(t *testing.T) {
	e := startServer(t, Config{})
	var c catalog.Category
	e.callOK("POST", "/v1/categories", `{"name":"slow"}`, 201, &c)
	gate, entered := make(chan struct{}), make(chan struct{}, 1)
	e.be.mu.Lock()
	e.be.gate, e.be.entered = gate, entered
	e.be.mu.Unlock()

	got := make(chan response, 1)
	go func() {
		req, _ := http.NewRequest("GET", e.base+"/v1/categories/"+c.ID, nil)
		req.Header.Set("Authorization", "Bearer "+adminToken)
		resp, err := e.client.Do(req)
		if err != nil {
			got <- response{status: -1, body: []byte(err.Error())}
			return
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		got <- response{status: resp.StatusCode, body: b}
	}()
	<-entered
	e.client.CloseIdleConnections()
	e.cancel()

	// Wait for the listener to close: new connections are refused while the request is held.
	addr := strings.TrimPrefix(e.base, "http://")
	deadline := time.Now().Add(10 * time.Second)
	for {
		conn, err := net.Dial("tcp", addr)
		if err != nil {
			break
		}
		conn.Close()
		if time.Now().After(deadline) {
			t.Fatal("listener still accepting 10s after shutdown began")
		}
		time.Sleep(5 * time.Millisecond) // polling a condition with a deadline
	}
	select {
	case err := <-e.done:
		t.Fatalf("Serve returned (%v) while a request was in flight", err)
	default:
	}
	close(gate)
	r := <-got
	if r.status != 200 {
		t.Fatalf("in-flight request: %d %s", r.status, r.body)
	}
	if err := <-e.done; err != nil {
		t.Fatalf("Serve: %v", err)
	}
	e.done <- nil // for the cleanup
}

func TestShutdownGraceCancelsRequests(t *testing.T) {
	e := startServer(t, Config{ShutdownTimeout: 50 * time.Millisecond})
	var c catalog.Category
	e.callOK("POST", "/v1/categories", `{"name":"stuck"}`, 201, &c)
	entered := make(chan struct{}, 1)
	e.be.mu.Lock()
	e.be.gate, e.be.entered = make(chan struct{}), entered // never closed: only ctx frees it
	e.be.mu.Unlock()
	got := make(chan int, 1)
	go func() {
		req, _ := http.NewRequest("GET", e.base+"/v1/categories/"+c.ID, nil)
		req.Header.Set("Authorization", "Bearer "+adminToken)
		resp, err := e.client.Do(req)
		if err != nil {
			got <- -1
			return
		}
		resp.Body.Close()
		got <- resp.StatusCode
	}()
	<-entered
	e.cancel()
	if err := <-e.done; err != nil {
		t.Fatalf("Serve: %v", err)
	}
	if st := <-got; st != 503 && st != -1 {
		t.Errorf("canceled request answered %d, want 503", st)
	}
	e.done <- nil
}

func TestConfig(t *testing.T) {
	if _, err := New(Config{MaxJSONBytes: -1}, newMemBackend()); err == nil {
		t.Error("negative MaxJSONBytes accepted")
	}
	if _, err := New(Config{ShutdownTimeout: -time.Second}, newMemBackend()); err == nil || !strings.Contains(err.Error(), "ShutdownTimeout") {
		t.Errorf("negative ShutdownTimeout: %v", err)
	}
	if _, err := New(Config{}, nil); err == nil {
		t.Error("nil backend accepted")
	}
	c := Config{}.withDefaults()
	if c.MaxJSONBytes != 1<<20 || c.MaxPackageBytes != 64<<20 || c.Logger == nil || c.ServerName != "pitrix" {
		t.Errorf("defaults %+v", c)
	}
	if c.packageBodyLimit() <= c.MaxPackageBytes {
		t.Error("server body limit must exceed MaxPackageBytes")
	}
}

func TestRequestTimeout(t *testing.T) {
	e := startServer(t, Config{RequestTimeout: 50 * time.Millisecond})
	var c catalog.Category
	e.callOK("POST", "/v1/categories", `{"name":"late"}`, 201, &c)
	e.be.mu.Lock()
	e.be.gate, e.be.entered = make(chan struct{}), make(chan struct{}, 1) // only the deadline frees it
	e.be.mu.Unlock()
	d := wantError(t, e.call("GET", "/v1/categories/"+c.ID, ""), 503, fault.CodeUnavailable)
	if !strings.Contains(d.Message, "timed out") {
		t.Errorf("message %q", d.Message)
	}
}
