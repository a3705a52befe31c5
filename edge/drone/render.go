package drone

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"maps"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/pitrix/pitrix/edge/drone/confd"
	"github.com/pitrix/pitrix/edge/drone/runner"
	"github.com/pitrix/pitrix/edge/edgepb"
	"github.com/pitrix/pitrix/edge/metadata"
	"github.com/pitrix/pitrix/edge/wire"
)

// Backoff of renders that failed.
const (
	renderRetryMin = time.Second
	renderRetryMax = time.Minute
)

var errNoView = errors.New("drone: no metadata view yet")

// markDirty asks the render loop for a render.
func (d *Drone) markDirty() {
	select {
	case d.dirty <- struct{}{}:
	default: // one is already pending
	}
}

// putBundle keeps a Bundle from the Frontgate, durably, and asks for a render if it changed.
func (d *Drone) putBundle(m *edgepb.Bundle) error {
	if d.cfg.ClusterID != "" && m.GetClusterId() != d.cfg.ClusterID {
		return &wire.RemoteError{Code: CodeInvalid, Message: fmt.Sprintf("drone %s of cluster %q got the bundle of cluster %q", d.cfg.InstanceID, d.cfg.ClusterID, m.GetClusterId())}
	}
	b, err := loadBundle(m.GetClusterId(), m.GetFiles())
	if err != nil {
		return &wire.RemoteError{Code: CodeInvalid, Message: fmt.Sprintf("drone %s: %v", d.cfg.InstanceID, err)}
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if old := d.bundle; old != nil && old.clusterID == b.clusterID && maps.EqualFunc(old.files, b.files, bytes.Equal) {
		return nil
	}
	data, err := encodeBundle(b)
	if err != nil {
		return fmt.Errorf("drone %s: save bundle: %w", d.cfg.InstanceID, err)
	}
	if err := writeAtomic(d.cfg.StateDir, bundleFileName, data); err != nil {
		return fmt.Errorf("drone %s: save bundle: %w", d.cfg.InstanceID, err)
	}
	d.bundle = b
	d.log.Info("bundle received", "cluster_id", b.clusterID, "resources", len(b.loaded.Resources))
	d.markDirty()
	return nil
}

// putView keeps a SelfView from the Frontgate, durably, and asks for a render if it changed.
func (d *Drone) putView(m *edgepb.SelfView) error {
	if err := d.checkInstance(m.GetInstanceId()); err != nil {
		return err
	}
	v, err := metadata.ParseView(m.GetJson())
	if err != nil {
		return &wire.RemoteError{Code: CodeInvalid, Message: fmt.Sprintf("drone %s: %v", d.cfg.InstanceID, err)}
	}
	if id, ok := v.Get("/host/instance_id"); ok && id != d.cfg.InstanceID {
		return &wire.RemoteError{Code: CodeInvalid, Message: fmt.Sprintf("drone %s got the view of instance %q", d.cfg.InstanceID, id)}
	}
	js := v.JSON()
	d.mu.Lock()
	defer d.mu.Unlock()
	if bytes.Equal(js, d.viewJSON) {
		return nil
	}
	if err := writeAtomic(d.cfg.StateDir, viewFileName, js); err != nil {
		return fmt.Errorf("drone %s: save view: %w", d.cfg.InstanceID, err)
	}
	d.view, d.viewJSON = v, js
	d.log.Info("metadata view received", "keys", len(v))
	d.markDirty()
	return nil
}

// renderLoop renders whenever asked, and again with backoff after a render that failed.
func (d *Drone) renderLoop(ctx context.Context) error {
	retry := time.NewTimer(time.Hour)
	retry.Stop()
	defer retry.Stop()
	attempt := 0
	for {
		select {
		case <-d.dirty:
		case <-retry.C:
		case <-ctx.Done():
			return nil
		}
		reps, err := d.render(ctx)
		if ctx.Err() != nil {
			return nil
		}
		failed := err != nil && !errors.Is(err, errNoView)
		for _, r := range reps {
			failed = failed || r.Err != nil
		}
		retry.Stop()
		if !failed {
			attempt = 0
			continue
		}
		wait := wire.Backoff(attempt, renderRetryMin, renderRetryMax, rand.Float64())
		attempt++
		if err != nil {
			d.log.Warn("render failed; will retry", "err", err, "retry_in", wait)
		} else {
			d.log.Warn("render had errors; will retry", "retry_in", wait)
		}
		retry.Reset(wait)
	}
}

// render renders the current bundle with the current view. With no bundle there is nothing to
// render; with no view it fails with errNoView. Resource failures are in the reports.
func (d *Drone) render(ctx context.Context) ([]confd.Report, error) {
	d.renderMu.Lock()
	defer d.renderMu.Unlock()
	d.mu.Lock()
	b, v := d.bundle, d.view
	d.mu.Unlock()
	if b == nil {
		return nil, nil
	}
	if v == nil {
		return nil, errNoView
	}
	dir := d.cfg.StateDir
	if err := writeAtomic(dir, markerFileName, []byte(time.Now().UTC().Format(time.RFC3339Nano)+"\n")); err != nil {
		return nil, fmt.Errorf("drone %s: render marker: %w", d.cfg.InstanceID, err)
	}
	reps := d.renderer.Render(ctx, b.loaded, v)
	if ctx.Err() != nil {
		return reps, ctx.Err() // the marker stays: the next start reloads
	}
	if d.cutShort {
		d.log.Warn("the last render before the drone stopped was cut short; reloading what it may have changed")
		d.cutShort = !d.reloadAll(ctx, b.loaded, reps)
	}
	clean := true
	for _, r := range reps {
		if r.Err != nil {
			clean = false
		} else if r.Changed {
			d.log.Info("config rendered", "resource", r.Name, "dest", r.Dest, "reloaded", r.Reloaded)
		}
	}
	if clean {
		if err := removeDurably(dir, markerFileName); err != nil {
			return reps, fmt.Errorf("drone %s: render marker: %w", d.cfg.InstanceID, err)
		}
	}
	return reps, nil
}

// reloadAll runs the reload_cmd of every resource this render did not reload itself: after a
// render cut short, a file may be in place without its reload having run. It reports whether
// every reload it ran succeeded.
func (d *Drone) reloadAll(ctx context.Context, b confd.Bundle, reps []confd.Report) bool {
	ok := true
	for i, res := range b.Resources {
		if i >= len(reps) || res.ReloadCmd == "" || reps[i].Err != nil || reps[i].Reloaded {
			continue
		}
		r, err := d.runner.Run(ctx, runner.Command{Cmd: res.ReloadCmd, Timeout: confd.DefaultCommandTimeout})
		switch {
		case err != nil:
			reps[i].Err, ok = fmt.Errorf("%s: reload_cmd %q: %w", res.Name, res.ReloadCmd, err), false
		case r.ExitCode != 0:
			reps[i].Err, ok = &confd.CommandError{Which: "reload_cmd", Cmd: res.ReloadCmd, ExitCode: r.ExitCode, Stderr: strings.TrimSpace(string(r.Stderr))}, false
		default:
			reps[i].Reloaded = true
			continue
		}
		reps[i].ReloadFailed, reps[i].FailsJob = true, res.ReloadFailsJob
	}
	return ok
}

// renderNow answers RenderConfig: a render now, and each resource's outcome.
func (d *Drone) renderNow(ctx context.Context, m *edgepb.RenderConfig) (*edgepb.RenderResult, error) {
	if err := d.checkInstance(m.GetInstanceId()); err != nil {
		return nil, err
	}
	var reps []confd.Report
	var err error
	if derr := d.detached(ctx, func(ctx context.Context) { reps, err = d.render(ctx) }); derr != nil {
		return nil, fmt.Errorf("drone %s: render: %w", d.cfg.InstanceID, derr)
	}
	if errors.Is(err, errNoView) {
		return nil, &wire.RemoteError{Code: CodeNotReady, Message: fmt.Sprintf("drone %s has a bundle but no metadata view yet", d.cfg.InstanceID)}
	}
	if err != nil {
		return nil, err
	}
	out := &edgepb.RenderResult{InstanceId: d.cfg.InstanceID}
	for _, r := range reps {
		f := &edgepb.RenderedFile{Name: r.Name, Dest: r.Dest, Status: r.Status().String(), Reloaded: r.Reloaded}
		if r.Err != nil {
			f.Error = r.Err.Error()
		}
		out.Files = append(out.Files, f)
	}
	return out, nil
}
