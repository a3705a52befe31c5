package cli

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
)

// TestTokenAndAuditVerbs: token verbs default to the caller's own user (from /v1/whoami) and
// send the right requests; audit list --jsonl pages through every entry and writes one JSON
// object a line, passing the filters on.
func TestTokenAndAuditVerbs(t *testing.T) {
	var seen []string
	const entries = 450
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v1/whoami", func(w http.ResponseWriter, r *http.Request) {
		fakeJSON(w, 200, map[string]any{"user_id": "usr-ann", "role": "user"})
	})
	mux.HandleFunc("GET /v1/users/{id}/tokens", func(w http.ResponseWriter, r *http.Request) {
		seen = append(seen, "list "+r.PathValue("id"))
		fakeJSON(w, 200, map[string]any{"total_count": 1, "items": []any{map[string]any{"id": "tok-1", "name": "ci", "scope": "read"}}})
	})
	mux.HandleFunc("POST /v1/users/{id}/tokens", func(w http.ResponseWriter, r *http.Request) {
		var in map[string]any
		json.NewDecoder(r.Body).Decode(&in)
		seen = append(seen, fmt.Sprintf("create %s %v", r.PathValue("id"), in))
		fakeJSON(w, 201, map[string]any{"id": "tok-2", "token": "ptx_secret", "scope": in["scope"]})
	})
	mux.HandleFunc("DELETE /v1/tokens/{id}", func(w http.ResponseWriter, r *http.Request) {
		seen = append(seen, "revoke "+r.PathValue("id"))
		w.WriteHeader(204)
	})
	mux.HandleFunc("GET /v1/audit", func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		seen = append(seen, "audit "+q.Get("user")+" "+q.Get("result")+" "+q.Get("offset"))
		off, _ := strconv.Atoi(q.Get("offset"))
		lim, _ := strconv.Atoi(q.Get("limit"))
		var items []any
		for i := off; i < min(off+lim, entries); i++ {
			items = append(items, map[string]any{"id": fmt.Sprintf("aud-%03d", i), "action": "POST /v1/repos"})
		}
		fakeJSON(w, 200, map[string]any{"total_count": entries, "items": items})
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()
	r := &runner{t: t, home: t.TempDir(), env: map[string]string{"PITRIX_SERVER": srv.URL, "PITRIX_TOKEN": "tok"}}

	if out := r.ok("token", "list"); !strings.Contains(out, "tok-1") || !strings.Contains(out, "read") {
		t.Errorf("token list:\n%s", out)
	}
	if out := r.ok("token", "create", "--name", "ci", "--scope", "read", "--ttl", "12h"); !strings.Contains(out, "ptx_secret") {
		t.Errorf("token create does not show the secret:\n%s", out)
	}
	r.ok("token", "create", "--user", "usr-bob")
	if out := r.ok("token", "revoke", "tok-1"); !strings.Contains(out, "deleted tok-1") {
		t.Errorf("token revoke:\n%s", out)
	}
	out := r.ok("audit", "list", "--jsonl", "--user", "usr-ann", "--result", "4xx")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != entries || !strings.Contains(lines[0], `"aud-000"`) || !strings.Contains(lines[entries-1], `"aud-449"`) {
		t.Fatalf("audit --jsonl wrote %d lines, want %d from aud-000 to aud-449", len(lines), entries)
	}
	want := []string{
		"list usr-ann",
		"create usr-ann map[name:ci scope:read ttl:12h]",
		"create usr-bob map[]",
		"revoke tok-1",
		"audit usr-ann 4xx 0", "audit usr-ann 4xx 200", "audit usr-ann 4xx 400",
	}
	if strings.Join(seen, "\n") != strings.Join(want, "\n") {
		t.Fatalf("requests:\n%s\nwant:\n%s", strings.Join(seen, "\n"), strings.Join(want, "\n"))
	}
}
