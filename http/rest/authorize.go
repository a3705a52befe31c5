package rest

import (
	"github.com/pitrix/pitrix/actors/authz"
	"github.com/pitrix/pitrix/actors/fault"
	"github.com/pitrix/pitrix/actors/identity"
)

// authorize applies the permission table to an authenticated request: the caller's role must be
// one the route's rule names and, for ScopeSelf, the path's {id} must be the caller. Ownership of
// single records (ScopeOwner, ScopeVisible) is the control plane's to check.
func authorize(rule authz.Rule, p identity.Principal, id string) error {
	if rule.Public {
		return nil
	}
	if !rule.Allows(p.Role) {
		return fault.Forbidden("role %s may not %s (%s %s); GET /v1/roles lists what each role may do", roleName(p.Role), rule.Action, rule.Method, rule.Path)
	}
	if rule.Scope == authz.ScopeSelf && !p.IsAdmin() && id != p.UserID {
		return fault.Forbidden("%s acts only on the caller's own user (%s), not %s", rule.Action, p.UserID, safeKey(id))
	}
	return nil
}

func roleName(r string) string {
	if r == "" {
		return "(none)"
	}
	return safeKey(r)
}

// listRoles answers GET /v1/roles: every role with the actions it may take.
func (s *Server) listRoles(r *request) error {
	if err := noQuery(r); err != nil {
		return err
	}
	items := authz.RoleInfos()
	writeJSON(r.fc, 200, map[string]any{"total_count": len(items), "items": items})
	return nil
}
