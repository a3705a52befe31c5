package sandbox

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// exitSetup is Init's exit code when the sandbox could not be set up.
const exitSetup = 125

// endGrace is how long the processes left when the program exits have after SIGTERM before
// Init exits and the kernel kills them.
const endGrace = 2 * time.Second

// Init is the sandbox's init process, run by main when os.Args[1] is InitArg: it sets up the
// sandbox of the Spec in its environment, runs the Spec's program, reaps orphans, forwards
// SIGTERM, SIGINT, SIGHUP and SIGQUIT to the program, and returns the program's exit code (128
// + signal when killed), or 125 with the reason on stderr when the sandbox could not be set up.
// The caller exits with it, and the kernel then kills every process left in the namespace.
func Init() int {
	s, err := specFromEnv()
	if err == nil && os.Getpid() != 1 {
		err = errors.New("not the init of a new PID namespace: start it with sandbox.Command")
	}
	if err == nil {
		err = setup(s)
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "pitrix sandbox: %v\n", err)
		return exitSetup
	}
	code, err := run(s)
	if err != nil {
		fmt.Fprintf(os.Stderr, "pitrix sandbox: %v\n", err)
		return exitSetup
	}
	return code
}

func specFromEnv() (Spec, error) {
	var s Spec
	raw, ok := os.LookupEnv(specEnv)
	if !ok {
		return s, fmt.Errorf("%s is not set: start it with sandbox.Command", specEnv)
	}
	_ = os.Unsetenv(specEnv)
	if err := json.Unmarshal([]byte(raw), &s); err != nil {
		return s, fmt.Errorf("decode %s: %w", specEnv, err)
	}
	if err := s.Validate(); err != nil {
		return s, err
	}
	return s.withDefaults(), nil
}

// setup builds the sandbox's root and pivots into it. It runs in the new mount namespace,
// before anything else does.
func setup(s Spec) error {
	// Nothing mounted here may reach the host, nor anything mounted there reach here later.
	if err := unix.Mount("", "/", "", unix.MS_REC|unix.MS_PRIVATE, ""); err != nil {
		return fmt.Errorf("make mounts private: %w", err)
	}
	opts := "lowerdir=" + s.Base + ",upperdir=" + s.Upper + ",workdir=" + s.Work
	if err := unix.Mount("overlay", s.Merged, "overlay", 0, opts); err != nil {
		return fmt.Errorf("mount overlay %s on %s: %w", opts, s.Merged, err)
	}
	m := s.Merged
	steps := []func() error{
		func() error { return mountProc(m) },
		func() error { return mountDev(m) },
		func() error {
			// A fresh sysfs, read-only; where the kernel refuses one, an empty directory.
			dst, err := dirIn(m, "/sys")
			if err != nil {
				return err
			}
			if err := unix.Mount("sysfs", dst, "sysfs", unix.MS_RDONLY|unix.MS_NOSUID|unix.MS_NODEV|unix.MS_NOEXEC, ""); err != nil {
				return mountTmpfs(dst, unix.MS_RDONLY, "mode=755,size=4k")
			}
			return nil
		},
		func() error { return mountTmpfsIn(m, "/tmp", unix.MS_NOSUID|unix.MS_NODEV, "mode=1777") },
		func() error { return mountTmpfsIn(m, "/run", unix.MS_NOSUID|unix.MS_NODEV, "mode=755") },
	}
	for _, step := range steps {
		if err := step(); err != nil {
			return err
		}
	}
	for _, h := range s.Hide {
		if err := hide(m, h); err != nil {
			return err
		}
	}
	for _, b := range s.Binds {
		if err := bind(m, b); err != nil {
			return err
		}
	}
	return pivot(m)
}

func mountProc(m string) error {
	dst, err := dirIn(m, "/proc")
	if err != nil {
		return err
	}
	if err := unix.Mount("proc", dst, "proc", unix.MS_NOSUID|unix.MS_NODEV|unix.MS_NOEXEC, ""); err != nil {
		return fmt.Errorf("mount proc on %s: %w", dst, err)
	}
	// What would let a root process change the host's kernel is read-only; what would show
	// the host kernel's memory or keys is empty.
	for _, p := range []string{"sys", "sysrq-trigger", "irq", "bus", "fs"} {
		t := filepath.Join(dst, p)
		if _, err := os.Lstat(t); err != nil {
			continue
		}
		if err := unix.Mount(t, t, "", unix.MS_BIND|unix.MS_REC, ""); err != nil {
			return fmt.Errorf("bind %s: %w", t, err)
		}
		if err := remountRO(t); err != nil {
			return err
		}
	}
	for _, p := range []string{"kcore", "keys", "timer_list", "kallsyms", "sched_debug"} {
		t := filepath.Join(dst, p)
		if fi, err := os.Lstat(t); err != nil || fi.IsDir() {
			continue
		}
		if err := unix.Mount("/dev/null", t, "", unix.MS_BIND, ""); err != nil {
			return fmt.Errorf("mask %s: %w", t, err)
		}
	}
	return nil
}

