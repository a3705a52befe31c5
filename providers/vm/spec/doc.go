// Package spec owns the VM application package format (see PACKAGE.md): it
// parses and validates a package's files, computes the deploy form's defaults,
// merges and validates a user's conf against config.json, and renders
// cluster.json.tmpl into a checked Cluster.
//
// A package without package.json (AppCenter's layout) is named from outside: Origin resolves
// the name and version from the repo index entry, the upload and the file name, in that order
// (IdentFromFileName reads "zookeeper-3.4.13.tar.gz"). Its confd resources may sit in confd/
// or in AppCenter's image layouts (ConfdRoot, ConfdFiles).
//
// The main types are Package (Load, LoadWith), ConfigTree and Item
// (config.json), Cluster (the rendered cluster.json) and the two error types
// that name every problem at once: ValidationError (file -> message, for
// uploads) and ConfError (dotted key -> message, for a user's conf).
//
// Templates (cluster.json.tmpl, or AppCenter's cluster.json.mustache) are
// mustache, rendered by github.com/cbroglie/mustache over the merged values
// (sections, inverted sections, dotted names, the triple mustache; no
// partials). Each value first renders as a marker holding its JSON, and a
// JSON-aware pass then writes it for where it sits: "{{x}}" bare or as a
// whole string is x's JSON value, inside a string with other text x's
// escaped text, "{{{x}}}" x's text as is. Keys with dashes and dots resolve
// ("{{env.hash-max-ziplist-entries}}", "{{env.4lw.commands.whitelist}}").
// config.json patterns are ECMAScript regular expressions (dlclark/regexp2)
// with a match timeout. locale/*.json files are read into Locales and
// applied by Translate. docs/compat.md lists what of AppCenter's format is
// supported.
//
// The package does not read archives (providers/pkgfile does), run commands,
// render confd templates (the Drone does) or talk to any cloud. All inputs
// are treated as hostile: nothing here panics on bad bytes, and outputs are
// bounded.
package spec
