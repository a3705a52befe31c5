package vm

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/pitrix/pitrix/edge/edgepb"
	"github.com/pitrix/pitrix/providers"
	"github.com/pitrix/pitrix/providers/vm/frame"
	"github.com/pitrix/pitrix/providers/vm/spec"
)

// Execute implements providers.Operator: one frame task. Every task is idempotent: instances
// by instance id (the driver), metadata by replacement, renders by content (the Drone), and
// commands by command id (the Drone runs one id once).
func (o *Operator) Execute(ctx context.Context, t providers.Task) (providers.TaskResult, error) {
	switch t.Spec.Action {
	case frame.TaskVPC:
		vpc, err := o.vpc(ctx, t)
		if err != nil {
			return providers.TaskResult{}, err
		}
		return providers.TaskResult{Output: fmt.Sprintf("vpc %s (%s), frontgate %s connected", vpc.ID, vpc.CIDR, vpc.FrontgateID)}, nil
	case frame.TaskCreateInstance, frame.TaskStartInstance:
		return o.startInstance(ctx, t)
	case frame.TaskStopInstance:
		return o.stopInstance(ctx, t)
	case frame.TaskResizeInstance:
		return o.resizeInstance(ctx, t)
	case frame.TaskDeleteInstance:
		return o.deleteInstance(ctx, t)
	case frame.TaskMetadata:
		return o.putMetadata(ctx, t)
	case frame.TaskDropMetadata:
		return o.dropMetadata(ctx, t)
	case frame.TaskRender:
		return o.render(ctx, t)
	case frame.TaskCommand:
		return o.command(ctx, t)
	}
	return providers.TaskResult{}, providers.Permanent(fmt.Errorf("vm: unknown task action %q", t.Spec.Action))
}

func params[T any](t providers.Task) (T, error) {
	var p T
	if err := json.Unmarshal(t.Spec.Params, &p); err != nil {
		return p, providers.Permanent(fmt.Errorf("params of task %s (%s): %w", t.ID, t.Spec.Action, err))
	}
	return p, nil
}

// vpc makes sure the owner's VPC exists and its Frontgate is connected.
func (o *Operator) vpc(ctx context.Context, t providers.Task) (VPC, error) {
	vpc, err := o.cfg.Driver.EnsureVPC(ctx, t.Runtime, t.Cluster.Owner)
	if err != nil {
		return vpc, fmt.Errorf("vpc of %s on runtime %s: %w", t.Cluster.Owner, t.Runtime.ID, err)
	}
	if o.cfg.OnVPC != nil {
		o.recordVPC(ctx, t, vpc)
	}
	if _, err := o.drones(ctx, vpc); err != nil {
		return vpc, err
	}
	return vpc, nil
}

// recordVPC tells OnVPC about a VPC once per Frontgate, runtime and owner (again after an
// error); parallel tasks wait for the first one's call.
func (o *Operator) recordVPC(ctx context.Context, t providers.Task, vpc VPC) {
	key := vpc.FrontgateID + " " + t.Runtime.ID + " " + t.Cluster.Owner
	o.recordMu.Lock()
	defer o.recordMu.Unlock()
	if o.recorded[key] {
		return
	}
	if err := o.cfg.OnVPC(ctx, t.Runtime, t.Cluster.Owner, vpc); err != nil {
		o.cfg.Logger.Warn("record vpc", "vpc", vpc.ID, "frontgate", vpc.FrontgateID, "err", err)
		return
	}
	o.recorded[key] = true
}

// drones lists the Drones connected to the VPC's Frontgate.
func (o *Operator) drones(ctx context.Context, vpc VPC) ([]string, error) {
	res, err := o.cfg.Edge.Request(ctx, vpc.FrontgateID, &edgepb.DroneStatus{})
	if err != nil {
		return nil, fmt.Errorf("frontgate %s of vpc %s: %w", vpc.FrontgateID, vpc.ID, err)
	}
	list, ok := res.(*edgepb.DroneList)
	if !ok {
		return nil, fmt.Errorf("frontgate %s answered %T to DroneStatus", vpc.FrontgateID, res)
	}
	return list.InstanceIds, nil
}

