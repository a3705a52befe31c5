// Package confd is the Drone's configuration renderer: it renders the confd
// resources an app package ships (confd/conf.d/*.toml and
// confd/templates/*, PACKAGE.md "confd resources") from the instance's
// metadata View, with confd's semantics and AppCenter's prefix "/self", so
// templates name "/host/ip", "/hosts/...", "/env/...".
//
// Load reads a package's resources into a Bundle (the toml files are parsed
// by providers/vm/spec; an optional confd/confd.toml may set another prefix).
// Renderer.Render renders each resource, in the order of the toml file
// names, with Go text/template and the functions of AppCenter's confd
// (yunify/confd, itself confd's): getv, gets, getvs, get, ls, lsdir, exists,
// json, jsonArray, split, join, base, dir, toUpper, toLower, replace,
// contains, trimSuffix, printf, atoi, seq, map, reverse, sort, sortByLength,
// sortKVByLength, parseBool, base64Encode, base64Decode, filter, toJson,
// toYaml, datetime, getenv, fileExists, lookupIP. Arithmetic and comparisons
// (add, sub, mul, div, mod, min, max, eq, ne, gt, ge, lt, le) take numeric
// strings as AppCenter's confd does (numeric.go), since metadata values are
// strings. getenv reads the Drone's command environment (Config.Env), not the
// Drone's own; fileExists looks under the instance root; lookupIP asks the
// system resolver only. A resource's keys limit what its template sees, as in
// confd; a resource without keys sees the whole view. docs/compat.md lists
// every confd function and whether it is supported.
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
