package driver

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/pitrix/pitrix/edge/pki"
	"github.com/pitrix/pitrix/providers"
	"github.com/pitrix/pitrix/providers/local/sandbox"
	"github.com/pitrix/pitrix/providers/vm"
)

// Host numbers of instances in their VPC's block (.1 is the Frontgate's).
const (
	firstHost = 2
	lastHost  = 254
)

// instanceState is an instance as persisted in <Dir>/instances/<id>/instance.json.
type instanceState struct {
	ID         string    `json:"id"`
	VPC        string    `json:"vpc"`
	RuntimeID  string    `json:"runtime_id"`
	ClusterID  string    `json:"cluster_id"`
	NodeID     string    `json:"node_id"`
	Role       string    `json:"role"`
	IP         string    `json:"ip"`
	Host       int       `json:"host"` // N of 127.A.B.N
	CPU        int       `json:"cpu"`
	Memory     int       `json:"memory_mib"`
	VolumeSize int       `json:"volume_gib"`
	MountPoint string    `json:"mount_point,omitempty"`
	Health     vm.Health `json:"health"`
	// Status is the wanted state, vm.InstanceRunning or vm.InstanceStopped; the reported one
	// also needs the Drone alive.
	Status    string    `json:"status"`
	CreatedAt time.Time `json:"created_at"`
}

func (d *Driver) instanceFile(id string) string {
	return filepath.Join(d.instanceDir(id), "instance.json")
}

// rootOf is the instance's root layer: the upper directory of its sandbox's overlay, where
// every write of the instance outside its volume lands (a file the instance sees as /etc/x
// is rootOf/etc/x).
func (d *Driver) rootOf(id string) string { return filepath.Join(d.instanceDir(id), "root") }

// Root is the host directory holding what instance id wrote to its root: its file /etc/x is
// Root(id)/etc/x (files of the base it did not change are not there).
func (d *Driver) Root(id string) string { return d.rootOf(id) }

func (d *Driver) droneAgent(id string) agent {
	return agent{kind: "drone", id: id, dir: d.instanceDir(id), idFlag: "--instance-id",
		ownFlag: "--state-dir", ownValue: droneDirIn + "/state", sandboxed: true}
}

// loadInstance reads instance id of VPC vpcID (any VPC when empty); a missing one wraps
// vm.ErrNoInstance, one of another VPC ErrWrongVPC.
func (d *Driver) loadInstance(id, vpcID string) (instanceState, error) {
	var s instanceState
	if err := readJSON(d.instanceFile(id), &s); err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return s, fmt.Errorf("%w: %s (%s)", vm.ErrNoInstance, id, d.instanceDir(id))
		}
		return s, err
	}
	if vpcID != "" && s.VPC != vpcID {
		return s, fmt.Errorf("%w: %s is in %s, not %s", ErrWrongVPC, id, s.VPC, vpcID)
	}
	return s, nil
}

// instancesIn returns the instances of VPC vpcID.
func (d *Driver) instancesIn(vpcID string) ([]instanceState, error) {
	ids, err := d.entries(instancesDir)
	if err != nil {
		return nil, err
	}
	var out []instanceState
	for _, id := range ids {
		s, err := d.loadInstance(id, "")
		if errors.Is(err, vm.ErrNoInstance) {
			continue // being created or removed
		}
		if err != nil {
			return nil, err
		}
		if s.VPC == vpcID {
			out = append(out, s)
		}
	}
	return out, nil
}

// lockInstance checks id and takes its lock.
func (d *Driver) lockInstance(ctx context.Context, id string) (func(), error) {
	if err := checkID("instance id", id); err != nil {
		return nil, err
	}
	return d.lock(ctx, "instance."+id)
}

// CreateInstance implements vm.Driver: it places instance in.ID in vpc on the lowest free
// address, creates its root (and mount point) and starts its Drone, waiting until the Drone is
// connected to its Frontgate. An instance that exists is returned as it is (same address, same
// process); if it should run and its Drone is gone, the Drone is started again.
func (d *Driver) CreateInstance(ctx context.Context, rt providers.RuntimeSpec, vpc vm.VPC, in vm.InstanceSpec) (vm.Instance, error) {
	unlock, err := d.lockInstance(ctx, in.ID)
	if err != nil {
		return vm.Instance{}, fmt.Errorf("create instance %s in %s: %w", in.ID, vpc.ID, err)
	}
	defer unlock()
	s, err := d.loadInstance(in.ID, vpc.ID)
	if errors.Is(err, vm.ErrNoInstance) {
		s, err = d.placeInstance(ctx, rt, vpc, in)
	}
	if err != nil {
		return vm.Instance{}, fmt.Errorf("create instance %s in %s: %w", in.ID, vpc.ID, err)
	}
	if s.Status == vm.InstanceRunning {
		if err := d.ensureDrone(ctx, s); err != nil {
			return vm.Instance{}, fmt.Errorf("create instance %s in %s: %w", in.ID, vpc.ID, err)
		}
	}
	return d.report(s), nil
}

