// Package authz is the permission table: for every REST route (an action), which roles may
// call it and whether a non-admin acts only on what it owns or may see. The REST front checks
// the role of every request against this table before its handler runs (a route with no entry
// cannot be registered), GET /v1/roles serves it, and a role × route test drives the real
// server from it. Ownership and visibility of single records are then decided by
// actors/control, whose checks must agree with the Scope given here.
//
// The roles (docs/roles.md says the same in prose):
//
//   - admin: everything, including users, categories, the audit log, the inspector and the
//     runtimes that run on the control plane's own host (provider local).
//   - isv: publishes apps: repos (public or private), uploads, versions; submits, cancels and
//     releases its own versions; passes, rejects, suspends and recovers only its own versions
//     in a private repo that is shared with nobody (its own store). Deploys like a user.
//   - developer: builds apps like an isv's developer: private repos, uploads, versions, submit
//     for review, cancel, release once an admin passed; never passes, rejects, suspends or
//     recovers. May deploy its own version that is not active only to a runtime marked test.
//   - user: uses the store: reads the catalog it may see, keeps credentials and runtimes
//     (not local), deploys active reviewed versions, and manages its clusters and tokens.
//
// Every signed-in role may create groups and read the ones it owns or belongs to; a group's
// owner (or an admin) manages its members. Only a repo's owner (or an admin) shares it with a
// group, and the group's members then see the repo's active, reviewed apps.
package authz
