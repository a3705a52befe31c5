package frontgate

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"sync"
	"sync/atomic"

	"golang.org/x/sync/errgroup"

	"github.com/pitrix/pitrix/edge/edgepb"
	"github.com/pitrix/pitrix/edge/metadata"
	"github.com/pitrix/pitrix/edge/pki"
	"github.com/pitrix/pitrix/edge/wire"
)

// Frontgate is the edge agent of one VPC. Create it with New and run it with Run.
type Frontgate struct {
	cfg     Config
	log     *slog.Logger
	store   *metadata.Store
	bundles *bundleStore

	ready     chan struct{} // closed once the Drone listener is bound
	droneAddr string        // set before ready is closed

	runCtx  context.Context // Run's context; set before anything uses it
	wg      sync.WaitGroup  // per-Drone pushers and session watchers
	control atomic.Pointer[wire.Session]

	// Owned by the redialer's goroutine (dialControl, onControlSession).
	nextAddr  int
	dialAddr  string
	dialState map[string]string // address -> last logged dial error

	mu            sync.Mutex
	drones        map[string]*droneConn     // instance id -> its newest stream
	health        map[string]*edgepb.Health // instance id -> its last Health, sent again on each control session
	dronesChanged chan struct{}             // closed and replaced on every change of drones or their readiness
}

// New checks cfg, reads the certificate files and opens the metadata store and bundles under
// cfg.DataDir (what an earlier run stored is there again). It starts nothing: Run does.
func New(cfg Config) (*Frontgate, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	p, err := readPEM(cfg.CertFile, cfg.KeyFile, cfg.CAFile)
	if err != nil {
		return nil, fmt.Errorf("frontgate %s: %w", cfg.ID, err)
	}
	if err := checkOwnCert(p, pki.Identity{Kind: pki.KindFrontgate, ID: cfg.ID}); err != nil {
		return nil, fmt.Errorf("frontgate %s: %w", cfg.ID, err)
	}
	bundles, err := openBundles(filepath.Join(cfg.DataDir, "bundles"))
	if err != nil {
		return nil, fmt.Errorf("frontgate %s: %w", cfg.ID, err)
	}
	store, err := metadata.OpenStore(filepath.Join(cfg.DataDir, "metadata"))
	if err != nil {
		return nil, fmt.Errorf("frontgate %s: %w", cfg.ID, err)
	}
	return &Frontgate{
		cfg:           cfg,
		log:           cfg.Logger.With("component", "frontgate", "frontgate", cfg.ID),
		store:         store,
		bundles:       bundles,
		ready:         make(chan struct{}),
		dialState:     map[string]string{},
		drones:        map[string]*droneConn{},
		health:        map[string]*edgepb.Health{},
		dronesChanged: make(chan struct{}),
	}, nil
}

// checkOwnCert verifies that the certificate files hold a certificate of want.
func checkOwnCert(p pemFiles, want pki.Identity) error {
	c, err := pki.ClientTLS(p.cert, p.key, p.ca, "")
	if err != nil {
		return err
	}
	got, err := pki.CertIdentity(c.Certificates[0].Leaf)
	if err != nil {
		return err
	}
	if got != want {
		return fmt.Errorf("certificate is %s, want %s", got, want)
	}
	return nil
}

// Ready is closed once Run has bound the Drone listener; DroneAddr is valid from then on.
func (f *Frontgate) Ready() <-chan struct{} { return f.ready }

// DroneAddr returns the address Drones connect to (the bound DroneListen), or "" before
// Ready is closed.
func (f *Frontgate) DroneAddr() string {
	select {
	case <-f.ready:
		return f.droneAddr
	default:
		return ""
	}
}

// Run serves Drones and keeps the control-plane session up until ctx is done, then closes
// every session, waits for every goroutine it started and closes the metadata store. It
// returns nil after ctx is done, or the error that stopped it (the Drone listener could not be
// bound or failed). Run may be called once.
func (f *Frontgate) Run(ctx context.Context) error {
	defer f.store.Close()
	p, err := readPEM(f.cfg.CertFile, f.cfg.KeyFile, f.cfg.CAFile)
	if err != nil {
		return fmt.Errorf("frontgate %s: %w", f.cfg.ID, err)
	}
	srvTLS, err := pki.ServerTLS(p.cert, p.key, p.ca)
	if err != nil {
		return fmt.Errorf("frontgate %s: %w", f.cfg.ID, err)
	}
	ln, err := wire.Listen(ctx, f.cfg.DroneListen)
	if err != nil {
		return fmt.Errorf("frontgate %s: %w", f.cfg.ID, err)
	}
	rd, err := wire.NewRedialer(f.dialControl, wire.RedialConfig{
		MinBackoff: f.cfg.MinBackoff,
		MaxBackoff: f.cfg.MaxBackoff,
		OnSession:  f.onControlSession,
		// Dial failures and session loss are logged here, once per change, not per attempt.
		Logger: slog.New(slog.DiscardHandler),
	})
	if err != nil {
		ln.Close()
		return fmt.Errorf("frontgate %s: %w", f.cfg.ID, err)
	}
	g, gctx := errgroup.WithContext(ctx)
	f.runCtx = gctx
	f.droneAddr = ln.Addr().String()
	close(f.ready)
	f.log.Info("serving drones", "addr", f.droneAddr)
	g.Go(func() error {
		err := wire.Serve(gctx, ln, srvTLS, wire.Config{
			Hello:     f.hello(),
			PeerKinds: []pki.Kind{pki.KindDrone},
			Logger:    f.cfg.Logger,
		}, f.handleDrone, f.acceptDrone)
		if err != nil {
			return fmt.Errorf("frontgate %s: serve drones: %w", f.cfg.ID, err)
		}
		return nil
	})
	g.Go(func() error { return rd.Run(gctx) })
	err = g.Wait()
	f.wg.Wait()
	f.log.Info("stopped")
	if err != nil && !errors.Is(err, context.Canceled) {
		return err
	}
	return nil
}

func (f *Frontgate) hello() *edgepb.Hello {
	return &edgepb.Hello{Role: string(pki.KindFrontgate), Id: f.cfg.ID, Version: f.cfg.Version, Vpc: f.cfg.VPC}
}
