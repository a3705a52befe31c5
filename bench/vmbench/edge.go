package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/pitrix/pitrix/edge/drone"
	"github.com/pitrix/pitrix/edge/edgepb"
	"github.com/pitrix/pitrix/edge/frontgate"
	"github.com/pitrix/pitrix/edge/gateway"
	"github.com/pitrix/pitrix/edge/metadata"
	"github.com/pitrix/pitrix/edge/pki"
)

// Identities of the in-process edge.
const (
	benchFG       = "fg-vmbench"
	benchInstance = "i-vmbench"
	benchCluster  = "cl-vmbench"
)

// Names of the measured operations, the rows of the edge table.
const (
	opCommand   = "edge: RunCommand `true` (gateway → Frontgate → Drone → back)"
	opStatus    = "edge: DroneStatus (gateway ↔ Frontgate)"
	opGRPCPlain = "gRPC: health Check, plaintext"
	opGRPCTLS   = "gRPC: health Check, mTLS (TLS 1.3, edge CA)"
)

// edgePart runs the control plane's edge gateway, a Frontgate and a Drone in this process on
// loopback, and a gRPC health server twice (plaintext, mTLS), and times sequential round trips
// of each.
func edgePart(parent context.Context, cfg Config) (_ *EdgeReport, err error) {
	log := cfg.Logger
	dir, err := os.MkdirTemp("", "vmbench-edge-")
	if err != nil {
		return nil, err
	}
	defer func() { err = errors.Join(err, os.RemoveAll(dir)) }()
	ctx, cancel := context.WithTimeout(parent, cfg.Timeout)
	defer cancel()

	// The gateway, the Frontgate and the Drone run until runCtx ends; every Run is waited for.
	runCtx, stop := context.WithCancel(ctx)
	var wg sync.WaitGroup
	var runMu sync.Mutex
	var runErrs []error
	goRun := func(name string, run func(context.Context) error) {
		wg.Go(func() {
			if err := run(runCtx); err != nil && !errors.Is(err, context.Canceled) {
				runMu.Lock()
				runErrs = append(runErrs, fmt.Errorf("%s: %w", name, err))
				runMu.Unlock()
			}
		})
	}
	defer func() {
		stop()
		wg.Wait()
		err = errors.Join(append([]error{err}, runErrs...)...)
	}()

	// The agents' lifecycle lines are Info; they are shown only when the run logs Debug.
	agentLog := slog.New(slog.DiscardHandler)
	if log.Enabled(ctx, slog.LevelDebug) {
		agentLog = log
	}
	g, err := gateway.Open(ctx, gateway.Config{CADir: filepath.Join(dir, "ca"), NodeID: "vmbench", Logger: agentLog})
	if err != nil {
		return nil, err
	}
	goRun("gateway", g.Run)
	caFile := filepath.Join(dir, "ca.pem")
	if err := os.WriteFile(caFile, g.CA(), 0o600); err != nil {
		return nil, err
	}
	fgCert, fgKey, err := issueFiles(g, dir, pki.KindFrontgate, benchFG, "127.0.0.1")
	if err != nil {
		return nil, err
	}
	fg, err := frontgate.New(frontgate.Config{ID: benchFG, VPC: "vpc-vmbench", ControlAddrs: []string{g.Addr()}, DroneListen: "127.0.0.1:0",
		DataDir: filepath.Join(dir, "fg"), CertFile: fgCert, KeyFile: fgKey, CAFile: caFile, Logger: agentLog})
	if err != nil {
		return nil, err
	}
	goRun("frontgate", fg.Run)
	select {
	case <-fg.Ready():
	case <-ctx.Done():
		return nil, fmt.Errorf("frontgate not ready: %w", ctx.Err())
	}
	drCert, drKey, err := issueFiles(g, dir, pki.KindDrone, benchInstance)
	if err != nil {
		return nil, err
	}
	connected := make(chan struct{})
	var once sync.Once
	d, err := drone.New(drone.Config{InstanceID: benchInstance, ClusterID: benchCluster, Role: "node", IP: "127.0.0.1",
		Root: filepath.Join(dir, "root"), StateDir: filepath.Join(dir, "state"), FrontgateAddr: fg.DroneAddr(),
		CertFile: drCert, KeyFile: drKey, CAFile: caFile, Logger: agentLog,
		OnConnected: func(string) { once.Do(func() { close(connected) }) }})
	if err != nil {
		return nil, err
	}
	goRun("drone", d.Run)
	select {
	case <-connected:
	case <-ctx.Done():
		return nil, fmt.Errorf("drone not connected to its frontgate: %w", ctx.Err())
	}
	js, err := json.Marshal(metadata.Cluster{ClusterID: benchCluster, Hosts: []metadata.Host{{InstanceID: benchInstance, Role: "node", IP: "127.0.0.1"}}})
	if err != nil {
		return nil, err
	}
	if _, err := g.Request(ctx, benchFG, &edgepb.PutMetadata{ClusterId: benchCluster, Json: js}); err != nil {
		return nil, fmt.Errorf("put metadata: %w", err)
	}
	if _, err := g.Request(ctx, benchFG, &edgepb.PutBundle{ClusterId: benchCluster, Files: map[string][]byte{}}); err != nil {
		return nil, fmt.Errorf("put bundle: %w", err)
	}

	plain, err := startGRPC(ctx, nil)
	if err != nil {
		return nil, err
	}
	defer func() { err = errors.Join(err, plain.Close()) }()
	pair, err := mTLSPair(g)
	if err != nil {
		return nil, err
	}
	secure, err := startGRPC(ctx, pair)
	if err != nil {
		return nil, err
	}
	defer func() { err = errors.Join(err, secure.Close()) }()

	run := time.Now().UnixNano() // command ids are unique across runs on one Drone state
	ops := []struct {
		name string
		op   func(ctx context.Context, i int) error
	}{
		{opCommand, func(ctx context.Context, i int) error {
			reply, err := g.Request(ctx, benchFG, &edgepb.RunCommand{CommandId: fmt.Sprintf("vmbench-%d-%d", run, i),
				InstanceId: benchInstance, Cmd: "true", TimeoutSec: 10})
			if err != nil {
				return err
			}
			if res, ok := reply.(*edgepb.CommandResult); !ok || res.GetExitCode() != 0 || res.GetDeduplicated() {
				return fmt.Errorf("reply %T %v, want a first run that exited 0", reply, reply)
			}
			return nil
		}},
		{opStatus, func(ctx context.Context, _ int) error {
			_, err := g.Request(ctx, benchFG, &edgepb.DroneStatus{})
			return err
		}},
		{opGRPCPlain, plain.Check},
		{opGRPCTLS, secure.Check},
	}
	r := &EdgeReport{Ops: cfg.EdgeOps, Warmup: cfg.EdgeWarmup}
	for _, o := range ops {
		st, err := measure(ctx, o.name, cfg.EdgeWarmup, cfg.EdgeOps, o.op)
		if err != nil {
			return nil, err
		}
		log.Info("measured", "op", o.name, "median_us", fmt.Sprintf("%.1f", st.Median*1e6), "ops_per_s", fmt.Sprintf("%.0f", st.OpsPerSec))
		r.Rows = append(r.Rows, st)
	}
	r.summarise()
	return r, nil
}

