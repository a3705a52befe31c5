// Package identity owns users, roles and API tokens — minimal but real: the admin bootstrap
// (first start creates an admin and writes its token to <data-dir>/admin.token, mode 0600),
// users with the roles admin, isv, developer and user, and bearer tokens stored only as SHA-256 hashes.
// It answers "who is calling": a Principal with the user, role, token id and the token's scope
// (read tokens may only read; the REST front enforces it). Tokens may expire, record their last
// use at most once a minute, are listed without secrets and are revoked by id; a revocation
// applies at once on the node that made it and within CacheTTL elsewhere (cache.go). Which role may
// call which route is the table of actors/authz; ownership of single records is checked by
// actors/control; groups are groups.go. The audit log is actors/audit.
package identity
