// Package driver is the vm.Driver of the local runtime: every VPC and instance is a real
// process on this machine, on loopback only, and every instance a sandbox.
//
// A VPC is a loopback block 127.A.B.0/24, one per (runtime, owner), chosen at random (A in
// 100..250) and persisted, with its own `pitrix frontgate` process listening for Drones on
// 127.A.B.1:PORT and dialing the control plane's edge gateway (Config.Control). An instance is
// a directory <Dir>/instances/<id> and a `pitrix drone` whose address 127.A.B.N (lowest free N
// of 2..254) is persisted with the instance, so creating it twice yields the same address and
// one process.
//
// The Drone runs in the instance's sandbox (package sandbox), like a small VM: its own mount
// and PID namespaces over an overlay of Config.Base (the host's /) whose upper layer is
// <instance>/root, so a package's /etc/x is <instance>/root/etc/x and never the host's; the
// volume <instance>/volume at the spec's mount point; Dir and Config.Hide (the server's data
// dir, tokens) empty inside; the Drone's state (<instance>/drone) and certificates under
// /run/pitrix/drone; $PITRIX_ROOT empty. The process this driver starts, finds and stops is
// the sandbox's init (`pitrix sandbox-init --sandbox-dir <instance> drone ...`); ending it ends
// every process of the instance. Probe tries a sandbox once; while it fails, no Drone is
// started (ErrNoSandbox) rather than one running on the host.
//
// Processes are detached (their own session) so they outlive the control plane; a pid file
// next to each log records the pid and the kernel start time, and a process is adopted, never
// started twice, only when it is alive, started at that time, and its command line is this
// driver's binary serving that id from this Dir. Certificates come from Config.Issuer and are
// renewed, with a restart, when a third of their lifetime is left or the CA changed. State
// files are JSON, written atomically; file locks under <Dir>/locks make the driver safe for
// concurrent use, also by several Drivers (or processes) on one Dir.
//
// The package does not enforce cpu, memory or volume sizes (ResizeInstance records them), does
// not isolate instances' networks (they share the host's loopback), and does not talk to the
// Frontgates or Drones it starts: the edge does.
package driver
