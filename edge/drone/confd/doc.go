// Package confd is the Drone's configuration renderer: it renders the confd
// resources an app package ships (confd/conf.d/*.toml and
// confd/templates/*, PACKAGE.md "confd resources") from the instance's
// metadata View, with confd's semantics and AppCenter's prefix "/self", so
// templates name "/host/ip", "/hosts/...", "/env/...".
//
// Load reads a package's resources into a Bundle (the toml files are parsed
// by providers/vm/spec; an optional confd/confd.toml may set another prefix).
// Renderer.Render renders each resource, in the order of the toml file
// names, with Go text/template and confd's functions (getv, gets, getvs, get,
// ls, lsdir, exists, json, jsonArray, split, join, base, dir, toUpper,
// toLower, replace, contains, trimSuffix, atoi, add, sub, mul, div, mod, seq,
// map, reverse, sortByLength, sortKVByLength, parseBool, base64Encode,
// base64Decode) and AppCenter's (filter, toJson, toYaml, min, max). A
// resource's keys limit what its template sees, as in confd; a resource
// without keys sees the whole view. confd's functions that read the clock,
// the process environment, other files or DNS (datetime, getenv,
// fileExists, lookupIP, lookupSRV) are left out: they would make renders
// differ for the same metadata.
//
// Rendering is idempotent: the same resources and view give byte-identical
// files, and a file whose content and mode are already right is not touched
// and its reload_cmd does not run. A changed file is staged beside its
// destination, checked with check_cmd ({{.src}} is the staged file), moved
// into place atomically and then reloaded with reload_cmd. A failed check
// leaves the destination untouched; a failed reload is retried at the next
// render by the same Renderer even if nothing changed. Commands run through
// a Runner (edge/drone/runner in the Drone).
//
// Every destination is placed under the instance root (absolute dests are
// joined under it); a dest that climbs out of the root, directly or through
// a symbolic link, is refused. Templates are treated as hostile: output
// size, loop iterations and sequence lengths are bounded, and rendering
// never panics.
//
// The package does not fetch metadata (the Drone's watch does), decide when
// to render, or run anything but a resource's check and reload commands.
package confd