// issueFiles writes a certificate and key of the gateway's CA for kind/id, as the local
// driver does, and returns their paths.
func issueFiles(g *gateway.Gateway, dir string, kind pki.Kind, id string, hosts ...string) (certFile, keyFile string, err error) {
	cert, key, err := g.Issue(kind, id, time.Hour, hosts...)
	if err != nil {
		return "", "", fmt.Errorf("issue %s/%s: %w", kind, id, err)
	}
	certFile, keyFile = filepath.Join(dir, id+".crt"), filepath.Join(dir, id+".key")
	for f, b := range map[string][]byte{certFile: cert, keyFile: key} {
		if err := os.WriteFile(f, b, 0o600); err != nil {
			return "", "", err
		}
	}
	return certFile, keyFile, nil
}

// measure runs op warmup times unmeasured, then n times one after another, timing each.
func measure(ctx context.Context, name string, warmup, n int, op func(ctx context.Context, i int) error) (OpStats, error) {
	for i := range warmup {
		if err := op(ctx, i); err != nil {
			return OpStats{}, fmt.Errorf("%s, warm-up %d: %w", name, i, err)
		}
	}
	lat := make([]float64, n)
	start := time.Now()
	for i := range n {
		t := time.Now()
		if err := op(ctx, warmup+i); err != nil {
			return OpStats{}, fmt.Errorf("%s, op %d: %w", name, i, err)
		}
		lat[i] = secs(time.Since(t))
	}
	total := time.Since(start)
	return OpStats{Stats: statsOf(name, lat), Seconds: secs(total), OpsPerSec: float64(n) / total.Seconds()}, nil
}
