package driver

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/pitrix/pitrix/providers/local/sandbox"
)

// Inside an instance's sandbox the Drone finds its state and certificates under droneDirIn,
// on the sandbox's own /run (a tmpfs: nothing of it lands in the instance's root).
const droneDirIn = "/run/pitrix/drone"

// sandboxDirFlag names, in a sandbox init's command line, the agent directory it belongs to.
const sandboxDirFlag = "--sandbox-dir"

// vmEnv is the environment a sandboxed Drone and its commands start with when Config.Env is
// nil: what a VM's root has, nothing of the control plane's.
var vmEnv = []string{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "HOME=/root", "LANG=C.UTF-8"}

// Probe tries a tiny sandbox on this machine, once: later calls return the first answer (a
// probe cut short by ctx is tried again). It returns nil when instances can be sandboxed, and
// otherwise why not, wrapping ErrNoSandbox; CreateInstance and StartInstance then refuse to
// start Drones. The server calls it at start to say so.
func (d *Driver) Probe(ctx context.Context) error {
	d.probeMu.Lock()
	defer d.probeMu.Unlock()
	if !d.probed {
		err := sandbox.Probe(ctx, d.cfg.Binary, d.cfg.Base, d.dir)
		if err != nil && ctx.Err() != nil {
			return fmt.Errorf("%w: %w", ErrNoSandbox, err)
		}
		d.probed, d.probeErr = true, err
		if err != nil {
			d.log.Warn("instances cannot be sandboxed here; the local runtime refuses to run packages", "err", err)
		} else {
			d.log.Info("sandbox probe passed", "base", baseOr(d.cfg.Base))
		}
	}
	if d.probeErr != nil {
		return fmt.Errorf("%w: %w", ErrNoSandbox, d.probeErr)
	}
	return nil
}

func baseOr(b string) string {
	if b == "" {
		return "/"
	}
	return b
}

// Paths of an instance on the host.
func (d *Driver) workOf(id string) string   { return filepath.Join(d.instanceDir(id), "work") }
func (d *Driver) mergedOf(id string) string { return filepath.Join(d.instanceDir(id), "merged") }
func (d *Driver) volumeOf(id string) string { return filepath.Join(d.instanceDir(id), "volume") }
func (d *Driver) stateOf(id string) string  { return filepath.Join(d.instanceDir(id), "drone") }

// Volume is the host directory of instance id's volume, mounted inside at its mount point.
func (d *Driver) Volume(id string) string { return d.volumeOf(id) }

// sandboxEnv is a sandboxed Drone's environment: Config.Env less PITRIX_*, or vmEnv.
func (d *Driver) sandboxEnv() []string {
	if d.cfg.Env == nil {
		return vmEnv
	}
	var out []string
	for _, kv := range d.cfg.Env {
		if !strings.HasPrefix(kv, "PITRIX_") {
			out = append(out, kv)
		}
	}
	return out
}

// droneSandbox is the sandbox of instance s's Drone run with args: its root layered on
// Config.Base, Dir and Config.Hide hidden, its state and certificates under droneDirIn, and
// its volume at its mount point.
func (d *Driver) droneSandbox(s instanceState, files certFiles, args []string) sandbox.Spec {
	binds := []sandbox.Bind{
		{Src: d.stateOf(s.ID), Dst: droneDirIn + "/state"},
		{Src: files.cert, Dst: droneDirIn + "/drone.crt", ReadOnly: true},
		{Src: files.key, Dst: droneDirIn + "/drone.key", ReadOnly: true},
		{Src: files.ca, Dst: droneDirIn + "/ca.pem", ReadOnly: true},
	}
	if mp := mountPoint(s.MountPoint); mp != "" {
		binds = append(binds, sandbox.Bind{Src: d.volumeOf(s.ID), Dst: mp})
	}
	return sandbox.Spec{Base: d.cfg.Base, Upper: d.rootOf(s.ID), Work: d.workOf(s.ID), Merged: d.mergedOf(s.ID),
		Hide: d.hidePaths(), Binds: binds, Path: sandbox.SelfExe, Argv: append([]string{d.cfg.Binary, "drone"}, args...),
		Env: d.sandboxEnv()}
}

// mountPoint is where an instance's volume is mounted inside: the clean absolute form of the
// spec's mount point, or "" for none (also for "/", which is the root itself).
func mountPoint(mp string) string {
	if mp == "" {
		return ""
	}
	mp = filepath.Clean("/" + mp)
	if mp == "/" {
		return ""
	}
	return mp
}
