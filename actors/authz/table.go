package authz

import (
	"fmt"

	"github.com/pitrix/pitrix/actors/identity"
)

// Role sets of the table.
var (
	all        = []string{identity.RoleAdmin, identity.RoleISV, identity.RoleDeveloper, identity.RoleUser}
	admin      = []string{identity.RoleAdmin}
	publishers = []string{identity.RoleAdmin, identity.RoleISV, identity.RoleDeveloper}
	reviewers  = []string{identity.RoleAdmin, identity.RoleISV}
)

// ReviewActions are the POST /v1/app_versions/{id}/{action} steps with who takes them.
var reviewRules = []struct {
	action string
	roles  []string
	note   string
}{
	{"submit", publishers, "in a private repo shared with nobody an isv's submit passes at once (unreviewed: it stays private); a developer's always waits for an admin"},
	{"cancel", publishers, ""},
	{"pass", reviewers, "an isv only for its own versions in a private repo shared with nobody; such a pass is not a review"},
	{"reject", reviewers, "an isv only for its own versions in a private repo shared with nobody"},
	{"release", publishers, ""},
	{"suspend", reviewers, "an isv only for its own versions in a private repo shared with nobody"},
	{"recover", reviewers, "an isv only for its own versions in a private repo shared with nobody"},
}

// ClusterActions are the POST /v1/clusters/{id}/{action} lifecycle actions.
var ClusterActions = []string{"start", "stop", "resize", "add_nodes", "delete_nodes", "upgrade", "rollback",
	"update_env", "recover", "restart", "service", "cease"}

