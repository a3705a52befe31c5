// Package index reads a repository's index.yaml — Helm's chart-repository index shape, used
// by both Helm chart repos and VM package repos — as a stream, calling back once per chart
// version, without ever holding the whole document or its decoded tree.
//
// Helm's repo.LoadIndexFile reads the whole file, converts it from YAML to JSON and unmarshals
// everything at once, so its peak memory is many times the file size. Read instead scans
// lines, finds the top-level "entries" key and cuts the entries into small pieces: in the
// usual layout (a block sequence under each chart key, as Helm writes it) one piece is one
// chart version; in any other layout under a chart key the piece is that chart's whole block.
// Each piece is decoded alone with go.yaml.in/yaml/v3, turned into a Version, validated,
// handed to the callback and dropped. Top-level keys other than entries (apiVersion,
// generated, serverInfo, annotations) are decoded the same way, one key at a time; only
// apiVersion is kept. A document that is not block style at the top (JSON, a flow mapping,
// an indented root, or "entries" written inline) is decoded whole instead, bounded by
// Limits.MaxBytes — JSON indexes therefore cost memory like Helm's loader does.
//
// Policy: any bad entry — a YAML error, a version without name, version or urls, a name
// that is not its chart's, a duplicate chart key — fails the whole Read with a *LineError
// naming the line, chart and version. A failed index must leave the caller's previous
// catalog intact, so callers buffer compact results from the callback and commit only after
// Read returns nil. Helm, by contrast, logs and skips invalid versions.
//
// Deliberately not done here: fetching (see package source), semver checks (VM package
// versions need not be semver), de-duplicating versions of a chart (passed through in file
// order), YAML anchors or aliases that reach across pieces and merge keys (both rejected as
// errors), and unknown per-version fields (ignored, where Helm's strict decoder would reject).
package index
