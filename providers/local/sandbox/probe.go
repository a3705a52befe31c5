package sandbox

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// probeTimeout bounds a probe.
const probeTimeout = 20 * time.Second

// Probe tries a tiny sandbox of binary (the pitrix executable) on base ("" = "/") with its
// layers in a temporary directory under dir (which must be on the filesystem instances will
// use): a shell (base's /bin/sh) that must run as a child of the sandbox's init, write /etc
// into the upper layer only, and not see a hidden file. It returns nil when all of that held,
// and otherwise why not (not root, no overlayfs, ...), with the sandbox's own words.
func Probe(ctx context.Context, binary, base, dir string) error {
	tmp, err := os.MkdirTemp(dir, "sandbox-probe-")
	if err != nil {
		return fmt.Errorf("sandbox probe: %w", err)
	}
	defer os.RemoveAll(tmp)
	if tmp, err = filepath.EvalSymlinks(tmp); err != nil {
		return fmt.Errorf("sandbox probe: %w", err)
	}
	s := Spec{Base: base, Upper: filepath.Join(tmp, "upper"), Work: filepath.Join(tmp, "work"), Merged: filepath.Join(tmp, "merged")}
	for _, d := range []string{s.Upper, s.Work, s.Merged} {
		if err := os.Mkdir(d, 0o755); err != nil {
			return fmt.Errorf("sandbox probe: %w", err)
		}
	}
	secret := filepath.Join(tmp, "secret")
	if err := os.WriteFile(secret, []byte("probe"), 0o600); err != nil {
		return fmt.Errorf("sandbox probe: %w", err)
	}
	const marker = "/etc/.pitrix-sandbox-probe"
	s.Hide = []string{tmp}
	s.Path = "/bin/sh"
	s.Argv = []string{"sh", "-c", `set -e
case "$(cat /proc/1/cmdline)" in *` + InitArg + `*) ;; *) echo "not under the sandbox's init"; exit 3;; esac
if [ -e '` + secret + `' ]; then echo "a hidden file is visible"; exit 4; fi
echo probe > ` + marker + `
echo sandbox-ok`}
	s.Env = []string{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"}
	cmd, err := Command(binary, []string{"probe"}, s)
	if err != nil {
		return fmt.Errorf("sandbox probe: %w", err)
	}
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	ctx, cancel := context.WithTimeout(ctx, probeTimeout)
	defer cancel()
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("sandbox probe: start %s in new mount and PID namespaces (needs root or CAP_SYS_ADMIN): %w", binary, err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err = <-done:
	case <-ctx.Done():
		_ = cmd.Process.Kill()
		<-done
		return fmt.Errorf("sandbox probe: %w (output: %s)", ctx.Err(), strings.TrimSpace(out.String()))
	}
	if err != nil || !strings.Contains(out.String(), "sandbox-ok") {
		return fmt.Errorf("sandbox probe: %v: %s", errOr(err, "no confirmation"), strings.TrimSpace(out.String()))
	}
	if _, err := os.Stat(filepath.Join(s.Upper, marker)); err != nil {
		return fmt.Errorf("sandbox probe: a write to %s did not land in the upper layer: %w", marker, err)
	}
	if _, err := os.Stat(filepath.Join(s.Base+"/", marker)); !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("sandbox probe: a write to %s reached the base (%v)", marker, err)
	}
	return nil
}

func errOr(err error, s string) string {
	if err != nil {
		return err.Error()
	}
	return s
}