// placeInstance allocates the lowest free address of the VPC and persists the instance,
// wanted running. The caller holds the instance's lock.
func (d *Driver) placeInstance(ctx context.Context, rt providers.RuntimeSpec, vpc vm.VPC, in vm.InstanceSpec) (instanceState, error) {
	unlock, err := d.lock(ctx, "alloc")
	if err != nil {
		return instanceState{}, err
	}
	defer unlock()
	v, err := d.loadVPC(vpc.ID)
	if err != nil {
		return instanceState{}, err
	}
	if rt.ID != "" && v.RuntimeID != rt.ID {
		return instanceState{}, fmt.Errorf("%s belongs to runtime %s, not %s", vpc.ID, v.RuntimeID, rt.ID)
	}
	others, err := d.instancesIn(vpc.ID)
	if err != nil {
		return instanceState{}, err
	}
	used := map[int]bool{}
	for _, o := range others {
		used[o.Host] = true
	}
	host := firstHost
	for host <= lastHost && used[host] {
		host++
	}
	if host > lastHost {
		return instanceState{}, fmt.Errorf("%s (%s) is full: %d instances", vpc.ID, v.cidr(), len(others))
	}
	s := instanceState{ID: in.ID, VPC: v.ID, RuntimeID: v.RuntimeID, ClusterID: in.ClusterID, NodeID: in.NodeID,
		Role: in.Role, IP: v.ip(host), Host: host, CPU: in.CPU, Memory: in.Memory, VolumeSize: in.VolumeSize,
		MountPoint: in.MountPoint, Health: in.Health, Status: vm.InstanceRunning, CreatedAt: time.Now().UTC()}
	if err := os.MkdirAll(d.instanceDir(s.ID), 0o700); err != nil {
		return instanceState{}, err
	}
	if err := writeJSON(d.instanceFile(s.ID), s); err != nil {
		return instanceState{}, err
	}
	d.log.Info("instance placed", "instance_id", s.ID, "vpc", s.VPC, "ip", s.IP)
	return s, nil
}