// waitDrone waits until the instance's Drone is connected to its Frontgate.
func (o *Operator) waitDrone(ctx context.Context, vpc VPC, instanceID string) error {
	tick := time.NewTicker(o.cfg.PollInterval)
	defer tick.Stop()
	for {
		ids, err := o.drones(ctx, vpc)
		if err == nil && slices.Contains(ids, instanceID) {
			return nil
		}
		select {
		case <-ctx.Done():
			if err != nil {
				return fmt.Errorf("drone of %s is not connected to frontgate %s: %w (%w)", instanceID, vpc.FrontgateID, err, ctx.Err())
			}
			return fmt.Errorf("drone of %s is not connected to frontgate %s (%w)", instanceID, vpc.FrontgateID, ctx.Err())
		case <-tick.C:
		}
	}
}

// ensureDrone makes sure the instance's Drone is connected before work is sent to it: a Drone
// that does not come back within DroneGrace (its process died) has its instance started
// again by the driver (which leaves a running one alone). Commands stay exactly-once: the
// Drone keeps the ids it ran across restarts.
func (o *Operator) ensureDrone(ctx context.Context, t providers.Task, vpc VPC, instanceID string) error {
	wctx, cancel := context.WithTimeout(ctx, o.cfg.DroneGrace)
	err := o.waitDrone(wctx, vpc, instanceID)
	cancel()
	if err == nil || ctx.Err() != nil {
		return err
	}
	o.cfg.Logger.Warn("drone not connected; starting its instance again", "instance", instanceID, "frontgate", vpc.FrontgateID)
	if _, err := o.cfg.Driver.StartInstance(ctx, t.Runtime, vpc, instanceID); err != nil {
		err = fmt.Errorf("restart the drone of %s: %w", instanceID, err)
		if errors.Is(err, ErrNoInstance) {
			err = providers.Permanent(err)
		}
		return err
	}
	return o.waitDrone(ctx, vpc, instanceID)
}

func (o *Operator) instanceSpec(t providers.Task, p frame.NodeParams) InstanceSpec {
	in := InstanceSpec{ID: p.InstanceID, ClusterID: t.Cluster.ID, NodeID: p.ID, Role: p.Role, CPU: p.CPU, Memory: p.Memory,
		VolumeSize: p.VolumeSize, MountPoint: p.MountPoint}
	var c spec.Cluster
	if json.Unmarshal(t.Cluster.Spec, &c) == nil {
		in.Health = healthOf(&c, p.Role)
	}
	return in
}

// healthOf is the role's health check, else the cluster's.
func healthOf(c *spec.Cluster, role string) Health {
	h := c.HealthCheck
	for _, r := range c.Nodes {
		if roleName(r) == role && r.HealthCheck != nil {
			h = r.HealthCheck
		}
	}
	if h == nil || !h.Enable || strings.TrimSpace(h.CheckCmd) == "" {
		return Health{}
	}
	return Health{Cmd: h.CheckCmd, Interval: time.Duration(h.IntervalSec) * time.Second, Timeout: time.Duration(h.TimeoutSec) * time.Second,
		HealthyThreshold: h.HealthyThreshold, UnhealthyThreshold: h.UnhealthyThreshold}
}

func roleName(r spec.Role) string {
	if r.Role == "" {
		return "node"
	}
	return r.Role
}

func (o *Operator) startInstance(ctx context.Context, t providers.Task) (providers.TaskResult, error) {
	p, err := params[frame.NodeParams](t)
	if err != nil {
		return providers.TaskResult{}, err
	}
	vpc, err := o.vpc(ctx, t)
	if err != nil {
		return providers.TaskResult{}, err
	}
	var inst Instance
	verb := "created"
	if t.Spec.Action == frame.TaskCreateInstance {
		inst, err = o.cfg.Driver.CreateInstance(ctx, t.Runtime, vpc, o.instanceSpec(t, p))
	} else {
		verb = "started"
		inst, err = o.cfg.Driver.StartInstance(ctx, t.Runtime, vpc, p.InstanceID)
	}
	if err != nil {
		return providers.TaskResult{}, err
	}
	if err := o.waitDrone(ctx, vpc, p.InstanceID); err != nil {
		return providers.TaskResult{}, err
	}
	return providers.TaskResult{
		Output:   fmt.Sprintf("%s %s at %s; its drone is connected", verb, inst.ID, inst.IP),
		Observed: &providers.Observed{Nodes: []providers.Node{{ID: p.ID, Role: p.Role, InstanceID: p.InstanceID, PrivateIP: inst.IP, Status: InstanceRunning}}},
	}, nil
}

