package driver

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/pitrix/pitrix/edge/pki"
	"github.com/pitrix/pitrix/providers"
	"github.com/pitrix/pitrix/providers/vm"
)

// Loopback blocks of VPCs: 127.A.B.0/24 with A in [blockAMin, blockAMax].
const (
	blockAMin  = 100
	blockAMax  = 250
	blockTries = 64 // blocks tried before giving up (taken, or not bindable)
)

// vpcState is a VPC as persisted in <Dir>/vpcs/<id>/vpc.json.
type vpcState struct {
	ID          string    `json:"id"`
	FrontgateID string    `json:"frontgate_id"`
	RuntimeID   string    `json:"runtime_id"`
	Owner       string    `json:"owner"`
	A           int       `json:"a"` // the block 127.A.B.0/24
	B           int       `json:"b"`
	Port        int       `json:"port"` // the Frontgate's Drone port on 127.A.B.1
	CreatedAt   time.Time `json:"created_at"`
}

func (s vpcState) ip(n int) string { return fmt.Sprintf("127.%d.%d.%d", s.A, s.B, n) }
func (s vpcState) cidr() string    { return fmt.Sprintf("127.%d.%d.0/24", s.A, s.B) }

// frontgateAddr is where the VPC's Drones reach its Frontgate.
func (s vpcState) frontgateAddr() string { return net.JoinHostPort(s.ip(1), strconv.Itoa(s.Port)) }

func (s vpcState) vpc() vm.VPC { return vm.VPC{ID: s.ID, CIDR: s.cidr(), FrontgateID: s.FrontgateID} }

func (d *Driver) vpcFile(id string) string { return filepath.Join(d.vpcDir(id), "vpc.json") }

// loadVPC reads VPC id; a missing one wraps ErrNoVPC.
func (d *Driver) loadVPC(id string) (vpcState, error) {
	var s vpcState
	if err := checkID("vpc id", id); err != nil {
		return s, err
	}
	if err := readJSON(d.vpcFile(id), &s); err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return s, fmt.Errorf("%w: %s (%s)", ErrNoVPC, id, d.vpcDir(id))
		}
		return s, err
	}
	return s, nil
}

func (d *Driver) frontgateAgent(s vpcState) agent {
	dir := d.vpcDir(s.ID)
	return agent{kind: "frontgate", id: s.FrontgateID, dir: dir, idFlag: "--id",
		ownFlag: "--data-dir", ownValue: filepath.Join(dir, "data")}
}

// EnsureVPC implements vm.Driver: the VPC of owner on rt, its block allocated on first use,
// with its Frontgate running, dialing Config.Control(). A Frontgate started for another control
// address, or whose certificate is due for renewal, is restarted; its data and Drone address
// stay, so its Drones reconnect.
func (d *Driver) EnsureVPC(ctx context.Context, rt providers.RuntimeSpec, owner string) (vm.VPC, error) {
	if rt.ID == "" {
		return vm.VPC{}, errors.New("driver: ensure vpc: runtime id is empty")
	}
	id := VPCID(rt.ID, owner)
	unlock, err := d.lock(ctx, "vpc."+id)
	if err != nil {
		return vm.VPC{}, fmt.Errorf("ensure %s of runtime %s: %w", id, rt.ID, err)
	}
	defer unlock()
	s, err := d.loadVPC(id)
	if errors.Is(err, ErrNoVPC) {
		s, err = d.createVPC(ctx, rt.ID, owner)
	}
	if err != nil {
		return vm.VPC{}, fmt.Errorf("ensure %s of runtime %s: %w", id, rt.ID, err)
	}
	if err := d.ensureFrontgate(ctx, s); err != nil {
		return vm.VPC{}, fmt.Errorf("ensure %s of runtime %s: %w", id, rt.ID, err)
	}
	return s.vpc(), nil
}

// createVPC allocates a free loopback block whose Frontgate address can be bound, picks the
// Frontgate's port there, and persists the VPC. The caller holds the VPC's lock.
func (d *Driver) createVPC(ctx context.Context, rtID, owner string) (vpcState, error) {
	unlock, err := d.lock(ctx, "alloc")
	if err != nil {
		return vpcState{}, err
	}
	defer unlock()
	taken := map[[2]int]bool{}
	ids, err := d.entries(vpcsDir)
	if err != nil {
		return vpcState{}, err
	}
	for _, id := range ids {
		s, err := d.loadVPC(id)
		if err != nil {
			d.log.Warn("vpc state unreadable; its block may be reused", "vpc", id, "err", err)
			continue
		}
		taken[[2]int{s.A, s.B}] = true
	}
	var lastErr error
	for range blockTries {
		blk := [2]int{blockAMin + rand.IntN(blockAMax-blockAMin+1), rand.IntN(256)}
		if taken[blk] {
			continue
		}
		taken[blk] = true
		s := vpcState{ID: VPCID(rtID, owner), FrontgateID: FrontgateID(rtID, owner), RuntimeID: rtID, Owner: owner,
			A: blk[0], B: blk[1], CreatedAt: time.Now().UTC()}
		if s.Port, err = freePort(s.ip(1)); err != nil {
			lastErr = err
			continue
		}
		if err := os.MkdirAll(filepath.Join(d.vpcDir(s.ID), "data"), 0o700); err != nil {
			return vpcState{}, err
		}
		if err := writeJSON(d.vpcFile(s.ID), s); err != nil {
			return vpcState{}, err
		}
		d.log.Info("vpc created", "vpc", s.ID, "runtime", rtID, "cidr", s.cidr(), "frontgate_addr", s.frontgateAddr())
		return s, nil
	}
	return vpcState{}, fmt.Errorf("no free loopback block in 127.%d-%d.x.0/24 after %d tries (last: %w)", blockAMin, blockAMax, blockTries, lastErr)
}

