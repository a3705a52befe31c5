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

	"github.com/pitrix/pitrix/edge/gateway"
	"github.com/pitrix/pitrix/edge/pki"
)

// errEdgeNotOpen: the edge gateway is not open yet (the server is starting).
var errEdgeNotOpen = errors.New("pitrix: the edge gateway is not open yet")

// edgeLink is the edge gateway for the parts built before it (the VM operator, the local
// driver): the gateway needs the node's id, the node needs the provider registry.
type edgeLink struct {
	g atomic.Pointer[gateway.Gateway]
}

func (e *edgeLink) Request(ctx context.Context, fgID string, msg proto.Message) (proto.Message, error) {
	g := e.g.Load()
	if g == nil {
		return nil, errEdgeNotOpen
	}
	return g.Request(ctx, fgID, msg)
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
func openEdge(ctx context.Context, listen, dataDir, nodeID string, log *slog.Logger) (*gateway.Gateway, error) {
	cfg := gateway.Config{Listen: listen, CADir: filepath.Join(dataDir, "edge-ca"), NodeID: nodeID, Logger: log}
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
