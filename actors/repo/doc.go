// Package repo is the repo virtual actor (kind "repo", identity the repo id): it owns its repo's
// indexing — manual runs, the schedule (index_interval), one run at a time — and the indexer
// that turns a repo's index.yaml into catalog apps and versions incrementally: an unchanged
// index (ETag or digest) is skipped, only new or changed versions are written, versions gone
// from the index are marked removed, and a failed read leaves the catalog as it was. Reading
// the index and packages is actors/repo/source; parsing it is actors/repo/index.
package repo