// ensureFrontgate adopts the VPC's running Frontgate when it serves the current control
// address with a valid certificate, and (re)starts it otherwise.
// With several control addresses (a cluster of nodes, this node's first), a Frontgate whose
// list holds this node's address is adopted as it is: a list that grew or was reordered is no
// reason to cut its stream. The whole list goes to its control file, which it reads before
// every dial.
func (d *Driver) ensureFrontgate(ctx context.Context, s vpcState) error {
	control := d.cfg.Control()
	if control == "" {
		return fmt.Errorf("frontgate %s: Config.Control returned no address", s.FrontgateID)
	}
	a := d.frontgateAgent(s)
	files := certFilesOf(a)
	if err := d.writeControl(s, control); err != nil {
		return fmt.Errorf("frontgate %s: %w", s.FrontgateID, err)
	}
	if p, argv, ok := d.find(a); ok {
		why := d.certStale(files)
		if cur, _ := flagValue(argv[2:], "--control"); !servesControl(cur, control) {
			why = fmt.Sprintf("control address %s, now %s", cur, control)
		} else if cur, _ := flagValue(argv[2:], "--listen"); cur != s.frontgateAddr() {
			why = fmt.Sprintf("listening on %s, not %s", cur, s.frontgateAddr())
		}
		if why == "" {
			return d.adopt(a, p)
		}
		d.log.Info("restarting frontgate", "frontgate", s.FrontgateID, "vpc", s.ID, "pid", p.PID, "why", why)
		if err := d.stop(ctx, a); err != nil {
			return err
		}
	}
	// The port was free when the VPC was made; while the Frontgate was down another process
	// may have taken it. The Frontgate then moves, and its Drones follow.
	moved := false
	if ln, err := net.Listen("tcp", s.frontgateAddr()); err != nil {
		port, perr := freePort(s.ip(1))
		if perr != nil {
			return fmt.Errorf("frontgate %s: %s is taken (%w) and no other port is free: %w", s.FrontgateID, s.frontgateAddr(), err, perr)
		}
		d.log.Warn("frontgate port taken; moving", "frontgate", s.FrontgateID, "from", s.frontgateAddr(), "port", port, "err", err)
		s.Port, moved = port, true
		if err := writeJSON(d.vpcFile(s.ID), s); err != nil {
			return err
		}
	} else if err := ln.Close(); err != nil {
		return fmt.Errorf("frontgate %s: %s: %w", s.FrontgateID, s.frontgateAddr(), err)
	}
	addr := s.frontgateAddr()
	data := filepath.Join(a.dir, "data")
	if err := os.MkdirAll(data, 0o700); err != nil {
		return fmt.Errorf("start frontgate %s on %s: %w", s.FrontgateID, addr, err)
	}
	if err := d.issue(files, pki.KindFrontgate, s.FrontgateID, s.ip(1)); err != nil {
		return fmt.Errorf("start frontgate %s on %s: %w", s.FrontgateID, addr, err)
	}
	args := []string{"--id", s.FrontgateID, "--vpc", s.ID, "--control", control, "--control-file", d.controlFile(s.ID), "--listen", addr,
		"--data-dir", data, "--cert", files.cert, "--key", files.key, "--ca", files.ca}
	if _, err := d.start(ctx, a, args, "pitrix: frontgate "+s.FrontgateID+" serving drones on ", nil); err != nil {
		return fmt.Errorf("start frontgate %s on %s: %w", s.FrontgateID, addr, err)
	}
	if moved {
		return d.redirectDrones(ctx, s)
	}
	return nil
}

// controlFile is the file a VPC's Frontgate reads its control addresses from before every dial
// (its --control-file): rewritten as nodes join, so it learns of them without a restart.
func (d *Driver) controlFile(vpcID string) string {
	return filepath.Join(d.vpcDir(vpcID), "control")
}

// controlIs reports whether the VPC's control file holds control.
func (d *Driver) controlIs(vpcID, control string) bool {
	b, err := os.ReadFile(d.controlFile(vpcID))
	return err == nil && strings.TrimSpace(string(b)) == control
}

