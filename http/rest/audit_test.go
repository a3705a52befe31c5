package rest

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/pitrix/pitrix/actors/audit"
	"github.com/pitrix/pitrix/actors/catalog"
	"github.com/pitrix/pitrix/actors/fault"
	"github.com/pitrix/pitrix/internal/testutil"
)

// TestTokenScopeAndRevoke: a read token may GET but not mutate; a revoked token answers 401.
func TestTokenScopeAndRevoke(t *testing.T) {
	e := startServer(t, Config{})
	var u struct{ ID string }
	e.callOK("POST", "/v1/users", `{"name":"ann","role":"admin"}`, 201, &u)
	var ro, rw struct{ ID, Token, Scope string }
	e.callOK("POST", "/v1/users/"+u.ID+"/tokens", `{"name":"ro","scope":"read"}`, 201, &ro)
	e.callOK("POST", "/v1/users/"+u.ID+"/tokens", `{"name":"rw"}`, 201, &rw)
	if ro.Scope != "read" || rw.Scope != "write" {
		t.Fatalf("scopes %q %q", ro.Scope, rw.Scope)
	}
	if r := e.request("GET", "/v1/categories", ro.Token, "", nil); r.status != 200 {
		t.Fatalf("read token GET: %d %s", r.status, r.body)
	}
	if r := e.request("HEAD", "/v1/categories", ro.Token, "", nil); r.status != 200 {
		t.Fatalf("read token HEAD: %d", r.status)
	}
	wantError(t, e.request("POST", "/v1/categories", ro.Token, "application/json", []byte(`{"name":"x"}`)), 403, fault.CodePermission)
	wantError(t, e.request("DELETE", "/v1/tokens/"+rw.ID, ro.Token, "", nil), 403, fault.CodePermission)

	var list catalog.Page[struct{ ID, Token string }]
	if r := e.request("GET", "/v1/users/"+u.ID+"/tokens", rw.Token, "", nil); r.status != 200 || json.Unmarshal(r.body, &list) != nil {
		t.Fatalf("list tokens: %d %s", r.status, r.body)
	}
	if list.TotalCount != 2 || list.Items[0].Token != "" || list.Items[1].Token != "" {
		t.Fatalf("list tokens = %+v, want two without secrets", list)
	}
	var own catalog.Page[struct{ ID, Token string }]
	if r := e.request("GET", "/v1/tokens", ro.Token, "", nil); r.status != 200 || json.Unmarshal(r.body, &own) != nil || own.TotalCount != 2 {
		t.Fatalf("GET /v1/tokens: %d %s", r.status, r.body)
	}
	if r := e.request("DELETE", "/v1/tokens/"+ro.ID, rw.Token, "", nil); r.status != 204 {
		t.Fatalf("revoke: %d %s", r.status, r.body)
	}
	wantError(t, e.request("GET", "/v1/categories", ro.Token, "", nil), 401, fault.CodeUnauthenticated)
	wantError(t, e.call("DELETE", "/v1/tokens/"+ro.ID, ""), 404, fault.CodeNotFound)
}

