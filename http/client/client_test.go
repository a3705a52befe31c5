package client

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// recorded is what the test server saw of the last request.
type recorded struct {
	Method, Path, RawQuery, Auth, ContentType, UserAgent string
	ContentLength                                        int64
	Chunked                                              bool
	Body                                                 []byte
}

// categoryServer is a small stateful stand-in for the API: categories CRUD with the list
// envelope, the error envelope, a package upload and download, and a few misbehaviours.
type categoryServer struct {
	t     *testing.T
	mu    sync.Mutex
	next  int
	items map[string]map[string]any
	order []string
	last  recorded
	srv   *httptest.Server
}

func newCategoryServer(t *testing.T) *categoryServer {
	t.Helper()
	s := &categoryServer{t: t, items: map[string]map[string]any{}}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v1/categories", s.create)
	mux.HandleFunc("GET /v1/categories", s.list)
	mux.HandleFunc("GET /v1/categories/{id}", s.get)
	mux.HandleFunc("DELETE /v1/categories/{id}", s.delete)
	mux.HandleFunc("POST /v1/apps", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusCreated, map[string]any{"id": "app-1", "size": len(s.last.Body)})
	})
	mux.HandleFunc("GET /v1/app_versions/{id}/package", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/gzip")
		fmt.Fprintf(w, "tgz-of-%s", r.PathValue("id"))
	})
	mux.HandleFunc("GET /v1/big", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]any{"blob": strings.Repeat("x", 4096)})
	})
	mux.HandleFunc("GET /v1/proxy-error", func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusBadGateway)
		io.WriteString(w, "<html><body>bad gateway</body></html>")
	})
	mux.HandleFunc("GET /v1/text-error", func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusTeapot)
		io.WriteString(w, "short and stout\nsecond line")
	})
	mux.HandleFunc("GET /v1/garbage", func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, `{"total_count": 1, "items": [`)
	})
	s.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		s.mu.Lock()
		s.last = recorded{
			Method: r.Method, Path: r.URL.EscapedPath(), RawQuery: r.URL.RawQuery,
			Auth: r.Header.Get("Authorization"), ContentType: r.Header.Get("Content-Type"),
			UserAgent: r.Header.Get("User-Agent"), ContentLength: r.ContentLength,
			Chunked: len(r.TransferEncoding) > 0, Body: body,
		}
		s.mu.Unlock()
		r.Body = io.NopCloser(bytes.NewReader(body))
		if r.Header.Get("Authorization") != "Bearer tok" {
			writeJSON(w, http.StatusUnauthorized, errBody("unauthenticated", "missing or bad token", nil))
			return
		}
		r.URL.RawPath = ""
		mux.ServeHTTP(w, r)
	}))
	t.Cleanup(s.srv.Close)
	return s
}

func (s *categoryServer) lastRequest() recorded {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.last
}

func errBody(code, msg string, details map[string]any) map[string]any {
	e := map[string]any{"code": code, "message": msg}
	if details != nil {
		e["details"] = details
	}
	return map[string]any{"error": e}
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

func (s *categoryServer) create(w http.ResponseWriter, r *http.Request) {
	var in map[string]any
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
		writeJSON(w, http.StatusBadRequest, errBody("invalid_argument", "bad json", nil))
		return
	}
	name, _ := in["name"].(string)
	if name == "" {
		writeJSON(w, http.StatusBadRequest, errBody("invalid_argument", "invalid category",
			map[string]any{"name": "is required"}))
		return
	}
	s.mu.Lock()
	s.next++
	id := fmt.Sprintf("ctg-%d", s.next)
	c := map[string]any{"id": id, "name": name, "description": in["description"]}
	s.items[id] = c
	s.order = append([]string{id}, s.order...)
	s.mu.Unlock()
	writeJSON(w, http.StatusCreated, c)
}

func (s *categoryServer) list(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	items := []map[string]any{}
	for _, id := range s.order {
		if q := r.URL.Query().Get("q"); q != "" && !strings.Contains(s.items[id]["name"].(string), q) {
			continue
		}
		items = append(items, s.items[id])
	}
	writeJSON(w, http.StatusOK, map[string]any{"total_count": len(items), "items": items})
}