func (o *Operator) stopInstance(ctx context.Context, t providers.Task) (providers.TaskResult, error) {
	p, err := params[frame.NodeParams](t)
	if err != nil {
		return providers.TaskResult{}, err
	}
	vpc, err := o.cfg.Driver.EnsureVPC(ctx, t.Runtime, t.Cluster.Owner)
	if err != nil {
		return providers.TaskResult{}, err
	}
	if err := o.cfg.Driver.StopInstance(ctx, t.Runtime, vpc, p.InstanceID); err != nil {
		return providers.TaskResult{}, err
	}
	return providers.TaskResult{
		Output:   "stopped " + p.InstanceID,
		Observed: &providers.Observed{Nodes: []providers.Node{{ID: p.ID, Role: p.Role, InstanceID: p.InstanceID, Status: InstanceStopped}}},
	}, nil
}

func (o *Operator) resizeInstance(ctx context.Context, t providers.Task) (providers.TaskResult, error) {
	p, err := params[frame.NodeParams](t)
	if err != nil {
		return providers.TaskResult{}, err
	}
	vpc, err := o.cfg.Driver.EnsureVPC(ctx, t.Runtime, t.Cluster.Owner)
	if err != nil {
		return providers.TaskResult{}, err
	}
	if _, err := o.cfg.Driver.ResizeInstance(ctx, t.Runtime, vpc, o.instanceSpec(t, p)); err != nil {
		return providers.TaskResult{}, err
	}
	return providers.TaskResult{Output: fmt.Sprintf("resized %s to %d cpu, %d MiB, %d GiB", p.InstanceID, p.CPU, p.Memory, p.VolumeSize)}, nil
}

func (o *Operator) deleteInstance(ctx context.Context, t providers.Task) (providers.TaskResult, error) {
	p, err := params[frame.NodeParams](t)
	if err != nil {
		return providers.TaskResult{}, err
	}
	vpc, err := o.cfg.Driver.EnsureVPC(ctx, t.Runtime, t.Cluster.Owner)
	if err != nil {
		return providers.TaskResult{}, err
	}
	if err := o.cfg.Driver.DeleteInstance(ctx, t.Runtime, vpc, p.InstanceID); err != nil {
		return providers.TaskResult{}, err
	}
	return providers.TaskResult{Output: "deleted " + p.InstanceID, Observed: &providers.Observed{DropNodes: []string{p.ID}}}, nil
}

func (o *Operator) render(ctx context.Context, t providers.Task) (providers.TaskResult, error) {
	p, err := params[frame.NodeParams](t)
	if err != nil {
		return providers.TaskResult{}, err
	}
	vpc, err := o.vpc(ctx, t)
	if err != nil {
		return providers.TaskResult{}, err
	}
	if err := o.ensureDrone(ctx, t, vpc, p.InstanceID); err != nil {
		return providers.TaskResult{}, err
	}
	res, err := o.cfg.Edge.Request(ctx, vpc.FrontgateID, &edgepb.RenderConfig{InstanceId: p.InstanceID})
	if err != nil {
		return providers.TaskResult{}, fmt.Errorf("render on %s via frontgate %s: %w", p.InstanceID, vpc.FrontgateID, err)
	}
	rr, ok := res.(*edgepb.RenderResult)
	if !ok {
		return providers.TaskResult{}, fmt.Errorf("frontgate %s answered %T to RenderConfig", vpc.FrontgateID, res)
	}
	var lines, bad []string
	for _, f := range rr.Files {
		line := f.Name + " " + f.Status
		if f.Reloaded {
			line += " (reloaded)"
		}
		switch {
		case f.Status == "reload_failed":
			// As confd: the file is in place, the reload failed; the node's render status
			// says so and the next render retries it. Only reload_fails_job fails the job.
			line += ": " + f.Error
			o.cfg.Logger.Warn("reload_cmd failed", "cluster_id", t.Cluster.ID, "instance_id", p.InstanceID, "resource", f.Name, "err", f.Error)
		case f.Error != "":
			bad = append(bad, f.Name+": "+f.Error)
		}
		lines = append(lines, line)
	}
	if len(bad) > 0 {
		return providers.TaskResult{}, fmt.Errorf("render on %s: %s", p.InstanceID, strings.Join(bad, "; "))
	}
	if len(lines) == 0 {
		lines = append(lines, "nothing to render")
	}
	return providers.TaskResult{Output: strings.Join(lines, "\n")}, nil
}