// devices are the host's device nodes a sandbox sees; nothing else of the host's /dev (its
// disks above all) is there.
var devices = []string{"null", "zero", "full", "random", "urandom", "tty"}

func mountDev(m string) error {
	dst, err := dirIn(m, "/dev")
	if err != nil {
		return err
	}
	if err := mountTmpfs(dst, unix.MS_NOSUID|unix.MS_NOEXEC, "mode=755,size=64k"); err != nil {
		return err
	}
	for _, d := range devices {
		t := filepath.Join(dst, d)
		if err := touch(t); err != nil {
			return err
		}
		if err := unix.Mount("/dev/"+d, t, "", unix.MS_BIND, ""); err != nil {
			return fmt.Errorf("bind /dev/%s: %w", d, err)
		}
	}
	pts := filepath.Join(dst, "pts")
	if err := os.Mkdir(pts, 0o755); err != nil {
		return err
	}
	if err := unix.Mount("devpts", pts, "devpts", unix.MS_NOSUID|unix.MS_NOEXEC, "newinstance,ptmxmode=0666,mode=0620"); err != nil {
		return fmt.Errorf("mount devpts on %s: %w", pts, err)
	}
	shm := filepath.Join(dst, "shm")
	if err := os.Mkdir(shm, 0o755); err != nil {
		return err
	}
	if err := mountTmpfs(shm, unix.MS_NOSUID|unix.MS_NODEV, "mode=1777"); err != nil {
		return err
	}
	for name, target := range map[string]string{"ptmx": "pts/ptmx", "fd": "/proc/self/fd",
		"stdin": "/proc/self/fd/0", "stdout": "/proc/self/fd/1", "stderr": "/proc/self/fd/2"} {
		if err := os.Symlink(target, filepath.Join(dst, name)); err != nil {
			return err
		}
	}
	return nil
}

func mountTmpfsIn(m, p string, flags uintptr, opts string) error {
	dst, err := dirIn(m, p)
	if err != nil {
		return err
	}
	return mountTmpfs(dst, flags, opts)
}

func mountTmpfs(dst string, flags uintptr, opts string) error {
	if err := unix.Mount("tmpfs", dst, "tmpfs", flags, opts); err != nil {
		return fmt.Errorf("mount tmpfs on %s: %w", dst, err)
	}
	return nil
}

func remountRO(t string) error {
	if err := unix.Mount("", t, "", unix.MS_BIND|unix.MS_REMOUNT|unix.MS_RDONLY|unix.MS_NOSUID|unix.MS_NODEV, ""); err != nil {
		return fmt.Errorf("make %s read-only: %w", t, err)
	}
	return nil
}

// dirIn resolves p inside root m and makes it a directory if it is missing.
func dirIn(m, p string) (string, error) {
	dst, err := resolveIn(m, p)
	if err != nil {
		return "", err
	}
	if err := os.MkdirAll(dst, 0o755); err != nil {
		return "", fmt.Errorf("mount point %s: %w", p, err)
	}
	return dst, nil
}

func touch(path string) error {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		return err
	}
	return f.Close()
}

// hide shows path h of the base empty and read-only.
func hide(m, h string) error {
	dst, err := resolveIn(m, h)
	if err != nil {
		return err
	}
	fi, err := os.Lstat(dst)
	if errors.Is(err, os.ErrNotExist) {
		return nil // not in the base (another filesystem, or under a tmpfs above)
	}
	if err != nil {
		return fmt.Errorf("hide %s: %w", h, err)
	}
	if fi.IsDir() {
		if err := mountTmpfs(dst, unix.MS_RDONLY|unix.MS_NOSUID|unix.MS_NODEV|unix.MS_NOEXEC, "mode=755,size=4k"); err != nil {
			return fmt.Errorf("hide %s: %w", h, err)
		}
		return nil
	}
	if err := unix.Mount("/dev/null", dst, "", unix.MS_BIND, ""); err != nil {
		return fmt.Errorf("hide %s: %w", h, err)
	}
	return remountRO(dst)
}

