package sandbox

import (
	"fmt"
	"os"
	"strconv"
)

// Members returns the pids (as this process sees them) of the processes in the PID namespace
// of process pid, that process included; none when pid is gone. For a sandbox's init it is
// every process of the sandbox.
func Members(pid int) ([]int, error) {
	ns, err := os.Readlink("/proc/" + strconv.Itoa(pid) + "/ns/pid")
	if err != nil {
		return nil, nil // gone (or a kernel thread)
	}
	self, err := os.Readlink("/proc/self/ns/pid")
	if err == nil && self == ns {
		return nil, fmt.Errorf("sandbox: pid %d is in this process's PID namespace, not a sandbox's", pid)
	}
	ents, err := os.ReadDir("/proc")
	if err != nil {
		return nil, fmt.Errorf("sandbox: list processes: %w", err)
	}
	var out []int
	for _, e := range ents {
		p, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if l, err := os.Readlink("/proc/" + e.Name() + "/ns/pid"); err == nil && l == ns {
			out = append(out, p)
		}
	}
	return out, nil
}