func (s *categoryServer) get(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	c, ok := s.items[r.PathValue("id")]
	s.mu.Unlock()
	if !ok {
		writeJSON(w, http.StatusNotFound, errBody("not_found", fmt.Sprintf("category %q not found", r.PathValue("id")), nil))
		return
	}
	writeJSON(w, http.StatusOK, c)
}

func (s *categoryServer) delete(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	id := r.PathValue("id")
	if _, ok := s.items[id]; !ok {
		writeJSON(w, http.StatusNotFound, errBody("not_found", "no such category", nil))
		return
	}
	delete(s.items, id)
	for i, o := range s.order {
		if o == id {
			s.order = append(s.order[:i], s.order[i+1:]...)
			break
		}
	}
	w.WriteHeader(http.StatusNoContent)
}

func newTestClient(t *testing.T, cfg Config) *Client {
	t.Helper()
	c, err := New(cfg)
	if err != nil {
		t.Fatalf("New(%+v): %v", cfg, err)
	}
	t.Cleanup(c.CloseIdleConnections)
	return c
}

func TestNewValidates(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		cfg     Config
		wantErr string
		server  string
	}{
		{name: "defaults", cfg: Config{}, server: DefaultServer},
		{name: "no scheme", cfg: Config{Server: "127.0.0.1:9999"}, server: "http://127.0.0.1:9999"},
		{name: "prefix trailing slash", cfg: Config{Server: "https://h.example/pitrix/"}, server: "https://h.example/pitrix"},
		{name: "bad scheme", cfg: Config{Server: "ftp://h"}, wantErr: "scheme"},
		{name: "no host", cfg: Config{Server: "http://"}, wantErr: "no host"},
		{name: "query", cfg: Config{Server: "http://h/?a=b"}, wantErr: "query"},
		{name: "user info", cfg: Config{Server: "http://u:p@h"}, wantErr: "user info"},
		{name: "token newline", cfg: Config{Token: "a\nb"}, wantErr: "line break"},
		{name: "negative max", cfg: Config{MaxResponseBytes: -1}, wantErr: "negative"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, err := New(tt.cfg)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("New: err = %v, want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("New: %v", err)
			}
			if c.Server() != tt.server {
				t.Errorf("Server() = %q, want %q", c.Server(), tt.server)
			}
		})
	}
}

func TestDoCategoriesRoundTrip(t *testing.T) {
	s := newCategoryServer(t)
	c := newTestClient(t, Config{Server: s.srv.URL, Token: "tok"})
	ctx := t.Context()

	var created map[string]any
	if err := c.Do(ctx, http.MethodPost, "/v1/categories", nil, map[string]string{"name": "databases", "description": "SQL"}, &created); err != nil {
		t.Fatalf("create: %v", err)
	}
	last := s.lastRequest()
	if last.ContentType != "application/json" || last.Auth != "Bearer tok" || last.UserAgent != defaultUserAgent {
		t.Errorf("create request headers = %+v", last)
	}
	if !bytes.Contains(last.Body, []byte(`"name":"databases"`)) {
		t.Errorf("create body = %s", last.Body)
	}
	id, _ := created["id"].(string)
	if id != "ctg-1" {
		t.Fatalf("created id = %q, want ctg-1", id)
	}
	if err := c.Do(ctx, http.MethodPost, "/v1/categories", nil, map[string]string{"name": "web"}, nil); err != nil {
		t.Fatalf("create web: %v", err)
	}

	var list List
	opts := ListOptions{Limit: 5, Q: "data", Filters: url.Values{"status": {"active", ""}}}
	if err := c.Do(ctx, http.MethodGet, "/v1/categories", opts.Values(), nil, &list); err != nil {
		t.Fatalf("list: %v", err)
	}
	if got := s.lastRequest().RawQuery; got != "limit=5&q=data&status=active" {
		t.Errorf("list query = %q", got)
	}
	if list.TotalCount != 1 || len(list.Items) != 1 || list.Items[0]["name"] != "databases" {
		t.Errorf("list = %+v, want only databases", list)
	}

	var raw json.RawMessage
	if err := c.Do(ctx, http.MethodGet, Path("v1", "categories", id), nil, nil, &raw); err != nil {
		t.Fatalf("get raw: %v", err)
	}
	if !json.Valid(raw) || !bytes.Contains(raw, []byte(`"databases"`)) {
		t.Errorf("raw = %s", raw)
	}

	// A 204 leaves out untouched.
	out := map[string]any{"untouched": true}
	if err := c.Do(ctx, http.MethodDelete, Path("v1", "categories", id), nil, nil, &out); err != nil {
		t.Fatalf("delete: %v", err)
	}
	if out["untouched"] != true {
		t.Errorf("out after 204 = %v", out)
	}

	err := c.Do(ctx, http.MethodGet, Path("v1", "categories", id), nil, nil, &out)
	var ae *APIError
	if !errors.As(err, &ae) {
		t.Fatalf("get deleted: err = %v, want *APIError", err)
	}
	if ae.Status != http.StatusNotFound || ae.Code != "not_found" || !strings.Contains(ae.Message, id) {
		t.Errorf("APIError = %+v", ae)
	}
	if CodeOf(err) != "not_found" || !strings.Contains(err.Error(), "/v1/categories/ctg-1") {
		t.Errorf("err = %q (code %q)", err, CodeOf(err))
	}
}

