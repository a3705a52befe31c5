// Package chart loads an uploaded or indexed Helm chart archive safely and
// describes it: Load reads the .tgz through pkgfile (size, path and bomb
// guards), expands subchart archives within the same budget, checks each
// file (Chart.yaml metadata, values.yaml, values.schema.json, template
// syntax) and collects every problem into one *ValidationError naming the
// files, then hands the safe files to Helm's loader.LoadFiles. ValidateValues
// checks user values against the chart's values.schema.json.
//
// Schema validation uses github.com/santhosh-tekuri/jsonschema/v6, the
// library Helm itself uses, with what Helm's chartutil does not do for
// charts uploaded by strangers: ParseSchema compiles the schema with a loader
// that refuses every document but the schema itself (a "$ref" or "$schema"
// naming an http, https, file or relative URL fails with ErrRemoteRef naming
// it, and nothing is fetched), patterns use Go's linear-time regexp with a
// length cap, and Validate first bounds the validator's work for the given
// values (anyOf/oneOf branches that refer to each other multiply it) and
// caps the problems it reports. A schema without "$schema" is read as
// draft-07, the draft chart schemas are written for; "format" is then
// asserted, as draft-07 says. Problems come back by value path ("image.tag",
// "ports[1]", "(root)") with a short reason.
//
// The package does not render templates, talk to a cluster or fetch
// dependencies: charts/ must already hold them.
package chart
