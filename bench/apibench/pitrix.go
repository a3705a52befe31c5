package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"

	"github.com/pitrix/pitrix/actors/control"
	"github.com/pitrix/pitrix/actors/identity"
	"github.com/pitrix/pitrix/actors/idgen"
	"github.com/pitrix/pitrix/actors/repo"
	"github.com/pitrix/pitrix/actors/repo/source"
	"github.com/pitrix/pitrix/actors/runtimes/runtimegrain"
	"github.com/pitrix/pitrix/actors/seal"
	"github.com/pitrix/pitrix/actors/store"
	"github.com/pitrix/pitrix/cluster/node"
	"github.com/pitrix/pitrix/http/rest"
	"github.com/pitrix/pitrix/providers"
	"github.com/pitrix/pitrix/providers/local"
)

// pitrix is one real control-plane node wired as cmd/pitrix/server.go wires it (Pebble store,
// sealer, identity, the repo and runtime kinds on a single-member cluster, the control plane
// and the REST front), serving on a loopback port. Close stops it in the server's order.
type pitrix struct {
	st    *store.DB
	node  *node.Node
	plane *control.Plane
	front *rest.Server
	addr  string // host:port of the REST front
	token string // the bootstrap admin's bearer token

	stop   context.CancelFunc
	served chan error // Serve's result
}

// startPitrix starts a node keeping its state under dataDir and serves its REST front on
// 127.0.0.1 port 0. ctx bounds the start-up only; Close stops the node.
func startPitrix(ctx context.Context, dataDir string, log *slog.Logger) (_ *pitrix, err error) {
	p := &pitrix{}
	defer func() {
		if err != nil {
			err = errors.Join(err, p.Close())
		}
	}()
	if p.st, err = store.Open(filepath.Join(dataDir, "store"), store.Config{Logger: log.With("component", "store")}); err != nil {
		return nil, err
	}
	sealer, err := seal.Open(dataDir)
	if err != nil {
		return nil, err
	}
	ids := idgen.New(nil)
	ident := identity.New(p.st, ids, nil)
	tokenPath, _, err := ident.Bootstrap(ctx, dataDir)
	if err != nil {
		return nil, err
	}
	tok, err := os.ReadFile(tokenPath)
	if err != nil {
		return nil, fmt.Errorf("read admin token %s: %w", tokenPath, err)
	}
	p.token = strings.TrimSpace(string(tok))
	// The seed repo is a local folder under the data dir; nothing is fetched over the network.
	absData, err := filepath.Abs(dataDir)
	if err != nil {
		return nil, fmt.Errorf("data dir %q: %w", dataDir, err)
	}
	src, err := source.New(source.Config{AllowDirs: []string{absData}})
	if err != nil {
		return nil, err
	}
	indexer := &repo.Indexer{Store: p.st, Source: src, Sealer: sealer, IDs: ids, Logger: log.With("component", "indexer")}
	p.node, err = node.Start(ctx, node.Config{Name: "apibench", GossipAddr: "127.0.0.1:0", Logger: log.With("component", "node")},
		repo.Kind(repo.Deps{Store: p.st, Indexer: indexer, IDs: ids, Logger: log}),
		runtimegrain.Kind(runtimegrain.Deps{Store: p.st, Logger: log}),
	)
	if err != nil {
		return nil, err
	}
	provs, err := providers.NewRegistry(local.Provider{})
	if err != nil {
		return nil, err
	}
	p.plane, err = control.New(control.Deps{Store: p.st, Cluster: control.NodeCluster(p.node, nil), Identity: ident,
		Providers: provs, Source: src, Sealer: sealer, IDs: ids, Logger: log})
	if err != nil {
		return nil, err
	}
	if p.front, err = rest.New(rest.Config{Logger: log.With("component", "rest")}, p.plane); err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("listen for the REST front: %w", err)
	}
	p.addr = ln.Addr().String()
	// Serve's context is ours, not the caller's: the front runs until Close, whatever ctx does.
	serveCtx, stop := context.WithCancel(context.WithoutCancel(ctx))
	p.stop, p.served = stop, make(chan error, 1)
	go func() { p.served <- p.front.Serve(serveCtx, ln) }()
	return p, nil
}

// Close stops accepting HTTP requests and waits for Serve, leaves the cluster and stops the
// actors, and closes the store last. It is safe on a half-started pitrix, once.
func (p *pitrix) Close() error {
	var errs []error
	if p.stop != nil {
		p.stop()
		errs = append(errs, <-p.served)
	}
	if p.node != nil {
		errs = append(errs, p.node.Close())
	}
	if p.st != nil {
		errs = append(errs, p.st.Close())
	}
	return errors.Join(errs...)
}

// admin is the principal the seeding runs as: the bootstrap admin.
func admin() identity.Principal {
	return identity.Principal{UserID: identity.AdminID, Role: identity.RoleAdmin}
}
