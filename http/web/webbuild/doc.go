// Package webbuild bundles the dashboard's TypeScript sources (../src) into the minified,
// content-hashed files of ../dist with esbuild's Go API, so no Node.js is needed: the vendored
// Preact ESM files under ../vendor/node_modules are resolved like node_modules.
//
// Build writes index.html (naming the hashed app-HASH.js and app-HASH.css), the assets and a
// .gz twin of each, gzip'd deterministically so the committed dist can be compared with a fresh
// build. Only `go generate ./http/web` (../build) and the drift test call it; the server binary
// never links esbuild.
package webbuild
