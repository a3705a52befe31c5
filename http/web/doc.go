// Package web holds the dashboard: its TypeScript/Preact sources (src/, one file per page), the
// vendored Preact ESM files (vendor/node_modules/preact, with its LICENSE), and the built,
// minified bundle (dist/) embedded into the binary with go:embed.
//
// The REST front serves the bundle at / and /ui/... (public routes: the files are the same for
// everyone; every datum the page shows comes from the public REST API with the user's bearer
// token). Lookup maps a request path to an embedded file: /ui/assets/NAME are the content-hashed
// bundle files, cached for a year; any other /ui path without a file extension, and /, is a
// client route answered with index.html, never cached. A gzip twin is served when accepted.
//
// `go generate ./http/web` (or `make web`) rebuilds dist from src with esbuild's Go API
// (webbuild, run by ./build); TestDistMatchesSources fails when the committed dist differs from
// a fresh build, so the two never drift. esbuild strips types without checking them; with
// Node.js at hand, `tsc -p http/web` (typescript 5, with preact's npm package for its types)
// checks them under tsconfig.json's strict settings; nothing in make needs it.
package web

//go:generate go run ./build -dir . -out dist
