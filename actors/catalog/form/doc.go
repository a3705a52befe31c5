// Package form builds the deploy form of an app version: one description (Form, a list of
// Fields with dotted keys, types, labels, defaults and constraints) for VM packages, from
// config.json (VM), and for Helm charts, from values.schema.json (Helm). The REST API serves it
// at GET /v1/app_versions/{id}/form for the dashboard and the CLI.
//
// The form only describes: the server validates a conf with the same sources the form is built
// from (providers/vm/spec's Merge for VM apps, providers/helm/chart's ValidateValues for Helm),
// so a value the form's constraints refuse is refused at cluster create as well.
//
// Labels and descriptions pass through a translate function (lang, text) → text, the identity
// when nil, so the caller can plug a package's locale files in.
package form
