package driver

import (
	"context"
	"errors"
	"slices"
	"time"

	"github.com/pitrix/pitrix/providers/vm"
)

// Supervise keeps running what should run, as an init system does on a VM: every interval
// (and once at once) it starts again the Frontgate of each VPC that has instances meant to
// run, and the Drone of each such instance whose process is gone (it crashed, was killed, or
// this machine rebooted). It also keeps each such Frontgate's control file up to date with
// Config.Control (nodes that joined). It only ever sees this driver's Dir: one node's agents. A stopped or deleted instance is left alone: its wanted state is
// read again under its lock. It returns when ctx ends.
func (d *Driver) Supervise(ctx context.Context, interval time.Duration) error {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		d.superviseOnce(ctx)
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

func (d *Driver) superviseOnce(ctx context.Context) {
	ids, err := d.entries(instancesDir)
	if err != nil {
		return // nothing created yet
	}
	wanted := map[string][]instanceState{} // by VPC
	for _, id := range ids {
		s, err := d.loadInstance(id, "")
		if err == nil && s.Status == vm.InstanceRunning {
			wanted[s.VPC] = append(wanted[s.VPC], s)
		}
	}
	control := ""
	if len(wanted) > 0 {
		control = d.cfg.Control()
	}
	for vpcID, insts := range wanted {
		if ctx.Err() != nil {
			return
		}
		v, err := d.loadVPC(vpcID)
		if err != nil {
			continue
		}
		// Nodes that joined since: the running Frontgate reads them before its next dial.
		if control != "" && !d.controlIs(vpcID, control) {
			d.updateControl(ctx, vpcID, control)
		}
		if _, _, ok := d.find(d.frontgateAgent(v)); !ok {
			d.restartFrontgate(ctx, vpcID)
		}
		for _, s := range insts {
			if _, _, ok := d.find(d.droneAgent(s.ID)); ok {
				continue
			}
			d.restartDrone(ctx, s.ID)
		}
	}
}

// restartFrontgate starts a VPC's Frontgate again if, under the VPC's lock, the VPC still
// exists and has an instance meant to run. What was read before the lock is stale: the last
// instance may have been deleted and the Frontgate stopped (DeleteInstance), or the VPC
// deleted, meanwhile; starting it then would leave a Frontgate nobody stops.
func (d *Driver) restartFrontgate(ctx context.Context, vpcID string) {
	unlock, err := d.lock(ctx, "vpc."+vpcID)
	if err != nil {
		return
	}
	defer unlock()
	v, err := d.loadVPC(vpcID)
	if err != nil {
		return
	}
	if _, _, ok := d.find(d.frontgateAgent(v)); ok {
		return
	}
	ins, err := d.instancesIn(vpcID)
	if err != nil {
		return
	}
	if !slices.ContainsFunc(ins, func(s instanceState) bool { return s.Status == vm.InstanceRunning }) {
		return
	}
	d.log.Warn("frontgate not running; starting it again", "vpc", vpcID, "frontgate", v.FrontgateID)
	if err := d.ensureFrontgate(ctx, v); err != nil {
		d.log.Error("restart frontgate", "vpc", vpcID, "err", err)
	}
}

// updateControl writes the VPC's control file under the VPC's lock, if the VPC still exists.
func (d *Driver) updateControl(ctx context.Context, vpcID, control string) {
	unlock, err := d.lock(ctx, "vpc."+vpcID)
	if err != nil {
		return
	}
	defer unlock()
	v, err := d.loadVPC(vpcID)
	if err != nil {
		return
	}
	if err := d.writeControl(v, control); err != nil {
		d.log.Warn("update the frontgate's control addresses", "vpc", vpcID, "err", err)
		return
	}
	d.log.Info("frontgate control addresses updated", "vpc", vpcID, "frontgate", v.FrontgateID, "control", control)
}

// restartDrone starts an instance's Drone again if, under its lock, it is still meant to run.
func (d *Driver) restartDrone(ctx context.Context, id string) {
	unlock, err := d.lockInstance(ctx, id)
	if err != nil {
		return
	}
	defer unlock()
	s, err := d.loadInstance(id, "")
	if errors.Is(err, vm.ErrNoInstance) || err != nil || s.Status != vm.InstanceRunning {
		return
	}
	if _, _, ok := d.find(d.droneAgent(id)); ok {
		return
	}
	d.log.Warn("drone not running; starting it again", "instance_id", id)
	if err := d.ensureDrone(ctx, s); err != nil {
		d.log.Error("restart drone", "instance_id", id, "err", err)
	}
}