// writeControl writes control (HOST:PORT[,...]) to the VPC's control file unless it holds it.
// The caller holds the VPC's lock.
func (d *Driver) writeControl(s vpcState, control string) error {
	if d.controlIs(s.ID, control) {
		return nil
	}
	return writeFileAtomic(d.controlFile(s.ID), []byte(control+"\n"), 0o600)
}

// servesControl reports whether a Frontgate started with --control cur serves the control
// plane whose addresses are want (HOST:PORT[,...], this node's first): cur names want's first.
func servesControl(cur, want string) bool {
	if cur == want {
		return true
	}
	first, _, _ := strings.Cut(want, ",")
	return first != "" && slices.Contains(strings.Split(cur, ","), first)
}

// freePort returns a port on ip that can be bound now.
func freePort(ip string) (int, error) {
	ln, err := net.Listen("tcp", net.JoinHostPort(ip, "0"))
	if err != nil {
		return 0, fmt.Errorf("listen on %s: %w", ip, err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	if err := ln.Close(); err != nil {
		return 0, fmt.Errorf("listen on %s: %w", ip, err)
	}
	return port, nil
}

// redirectDrones restarts the running Drones of VPC s towards its Frontgate's new address.
// The caller holds the VPC's lock (VPC before instance is the only order locks are taken in).
func (d *Driver) redirectDrones(ctx context.Context, s vpcState) error {
	ins, err := d.instancesIn(s.ID)
	if err != nil {
		return err
	}
	var errs []error
	for _, in := range ins {
		errs = append(errs, func() error {
			unlock, err := d.lockInstance(ctx, in.ID)
			if err != nil {
				return err
			}
			defer unlock()
			cur, err := d.loadInstance(in.ID, s.ID)
			if err != nil || cur.Status != vm.InstanceRunning {
				return nil // gone or stopped meanwhile: it starts with the new address
			}
			return d.ensureDrone(ctx, cur)
		}())
	}
	return errors.Join(errs...)
}

// adopt keeps a running agent, recording it in its pid file when the file names another
// process (or none).
func (d *Driver) adopt(a agent, p proc) error {
	var rec proc
	if err := readJSON(a.pidFile(), &rec); err == nil && rec == p {
		return nil
	}
	d.log.Info("agent adopted", "kind", a.kind, "id", a.id, "pid", p.PID)
	return writeJSON(a.pidFile(), p)
}

// StopVPC stops the Frontgate of VPC id; its state stays, and EnsureVPC starts it again. A
// missing VPC is not an error.
func (d *Driver) StopVPC(ctx context.Context, id string) error {
	if err := checkID("vpc id", id); err != nil {
		return fmt.Errorf("stop %s: %w", id, err)
	}
	unlock, err := d.lock(ctx, "vpc."+id)
	if err != nil {
		return fmt.Errorf("stop %s: %w", id, err)
	}
	defer unlock()
	s, err := d.loadVPC(id)
	if errors.Is(err, ErrNoVPC) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("stop %s: %w", id, err)
	}
	if err := d.stop(ctx, d.frontgateAgent(s)); err != nil {
		return fmt.Errorf("stop %s: %w", id, err)
	}
	return nil
}

// DeleteVPC stops the Frontgate of VPC id and removes the VPC, freeing its block. A VPC that
// still has instances is refused (ErrVPCInUse); a missing one is not an error.
func (d *Driver) DeleteVPC(ctx context.Context, id string) error {
	if err := checkID("vpc id", id); err != nil {
		return fmt.Errorf("delete %s: %w", id, err)
	}
	unlock, err := d.lock(ctx, "vpc."+id)
	if err != nil {
		return fmt.Errorf("delete %s: %w", id, err)
	}
	defer unlock()
	s, err := d.loadVPC(id)
	if errors.Is(err, ErrNoVPC) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("delete %s: %w", id, err)
	}
	// Under the allocation lock no instance is being placed in the VPC meanwhile.
	unlockAlloc, err := d.lock(ctx, "alloc")
	if err != nil {
		return fmt.Errorf("delete %s: %w", id, err)
	}
	defer unlockAlloc()
	ins, err := d.instancesIn(id)
	if err != nil {
		return fmt.Errorf("delete %s: %w", id, err)
	}
	if len(ins) > 0 {
		return fmt.Errorf("delete %s: %w: %d, e.g. %s", id, ErrVPCInUse, len(ins), ins[0].ID)
	}
	if err := d.stop(ctx, d.frontgateAgent(s)); err != nil {
		return fmt.Errorf("delete %s: %w", id, err)
	}
	if err := d.trash(d.vpcDir(id)); err != nil {
		return fmt.Errorf("delete %s: %w", id, err)
	}
	d.log.Info("vpc deleted", "vpc", id, "cidr", s.cidr())
	return nil
}

// HasRuntime reports whether this driver holds a VPC of runtime rtID (its instances are on
// this machine).
func (d *Driver) HasRuntime(rtID string) bool {
	ids, err := d.entries(vpcsDir)
	if err != nil {
		return false
	}
	for _, id := range ids {
		if s, err := d.loadVPC(id); err == nil && s.RuntimeID == rtID {
			return true
		}
	}
	return false
}