// TestAuditLog: mutations are recorded off the request path with who, what, which resource and
// the result, failed ones too; reads are not; the log is admin only, filterable, exported as
// JSON lines, and never holds a token secret.
func TestAuditLog(t *testing.T) {
	e := startServer(t, Config{})
	var u struct{ ID string }
	e.callOK("POST", "/v1/users", `{"name":"ann","role":"admin"}`, 201, &u)
	var tok struct{ ID, Token string }
	e.callOK("POST", "/v1/users/"+u.ID+"/tokens", `{"name":"ann"}`, 201, &tok)
	var c struct{ ID string }
	if r := e.request("POST", "/v1/categories", tok.Token, "application/json", []byte(`{"name":"db"}`)); r.status != 201 || json.Unmarshal(r.body, &c) != nil {
		t.Fatalf("create category: %d %s", r.status, r.body)
	}
	wantError(t, e.request("POST", "/v1/categories", tok.Token, "application/json", []byte(`{"name":`)), 400, fault.CodeInvalid)
	e.callOK("DELETE", "/v1/categories/"+c.ID, "", 204, nil)
	e.callOK("GET", "/v1/categories", "", 200, nil)
	wantError(t, e.request("POST", "/v1/categories", "nope", "application/json", []byte(`{}`)), 401, fault.CodeUnauthenticated)

	var all catalog.Page[audit.Entry]
	testutil.Eventually(t, 5*time.Second, "five mutations in the audit log", func() (bool, string) {
		r := e.call("GET", "/v1/audit?limit=50", "")
		all = catalog.Page[audit.Entry]{}
		_ = json.Unmarshal(r.body, &all)
		return r.status == 200 && all.TotalCount == 5, string(r.body)
	})
	// Newest first: delete, failed create, create, token, user.
	want := []struct {
		user, action, resource string
		status                 int
	}{
		{"usr-admin", "DELETE /v1/categories/{id}", c.ID, 204},
		{u.ID, "POST /v1/categories", "", 400},
		{u.ID, "POST /v1/categories", c.ID, 201},
		{"usr-admin", "POST /v1/users/{id}/tokens", tok.ID, 201},
		{"usr-admin", "POST /v1/users", u.ID, 201},
	}
	for i, w := range want {
		g := all.Items[i]
		if g.UserID != w.user || g.Action != w.action || g.ResourceID != w.resource || g.Status != w.status ||
			g.Result != audit.ResultOf(w.status) || g.RemoteAddr != "127.0.0.1" || g.ID == "" || g.Time.IsZero() {
			t.Errorf("entry %d = %+v, want %+v", i, g, w)
		}
	}
	for i, kind := range []string{"categories", "categories", "categories", "tokens", "users"} {
		if all.Items[i].ResourceKind != kind {
			t.Errorf("entry %d resource_kind %q, want %q", i, all.Items[i].ResourceKind, kind)
		}
	}
	if all.Items[1].TokenID != tok.ID || all.Items[1].Role != "admin" {
		t.Errorf("entry of ann's request: token %q role %q, want %q admin", all.Items[1].TokenID, all.Items[1].Role, tok.ID)
	}
	if strings.Contains(string(e.call("GET", "/v1/audit?limit=50", "").body), tok.Token) {
		t.Error("the audit log holds a token secret")
	}

	for q, n := range map[string]int{
		"user=" + u.ID:                 2,
		"action=POST%20/v1/categories": 2,
		"resource=" + c.ID:             2,
		"result=4xx":                   1,
		"result=201":                   3,
		"user=" + u.ID + "&result=2xx": 1,
		"since=2000-01-01T00:00:00Z&until=2001-01-01T00:00:00Z": 0,
	} {
		var p catalog.Page[audit.Entry]
		e.callOK("GET", "/v1/audit?"+q, "", 200, &p)
		if p.TotalCount != n {
			t.Errorf("GET /v1/audit?%s: %d entries, want %d", q, p.TotalCount, n)
		}
	}
	wantError(t, e.call("GET", "/v1/audit?since=yesterday", ""), 400, fault.CodeInvalid, "since")
	wantError(t, e.call("GET", "/v1/audit?result=bad&limit=0&format=xml", ""), 400, fault.CodeInvalid, "result", "limit", "format")
	wantError(t, e.call("GET", "/v1/audit?who=1", ""), 400, fault.CodeInvalid, "who")
	r := e.call("GET", "/v1/audit?format=jsonl&user="+u.ID, "")
	if r.status != 200 || r.header.Get("Content-Type") != "application/x-ndjson" {
		t.Fatalf("jsonl: %d %q %s", r.status, r.header.Get("Content-Type"), r.body)
	}
	lines := bytes.Split(bytes.TrimSpace(r.body), []byte("\n"))
	if len(lines) != 2 {
		t.Fatalf("jsonl lines = %d, want 2: %s", len(lines), r.body)
	}
	for _, l := range lines {
		var en audit.Entry
		if err := json.Unmarshal(l, &en); err != nil || en.UserID != u.ID {
			t.Errorf("jsonl line %s: %v", l, err)
		}
	}

	// A user who is no admin may not read it.
	var bob struct{ ID string }
	e.callOK("POST", "/v1/users", `{"name":"bob","role":"isv"}`, 201, &bob)
	var bobTok struct{ Token string }
	e.callOK("POST", "/v1/users/"+bob.ID+"/tokens", `{"name":"bob"}`, 201, &bobTok)
	wantError(t, e.request("GET", "/v1/audit", bobTok.Token, "", nil), 403, fault.CodePermission)
}

// TestAuditWriterFailureAndShutdown: a failed store write does not fail requests, and entries
// queued at shutdown are flushed before Serve returns.
func TestAuditWriterFailureAndShutdown(t *testing.T) {
	e := startServer(t, Config{})
	e.be.mu.Lock()
	e.be.fail["RecordAudit"] = errors.New("disk full")
	e.be.mu.Unlock()
	e.callOK("POST", "/v1/categories", `{"name":"a"}`, 201, nil)
	testutil.Eventually(t, 5*time.Second, "the failing flush", func() (bool, string) {
		e.be.mu.Lock()
		defer e.be.mu.Unlock()
		_, pending := e.be.fail["RecordAudit"]
		return !pending, "RecordAudit not called yet"
	})
	e.callOK("POST", "/v1/categories", `{"name":"b"}`, 201, nil)
	e.callOK("POST", "/v1/categories", `{"name":"c"}`, 201, nil)
	e.client.CloseIdleConnections()
	e.cancel()
	if err := <-e.done; err != nil {
		t.Fatalf("Serve: %v", err)
	}
	e.done <- nil // for the cleanup
	if n := e.srv.auditW.lost.Load(); n != 1 {
		t.Errorf("lost entries = %d, want 1", n)
	}
	e.be.mu.Lock()
	defer e.be.mu.Unlock()
	if len(e.be.auditLog) != 2 {
		t.Fatalf("audit log after shutdown holds %d entries, want the 2 after the failed flush: %+v", len(e.be.auditLog), e.be.auditLog)
	}
}
