// Command build bundles the dashboard: `go generate ./http/web` (or `make web`) runs it from
// http/web and rewrites http/web/dist from http/web/src (see package webbuild).
package main