// table is the permission table: one entry per REST route.
var table = func() []Rule {
	t := []Rule{
		// Operations.
		{Action: "ops.healthz", Method: "GET", Path: "/healthz", Public: true, Scope: ScopeNone},
		{Action: "ops.readyz", Method: "GET", Path: "/readyz", Public: true, Scope: ScopeNone},
		{Action: "ops.openapi", Method: "GET", Path: "/v1/openapi.json", Public: true, Scope: ScopeNone},

		// The dashboard: embedded files only, no data (the page calls the API with its token).
		{Action: "web.page", Method: "GET", Path: "/", Public: true, Scope: ScopeNone},
		{Action: "web.ui", Method: "GET", Path: "/ui", Public: true, Scope: ScopeNone},
		{Action: "web.asset", Method: "GET", Path: "/ui/{path...}", Public: true, Scope: ScopeNone},
		{Action: "ops.metrics", Method: "GET", Path: "/metrics", Roles: admin, Scope: ScopeNone},

		// Repos.
		{Action: "repo.create", Method: "POST", Path: "/v1/repos", Roles: publishers, Scope: ScopeNone,
			Note: "public visibility: admin or isv; app_default_status active on a public repo: admin"},
		{Action: "repo.list", Method: "GET", Path: "/v1/repos", Roles: all, Scope: ScopeVisible},
		{Action: "repo.validate", Method: "POST", Path: "/v1/repos/validate", Roles: publishers, Scope: ScopeNone},
		{Action: "repo.get", Method: "GET", Path: "/v1/repos/{id}", Roles: all, Scope: ScopeVisible},
		{Action: "repo.update", Method: "PATCH", Path: "/v1/repos/{id}", Roles: publishers, Scope: ScopeOwner,
			Note: "sharing with a group (group_ids): groups the caller owns or belongs to"},
		{Action: "repo.delete", Method: "DELETE", Path: "/v1/repos/{id}", Roles: publishers, Scope: ScopeOwner},
		{Action: "repo.index", Method: "POST", Path: "/v1/repos/{id}/index", Roles: publishers, Scope: ScopeOwner},
		{Action: "repo.events", Method: "GET", Path: "/v1/repos/{id}/events", Roles: all, Scope: ScopeVisible},

		// Apps and versions.
		{Action: "app.upload", Method: "POST", Path: "/v1/apps", Roles: publishers, Scope: ScopeNone},
		{Action: "app.list", Method: "GET", Path: "/v1/apps", Roles: all, Scope: ScopeVisible},
		{Action: "app.validate_package", Method: "POST", Path: "/v1/apps/validate_package", Roles: publishers, Scope: ScopeNone},
		{Action: "app.get", Method: "GET", Path: "/v1/apps/{id}", Roles: all, Scope: ScopeVisible},
		{Action: "app.update", Method: "PATCH", Path: "/v1/apps/{id}", Roles: publishers, Scope: ScopeOwner},
		{Action: "app.delete", Method: "DELETE", Path: "/v1/apps/{id}", Roles: publishers, Scope: ScopeOwner},
		{Action: "version.upload", Method: "POST", Path: "/v1/apps/{id}/versions", Roles: publishers, Scope: ScopeOwner},
		{Action: "version.list", Method: "GET", Path: "/v1/apps/{id}/versions", Roles: all, Scope: ScopeVisible},
		{Action: "version.get", Method: "GET", Path: "/v1/app_versions/{id}", Roles: all, Scope: ScopeVisible},
		{Action: "version.package", Method: "GET", Path: "/v1/app_versions/{id}/package", Roles: all, Scope: ScopeVisible},
		{Action: "version.form", Method: "GET", Path: "/v1/app_versions/{id}/form", Roles: all, Scope: ScopeVisible},
		{Action: "version.readme", Method: "GET", Path: "/v1/app_versions/{id}/readme", Roles: all, Scope: ScopeVisible},
		{Action: "version.files", Method: "GET", Path: "/v1/app_versions/{id}/files", Roles: all, Scope: ScopeVisible},
		{Action: "version.file", Method: "GET", Path: "/v1/app_versions/{id}/files/{path...}", Roles: all, Scope: ScopeVisible},
		{Action: "version.audits", Method: "GET", Path: "/v1/app_versions/{id}/audits", Roles: all, Scope: ScopeVisible},
		{Action: "version.runtimes", Method: "GET", Path: "/v1/app_versions/{id}/runtimes", Roles: all, Scope: ScopeVisible,
			Note: "lists the caller's own runtimes the version can run on"},

		// Categories.
		{Action: "category.create", Method: "POST", Path: "/v1/categories", Roles: admin, Scope: ScopeNone},
		{Action: "category.list", Method: "GET", Path: "/v1/categories", Roles: all, Scope: ScopeNone},
		{Action: "category.get", Method: "GET", Path: "/v1/categories/{id}", Roles: all, Scope: ScopeNone},
		{Action: "category.update", Method: "PATCH", Path: "/v1/categories/{id}", Roles: admin, Scope: ScopeNone},
		{Action: "category.delete", Method: "DELETE", Path: "/v1/categories/{id}", Roles: admin, Scope: ScopeNone},

		// Runtimes and their credentials.
		{Action: "provider.list", Method: "GET", Path: "/v1/providers", Roles: all, Scope: ScopeNone},
		{Action: "frontgate.list", Method: "GET", Path: "/v1/frontgates", Roles: admin, Scope: ScopeNone},
		{Action: "credential.create", Method: "POST", Path: "/v1/runtime_credentials", Roles: all, Scope: ScopeNone},
		{Action: "credential.list", Method: "GET", Path: "/v1/runtime_credentials", Roles: all, Scope: ScopeOwner},
		{Action: "credential.get", Method: "GET", Path: "/v1/runtime_credentials/{id}", Roles: all, Scope: ScopeOwner},
		{Action: "credential.delete", Method: "DELETE", Path: "/v1/runtime_credentials/{id}", Roles: all, Scope: ScopeOwner},
		{Action: "credential.validate", Method: "POST", Path: "/v1/runtime_credentials/{id}/validate", Roles: all, Scope: ScopeOwner},
		{Action: "runtime.create", Method: "POST", Path: "/v1/runtimes", Roles: all, Scope: ScopeNone,
			Note: "provider local (the control plane's own host): admin only"},
		{Action: "runtime.list", Method: "GET", Path: "/v1/runtimes", Roles: all, Scope: ScopeOwner},
		{Action: "runtime.get", Method: "GET", Path: "/v1/runtimes/{id}", Roles: all, Scope: ScopeOwner},
		{Action: "runtime.update", Method: "PATCH", Path: "/v1/runtimes/{id}", Roles: all, Scope: ScopeOwner},
		{Action: "runtime.delete", Method: "DELETE", Path: "/v1/runtimes/{id}", Roles: all, Scope: ScopeOwner},

		// App clusters, jobs and their events.
		{Action: "cluster.create", Method: "POST", Path: "/v1/clusters", Roles: all, Scope: ScopeNone,
			Note: "to the caller's own runtime; an active, reviewed version, or the caller's own version to a runtime marked test; local runtimes: admins and the users an admin granted the runtime to (granted_to)"},
		{Action: "cluster.list", Method: "GET", Path: "/v1/clusters", Roles: all, Scope: ScopeOwner},
		{Action: "cluster.get", Method: "GET", Path: "/v1/clusters/{id}", Roles: all, Scope: ScopeOwner},
		{Action: "cluster.delete", Method: "DELETE", Path: "/v1/clusters/{id}", Roles: all, Scope: ScopeOwner},
		{Action: "cluster.nodes", Method: "GET", Path: "/v1/clusters/{id}/nodes", Roles: all, Scope: ScopeOwner},
		{Action: "job.list", Method: "GET", Path: "/v1/jobs", Roles: all, Scope: ScopeOwner},
		{Action: "job.get", Method: "GET", Path: "/v1/jobs/{id}", Roles: all, Scope: ScopeOwner},
		{Action: "job.tasks", Method: "GET", Path: "/v1/jobs/{id}/tasks", Roles: all, Scope: ScopeOwner},
		{Action: "job.retry", Method: "POST", Path: "/v1/jobs/{id}/retry", Roles: all, Scope: ScopeOwner},
		{Action: "event.stream", Method: "GET", Path: "/v1/events", Roles: all, Scope: ScopeOwner},

		// Users, roles, groups, tokens and administration.
		{Action: "user.whoami", Method: "GET", Path: "/v1/whoami", Roles: all, Scope: ScopeNone},
		{Action: "role.list", Method: "GET", Path: "/v1/roles", Roles: all, Scope: ScopeNone},
		{Action: "user.create", Method: "POST", Path: "/v1/users", Roles: admin, Scope: ScopeNone},
		{Action: "user.list", Method: "GET", Path: "/v1/users", Roles: admin, Scope: ScopeNone},
		{Action: "token.create", Method: "POST", Path: "/v1/users/{id}/tokens", Roles: all, Scope: ScopeSelf},
		{Action: "token.list", Method: "GET", Path: "/v1/users/{id}/tokens", Roles: all, Scope: ScopeSelf},
		{Action: "token.list_own", Method: "GET", Path: "/v1/tokens", Roles: all, Scope: ScopeNone},
		{Action: "token.revoke", Method: "DELETE", Path: "/v1/tokens/{id}", Roles: all, Scope: ScopeOwner},
		{Action: "group.create", Method: "POST", Path: "/v1/groups", Roles: all, Scope: ScopeNone},
		{Action: "group.list", Method: "GET", Path: "/v1/groups", Roles: all, Scope: ScopeVisible,
			Note: "the groups the caller owns or belongs to"},
		{Action: "group.get", Method: "GET", Path: "/v1/groups/{id}", Roles: all, Scope: ScopeVisible,
			Note: "its owner and members"},
		{Action: "group.delete", Method: "DELETE", Path: "/v1/groups/{id}", Roles: all, Scope: ScopeOwner},
		{Action: "group.member_add", Method: "POST", Path: "/v1/groups/{id}/members", Roles: all, Scope: ScopeOwner},
		{Action: "group.member_remove", Method: "DELETE", Path: "/v1/groups/{id}/members/{user_id}", Roles: all, Scope: ScopeOwner},
		{Action: "audit.list", Method: "GET", Path: "/v1/audit", Roles: admin, Scope: ScopeNone},
		{Action: "admin.nodes", Method: "GET", Path: "/v1/admin/nodes", Roles: admin, Scope: ScopeNone},
		{Action: "admin.drain_node", Method: "POST", Path: "/v1/admin/nodes/{name}/drain", Roles: admin, Scope: ScopeNone},
		{Action: "admin.actors", Method: "GET", Path: "/v1/admin/actors", Roles: admin, Scope: ScopeNone},
		{Action: "admin.actor_state", Method: "GET", Path: "/v1/admin/actors/{kind}/{id}", Roles: admin, Scope: ScopeNone},
	}
	for _, a := range reviewRules {
		t = append(t, Rule{Action: "version." + a.action, Method: "POST", Path: "/v1/app_versions/{id}/" + a.action,
			Roles: a.roles, Scope: ScopeOwner, Note: a.note})
	}
	for _, a := range ClusterActions {
		t = append(t, Rule{Action: "cluster." + a, Method: "POST", Path: "/v1/clusters/{id}/" + a, Roles: all, Scope: ScopeOwner})
	}
	return t
}()

var byRoute = func() map[string]Rule {
	m := make(map[string]Rule, len(table))
	for _, r := range table {
		k := r.Method + " " + r.Path
		if _, dup := m[k]; dup {
			panic(fmt.Sprintf("authz: %s listed twice", k))
		}
		m[k] = r
	}
	return m
}()
