package rest

import (
	"fmt"

	"github.com/pitrix/pitrix/actors/authz"
	"github.com/pitrix/pitrix/actors/catalog"
)

// Filters each list route accepts besides limit, offset, q and sort.
var (
	repoFilters       = []string{"type", "visibility", "provider", "status", "owner", "category_id"}
	repoEventFilters  = []string{"status", "trigger"}
	appFilters        = []string{"repo_id", "category_id", "status", "type", "owner"}
	versionFilters    = []string{"status", "type"}
	auditFilters      = []string{"action", "status", "operator"}
	categoryFilters   = []string{"owner", "locale"}
	credentialFilters = []string{"provider", "owner", "status"}
	runtimeFilters    = []string{"provider", "zone", "owner", "status", "credential_id"}
	userFilters       = []string{"role", "status"}
	groupFilters      = []string{"owner", "member"}
	clusterFilters    = []string{"runtime_id", "app_id", "status", "owner"}
	jobFilters        = []string{"cluster_id", "status"}
)

// opsRoutes answer probes: they skip the in-flight limit so they stay fast under overload.
var opsRoutes = map[string]bool{"GET /healthz": true, "GET /readyz": true}

// packageRoutes take a package upload; every other route's body is JSON (Config.MaxJSONBytes).
var packageRoutes = map[string]bool{
	"POST /v1/apps":                  true,
	"POST /v1/apps/validate_package": true,
	"POST /v1/apps/{id}/versions":    true,
}

// reviewActions are the POST /v1/app_versions/{id}/{action} review steps.
var reviewActions = []string{"submit", "cancel", "pass", "reject", "release", "suspend", "recover"}

