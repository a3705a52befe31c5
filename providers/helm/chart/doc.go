// Package chart loads an uploaded or indexed Helm chart archive safely and
// describes it: Load reads the .tgz through pkgfile (size, path and bomb
// guards), expands subchart archives within the same budget, checks each
// file (Chart.yaml metadata, values.yaml, values.schema.json, template
// syntax) and collects every problem into one *ValidationError naming the
// files, then hands the safe files to Helm's loader.LoadFiles. ValidateValues
// checks user values against the chart's values.schema.json.
//
// Schema validation is this package's own: Helm's chartutil validator
// resolves "$ref" over http(s) and file:// URLs, which is unsafe for charts
// uploaded by strangers, and needs a module the build does not carry. The
// validator here supports the JSON Schema keywords charts use (type,
// properties, required, additionalProperties, patternProperties, items,
// enum, const, numeric and length limits, pattern, allOf, anyOf, oneOf, not,
// if/then/else and local "$ref"); it refuses remote references and ignores
// "format" and other annotation keywords.
//
// The package does not render templates, talk to a cluster or fetch
// dependencies: charts/ must already hold them.
package chart
