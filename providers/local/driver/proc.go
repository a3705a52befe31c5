package driver

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"
)

// What /proc tells about processes. Every reader tolerates a process that vanishes mid-read.

// errBadStat reports /proc/<pid>/stat content that does not parse.
var errBadStat = errors.New("driver: bad /proc stat")

// procStat is the part of /proc/<pid>/stat the driver uses.
type procStat struct {
	State      byte   // R, S, D, Z, ...
	StartTicks uint64 // start time in clock ticks after boot: with the pid, names a process
}

// parseStat parses /proc/<pid>/stat: "pid (comm) state ppid ... starttime ...". comm may
// hold spaces and parentheses, so fields are counted after the last ')'.
func parseStat(b []byte) (procStat, error) {
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return procStat{}, fmt.Errorf("%w: no ')' in %q", errBadStat, truncate(b))
	}
	f := strings.Fields(string(b[i+1:]))
	// After comm: state is field 3 of the line, starttime field 22.
	if len(f) < 20 || len(f[0]) != 1 || !isLetter(f[0][0]) {
		return procStat{}, fmt.Errorf("%w: %q", errBadStat, truncate(b))
	}
	st, err := strconv.ParseUint(f[19], 10, 64)
	if err != nil {
		return procStat{}, fmt.Errorf("%w: starttime %q", errBadStat, f[19])
	}
	return procStat{State: f[0][0], StartTicks: st}, nil
}

func isLetter(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }

func truncate(b []byte) []byte {
	if len(b) > 64 {
		return b[:64]
	}
	return b
}

func readStat(pid int) (procStat, error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return procStat{}, err
	}
	return parseStat(b)
}

// parseCmdline splits /proc/<pid>/cmdline (NUL-terminated arguments).
func parseCmdline(b []byte) []string {
	b = bytes.TrimSuffix(b, []byte{0})
	if len(b) == 0 {
		return nil
	}
	return strings.Split(string(b), "\x00")
}

func readCmdline(pid int) ([]string, error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/cmdline")
	if err != nil {
		return nil, err
	}
	return parseCmdline(b), nil
}

// readCwd returns a process's working directory; a removed one loses its " (deleted)" mark.
func readCwd(pid int) (string, error) {
	s, err := os.Readlink("/proc/" + strconv.Itoa(pid) + "/cwd")
	if err != nil {
		return "", err
	}
	return strings.TrimSuffix(s, " (deleted)"), nil
}

// maxEnviron bounds how much of a process's environment is read.
const maxEnviron = 1 << 20

// readEnv returns the value of key in a process's initial environment.
func readEnv(pid int, key string) (string, bool) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/environ")
	if err != nil || len(b) > maxEnviron {
		return "", false
	}
	prefix := key + "="
	for kv := range strings.SplitSeq(string(b), "\x00") {
		if v, ok := strings.CutPrefix(kv, prefix); ok {
			return v, true
		}
	}
	return "", false
}

// listPids returns the pids of every process, this one excluded.
func listPids() ([]int, error) {
	ents, err := os.ReadDir("/proc")
	if err != nil {
		return nil, fmt.Errorf("list processes: %w", err)
	}
	self := os.Getpid()
	pids := make([]int, 0, len(ents))
	for _, e := range ents {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid <= 1 || pid == self {
			continue
		}
		pids = append(pids, pid)
	}
	return pids, nil
}

// alive reports whether process pid runs and, when startTicks is not zero, is the one that
// started then (a reused pid is another process). A zombie is not alive; when it is a child of
// this process it is reaped here, since nothing else waits for the agents this driver starts.
func alive(pid int, startTicks uint64) bool {
	if pid <= 0 {
		return false
	}
	st, err := readStat(pid)
	if err != nil || (startTicks != 0 && st.StartTicks != startTicks) {
		return false
	}
	switch st.State {
	case 'Z', 'X', 'x':
		var ws syscall.WaitStatus
		_, _ = syscall.Wait4(pid, &ws, syscall.WNOHANG, nil)
		return false
	}
	return true
}

// proc names one process: its pid and start time.
type proc struct {
	PID        int    `json:"pid"`
	StartTicks uint64 `json:"start_ticks"`
}

func (p proc) alive() bool { return alive(p.PID, p.StartTicks) }

// procOf returns pid as a proc with its start time, or false when it is gone.
func procOf(pid int) (proc, bool) {
	st, err := readStat(pid)
	if err != nil {
		return proc{}, false
	}
	p := proc{PID: pid, StartTicks: st.StartTicks}
	return p, p.alive()
}

// within reports whether path is dir or lies under it.
func within(path, dir string) bool {
	return path == dir || strings.HasPrefix(path, dir+string(os.PathSeparator))
}

// procsUnder returns the live processes whose working directory or $PITRIX_ROOT lies in dir.
func procsUnder(dir string) ([]proc, error) {
	pids, err := listPids()
	if err != nil {
		return nil, err
	}
	var out []proc
	for _, pid := range pids {
		cwd, err := readCwd(pid)
		in := err == nil && within(cwd, dir)
		if !in {
			root, ok := readEnv(pid, "PITRIX_ROOT")
			in = ok && root != "" && within(root, dir)
		}
		if !in {
			continue
		}
		if p, ok := procOf(pid); ok {
			out = append(out, p)
		}
	}
	return out, nil
}