func TestDoErrors(t *testing.T) {
	s := newCategoryServer(t)
	tests := []struct {
		name        string
		token       string
		method      string
		path        string
		body        any
		status      int
		code        string
		msgContains string
		details     map[string]any
	}{
		{name: "validation details", token: "tok", method: "POST", path: "/v1/categories", body: map[string]any{},
			status: 400, code: "invalid_argument", msgContains: "invalid category", details: map[string]any{"name": "is required"}},
		{name: "unauthenticated", token: "wrong", method: "GET", path: "/v1/categories",
			status: 401, code: "unauthenticated", msgContains: "token"},
		{name: "html from a proxy", token: "tok", method: "GET", path: "/v1/proxy-error",
			status: 502, code: "unavailable", msgContains: "bad gateway"},
		{name: "plain text", token: "tok", method: "GET", path: "/v1/text-error",
			status: 418, code: "http_418", msgContains: "short and stout"},
		{name: "no route", token: "tok", method: "GET", path: "/v1/nothing",
			status: 404, code: "not_found", msgContains: "not found"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newTestClient(t, Config{Server: s.srv.URL, Token: tt.token})
			err := c.Do(t.Context(), tt.method, tt.path, nil, tt.body, nil)
			var ae *APIError
			if !errors.As(err, &ae) {
				t.Fatalf("err = %v, want *APIError", err)
			}
			if ae.Status != tt.status || ae.Code != tt.code || !strings.Contains(ae.Message, tt.msgContains) {
				t.Errorf("APIError = %+v", ae)
			}
			if strings.Contains(ae.Message, "\n") {
				t.Errorf("message has a line break: %q", ae.Message)
			}
			if tt.details != nil && fmt.Sprint(ae.Details) != fmt.Sprint(tt.details) {
				t.Errorf("details = %v, want %v", ae.Details, tt.details)
			}
		})
	}
}

func TestDoBadResponses(t *testing.T) {
	s := newCategoryServer(t)
	t.Run("truncated json", func(t *testing.T) {
		c := newTestClient(t, Config{Server: s.srv.URL, Token: "tok"})
		var out map[string]any
		err := c.Do(t.Context(), "GET", "/v1/garbage", nil, nil, &out)
		if err == nil || !strings.Contains(err.Error(), "decode response") {
			t.Fatalf("err = %v, want a decode error", err)
		}
	})
	t.Run("too large", func(t *testing.T) {
		c := newTestClient(t, Config{Server: s.srv.URL, Token: "tok", MaxResponseBytes: 1024})
		var out map[string]any
		err := c.Do(t.Context(), "GET", "/v1/big", nil, nil, &out)
		if !errors.Is(err, ErrResponseTooLarge) {
			t.Fatalf("err = %v, want ErrResponseTooLarge", err)
		}
	})
	t.Run("unencodable body", func(t *testing.T) {
		c := newTestClient(t, Config{Server: s.srv.URL, Token: "tok"})
		err := c.Do(t.Context(), "POST", "/v1/categories", nil, map[string]any{"f": func() {}}, nil)
		if err == nil || !strings.Contains(err.Error(), "encode request body") {
			t.Fatalf("err = %v, want an encode error", err)
		}
	})
	t.Run("relative path", func(t *testing.T) {
		c := newTestClient(t, Config{Server: s.srv.URL, Token: "tok"})
		if err := c.Do(t.Context(), "GET", "v1/categories", nil, nil, nil); err == nil {
			t.Fatal("relative path accepted")
		}
	})
}

