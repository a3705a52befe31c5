// Package sandbox confines a process of the local runtime the way a small VM would: its own
// mount and PID namespaces over a root that layers a writable per-instance directory (an
// overlayfs upper) on a read-only base (the host's root, or an image directory), with a fresh
// /proc, a minimal /dev, empty tmpfs /tmp and /run, the host paths that must stay secret (the
// server's data dir, tokens, keys) hidden under empty read-only mounts, and given host paths
// bound in (the instance's volume, the agent's state and certificates).
//
// The parent builds the process with Command: the pitrix binary re-executed as
// `pitrix sandbox-init LABEL...`, cloned into new mount and PID namespaces, with the Spec in
// its environment. In the child, main calls Init first: it becomes the namespace's init (PID
// 1), makes every mount private (nothing propagates to the host), mounts the overlay and the
// rest, pivots into the merged root, drops the capabilities that would undo the confinement
// (mounting, raw devices and sockets, kernel modules, open_by_handle_at, ptrace, network and
// clock administration), runs Spec.Argv and reaps every orphan. When the program exits, Init
// asks the remaining processes to end, waits a moment and exits, and the kernel kills whatever
// is left of the namespace: killing Init's process ends the whole instance. The mounts live
// only in the instance's mount namespace and go away with its last process.
//
// Probe tries a tiny sandbox, so a caller knows at start whether the kernel and its privileges
// allow it (root, or CAP_SYS_ADMIN, and overlayfs); the local runtime refuses to run packages
// when they do not, rather than running them on the host.
//
// The package does not isolate the network (instances keep loopback addressing), does not
// limit cpu, memory or disk, and does not run programs as another user: a command is root
// inside its instance, less the dropped capabilities.
package sandbox
