package rest

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/pitrix/pitrix/actors/authz"
	"github.com/pitrix/pitrix/actors/fault"
)

// TestPermissionTableCoversRoutes: every route has its rule in actors/authz with the same
// public flag, and every rule is a route. (New refuses a route without a rule; this also
// catches a rule left behind by a removed route.)
func TestPermissionTableCoversRoutes(t *testing.T) {
	s, err := New(Config{}, newMemBackend())
	if err != nil {
		t.Fatal(err)
	}
	routed := map[string]bool{}
	for _, r := range s.rt.routes {
		routed[r.method+" "+r.pattern] = true
		if r.rule.Action == "" || r.rule.Public != r.public {
			t.Errorf("%s %s: rule %+v", r.method, r.pattern, r.rule)
		}
	}
	for _, r := range authz.Rules() {
		if !routed[r.Method+" "+r.Path] {
			t.Errorf("rule %s (%s %s) has no route", r.Action, r.Method, r.Path)
		}
	}
}

// TestRolesRoute: any signed-in caller reads the roles; a role the table refuses gets 403
// before its handler runs.
func TestRolesRoute(t *testing.T) {
	e := startServer(t, Config{})
	var u struct{ ID string }
	e.callOK("POST", "/v1/users", `{"name":"dee","role":"developer"}`, 201, &u)
	var tok struct{ Token string }
	e.callOK("POST", "/v1/users/"+u.ID+"/tokens", `{"name":"dee"}`, 201, &tok)
	r := e.request("GET", "/v1/roles", tok.Token, "", nil)
	var got struct {
		TotalCount int              `json:"total_count"`
		Items      []authz.RoleInfo `json:"items"`
	}
	if r.status != 200 || json.Unmarshal(r.body, &got) != nil || got.TotalCount != 4 || len(got.Items) != 4 {
		t.Fatalf("GET /v1/roles = %d %s", r.status, r.body)
	}
	if got.Items[2].Name != "developer" || len(got.Items[2].Permissions) == 0 {
		t.Fatalf("developer = %+v", got.Items[2])
	}
	wantError(t, e.request("POST", "/v1/categories", tok.Token, "application/json", []byte(`{"name":"x"}`)), 403, fault.CodePermission)
	wantError(t, e.request("GET", "/v1/users/usr-other/tokens", tok.Token, "", nil), 403, fault.CodePermission)
	wantError(t, e.request("GET", "/v1/roles?x=1", tok.Token, "", nil), 400, fault.CodeInvalid)

	// A role the route refuses sends no body either: a user's declared 50 MB upload is
	// answered 403 at once, unread.
	var usr struct{ ID string }
	e.callOK("POST", "/v1/users", `{"name":"una","role":"user"}`, 201, &usr)
	var utok struct{ Token string }
	e.callOK("POST", "/v1/users/"+usr.ID+"/tokens", `{"name":"una"}`, 201, &utok)
	start := time.Now()
	r = e.rawExchange(t, "", "POST /v1/apps?type=vm HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer "+utok.Token+
		"\r\nContent-Type: application/gzip\r\nContent-Length: 50000000\r\n\r\n")
	if d := wantError(t, r, 403, fault.CodePermission); !strings.Contains(d.Message, "app.upload") {
		t.Fatalf("message %q does not name the action", d.Message)
	}
	if el := time.Since(start); el > 5*time.Second {
		t.Fatalf("answered after %v: the server waited for the body", el)
	}
}
