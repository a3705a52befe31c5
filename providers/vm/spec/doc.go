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
// Templates are rendered by a small tokenizer over "{{ ... }}" placeholders
// that resolves dotted paths against the merged values, longest key first, so
// AppCenter's keys with dashes and dots work ("{{env.hash-max-ziplist-entries}}").
// A placeholder renders as a JSON value of the item's type; inside a quoted
// string together with other text it inserts the escaped text. Mustache
// sections and partials are not supported.
//
// The package does not read archives (providers/pkgfile does), run commands,
// render confd templates (the Drone does) or talk to any cloud. All inputs
// are treated as hostile: nothing here panics on bad bytes, and outputs are
// bounded.
package spec
