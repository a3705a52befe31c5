package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// sweepWait bounds the wait for killed processes to be gone.
const sweepWait = 10 * time.Second

// Leftover is a process found running under the data directory after the server stopped.
type Leftover struct {
	PID  int    `json:"pid"`
	Kind string `json:"kind"` // frontgate, drone, server, or the program's name (redis-server)
	Cmd  string `json:"cmd"`
}

// Expected reports whether a leftover is one the local runtime leaves by design: a VPC's
// Frontgate outlives the clusters in it (it serves the owner's next one) and the control plane.
func (l Leftover) Expected() bool { return l.Kind == "frontgate" }

// sweep kills (SIGKILL) every process whose command line names dir, or whose working directory
// is in dir, except this one, and waits until they are gone. It returns what it killed.
func sweep(dir string) ([]Leftover, error) {
	dir = filepath.Clean(dir)
	var out []Leftover
	var errs []error
	for _, pid := range procsUnder(dir) {
		args := cmdline(pid)
		if err := syscall.Kill(pid, syscall.SIGKILL); err != nil && !errors.Is(err, syscall.ESRCH) {
			errs = append(errs, fmt.Errorf("kill %d (%s): %w", pid, strings.Join(args, " "), err))
			continue
		}
		out = append(out, Leftover{PID: pid, Kind: procKind(args), Cmd: strings.Join(args, " ")})
	}
	deadline := time.Now().Add(sweepWait)
	for _, l := range out {
		for alive(l.PID) {
			if time.Now().After(deadline) {
				errs = append(errs, fmt.Errorf("process %d (%s) still alive %v after SIGKILL", l.PID, l.Cmd, sweepWait))
				break
			}
			time.Sleep(10 * time.Millisecond) // polling a condition with a deadline
		}
	}
	return out, errors.Join(errs...)
}

// procsUnder lists the live processes (this one excepted) under dir (see underDir).
func procsUnder(dir string) []int {
	ents, _ := os.ReadDir("/proc")
	var out []int
	for _, ent := range ents {
		pid, err := strconv.Atoi(ent.Name())
		if err != nil || pid == os.Getpid() || !alive(pid) {
			continue
		}
		cwd, _ := os.Readlink(filepath.Join("/proc", ent.Name(), "cwd"))
		if underDir(dir, cmdline(pid), cwd) {
			out = append(out, pid)
		}
	}
	return out
}

// underDir reports whether a process with command line args and working directory cwd belongs
// to dir: an argument is dir or a path in it (also as the value of --flag=PATH), or cwd is.
func underDir(dir string, args []string, cwd string) bool {
	in := func(p string) bool { return p == dir || strings.HasPrefix(p, dir+"/") }
	if cwd != "" && in(cwd) {
		return true
	}
	for _, a := range args {
		if in(a) {
			return true
		}
		if _, v, ok := strings.Cut(a, "="); ok && in(v) {
			return true
		}
	}
	return false
}

// procKind names a process by its command line: the subcommand of a pitrix binary
// (frontgate, drone, server), else the program's base name.
func procKind(args []string) string {
	if len(args) == 0 {
		return "?"
	}
	prog := filepath.Base(strings.Fields(args[0] + " ?")[0])
	if prog == "pitrix" && len(args) > 1 {
		return args[1]
	}
	return prog
}

// cmdline is the command line of pid, split at NULs (nil when it is gone).
func cmdline(pid int) []string {
	b, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "cmdline"))
	if err != nil || len(b) == 0 {
		return nil
	}
	return strings.Split(strings.TrimRight(string(b), "\x00"), "\x00")
}

// alive reports whether pid exists and is not a zombie.
func alive(pid int) bool {
	b, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "stat"))
	if err != nil {
		return false
	}
	return procState(string(b)) != 'Z'
}

// procState is the state letter of a /proc/<pid>/stat line: the field after the command name,
// which is in parentheses and may itself hold spaces and parentheses. 0 when there is none.
func procState(stat string) byte {
	i := strings.LastIndexByte(stat, ')')
	if i < 0 || i+2 >= len(stat) {
		return 0
	}
	return stat[i+2]
}