// routes registers every path of the contract the front serves. openapi_test.go checks this table
// against openapi.json both ways.
func (s *Server) routes() error {
	type def struct {
		method, pattern string
		public          bool
		h               handlerFunc
	}
	defs := []def{
		// Operations.
		{"GET", "/healthz", true, (*Server).healthz},
		{"GET", "/readyz", true, (*Server).readyz},
		{"GET", "/metrics", false, (*Server).metrics},
		{"GET", "/v1/openapi.json", true, (*Server).openAPI},

		// The dashboard (http/web): embedded static files, the same for everyone.
		{"GET", "/", true, (*Server).webPage},
		{"GET", "/ui", true, (*Server).webPage},
		{"GET", "/ui/{path...}", true, (*Server).webPage},

		// Repos.
		{"POST", "/v1/repos", false, (*Server).createRepo},
		{"GET", "/v1/repos", false, (*Server).listRepos},
		{"POST", "/v1/repos/validate", false, (*Server).validateRepo},
		{"GET", "/v1/repos/{id}", false, (*Server).getRepo},
		{"PATCH", "/v1/repos/{id}", false, (*Server).updateRepo},
		{"DELETE", "/v1/repos/{id}", false, (*Server).deleteRepo},
		{"POST", "/v1/repos/{id}/index", false, (*Server).indexRepo},
		{"GET", "/v1/repos/{id}/events", false, (*Server).listRepoEvents},

		// Apps and versions.
		{"POST", "/v1/apps", false, (*Server).createApp},
		{"GET", "/v1/apps", false, (*Server).listApps},
		{"POST", "/v1/apps/validate_package", false, (*Server).validatePackage},
		{"GET", "/v1/apps/{id}", false, (*Server).getApp},
		{"PATCH", "/v1/apps/{id}", false, (*Server).updateApp},
		{"DELETE", "/v1/apps/{id}", false, (*Server).deleteApp},
		{"POST", "/v1/apps/{id}/versions", false, (*Server).createVersion},
		{"GET", "/v1/apps/{id}/versions", false, (*Server).listVersions},
		{"GET", "/v1/app_versions/{id}", false, (*Server).getVersion},
		{"GET", "/v1/app_versions/{id}/package", false, (*Server).versionPackage},
		{"GET", "/v1/app_versions/{id}/files", false, (*Server).versionFiles},
		{"GET", "/v1/app_versions/{id}/files/{path...}", false, (*Server).versionFile},
		{"GET", "/v1/app_versions/{id}/audits", false, (*Server).listAudits},
		{"GET", "/v1/app_versions/{id}/runtimes", false, (*Server).versionRuntimes},
		{"GET", "/v1/app_versions/{id}/form", false, (*Server).versionForm},
		{"GET", "/v1/app_versions/{id}/readme", false, (*Server).versionReadme},

		// Categories.
		{"POST", "/v1/categories", false, (*Server).createCategory},
		{"GET", "/v1/categories", false, (*Server).listCategories},
		{"GET", "/v1/categories/{id}", false, (*Server).getCategory},
		{"PATCH", "/v1/categories/{id}", false, (*Server).updateCategory},
		{"DELETE", "/v1/categories/{id}", false, (*Server).deleteCategory},

		// Runtimes.
		{"GET", "/v1/providers", false, (*Server).listProviders},
		{"GET", "/v1/frontgates", false, (*Server).listFrontgates},
		{"POST", "/v1/runtime_credentials", false, (*Server).createCredential},
		{"GET", "/v1/runtime_credentials", false, (*Server).listCredentials},
		{"GET", "/v1/runtime_credentials/{id}", false, (*Server).getCredential},
		{"DELETE", "/v1/runtime_credentials/{id}", false, (*Server).deleteCredential},
		{"POST", "/v1/runtime_credentials/{id}/validate", false, (*Server).validateCredential},
		{"POST", "/v1/runtimes", false, (*Server).createRuntime},
		{"GET", "/v1/runtimes", false, (*Server).listRuntimes},
		{"GET", "/v1/runtimes/{id}", false, (*Server).getRuntime},
		{"PATCH", "/v1/runtimes/{id}", false, (*Server).updateRuntime},
		{"DELETE", "/v1/runtimes/{id}", false, (*Server).deleteRuntime},

		// App clusters, jobs and their events.
		{"POST", "/v1/clusters", false, (*Server).createCluster},
		{"GET", "/v1/clusters", false, (*Server).listClusters},
		{"GET", "/v1/clusters/{id}", false, (*Server).getCluster},
		{"DELETE", "/v1/clusters/{id}", false, (*Server).deleteCluster},
		{"GET", "/v1/clusters/{id}/nodes", false, (*Server).clusterNodes},
		{"GET", "/v1/jobs", false, (*Server).listJobs},
		{"GET", "/v1/jobs/{id}", false, (*Server).getJob},
		{"GET", "/v1/jobs/{id}/tasks", false, (*Server).listTasks},
		{"POST", "/v1/jobs/{id}/retry", false, (*Server).retryJob},
		{"GET", "/v1/events", false, (*Server).events},

		// Users and admin.
		{"GET", "/v1/whoami", false, (*Server).whoami},
		{"GET", "/v1/roles", false, (*Server).listRoles},
		{"POST", "/v1/users", false, (*Server).createUser},
		{"GET", "/v1/users", false, (*Server).listUsers},
		{"POST", "/v1/users/{id}/tokens", false, (*Server).createToken},
		{"GET", "/v1/users/{id}/tokens", false, (*Server).listTokens},
		{"GET", "/v1/tokens", false, (*Server).listOwnTokens},
		{"DELETE", "/v1/tokens/{id}", false, (*Server).revokeToken},
		{"POST", "/v1/groups", false, (*Server).createGroup},
		{"GET", "/v1/groups", false, (*Server).listGroups},
		{"GET", "/v1/groups/{id}", false, (*Server).getGroup},
		{"DELETE", "/v1/groups/{id}", false, (*Server).deleteGroup},
		{"POST", "/v1/groups/{id}/members", false, (*Server).addGroupMember},
		{"DELETE", "/v1/groups/{id}/members/{user_id}", false, (*Server).removeGroupMember},
		{"GET", "/v1/audit", false, (*Server).listAudit},
		{"GET", "/v1/admin/nodes", false, (*Server).adminNodes},
		{"POST", "/v1/admin/nodes/{name}/drain", false, (*Server).adminDrainNode},
		{"GET", "/v1/admin/actors", false, (*Server).adminActors},
		{"GET", "/v1/admin/actors/{kind}/{id}", false, (*Server).adminActorState},
	}
	for _, a := range reviewActions {
		defs = append(defs, def{"POST", "/v1/app_versions/{id}/" + a, false, reviewHandler(a)})
	}
	for _, a := range clusterActions {
		defs = append(defs, def{"POST", "/v1/clusters/{id}/" + a.name, false, clusterActionHandler(a.name, a.bodyRequired)})
	}
	for _, d := range defs {
		rule, ok := authz.Lookup(d.method, d.pattern)
		if !ok {
			return fmt.Errorf("rest: route %s %s has no entry in the permission table (actors/authz)", d.method, d.pattern)
		}
		if rule.Public != d.public {
			return fmt.Errorf("rest: route %s %s: public is %t here, %t in the permission table", d.method, d.pattern, d.public, rule.Public)
		}
		rt, err := s.rt.add(d.method, d.pattern, d.public, d.h)
		if err != nil {
			return err
		}
		rt.rule = rule
		rt.ops = opsRoutes[d.method+" "+d.pattern]
		if packageRoutes[d.method+" "+d.pattern] {
			rt.body = bodyPackage
		}
	}
	return nil
}

// noQuery rejects any query parameter on routes that take none.
func noQuery(r *request) error {
	_, err := parseParams(r.fc.QueryArgs())
	return err
}

// listQuery parses the list query of r with the route's filters.
func listQuery(r *request, filters []string) (catalog.ListQuery, error) {
	return parseListQuery(r.fc.QueryArgs(), filters)
}

// decode strictly decodes r's JSON body into dst.
func (s *Server) decode(r *request, dst any) error {
	if err := noQuery(r); err != nil {
		return err
	}
	return decodeJSON(r.fc.PostBody(), s.cfg.MaxJSONBytes, dst)
}

// decodeOptional is decode for bodies that may be absent.
func (s *Server) decodeOptional(r *request, dst any) error {
	if err := noQuery(r); err != nil {
		return err
	}
	return decodeOptionalJSON(r.fc.PostBody(), s.cfg.MaxJSONBytes, dst)
}
