package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

// TestTokensAndAuditE2E: through the real server and CLI, a token is made, used and revoked
// (then refused); a read-only token cannot POST; mutations appear in GET /v1/audit with the
// right user, action, resource and result, a failed one with its status; a credential's
// content never appears in the audit output.
func TestTokensAndAuditE2E(t *testing.T) {
	s := startServer(t, t.TempDir(), "--local-runtime=false")
	admin := s.client(s.token())
	user := do(t, admin, http.MethodPost, "/v1/users", obj{"name": "ann", "role": "user"})
	userID := user["id"].(string)

	// The CLI makes ann a token, as the admin.
	env := func(tok string) func(string) string {
		return func(k string) string { return map[string]string{"PITRIX_SERVER": s.url, "PITRIX_TOKEN": tok}[k] }
	}
	var out, errb bytes.Buffer
	if code := run(ctxT(t), []string{"token", "create", "--user", userID, "--name", "ci", "--ttl", "1h", "-o", "json"}, env(s.token()), nil, &out, &errb); code != 0 {
		t.Fatalf("pitrix token create = %d: %s", code, errb.String())
	}
	var tok struct{ ID, Token, Scope string }
	if err := json.Unmarshal(out.Bytes(), &tok); err != nil || tok.Token == "" || tok.Scope != "write" {
		t.Fatalf("token create output %q: %v", out.String(), err)
	}
	ann := s.client(tok.Token)
	secret := "cred-content-" + strings.Repeat("z", 12)
	cred := do(t, ann, http.MethodPost, "/v1/runtime_credentials", obj{"name": "c", "provider": "local", "content": "{}"})
	credID := cred["id"].(string)
	apiErr(t, ann.Do(ctxT(t), http.MethodPost, "/v1/categories", nil, obj{"name": ""}, nil), 403, "permission_denied")
	// A refused credential: its content (a secret) must not reach the audit log either.
	apiErr(t, ann.Do(ctxT(t), http.MethodPost, "/v1/runtime_credentials", nil, obj{"name": "bad", "provider": "local", "content": `{"password":"` + secret + `"}`}, nil), 400, "invalid_argument")

	// A read-only token reads but cannot POST.
	ro := do(t, admin, http.MethodPost, "/v1/users/"+userID+"/tokens", obj{"name": "ro", "scope": "read"})
	roc := s.client(ro["token"].(string))
	list(t, roc, "/v1/runtime_credentials", nil)
	apiErr(t, roc.Do(ctxT(t), http.MethodPost, "/v1/categories", nil, obj{"name": "x"}, nil), 403, "permission_denied")

	// ann lists her tokens (no secrets) and revokes ci with the CLI; it fails at once.
	out.Reset()
	if code := run(ctxT(t), []string{"token", "list", "-o", "json"}, env(tok.Token), nil, &out, &errb); code != 0 ||
		!strings.Contains(out.String(), tok.ID) || strings.Contains(out.String(), tok.Token) {
		t.Fatalf("pitrix token list = %d:\n%s%s", code, out.String(), errb.String())
	}
	if code := run(ctxT(t), []string{"token", "revoke", tok.ID}, env(tok.Token), nil, &out, &errb); code != 0 {
		t.Fatalf("pitrix token revoke = %d: %s", code, errb.String())
	}
	apiErr(t, ann.Do(ctxT(t), http.MethodGet, "/v1/whoami", nil, nil, nil), 401, "unauthenticated")

	// The audit log, as the admin.
	type entry struct {
		UserID     string `json:"user_id"`
		Action     string `json:"action"`
		ResourceID string `json:"resource_id"`
		Result     string `json:"result"`
		TokenID    string `json:"token_id"`
		RemoteAddr string `json:"remote_addr"`
		Status     int    `json:"status"`
	}
	var entries []entry
	eventually(t, "the audit log holds the mutations", func() (bool, string) {
		var p struct{ Items []entry }
		if err := admin.Do(ctxT(t), http.MethodGet, "/v1/audit", url.Values{"limit": {"50"}}, nil, &p); err != nil {
			return false, err.Error()
		}
		entries = p.Items
		return len(entries) >= 8, fmt.Sprint(entries)
	})
	find := func(action string, status int) entry {
		t.Helper()
		for _, e := range entries {
			if e.Action == action && e.Status == status {
				return e
			}
		}
		t.Fatalf("no %s answered %d in the audit log: %+v", action, status, entries)
		return entry{}
	}
	if e := find("POST /v1/users", 201); e.UserID != "usr-admin" || e.ResourceID != userID || e.Result != "2xx" || e.RemoteAddr != "127.0.0.1" {
		t.Errorf("create user entry %+v", e)
	}
	if e := find("POST /v1/runtime_credentials", 201); e.UserID != userID || e.ResourceID != credID || e.TokenID != tok.ID {
		t.Errorf("create credential entry %+v", e)
	}
	if e := find("POST /v1/runtime_credentials", 400); e.UserID != userID || e.Result != "4xx" {
		t.Errorf("failed credential entry %+v", e)
	}
	if e := find("POST /v1/categories", 403); e.UserID != userID {
		t.Errorf("forbidden category entry %+v", e)
	}
	if e := find("DELETE /v1/tokens/{id}", 204); e.UserID != userID || e.ResourceID != tok.ID {
		t.Errorf("revoke entry %+v", e)
	}

	// Filters, JSON lines through the CLI, and no secret anywhere in the export.
	var failed struct {
		TotalCount int `json:"total_count"`
	}
	if err := admin.Do(ctxT(t), http.MethodGet, "/v1/audit", url.Values{"user": {userID}, "result": {"4xx"}}, nil, &failed); err != nil || failed.TotalCount != 3 {
		t.Fatalf("ann's failed mutations = %d, %v; want 3 (403, 400, and the read token's 403)", failed.TotalCount, err)
	}
	out.Reset()
	if code := run(ctxT(t), []string{"audit", "list", "--jsonl", "--since", time.Now().Add(-time.Hour).UTC().Format(time.RFC3339)}, env(s.token()), nil, &out, &errb); code != 0 {
		t.Fatalf("pitrix audit list --jsonl = %d: %s", code, errb.String())
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != len(entries) {
		t.Errorf("jsonl export has %d lines, the log %d entries", len(lines), len(entries))
	}
	for _, s := range []string{secret, tok.Token, ro["token"].(string)} {
		if strings.Contains(out.String(), s) {
			t.Fatalf("the audit export holds a secret %q:\n%s", s, out.String())
		}
	}
	apiErr(t, roc.Do(ctxT(t), http.MethodGet, "/v1/audit", nil, nil, nil), 403, "permission_denied")
}
