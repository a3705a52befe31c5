// Package audit owns the audit log: one Entry per mutation made through the REST front (who,
// which token, what action on which route, which resource, when, from where, and the answer's
// status), kept in the store under audit/<id> with time-ordered ids (actors/idgen) and index
// terms for the filters of GET /v1/audit (user, action, resource, result class).
//
// Log.Append writes a whole batch with one store Apply: the REST front collects entries in a
// small buffered writer and flushes them in groups, so recording adds no store write to a
// request's own path (see http/rest/auditlog.go; an entry not yet flushed when the process
// crashes is lost). Log.List answers queries newest first.
//
// The package records what it is given: it never sees request bodies, query strings or
// headers, so secrets (tokens, credential contents, passwords) cannot reach it. Who may read the
// log is decided by actors/control (admins only). Retention (pruning old entries) is not done
// yet.
package audit