func TestUploadAndDownload(t *testing.T) {
	s := newCategoryServer(t)
	c := newTestClient(t, Config{Server: s.srv.URL + "/", Token: "tok"})
	pkg := filepath.Join(t.TempDir(), "zk-1.0.tgz")
	content := bytes.Repeat([]byte{0x1f, 0x8b, 7}, 1000)
	if err := os.WriteFile(pkg, content, 0o600); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(pkg)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()

	var app map[string]any
	if err := c.Do(t.Context(), "POST", "/v1/apps", url.Values{"type": {"vm"}}, f, &app); err != nil {
		t.Fatalf("upload: %v", err)
	}
	last := s.lastRequest()
	if last.ContentType != "application/gzip" || last.RawQuery != "type=vm" {
		t.Errorf("upload headers = %+v", last)
	}
	if last.ContentLength != int64(len(content)) || last.Chunked || !bytes.Equal(last.Body, content) {
		t.Errorf("upload: length %d chunked %v body equal %v", last.ContentLength, last.Chunked, bytes.Equal(last.Body, content))
	}
	if _, err := f.Stat(); err != nil {
		t.Errorf("upload closed the caller's file: %v", err)
	}

	// A reader of unknown length is streamed chunked.
	pr, pw := io.Pipe()
	go func() {
		pw.Write(content[:100])
		pw.Close()
	}()
	if err := c.Do(t.Context(), "POST", "/v1/apps", nil, pr, nil); err != nil {
		t.Fatalf("upload from pipe: %v", err)
	}
	if last := s.lastRequest(); !last.Chunked || len(last.Body) != 100 {
		t.Errorf("pipe upload: chunked %v, %d bytes", last.Chunked, len(last.Body))
	}

	var buf bytes.Buffer
	n, err := c.Download(t.Context(), Path("v1", "app_versions", "appv-1", "package"), nil, &buf)
	if err != nil {
		t.Fatalf("download: %v", err)
	}
	if buf.String() != "tgz-of-appv-1" || n != int64(buf.Len()) {
		t.Errorf("download = %q (%d bytes)", buf.String(), n)
	}
	if _, err := c.Download(t.Context(), "/v1/app_versions/appv-1/nope", nil, &buf); CodeOf(err) != "not_found" {
		t.Errorf("download of a missing path: err = %v", err)
	}
}

func TestPathEscapes(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		segs []string
		want string
	}{
		{name: "plain", segs: []string{"v1", "repos", "repo-1"}, want: "/v1/repos/repo-1"},
		{name: "slash in id", segs: []string{"v1", "repos", "a/../b"}, want: "/v1/repos/a%2F..%2Fb"},
		{name: "query chars", segs: []string{"v1", "apps", "x?y#z"}, want: "/v1/apps/x%3Fy%23z"},
		{name: "none", segs: nil, want: ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := Path(tt.segs...); got != tt.want {
				t.Errorf("Path(%q) = %q, want %q", tt.segs, got, tt.want)
			}
		})
	}
}

func TestCancelAndTimeout(t *testing.T) {
	entered := make(chan struct{}, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case entered <- struct{}{}:
		default:
		}
		<-r.Context().Done()
	}))
	t.Cleanup(srv.Close)

	t.Run("caller cancels", func(t *testing.T) {
		c := newTestClient(t, Config{Server: srv.URL, Timeout: -1})
		ctx, cancel := context.WithCancel(t.Context())
		errc := make(chan error, 1)
		go func() { errc <- c.Do(ctx, "GET", "/v1/slow", nil, nil, nil) }()
		<-entered
		cancel()
		if err := <-errc; !errors.Is(err, context.Canceled) {
			t.Fatalf("err = %v, want context.Canceled", err)
		}
	})
	t.Run("timeout", func(t *testing.T) {
		c := newTestClient(t, Config{Server: srv.URL, Timeout: 20 * time.Millisecond})
		err := c.Do(t.Context(), "GET", "/v1/slow", nil, nil, nil)
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("err = %v, want context.DeadlineExceeded", err)
		}
	})
}
