// Package pkgfile reads and writes application package archives (.tgz) safely.
//
// Read is the one door through which uploaded or downloaded package bytes enter
// the control plane. It treats every archive as hostile: it refuses anything
// that is not gzip, tar entries that are links, devices or FIFOs, paths that are
// absolute or climb out with "..", duplicate paths, and archives that are too
// big, have too many files, or decompress far more than they weigh (a
// decompression bomb). What it returns is an in-memory Archive of regular files
// under clean, relative, slash-separated paths, with the single top folder
// (Helm's and the VM package's "<name>/") split off.
//
// Write produces a deterministic .tgz (sorted entries, fixed times and owners),
// so that the same files always give the same bytes and the same digest.
//
// The package does not interpret the files: the VM package format lives in
// providers/vm/spec and Helm charts in providers/helm/chart.
package pkgfile
