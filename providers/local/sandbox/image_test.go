package sandbox

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// image makes a tiny root filesystem: the host's sh and cat with the libraries ldd names.
func image(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	files := map[string]string{"/bin/sh": "/bin/sh", "/bin/cat": "/bin/cat"}
	for _, bin := range []string{"/bin/sh", "/bin/cat"} {
		out, err := exec.Command("ldd", bin).Output()
		if err != nil {
			t.Skipf("ldd %s: %v", bin, err)
		}
		for _, f := range strings.Fields(string(out)) {
			if strings.HasPrefix(f, "/") {
				files[f] = f
			}
		}
	}
	for dst, src := range files {
		b, err := os.ReadFile(src)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.MkdirAll(filepath.Join(dir, filepath.Dir(dst)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, dst), b, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Mkdir(filepath.Join(dir, "etc"), 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// TestImageBase: with an image folder as the base, the sandbox holds the image and nothing
// of the host's root, and the image is not written.
func TestImageBase(t *testing.T) {
	needRoot(t)
	img := image(t)
	if err := Probe(t.Context(), os.Args[0], img, t.TempDir()); err != nil {
		t.Fatalf("probe on an image: %v", err)
	}
	b := newBox(t)
	b.spec.Base = img
	code, out := b.run(t, `echo /*; echo image > /etc/who; cat /etc/who`)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, out)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	for _, want := range []string{"/bin", "/dev", "/etc", "/proc", "/run", "/sys", "/tmp"} {
		if !strings.Contains(" "+lines[0]+" ", " "+want+" ") {
			t.Errorf("root %q lacks %s", lines[0], want)
		}
	}
	for _, host := range []string{"/home", "/root", "/var", "/work"} {
		if strings.Contains(" "+lines[0]+" ", " "+host+" ") {
			t.Errorf("root %q shows the host's %s", lines[0], host)
		}
	}
	if lines[len(lines)-1] != "image" {
		t.Errorf("cat /etc/who = %q", lines[len(lines)-1])
	}
	if _, err := os.Stat(filepath.Join(img, "etc", "who")); !os.IsNotExist(err) {
		t.Errorf("the image was written: %v", err)
	}
	if got, err := os.ReadFile(filepath.Join(b.spec.Upper, "etc", "who")); err != nil || string(got) != "image\n" {
		t.Errorf("upper etc/who = %q, %v", got, err)
	}
}
