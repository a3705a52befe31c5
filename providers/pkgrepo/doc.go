// Package pkgrepo builds a package repo on disk, as an ISV (or the demo) would: it packs
// package source folders — VM packages (package.json, or AppCenter's layout without it in a
// folder named <name>-<version>) and Helm charts (Chart.yaml) — into
// deterministic <name>-<version>.tgz files and writes the index.yaml of Helm's shape beside
// them. It does not validate packages beyond reading their name and version (the server does,
// on upload, at index time and on use) and does not serve the folder.
package pkgrepo
