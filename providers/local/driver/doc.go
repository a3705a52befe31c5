// Package driver is the vm.Driver of the local runtime: every VPC and instance is a real
// process on this machine, on loopback only.
//
// A VPC is a loopback block 127.A.B.0/24, one per (runtime, owner), chosen at random (A in
// 100..250) and persisted, with its own `pitrix frontgate` process listening for Drones on
// 127.A.B.1:PORT and dialing the control plane's edge gateway (Config.Control). An instance is
// a directory <Dir>/instances/<id> holding the instance root (the commands' working directory
// and $PITRIX_ROOT; a mount point "/data" becomes root/data), the Drone's state directory
// outside the root, and a `pitrix drone` process whose address 127.A.B.N (lowest free N of
// 2..254) is persisted with the instance, so creating it twice yields the same address and one
// process.
//
// Processes are detached (their own session) so they outlive the control plane; a pid file
// next to each log records the pid and the kernel start time, and a process is adopted, never
// started twice, only when it is alive, started at that time, and its command line is this
// driver's binary serving that id from this Dir. Stopping an instance also ends every process
// whose working directory or $PITRIX_ROOT lies in the instance (apps that daemonize leave the
// Drone's process group). Certificates come from Config.Issuer and are renewed, with a restart,
// when a third of their lifetime is left or the CA changed. State files are JSON, written
// atomically; file locks under <Dir>/locks make the driver safe for concurrent use, also by
// several Drivers (or processes) on one Dir.
//
// The package does not enforce cpu, memory or volume sizes (ResizeInstance records them), does
// not isolate instances from each other, and does not talk to the Frontgates or Drones it
// starts: the edge does.
package driver