// bind makes b.Src visible at b.Dst inside root m.
func bind(m string, b Bind) error {
	fi, err := os.Stat(b.Src)
	if err != nil {
		return fmt.Errorf("bind %s: %w", b.Src, err)
	}
	dst, err := resolveIn(m, b.Dst)
	if err != nil {
		return err
	}
	if fi.IsDir() {
		err = os.MkdirAll(dst, 0o755)
	} else if err = os.MkdirAll(filepath.Dir(dst), 0o755); err == nil {
		err = touch(dst)
	}
	if err != nil {
		return fmt.Errorf("bind %s on %s: %w", b.Src, b.Dst, err)
	}
	if err := unix.Mount(b.Src, dst, "", unix.MS_BIND|unix.MS_REC, ""); err != nil {
		return fmt.Errorf("bind %s on %s: %w", b.Src, b.Dst, err)
	}
	if b.ReadOnly {
		return remountRO(dst)
	}
	return nil
}

// pivot makes m the root and detaches the old one, so no path leads back to the host's tree.
func pivot(m string) error {
	oldRoot, err := unix.Open("/", unix.O_DIRECTORY|unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("open /: %w", err)
	}
	defer unix.Close(oldRoot)
	if err := unix.Chdir(m); err != nil {
		return fmt.Errorf("chdir %s: %w", m, err)
	}
	if err := unix.PivotRoot(".", "."); err != nil {
		return fmt.Errorf("pivot_root to %s: %w", m, err)
	}
	if err := unix.Fchdir(oldRoot); err != nil {
		return fmt.Errorf("back to the old root: %w", err)
	}
	if err := unix.Unmount(".", unix.MNT_DETACH); err != nil {
		return fmt.Errorf("detach the old root: %w", err)
	}
	if err := unix.Chdir("/"); err != nil {
		return fmt.Errorf("chdir /: %w", err)
	}
	return nil
}

// resolveIn returns path p inside root as a path of the host under root, following symlinks
// as if root were /, so that nothing mounted for the sandbox lands outside it. Missing
// components are kept as they are.
func resolveIn(root, p string) (string, error) {
	cur := "/"
	rest := strings.Split(p, "/")
	for links := 0; len(rest) > 0; {
		c := rest[0]
		rest = rest[1:]
		switch c {
		case "", ".":
			continue
		case "..":
			cur = filepath.Dir(cur)
			continue
		}
		next := filepath.Join(cur, c)
		fi, err := os.Lstat(filepath.Join(root, next))
		if err != nil || fi.Mode()&os.ModeSymlink == 0 {
			cur = next
			continue
		}
		if links++; links > 40 {
			return "", fmt.Errorf("resolve %s in %s: %w", p, root, unix.ELOOP)
		}
		target, err := os.Readlink(filepath.Join(root, next))
		if err != nil {
			return "", fmt.Errorf("resolve %s in %s: %w", p, root, err)
		}
		if filepath.IsAbs(target) {
			cur = "/"
		}
		rest = append(strings.Split(target, "/"), rest...)
	}
	return filepath.Join(root, cur), nil
}

// run starts the program with the confining capabilities dropped and is its init until it
// exits.
func run(s Spec) (int, error) {
	// Capabilities are per thread: the program is forked from this one.
	runtime.LockOSThread()
	if err := dropCaps(); err != nil {
		return 0, err
	}
	sigs := make(chan os.Signal, 4)
	signal.Notify(sigs, syscall.SIGTERM, syscall.SIGINT, syscall.SIGHUP, syscall.SIGQUIT)
	p, err := os.StartProcess(s.Path, s.Argv, &os.ProcAttr{Dir: s.Dir, Env: s.Env, Files: []*os.File{os.Stdin, os.Stdout, os.Stderr}})
	if err != nil {
		return 0, fmt.Errorf("start %s: %w", s.Path, err)
	}
	// Owned by this process: it ends with it.
	go func() {
		for sig := range sigs {
			_ = p.Signal(sig)
		}
	}()
	code := 0
	for {
		var ws syscall.WaitStatus
		pid, err := syscall.Wait4(-1, &ws, 0, nil)
		if errors.Is(err, syscall.EINTR) {
			continue
		}
		if err != nil {
			break // no child left: cannot be, the program is one
		}
		if pid == p.Pid {
			code = exitCode(ws)
			break
		}
	}
	// The program is gone: ask the rest to end, and give them a moment.
	_ = syscall.Kill(-1, syscall.SIGTERM)
	deadline := time.Now().Add(endGrace)
	for time.Now().Before(deadline) {
		var ws syscall.WaitStatus
		pid, err := syscall.Wait4(-1, &ws, syscall.WNOHANG, nil)
		if errors.Is(err, syscall.ECHILD) {
			break
		}
		if pid <= 0 {
			time.Sleep(20 * time.Millisecond)
		}
	}
	return code, nil
}

func exitCode(ws syscall.WaitStatus) int {
	if ws.Signaled() {
		return 128 + int(ws.Signal())
	}
	return ws.ExitStatus()
}
