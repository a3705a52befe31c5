// Package source reads a repo's index and packages: over HTTP(S) from a repo URL, or from a
// local folder on the server. It owns fetching — URL and path checks, credentials, ETags,
// timeouts and size caps — and the wording of fetch errors (each names the URL or path and
// the cause: status code, DNS, connection refused, TLS, not a folder). It does not parse the
// index (package index does) nor store anything.
//
// Repo types: "http" and "https" fetch <url>/index.yaml with If-None-Match and package urls
// resolved against the repo URL; credentials go only to the repo's own host; URLs holding
// user:password are refused. Every request goes through a netguard.Guard (Config.Guard),
// which refuses loopback, link-local, private and other special addresses, redirects
// included, unless the admin allows their range (ErrRefused). "local" reads
// <dir>/index.yaml, with an ETag made of the file's size and modification time, and packages
// only from inside the folder; the folder must lie below one of Config.AllowDirs, and every
// file is opened through an os.Root of that allowed folder, so symlinks cannot escape it. A
// folder that is missing and one that is not allowed give the same error. "s3" is a
// documented API type that is not supported yet: every call returns ErrUnsupported.
package source
