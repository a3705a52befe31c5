package driver

import (
	"context"
	"fmt"
	"log/slog"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pitrix/pitrix/edge/edgepb"
	"github.com/pitrix/pitrix/edge/gateway"
	"github.com/pitrix/pitrix/internal/testutil"
	"github.com/pitrix/pitrix/providers"
	"github.com/pitrix/pitrix/providers/local/sandbox"
)

// testLogger writes to the test's output, shown only on failure.
func testLogger(t *testing.T) *slog.Logger {
	return slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// startGateway opens and runs a real edge gateway on loopback with its CA in caDir; it stops
// when the test ends.
func startGateway(t *testing.T, caDir string) *gateway.Gateway {
	t.Helper()
	gw, _ := startGatewayStop(t, caDir)
	return gw
}

// startGatewayStop is startGateway that can also be stopped earlier, with stop.
func startGatewayStop(t *testing.T, caDir string) (gw *gateway.Gateway, stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.WithoutCancel(t.Context()))
	gw, err := gateway.Open(ctx, gateway.Config{CADir: caDir, NodeID: "node-1", Logger: testLogger(t)})
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- gw.Run(ctx) }()
	var once sync.Once
	stop = func() {
		once.Do(func() {
			cancel()
			if err := <-done; err != nil {
				t.Errorf("gateway: %v", err)
			}
		})
	}
	t.Cleanup(stop)
	return gw, stop
}

// rig is a gateway and a driver dialing it; the control address can be switched.
type rig struct {
	t       *testing.T
	dir     string
	caDir   string
	gw      *gateway.Gateway
	control atomic.Pointer[string]
	d       *Driver
	rt      providers.RuntimeSpec
}

func newRig(t *testing.T) *rig {
	t.Helper()
	root := t.TempDir()
	r := &rig{t: t, dir: filepath.Join(root, "local"), caDir: filepath.Join(root, "ca"), rt: providers.RuntimeSpec{ID: "rt-" + t.Name()}}
	r.gw = startGateway(t, r.caDir)
	addr := r.gw.Addr()
	r.control.Store(&addr)
	r.d = r.driver()
	return r
}

// driver returns a new Driver on the rig's Dir; everything it runs is purged when the test ends.
func (r *rig) driver() *Driver {
	r.t.Helper()
	return r.driverWith(nil)
}

// driverWith is driver with its Config changed by mod first (when not nil).
func (r *rig) driverWith(mod func(*Config)) *Driver {
	r.t.Helper()
	cfg := Config{Dir: r.dir, Binary: binary, Control: func() string { return *r.control.Load() },
		Issuer: r.gw, Logger: testLogger(r.t), StopTimeout: 3 * time.Second}
	if mod != nil {
		mod(&cfg)
	}
	d, err := New(cfg)
	if err != nil {
		r.t.Fatal(err)
	}
	r.t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.WithoutCancel(r.t.Context()), time.Minute)
		defer cancel()
		if err := d.Purge(ctx); err != nil {
			r.t.Errorf("purge: %v", err)
		}
	})
	return d
}

func (r *rig) ctx() context.Context {
	ctx, cancel := context.WithTimeout(r.t.Context(), 90*time.Second)
	r.t.Cleanup(cancel)
	return ctx
}

// pidOf returns the pid in an agent's pid file (0 when none).
func pidOf(t *testing.T, a agent) int {
	t.Helper()
	var p proc
	if err := readJSON(a.pidFile(), &p); err != nil {
		return 0
	}
	return p.PID
}

// drones asks Frontgate fgID, through gw, which Drones are connected.
func drones(ctx context.Context, gw *gateway.Gateway, fgID string) ([]string, error) {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	reply, err := gw.Request(ctx, fgID, &edgepb.DroneStatus{})
	if err != nil {
		return nil, err
	}
	list, ok := reply.(*edgepb.DroneList)
	if !ok {
		return nil, fmt.Errorf("reply %T, want DroneList", reply)
	}
	ids := list.GetInstanceIds()
	slices.Sort(ids)
	return ids, nil
}

// eventually polls cond until it holds, failing with its last word after 45 s.
func eventually(t *testing.T, what string, cond func() (bool, string)) {
	t.Helper()
	testutil.Eventually(t, 45*time.Second, what, cond)
}

// waitDrones waits until Frontgate fgID, through gw, lists exactly want.
func waitDrones(t *testing.T, gw *gateway.Gateway, fgID string, want ...string) {
	t.Helper()
	slices.Sort(want)
	eventually(t, fmt.Sprintf("%s lists drones %v", fgID, want), func() (bool, string) {
		got, err := drones(t.Context(), gw, fgID)
		if err != nil {
			return false, err.Error()
		}
		return slices.Equal(got, want), fmt.Sprint(got)
	})
}

// noProcsUnder fails unless no process runs in dir (working directory or $PITRIX_ROOT) now.
func noProcsUnder(t *testing.T, dir string) {
	t.Helper()
	ps, err := procsUnder(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(ps) > 0 {
		t.Fatalf("processes left in %s: %v", dir, pids(ps))
	}
}

// instanceProcs returns the processes of instance id's sandbox: its init and everything in
// its PID namespace.
func instanceProcs(t *testing.T, d *Driver, id string) []proc {
	t.Helper()
	init, _, ok := d.find(d.droneAgent(id))
	if !ok {
		return nil
	}
	members, err := sandbox.Members(init.PID)
	if err != nil {
		t.Fatal(err)
	}
	var out []proc
	for _, pid := range members {
		if p, ok := procOf(pid); ok {
			out = append(out, p)
		}
	}
	return out
}

// noSandboxProcs fails unless every process of ps has ended.
func noSandboxProcs(t *testing.T, ps []proc) {
	t.Helper()
	for _, p := range ps {
		if p.alive() {
			t.Fatalf("pid %d of the sandbox survived", p.PID)
		}
	}
}