// ensureDrone adopts the instance's running Drone when it has a valid certificate and serves
// the VPC's Frontgate address, and (re)starts it otherwise.
func (d *Driver) ensureDrone(ctx context.Context, s instanceState) error {
	v, err := d.loadVPC(s.VPC)
	if err != nil {
		return err
	}
	a := d.droneAgent(s.ID)
	files := certFilesOf(a)
	if p, argv, ok := d.find(a); ok {
		why := d.certStale(files)
		if fg, _ := flagValue(argv[2:], "--frontgate"); fg != v.frontgateAddr() {
			why = fmt.Sprintf("frontgate %s, now %s", fg, v.frontgateAddr())
		}
		if why == "" {
			return d.adopt(a, p)
		}
		d.log.Info("restarting drone", "instance_id", s.ID, "pid", p.PID, "why", why)
		if err := d.stop(ctx, a); err != nil {
			return err
		}
	}
	if err := d.Probe(ctx); err != nil {
		return fmt.Errorf("start drone %s: %w", s.ID, err)
	}
	// A Drone an older driver started outside a sandbox would serve the instance twice.
	legacy := agent{kind: "drone", id: s.ID, dir: a.dir, idFlag: "--instance-id", ownFlag: "--state-dir", ownValue: d.stateOf(s.ID)}
	if _, _, ok := d.find(legacy); ok {
		d.log.Warn("stopping a drone that runs outside a sandbox", "instance_id", s.ID)
		if err := errors.Join(d.stop(ctx, legacy), d.sweep(ctx, a.dir)); err != nil {
			return fmt.Errorf("start drone %s on %s: %w", s.ID, s.IP, err)
		}
	}
	dirs := []string{d.rootOf(s.ID), d.workOf(s.ID), d.mergedOf(s.ID), d.stateOf(s.ID)}
	if mountPoint(s.MountPoint) != "" {
		dirs = append(dirs, d.volumeOf(s.ID))
	}
	for _, dir := range dirs {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return fmt.Errorf("start drone %s on %s: %w", s.ID, s.IP, err)
		}
	}
	if err := d.issue(files, pki.KindDrone, s.ID, s.IP); err != nil {
		return fmt.Errorf("start drone %s on %s: %w", s.ID, s.IP, err)
	}
	// Paths as the Drone sees them in its sandbox; its root is the sandbox's /.
	args := []string{"--instance-id", s.ID, "--cluster-id", s.ClusterID, "--role", s.Role, "--ip", s.IP,
		"--vpc", s.VPC, "--state-dir", droneDirIn + "/state", "--frontgate", v.frontgateAddr(),
		"--cert", droneDirIn + "/drone.crt", "--key", droneDirIn + "/drone.key", "--ca", droneDirIn + "/ca.pem"}
	if h := s.Health; h.Cmd != "" {
		args = append(args, "--health-cmd", h.Cmd)
		if h.Interval > 0 {
			args = append(args, "--health-interval", h.Interval.String())
		}
		if h.Timeout > 0 {
			args = append(args, "--health-timeout", h.Timeout.String())
		}
		if h.HealthyThreshold > 0 {
			args = append(args, "--healthy-threshold", strconv.Itoa(h.HealthyThreshold))
		}
		if h.UnhealthyThreshold > 0 {
			args = append(args, "--unhealthy-threshold", strconv.Itoa(h.UnhealthyThreshold))
		}
	}
	// Wait for the Drone to connect when its Frontgate runs; otherwise it connects when the
	// Frontgate is back (EnsureVPC), and waiting would only time out.
	ready := "pitrix: drone " + s.ID + " connected to "
	if _, _, ok := d.find(d.frontgateAgent(v)); !ok {
		d.log.Warn("frontgate not running; the drone connects when it is", "instance_id", s.ID, "frontgate", v.FrontgateID)
		ready = ""
	}
	box := d.droneSandbox(s, files, args)
	if _, err := d.start(ctx, a, args, ready, &box); err != nil {
		return fmt.Errorf("start drone %s on %s (frontgate %s): %w", s.ID, s.IP, v.frontgateAddr(), err)
	}
	return nil
}

// report is the instance as the cloud sees it: running only when its Drone is alive.
func (d *Driver) report(s instanceState) vm.Instance {
	status := vm.InstanceStopped
	if _, _, ok := d.find(d.droneAgent(s.ID)); ok {
		status = vm.InstanceRunning
	}
	return vm.Instance{ID: s.ID, IP: s.IP, Status: status}
}

// StartInstance implements vm.Driver: it starts the instance's Drone unless it runs.
func (d *Driver) StartInstance(ctx context.Context, rt providers.RuntimeSpec, vpc vm.VPC, id string) (vm.Instance, error) {
	unlock, err := d.lockInstance(ctx, id)
	if err != nil {
		return vm.Instance{}, fmt.Errorf("start instance %s in %s: %w", id, vpc.ID, err)
	}
	defer unlock()
	s, err := d.loadInstance(id, vpc.ID)
	if err != nil {
		return vm.Instance{}, fmt.Errorf("start instance %s in %s: %w", id, vpc.ID, err)
	}
	if s.Status != vm.InstanceRunning {
		s.Status = vm.InstanceRunning
		if err := writeJSON(d.instanceFile(id), s); err != nil {
			return vm.Instance{}, fmt.Errorf("start instance %s in %s: %w", id, vpc.ID, err)
		}
	}
	if err := d.ensureDrone(ctx, s); err != nil {
		return vm.Instance{}, fmt.Errorf("start instance %s in %s: %w", id, vpc.ID, err)
	}
	return d.report(s), nil
}

// StopInstance implements vm.Driver: it stops the Drone (its process group), then every
// process whose working directory or $PITRIX_ROOT lies in the instance (daemons leave the
// Drone's group), and records the instance stopped.
func (d *Driver) StopInstance(ctx context.Context, rt providers.RuntimeSpec, vpc vm.VPC, id string) error {
	unlock, err := d.lockInstance(ctx, id)
	if err != nil {
		return fmt.Errorf("stop instance %s in %s: %w", id, vpc.ID, err)
	}
	defer unlock()
	s, err := d.loadInstance(id, vpc.ID)
	if err != nil {
		return fmt.Errorf("stop instance %s in %s: %w", id, vpc.ID, err)
	}
	if err := d.halt(ctx, id); err != nil {
		return fmt.Errorf("stop instance %s in %s: %w", id, vpc.ID, err)
	}
	if s.Status != vm.InstanceStopped {
		s.Status = vm.InstanceStopped
		if err := writeJSON(d.instanceFile(id), s); err != nil {
			return fmt.Errorf("stop instance %s in %s: %w", id, vpc.ID, err)
		}
	}
	return nil
}

