package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/pitrix/pitrix/actors/frontgate"
	"github.com/pitrix/pitrix/actors/relay"
	"github.com/pitrix/pitrix/edge/edgepb"
	"github.com/pitrix/pitrix/edge/gateway"
	"github.com/pitrix/pitrix/edge/pki"
	"github.com/pitrix/pitrix/providers"
	"github.com/pitrix/pitrix/providers/vm"
)

// errEdgeNotOpen: the edge gateway is not open yet (the server is starting).
var errEdgeNotOpen = errors.New("pitrix: the edge gateway is not open yet")

// edgeLink is the edge for the parts built before it (the VM operator, the local driver):
// the gateway needs the node's id, the node needs the provider registry. Requests go through
// the relay, which finds the node holding a Frontgate's stream.
type edgeLink struct {
	g atomic.Pointer[gateway.Gateway]
	r atomic.Pointer[relay.Relay]
}

func (e *edgeLink) set(g *gateway.Gateway, r *relay.Relay) {
	e.r.Store(r)
	e.g.Store(g)
}

func (e *edgeLink) Request(ctx context.Context, fgID string, msg proto.Message) (proto.Message, error) {
	r := e.r.Load()
	if r == nil {
		return nil, errEdgeNotOpen
	}
	return r.Request(ctx, fgID, msg)
}

// drones asks a Frontgate which Drones are connected to it.
func (e *edgeLink) drones(ctx context.Context, fgID string) ([]string, error) {
	res, err := e.Request(ctx, fgID, &edgepb.DroneStatus{})
	if err != nil {
		return nil, err
	}
	list, ok := res.(*edgepb.DroneList)
	if !ok {
		return nil, fmt.Errorf("frontgate %s answered %T to DroneStatus", fgID, res)
	}
	return list.InstanceIds, nil
}

// health is an instance's last health report, as this node's gateway received it.
func (e *edgeLink) health(instanceID string) (healthy, ok bool) {
	g := e.g.Load()
	if g == nil {
		return false, false
	}
	h, ok := g.Health(instanceID)
	if !ok {
		return false, false
	}
	return h.GetHealthy(), true
}

// registerVPC records which runtime and owner a VPC's Frontgate serves.
func (e *edgeLink) registerVPC(ctx context.Context, rt providers.RuntimeSpec, owner string, v vm.VPC) error {
	r := e.r.Load()
	if r == nil {
		return errEdgeNotOpen
	}
	return r.Register(ctx, v.FrontgateID, frontgate.Placement{VPC: v.ID, RuntimeID: rt.ID, Owner: owner})
}

func (e *edgeLink) Issue(kind pki.Kind, id string, ttl time.Duration, hosts ...string) ([]byte, []byte, error) {
	g := e.g.Load()
	if g == nil {
		return nil, nil, errEdgeNotOpen
	}
	return g.Issue(kind, id, ttl, hosts...)
}

func (e *edgeLink) CA() []byte {
	if g := e.g.Load(); g != nil {
		return g.CA()
	}
	return nil
}

func (e *edgeLink) Addr() string {
	if g := e.g.Load(); g != nil {
		return g.Addr()
	}
	return ""
}

// edgeAddrFile remembers the edge listener's address across restarts.
const edgeAddrFile = "edge.addr"

// openEdge opens the edge gateway on listen. When listen's port is 0 it first tries the
// address of the last run, so that Frontgates, which keep dialing it, find this node again.
func openEdge(ctx context.Context, listen, dataDir, nodeID string, log *slog.Logger, onStream func(id, vpc string, connected bool)) (*gateway.Gateway, error) {
	cfg := gateway.Config{Listen: listen, CADir: filepath.Join(dataDir, "edge-ca"), NodeID: nodeID, Logger: log, OnStream: onStream}
	file := filepath.Join(dataDir, edgeAddrFile)
	var g *gateway.Gateway
	if strings.HasSuffix(listen, ":0") {
		if last, err := os.ReadFile(file); err == nil {
			prev := cfg
			prev.Listen = strings.TrimSpace(string(last))
			if g, err = gateway.Open(ctx, prev); err != nil {
				log.Info("edge: the last address is taken; picking another", "addr", prev.Listen, "err", err)
				g = nil
			}
		}
	}
	if g == nil {
		var err error
		if g, err = gateway.Open(ctx, cfg); err != nil {
			return nil, err
		}
	}
	if err := os.WriteFile(file, []byte(g.Addr()+"\n"), 0o600); err != nil {
		return nil, fmt.Errorf("record the edge address in %s: %w", file, err)
	}
	return g, nil
}
