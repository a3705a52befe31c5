package sandbox

import (
	"errors"
	"fmt"

	"golang.org/x/sys/unix"
)

// dropped are the capabilities a sandboxed program never has: each would let a root process
// undo the sandbox or reach the host (mount and unmount, raw disks and sockets, kernel
// modules, open_by_handle_at, ptrace, the host's network and clock, the audit and security
// modules, bpf).
var dropped = []uintptr{
	unix.CAP_SYS_ADMIN, unix.CAP_SYS_MODULE, unix.CAP_SYS_RAWIO, unix.CAP_SYS_PTRACE, unix.CAP_SYS_BOOT,
	unix.CAP_SYS_TIME, unix.CAP_MKNOD, unix.CAP_DAC_READ_SEARCH, unix.CAP_NET_ADMIN, unix.CAP_NET_RAW,
	unix.CAP_SYS_PACCT, unix.CAP_LINUX_IMMUTABLE, unix.CAP_AUDIT_CONTROL, unix.CAP_AUDIT_READ,
	unix.CAP_MAC_ADMIN, unix.CAP_MAC_OVERRIDE, unix.CAP_SYSLOG, unix.CAP_WAKE_ALARM, unix.CAP_BLOCK_SUSPEND,
	unix.CAP_PERFMON, unix.CAP_BPF, unix.CAP_CHECKPOINT_RESTORE,
}

// dropCaps removes dropped from the calling thread's bounding and inheritable sets and clears
// its ambient set, so nothing it starts can hold them. The caller has locked its OS thread.
func dropCaps() error {
	for _, c := range dropped {
		// EINVAL: a capability this kernel does not know.
		if err := unix.Prctl(unix.PR_CAPBSET_DROP, c, 0, 0, 0); err != nil && !errors.Is(err, unix.EINVAL) {
			return fmt.Errorf("drop capability %d: %w", c, err)
		}
	}
	if err := unix.Prctl(unix.PR_CAP_AMBIENT, unix.PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0); err != nil && !errors.Is(err, unix.EINVAL) {
		return fmt.Errorf("clear ambient capabilities: %w", err)
	}
	hdr := unix.CapUserHeader{Version: unix.LINUX_CAPABILITY_VERSION_3}
	var data [2]unix.CapUserData
	if err := unix.Capget(&hdr, &data[0]); err != nil {
		return fmt.Errorf("read capabilities: %w", err)
	}
	for _, c := range dropped {
		data[c/32].Inheritable &^= 1 << (c % 32)
	}
	if err := unix.Capset(&hdr, &data[0]); err != nil {
		return fmt.Errorf("set capabilities: %w", err)
	}
	return nil
}