// halt stops instance id's Drone and every process left in the instance.
func (d *Driver) halt(ctx context.Context, id string) error {
	return errors.Join(d.stop(ctx, d.droneAgent(id)), d.sweep(ctx, d.instanceDir(id)))
}

// ResizeInstance implements vm.Driver. Nothing limits cpu, memory or disk here: the sizes are
// recorded, in any state.
func (d *Driver) ResizeInstance(ctx context.Context, rt providers.RuntimeSpec, vpc vm.VPC, in vm.InstanceSpec) (vm.Instance, error) {
	unlock, err := d.lockInstance(ctx, in.ID)
	if err != nil {
		return vm.Instance{}, fmt.Errorf("resize instance %s in %s: %w", in.ID, vpc.ID, err)
	}
	defer unlock()
	s, err := d.loadInstance(in.ID, vpc.ID)
	if err != nil {
		return vm.Instance{}, fmt.Errorf("resize instance %s in %s: %w", in.ID, vpc.ID, err)
	}
	if s.CPU != in.CPU || s.Memory != in.Memory || s.VolumeSize != in.VolumeSize {
		s.CPU, s.Memory, s.VolumeSize = in.CPU, in.Memory, in.VolumeSize
		if err := writeJSON(d.instanceFile(in.ID), s); err != nil {
			return vm.Instance{}, fmt.Errorf("resize instance %s in %s: %w", in.ID, vpc.ID, err)
		}
	}
	return d.report(s), nil
}

// DeleteInstance implements vm.Driver: it stops the instance as StopInstance does and removes
// its directory, freeing its address. A missing instance is not an error.
func (d *Driver) DeleteInstance(ctx context.Context, rt providers.RuntimeSpec, vpc vm.VPC, id string) error {
	if err := d.deleteInstance(ctx, vpc, id); err != nil {
		return err
	}
	// The VPC's last instance is gone: its Frontgate has nothing to serve until the next
	// instance (EnsureVPC starts it again). Taken after the instance's lock is released: VPC
	// locks come before instance locks.
	if rest, err := d.instancesIn(vpc.ID); err == nil && len(rest) == 0 {
		if err := d.StopVPC(ctx, vpc.ID); err != nil {
			d.log.Warn("stop the frontgate of an empty vpc", "vpc", vpc.ID, "err", err)
		}
	}
	return nil
}

func (d *Driver) deleteInstance(ctx context.Context, vpc vm.VPC, id string) error {
	unlock, err := d.lockInstance(ctx, id)
	if err != nil {
		return fmt.Errorf("delete instance %s in %s: %w", id, vpc.ID, err)
	}
	defer unlock()
	s, err := d.loadInstance(id, vpc.ID)
	if errors.Is(err, vm.ErrNoInstance) {
		// A removal cut short may have left processes or files without a state file.
		if _, serr := os.Stat(d.instanceDir(id)); serr != nil {
			return nil
		}
	} else if err != nil {
		return fmt.Errorf("delete instance %s in %s: %w", id, vpc.ID, err)
	}
	if err := d.halt(ctx, id); err != nil {
		return fmt.Errorf("delete instance %s in %s: %w", id, vpc.ID, err)
	}
	// The sandbox's mounts went with its namespace; anything mounted here from outside goes too.
	if err := sandbox.Unmount(d.instanceDir(id)); err != nil {
		return fmt.Errorf("delete instance %s in %s: %w", id, vpc.ID, err)
	}
	if err := d.trash(d.instanceDir(id)); err != nil {
		return fmt.Errorf("delete instance %s in %s: %w", id, vpc.ID, err)
	}
	d.log.Info("instance deleted", "instance_id", id, "vpc", s.VPC, "ip", s.IP)
	return nil
}

// Instance implements vm.Driver.
func (d *Driver) Instance(ctx context.Context, rt providers.RuntimeSpec, vpc vm.VPC, id string) (vm.Instance, error) {
	if err := checkID("instance id", id); err != nil {
		return vm.Instance{}, fmt.Errorf("instance %s in %s: %w", id, vpc.ID, err)
	}
	s, err := d.loadInstance(id, vpc.ID)
	if err != nil {
		return vm.Instance{}, fmt.Errorf("instance %s in %s: %w", id, vpc.ID, err)
	}
	return d.report(s), nil
}
