// Package catalog is the store's read model of the app store: repos, their index events, apps,
// versions, audits and categories — their record types (the REST contract's shapes), their keys
// and index terms, the review state machine, and the rule that matches a version to runtimes.
// Records are JSON in actors/store (via actors/entity); versions of records are the
// compare-and-set fence of every write. It does not fetch repos (actors/repo does) nor check
// who may do what (actors/control does).
package catalog
