// Package pkgcheck is the one check every way into the catalog applies to a package: an
// upload (POST /v1/apps, POST /v1/apps/{id}/versions), validate_package, and the repo indexer
// (actors/repo) before it lists a version. So a version the catalog lists can be deployed,
// and a package that would fail at create is refused where it comes in, with every problem.
//
// Check opens the archive (providers/pkgfile), then loads a Helm chart
// (providers/helm/chart) or a VM package (providers/vm/spec.LoadWith, whose name and version
// may come from the package's surroundings: spec.Origin), and returns what the catalog
// records of it. Errors are *spec.ValidationError, *chart.ValidationError, or an archive
// error (pkgfile's sentinels).
package pkgcheck
