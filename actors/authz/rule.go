package authz

import (
	"slices"

	"github.com/pitrix/pitrix/actors/identity"
)

// Scope says what a non-admin caller acts on once its role is allowed. An admin acts on all.
type Scope string

const (
	// ScopeNone: the role alone decides (creating, listing one's own, reading the store's
	// public data).
	ScopeNone Scope = "none"
	// ScopeOwner: the caller must own the record; another's record is refused (403) or hidden
	// (404), as actors/control decides.
	ScopeOwner Scope = "owner"
	// ScopeVisible: the caller reads only what it owns or what is published to it (public
	// repos' active, reviewed apps; those shared with a group it belongs to). Lists are
	// filtered, and a record it may not see is "not found".
	ScopeVisible Scope = "visible"
	// ScopeSelf: the {id} of the path must be the caller's own user id.
	ScopeSelf Scope = "self"
)

// Rule is one action: a REST route, who may call it and on what.
type Rule struct {
	Action string   `json:"action"` // "repo.create"
	Method string   `json:"method"`
	Path   string   `json:"path"`             // the route's pattern, as in http/rest/routes.go
	Public bool     `json:"public,omitempty"` // served without a token
	Roles  []string `json:"roles"`            // the roles that may call it (every role if Public)
	Scope  Scope    `json:"scope"`
	Note   string   `json:"note,omitempty"` // what else actors/control checks
}

// Allows reports whether role may call the rule's route at all.
func (r Rule) Allows(role string) bool {
	return r.Public || slices.Contains(r.Roles, role)
}

// Roles lists every role, most powerful first.
func Roles() []string {
	return []string{identity.RoleAdmin, identity.RoleISV, identity.RoleDeveloper, identity.RoleUser}
}

// Lookup returns the rule of a route (method and pattern exactly as registered).
func Lookup(method, pattern string) (Rule, bool) {
	r, ok := byRoute[method+" "+pattern]
	return r, ok
}

// Rules returns a copy of the table, in its order.
func Rules() []Rule {
	out := make([]Rule, len(table))
	for i, r := range table {
		out[i] = r
		out[i].Roles = slices.Clone(r.Roles)
	}
	return out
}

// RoleInfo is one role with what it may do, for GET /v1/roles.
type RoleInfo struct {
	Name        string       `json:"name"`
	Description string       `json:"description"`
	Permissions []Permission `json:"permissions"`
}

// Permission is one action a role may take.
type Permission struct {
	Action string `json:"action"`
	Method string `json:"method"`
	Path   string `json:"path"`
	Scope  Scope  `json:"scope"`
	Note   string `json:"note,omitempty"`
}

var descriptions = map[string]string{
	identity.RoleAdmin:     "Runs the store: everything, including users, categories, reviews, the audit log, the inspector and runtimes on the control plane's own host.",
	identity.RoleISV:       "Publishes apps: public and private repos, uploads and versions, submits its versions for review; reviews only its own versions in a private repo shared with nobody.",
	identity.RoleDeveloper: "Builds apps: private repos, uploads and versions, submits them for an admin's review; never reviews; deploys its own unreleased versions only to runtimes marked test.",
	identity.RoleUser:      "Uses the store: sees published apps, keeps credentials and runtimes (not local), deploys active reviewed versions and manages its clusters and tokens.",
}

// RoleInfos returns every role with the actions it may take (public routes left out).
func RoleInfos() []RoleInfo {
	out := make([]RoleInfo, 0, 4)
	for _, name := range Roles() {
		ri := RoleInfo{Name: name, Description: descriptions[name], Permissions: []Permission{}}
		for _, r := range table {
			if !r.Public && r.Allows(name) {
				sc := r.Scope
				if name == identity.RoleAdmin {
					sc = ScopeNone
				}
				ri.Permissions = append(ri.Permissions, Permission{Action: r.Action, Method: r.Method, Path: r.Path, Scope: sc, Note: r.Note})
			}
		}
		out = append(out, ri)
	}
	return out
}
