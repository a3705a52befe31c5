// Package identity owns users, roles and API tokens — minimal but real: the admin bootstrap
// (first start creates an admin and writes its token to <data-dir>/admin.token, mode 0600),
// users with the roles admin, isv and user, and bearer tokens stored only as SHA-256 hashes.
// It answers "who is calling"; what a caller may do is decided by actors/control. Groups,
// custom roles and an audit log come with the IAM issue.
package identity
