package sandbox

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/pitrix/pitrix/internal/testutil"
)

// needRoot skips tests that make namespaces and mounts where this process may not.
func needRoot(t *testing.T) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("sandboxes need root (mount and PID namespaces, overlayfs)")
	}
}

// box is one sandbox's layers in a test's temporary directory.
type box struct {
	dir  string
	spec Spec
}

func newBox(t *testing.T, hide ...string) box {
	t.Helper()
	dir, err := filepath.EvalSymlinks(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	b := box{dir: dir, spec: Spec{Upper: filepath.Join(dir, "upper"), Work: filepath.Join(dir, "work"),
		Merged: filepath.Join(dir, "merged"), Hide: hide, Path: "/bin/sh",
		Env: []string{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"}}}
	for _, d := range []string{b.spec.Upper, b.spec.Work, b.spec.Merged} {
		if err := os.Mkdir(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	t.Cleanup(func() {
		if mps, _ := Mounts(dir); len(mps) > 0 {
			t.Errorf("mounts left on the host under %s: %v", dir, mps)
		}
	})
	return b
}

// syncBuffer is a bytes.Buffer safe to read while the command writes it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// start runs script with sh -c in the box, its output in the returned buffer.
func (b box) start(t *testing.T, script string) (*exec.Cmd, *syncBuffer) {
	t.Helper()
	s := b.spec
	s.Argv = []string{"sh", "-c", script}
	cmd, err := Command(os.Args[0], []string{"test", t.Name()}, s)
	if err != nil {
		t.Fatal(err)
	}
	out := &syncBuffer{}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	return cmd, out
}

// run runs script in the box to its end and returns its exit code and output.
func (b box) run(t *testing.T, script string) (int, string) {
	t.Helper()
	cmd, out := b.start(t, script)
	err := cmd.Wait()
	var ee *exec.ExitError
	if err != nil && !errors.As(err, &ee) {
		t.Fatal(err)
	}
	return cmd.ProcessState.ExitCode(), out.String()
}

// TestWritesStayInTheUpperLayer: absolute paths resolve inside the sandbox, every write lands
// in its upper directory and none on the host, the hidden directory shows empty, and the
// program runs under the sandbox's init with a fresh /proc and no host disk in /dev.
func TestWritesStayInTheUpperLayer(t *testing.T) {
	needRoot(t)
	// Outside /tmp (a fresh tmpfs inside), so only the hiding keeps it out of sight.
	secretDir, err := os.MkdirTemp("/var/tmp", "pitrix-sandbox-secret-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(secretDir) })
	if err := os.WriteFile(filepath.Join(secretDir, "admin.token"), []byte("tok-secret-123"), 0o600); err != nil {
		t.Fatal(err)
	}
	// Without hiding, the token would be readable: the check below means something.
	if code, out := newBox(t).run(t, "cat "+secretDir+"/admin.token"); code != 0 || out != "tok-secret-123" {
		t.Fatalf("unhidden token: %d %q", code, out)
	}
	b := newBox(t, secretDir)
	vol := filepath.Join(b.dir, "volume")
	if err := os.Mkdir(vol, 0o755); err != nil {
		t.Fatal(err)
	}
	b.spec.Binds = []Bind{{Src: vol, Dst: "/data"}}
	marker := "pitrix-sandbox-test-" + strconv.Itoa(os.Getpid())
	code, out := b.run(t, `set -e
mkdir -p /opt/`+marker+` /etc/`+marker+`
echo opt > /opt/`+marker+`/f; echo etc > /etc/`+marker+`/f; echo data > /data/f
echo "init=$(tr '\0' ' ' < /proc/1/cmdline)"
ls /dev | tr '\n' ' '; echo
grep CapBnd /proc/self/status
if cat `+secretDir+`/admin.token; then echo SECRET-READ; fi
if mount -t tmpfs none /mnt 2>/dev/null; then echo MOUNTED; fi
ls /proc | grep -c '^[0-9]' | sed 's/^/procs=/'`)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, out)
	}
	for _, want := range []string{"init=" + os.Args[0] + " " + InitArg + " test " + t.Name()} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	for _, bad := range []string{"tok-secret-123", "SECRET-READ", "MOUNTED", "vda", "sda", "nvme"} {
		if strings.Contains(out, bad) {
			t.Errorf("output holds %q:\n%s", bad, out)
		}
	}
	// CAP_SYS_ADMIN (21) is out of the bounding set.
	for _, line := range strings.Split(out, "\n") {
		if v, ok := strings.CutPrefix(line, "CapBnd:"); ok {
			n, err := strconv.ParseUint(strings.TrimSpace(v), 16, 64)
			if err != nil || n&(1<<21) != 0 || n == 0 {
				t.Errorf("CapBnd %q: want CAP_SYS_ADMIN dropped (%v)", v, err)
			}
		}
	}
	for path, want := range map[string]string{
		filepath.Join(b.spec.Upper, "opt", marker, "f"): "opt\n",
		filepath.Join(b.spec.Upper, "etc", marker, "f"): "etc\n",
		filepath.Join(vol, "f"):                         "data\n",
	} {
		if got, err := os.ReadFile(path); err != nil || string(got) != want {
			t.Errorf("%s = %q, %v; want %q", path, got, err, want)
		}
	}
	for _, host := range []string{"/opt/" + marker, "/etc/" + marker, "/data/f"} {
		if _, err := os.Stat(host); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("host path %s: %v; want it absent", host, err)
		}
	}
}

// TestSandboxesDoNotSeeEachOther: two sandboxes on the same base write the same path; each
// reads its own.
func TestSandboxesDoNotSeeEachOther(t *testing.T) {
	needRoot(t)
	a, b := newBox(t), newBox(t)
	if code, out := a.run(t, `echo a > /etc/pitrix-who`); code != 0 {
		t.Fatal(out)
	}
	if code, out := b.run(t, `test ! -e /etc/pitrix-who && echo b > /etc/pitrix-who`); code != 0 {
		t.Fatalf("b sees a's file: %s", out)
	}
	for bx, want := range map[*box]string{&a: "a\n", &b: "b\n"} {
		if code, out := bx.run(t, `cat /etc/pitrix-who`); code != 0 || out != want {
			t.Errorf("cat = %d %q, want %q", code, out, want)
		}
	}
}

// TestKillingInitEndsEverything: daemons that left the program's process group and session
// die with the sandbox's init, and no mount is left on the host.
func TestKillingInitEndsEverything(t *testing.T) {
	needRoot(t)
	b := newBox(t)
	cmd, out := b.start(t, `setsid sleep 300 </dev/null >/dev/null 2>&1 &
setsid sh -c 'sleep 301' </dev/null >/dev/null 2>&1 &
echo started; exec sleep 302`)
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	var members []int
	testutil.Eventually(t, 10*time.Second, "the daemons run", func() (bool, string) {
		ms, err := Members(cmd.Process.Pid)
		members = ms
		return err == nil && len(ms) >= 5, strings.TrimSpace(out.String()) // init, sh->sleep 302, 2 sleeps, sh
	})
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	<-done
	for _, pid := range members {
		if _, err := os.Stat("/proc/" + strconv.Itoa(pid)); err == nil {
			if st, _ := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat"); len(st) > 0 && !bytes.Contains(st, []byte(") Z ")) {
				t.Errorf("pid %d of the sandbox survived its init: %s", pid, st)
			}
		}
	}
}

// TestProgramExitEndsTheRest: when the program exits, Init ends the processes it left and
// exits with the program's code.
func TestProgramExitEndsTheRest(t *testing.T) {
	needRoot(t)
	b := newBox(t)
	cmd, _ := b.start(t, `setsid sleep 300 </dev/null >/dev/null 2>&1 & exit 7`)
	pid := cmd.Process.Pid
	var members []int
	testutil.Eventually(t, 10*time.Second, "the daemon runs", func() (bool, string) {
		members, _ = Members(pid)
		return len(members) >= 2, strconv.Itoa(len(members))
	})
	err := cmd.Wait()
	if code := cmd.ProcessState.ExitCode(); code != 7 {
		t.Fatalf("exit code %d (%v), want 7", code, err)
	}
	for _, p := range members {
		if _, err := os.Stat("/proc/" + strconv.Itoa(p)); err == nil && p != pid {
			t.Errorf("pid %d outlived the sandbox", p)
		}
	}
}

func TestProbe(t *testing.T) {
	needRoot(t)
	if err := Probe(t.Context(), os.Args[0], "", t.TempDir()); err != nil {
		t.Fatalf("probe as root: %v", err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	err := Probe(ctx, os.Args[0], filepath.Join(t.TempDir(), "no-such-base"), t.TempDir())
	if err == nil || !strings.Contains(err.Error(), "overlay") {
		t.Fatalf("probe on a missing base = %v, want an overlay error", err)
	}
}

func TestSetupFailsClearly(t *testing.T) {
	needRoot(t)
	b := newBox(t)
	b.spec.Binds = []Bind{{Src: filepath.Join(b.dir, "missing"), Dst: "/data"}}
	code, out := b.run(t, "true")
	if code != exitSetup || !strings.Contains(out, "pitrix sandbox: bind "+filepath.Join(b.dir, "missing")) {
		t.Fatalf("exit %d %q; want %d and the bind named", code, out, exitSetup)
	}
}

func TestSpecValidate(t *testing.T) {
	good := Spec{Upper: "/u", Work: "/w", Merged: "/m", Path: "/bin/sh", Argv: []string{"sh"}}
	if err := good.Validate(); err != nil {
		t.Fatal(err)
	}
	bad := Spec{Base: "rel", Upper: "/a,b", Merged: "/m/../x", Hide: []string{"/"}, Binds: []Bind{{Src: "/s", Dst: "/"}},
		Path: "sh", Env: []string{"NOEQ"}}
	err := bad.Validate()
	if !errors.Is(err, ErrBadSpec) {
		t.Fatalf("Validate = %v", err)
	}
	for _, want := range []string{`Base "rel"`, `Upper "/a,b"`, "Work is required", `Merged "/m/../x"`, "Hide cannot hide /",
		"Binds[0].Dst cannot be /", `Path "sh"`, "Argv is required", `Env entry "NOEQ"`} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q: %v", want, err)
		}
	}
	if _, err := Command("/bin/true", nil, bad); !errors.Is(err, ErrBadSpec) {
		t.Fatalf("Command with a bad spec = %v", err)
	}
}

func TestResolveInStaysInside(t *testing.T) {
	root := t.TempDir()
	if err := os.MkdirAll(filepath.Join(root, "real", "dir"), 0o755); err != nil {
		t.Fatal(err)
	}
	for link, target := range map[string]string{"abs": "/real", "rel": "real/dir", "up": "../../../real", "loop": "loop"} {
		if err := os.Symlink(target, filepath.Join(root, link)); err != nil {
			t.Fatal(err)
		}
	}
	for in, want := range map[string]string{"/abs/dir": "/real/dir", "/rel/x": "/real/dir/x", "/up/dir": "/real/dir",
		"/../../etc": "/etc", "/missing/a": "/missing/a"} {
		got, err := resolveIn(root, in)
		if err != nil || got != filepath.Join(root, want) {
			t.Errorf("resolveIn(%s) = %s, %v; want %s", in, got, err, filepath.Join(root, want))
		}
	}
	if _, err := resolveIn(root, "/loop/x"); !errors.Is(err, syscall.ELOOP) {
		t.Errorf("resolveIn(/loop/x) = %v, want ELOOP", err)
	}
}

func TestMountsUnescapes(t *testing.T) {
	if got := unescape(`/a\040b\011c`); got != "/a b\tc" {
		t.Fatalf("unescape = %q", got)
	}
	mps, err := Mounts("/proc")
	if err != nil || len(mps) == 0 || mps[len(mps)-1] != "/proc" {
		t.Fatalf("Mounts(/proc) = %v, %v", mps, err)
	}
}