// command runs a service command on its node's Drone. The command id is the task id (and the
// job's retry count): a task re-run after a crash or a lost reply gets the first run's result,
// so a command runs once; a failed command is not retried (the same id would answer the same
// failure) and fails the task for good.
func (o *Operator) command(ctx context.Context, t providers.Task) (providers.TaskResult, error) {
	p, err := params[frame.CommandParams](t)
	if err != nil {
		return providers.TaskResult{}, err
	}
	res, err := o.runCommand(ctx, t, p)
	if err == nil || p.Teardown == "" {
		return res, err
	}
	if p.Force {
		// A forced delete or cease passes over what fails: the instances go regardless.
		msg := fmt.Sprintf("skipped (force): %v", err)
		if res.Output != "" {
			res.Output += "\n"
		}
		res.Output += msg
		res.Skipped = err.Error()
		return res, nil
	}
	return res, fmt.Errorf("%w; %s (DELETE /v1/clusters/%s?force=true, pitrix cluster %s %s --force) skips failing commands and removes the instances anyway",
		err, p.Teardown, t.Cluster.ID, p.Teardown, t.Cluster.ID)
}

// runCommand runs one service command (see command).
func (o *Operator) runCommand(ctx context.Context, t providers.Task, p frame.CommandParams) (providers.TaskResult, error) {
	vpc, err := o.vpc(ctx, t)
	if err != nil {
		return providers.TaskResult{}, err
	}
	if p.Service == "stop" || p.Service == "destroy" {
		// Taking down what does not exist is done (a delete also names instances a failed
		// create may or may not have made).
		if _, err := o.cfg.Driver.Instance(ctx, t.Runtime, vpc, p.InstanceID); errors.Is(err, ErrNoInstance) {
			return providers.TaskResult{Output: fmt.Sprintf("%s does not exist: nothing to %s", p.InstanceID, p.Service)}, nil
		}
	}
	if err := o.ensureDrone(ctx, t, vpc, p.InstanceID); err != nil {
		return providers.TaskResult{}, err
	}
	id := t.ID
	if t.Run > 0 {
		id = fmt.Sprintf("%s.r%d", t.ID, t.Run)
	}
	// The command's own timeout: the task's, bounded by what is left of the attempt (the
	// engine's default timeout reaches here as the deadline only); 0 = the Drone's default.
	timeout := t.Spec.Timeout
	if d, ok := ctx.Deadline(); ok && (timeout <= 0 || time.Until(d) < timeout) {
		timeout = time.Until(d)
	}
	var secs uint32
	if timeout > 0 {
		secs = uint32(max(timeout/time.Second-1, 1))
	}
	res, err := o.cfg.Edge.Request(ctx, vpc.FrontgateID, &edgepb.RunCommand{CommandId: id, InstanceId: p.InstanceID, Cmd: p.Cmd, TimeoutSec: secs})
	if err != nil {
		return providers.TaskResult{}, fmt.Errorf("%s on node %s (%s) via frontgate %s: %w", p.Service, p.ID, p.InstanceID, vpc.FrontgateID, err)
	}
	cr, ok := res.(*edgepb.CommandResult)
	if !ok {
		return providers.TaskResult{}, fmt.Errorf("frontgate %s answered %T to RunCommand", vpc.FrontgateID, res)
	}
	out := commandOutput(cr)
	if cr.ExitCode != 0 {
		return providers.TaskResult{Output: out}, providers.Permanent(fmt.Errorf("%s command %q on node %s (%s) exited %d: %s",
			p.Service, tail(p.Cmd, 200), p.ID, p.InstanceID, cr.ExitCode, tail(string(cr.Stderr)+string(cr.Stdout), 400)))
	}
	return providers.TaskResult{Output: out}, nil
}

func commandOutput(cr *edgepb.CommandResult) string {
	var b strings.Builder
	fmt.Fprintf(&b, "exit %d in %d ms", cr.ExitCode, cr.DurationMs)
	if cr.Deduplicated {
		b.WriteString(" (result of the earlier run)")
	}
	if s := strings.TrimSpace(string(cr.Stdout)); s != "" {
		b.WriteString("\nstdout: " + tail(s, 2000))
	}
	if s := strings.TrimSpace(string(cr.Stderr)); s != "" {
		b.WriteString("\nstderr: " + tail(s, 2000))
	}
	return b.String()
}

func tail(s string, n int) string {
	s = strings.TrimSpace(s)
	if len(s) <= n {
		return s
	}
	return "…" + s[len(s)-n:]
}
