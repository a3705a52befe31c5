// Package local is the embedded default runtime provider: VM apps run on this machine, each
// instance a directory and a Drone process on its own loopback address (the VM frame and driver
// arrive with the VM-apps issue). Today it validates runtimes: it needs no credential and has
// one zone, "local".
package local
