// Package repo is the repo virtual actor (kind "repo", identity the repo id): it owns its repo's
// indexing — manual runs, the schedule (index_interval), one run at a time — and the indexer
// that turns a repo's index.yaml into catalog apps and versions incrementally: an unchanged
// index (ETag or digest) is skipped, only new or changed versions are written, versions gone
// from the index are marked removed, and a failed read leaves the catalog as it was. The
// package of every new or changed VM version is fetched and checked with providers/pkgcheck
// (as upload and create check it) before it is listed; a refused one is named in the event
// with every problem, and one that could not be fetched is tried again by the next run. Reading
// the index and packages is actors/repo/source; parsing it is actors/repo/index.
package repo
