package authz

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/pitrix/pitrix/actors/identity"
)

// TestTableWellFormed: every rule names an action once, known roles only, a scope, and an
// admin may call every route that is not public.
func TestTableWellFormed(t *testing.T) {
	actions := map[string]bool{}
	for _, r := range Rules() {
		if r.Action == "" || actions[r.Action] {
			t.Errorf("%s %s: action %q empty or listed twice", r.Method, r.Path, r.Action)
		}
		actions[r.Action] = true
		if !strings.HasPrefix(r.Path, "/") {
			t.Errorf("%s: path %q", r.Action, r.Path)
		}
		switch r.Scope {
		case ScopeNone, ScopeOwner, ScopeVisible, ScopeSelf:
		default:
			t.Errorf("%s: scope %q", r.Action, r.Scope)
		}
		if r.Public {
			if len(r.Roles) != 0 {
				t.Errorf("%s: public with roles %v", r.Action, r.Roles)
			}
			continue
		}
		if !r.Allows(identity.RoleAdmin) {
			t.Errorf("%s: an admin may not call it", r.Action)
		}
		for _, role := range r.Roles {
			if !slices.Contains(Roles(), role) {
				t.Errorf("%s: unknown role %q", r.Action, role)
			}
		}
		if (r.Scope == ScopeSelf) != strings.HasPrefix(r.Path, "/v1/users/{id}") {
			t.Errorf("%s: scope self is for /v1/users/{id} routes, has %s", r.Action, r.Scope)
		}
	}
}

// TestRoleInfos: each role lists exactly the non-public actions that allow it; what the
// mission says of each role holds.
func TestRoleInfos(t *testing.T) {
	infos := RoleInfos()
	if len(infos) != 4 {
		t.Fatalf("%d roles", len(infos))
	}
	may := map[string]map[string]bool{}
	for _, ri := range infos {
		if ri.Description == "" {
			t.Errorf("role %s has no description", ri.Name)
		}
		may[ri.Name] = map[string]bool{}
		for _, p := range ri.Permissions {
			may[ri.Name][p.Action] = true
		}
		n := 0
		for _, r := range Rules() {
			if !r.Public && r.Allows(ri.Name) {
				n++
			}
		}
		if n != len(ri.Permissions) {
			t.Errorf("role %s lists %d permissions, the table allows %d", ri.Name, len(ri.Permissions), n)
		}
	}
	for _, c := range []struct {
		role, action string
		want         bool
	}{
		{"developer", "repo.create", true}, {"developer", "version.upload", true}, {"developer", "version.submit", true},
		{"developer", "version.pass", false}, {"developer", "version.reject", false}, {"developer", "user.create", false},
		{"isv", "version.pass", true}, {"isv", "user.create", false}, {"isv", "category.create", false},
		{"user", "repo.create", false}, {"user", "app.upload", false}, {"user", "cluster.create", true},
		{"user", "role.list", true}, {"user", "audit.list", false}, {"admin", "admin.actor_state", true},
	} {
		if may[c.role][c.action] != c.want {
			t.Errorf("%s may %s: %t, want %t", c.role, c.action, may[c.role][c.action], c.want)
		}
	}
}

// TestDocsTable: docs/roles.md holds the table as Markdown renders it.
func TestDocsTable(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", "..", "docs", "roles.md"))
	if err != nil {
		t.Fatal(err)
	}
	const begin, end = "<!-- table:begin -->\n", "<!-- table:end -->"
	doc := string(b)
	i, j := strings.Index(doc, begin), strings.Index(doc, end)
	if i < 0 || j < i {
		t.Fatalf("docs/roles.md has no %q ... %q section", begin, end)
	}
	if got, want := doc[i+len(begin):j], Markdown(); got != want {
		t.Errorf("docs/roles.md's table differs from the permission table; replace it with:\n%s", want)
	}
}
