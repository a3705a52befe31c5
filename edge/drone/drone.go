package drone

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sync/errgroup"
	"google.golang.org/protobuf/proto"

	"github.com/pitrix/pitrix/edge/drone/confd"
	"github.com/pitrix/pitrix/edge/drone/runner"
	"github.com/pitrix/pitrix/edge/edgepb"
	"github.com/pitrix/pitrix/edge/metadata"
	"github.com/pitrix/pitrix/edge/pki"
	"github.com/pitrix/pitrix/edge/wire"
)

// CodeInvalid is the error code of a request the Drone refuses as it is (a Bundle of another
// cluster, a view of another instance, an empty command).
const CodeInvalid = "invalid_argument"

// sendTimeout bounds a one-way Health send.
const sendTimeout = 5 * time.Second

// Drone is the agent of one instance. Create it with New and run it with Run.
type Drone struct {
	cfg      Config
	log      *slog.Logger
	runner   *runner.Runner
	renderer *confd.Renderer

	mu       sync.Mutex
	bundle   *bundle
	view     metadata.View
	viewJSON []byte

	dirty    chan struct{} // capacity 1: a render is wanted
	renderMu sync.Mutex    // one render (and its marker) at a time
	cutShort bool          // the marker was there at start and its reloads are not done; under renderMu

	runCtx     context.Context // Run's context; set before any handler runs
	wg         sync.WaitGroup  // detached work and session watchers
	session    atomic.Pointer[wire.Session]
	lastHealth atomic.Pointer[edgepb.Health]
	dialState  string // the last logged dial error; the redialer's goroutine only
}

// New checks cfg, creates Root and StateDir if missing, opens the command runner's state and
// loads the last bundle and view (an unreadable one is logged and ignored: the Frontgate sends
// them again). It starts nothing: Run does.
func New(cfg Config) (*Drone, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	log := cfg.Logger.With("component", "drone", "instance_id", cfg.InstanceID)
	p, err := readPEM(cfg)
	if err != nil {
		return nil, fmt.Errorf("drone %s: %w", cfg.InstanceID, err)
	}
	if err := checkOwnCert(p, pki.Identity{Kind: pki.KindDrone, ID: cfg.InstanceID}); err != nil {
		return nil, fmt.Errorf("drone %s: %w", cfg.InstanceID, err)
	}
	if err := os.MkdirAll(cfg.StateDir, 0o700); err != nil {
		return nil, fmt.Errorf("drone %s: state dir: %w", cfg.InstanceID, err)
	}
	if err := clearTemps(cfg.StateDir); err != nil {
		return nil, fmt.Errorf("drone %s: state dir: %w", cfg.InstanceID, err)
	}
	if cfg.Root != "" {
		if err := os.MkdirAll(cfg.Root, 0o755); err != nil {
			return nil, fmt.Errorf("drone %s: root: %w", cfg.InstanceID, err)
		}
	}
	r, err := runner.Open(runner.Config{
		Root: cfg.Root, Shell: cfg.Shell, StateDir: filepath.Join(cfg.StateDir, runnerDirName),
		ClusterID: cfg.ClusterID, Role: cfg.Role, InstanceID: cfg.InstanceID, IP: cfg.IP,
		BaseEnv: cfg.BaseEnv, Logger: log,
	})
	if err != nil {
		return nil, fmt.Errorf("drone %s: %w", cfg.InstanceID, err)
	}
	rd, err := confd.New(confd.Config{Root: cfg.Root, Runner: r, Env: r.Env(), Logger: log})
	if err != nil {
		return nil, fmt.Errorf("drone %s: %w", cfg.InstanceID, err)
	}
	d := &Drone{cfg: cfg, log: log, runner: r, renderer: rd, dirty: make(chan struct{}, 1)}
	d.loadState()
	return d, nil
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

// loadState loads the persisted bundle and view.
func (d *Drone) loadState() {
	dir := d.cfg.StateDir
	if data, err := readState(dir, bundleFileName); err != nil {
		d.log.Warn("saved bundle unreadable; waiting for the Frontgate's", "err", err)
	} else if data != nil {
		if b, err := decodeBundle(data); err != nil {
			d.log.Warn("saved bundle unusable; waiting for the Frontgate's", "file", filepath.Join(dir, bundleFileName), "err", err)
		} else {
			d.bundle = b
		}
	}
	if _, err := os.Stat(filepath.Join(dir, markerFileName)); err == nil {
		d.cutShort = true
	}
	if data, err := readState(dir, viewFileName); err != nil {
		d.log.Warn("saved view unreadable; waiting for the Frontgate's", "err", err)
	} else if data != nil {
		if v, err := metadata.ParseView(data); err != nil {
			d.log.Warn("saved view unusable; waiting for the Frontgate's", "file", filepath.Join(dir, viewFileName), "err", err)
		} else {
			d.view, d.viewJSON = v, v.JSON()
		}
	}
}

// Run keeps the session to the Frontgate up, renders, and runs the health check until ctx is
// done; then it closes the session and returns nil once every goroutine it started has
// returned. A persisted bundle and view are rendered at once, before the Frontgate is reached.
// Run may be called once.
func (d *Drone) Run(ctx context.Context) error {
	rd, err := wire.NewRedialer(d.dial, wire.RedialConfig{
		MinBackoff: d.cfg.MinBackoff,
		MaxBackoff: d.cfg.MaxBackoff,
		OnSession:  d.onSession,
		// Dial failures and session loss are logged here, once per change, not per attempt.
		Logger: slog.New(slog.DiscardHandler),
	})
	if err != nil {
		return fmt.Errorf("drone %s: %w", d.cfg.InstanceID, err)
	}
	g, gctx := errgroup.WithContext(ctx)
	d.runCtx = gctx
	d.mu.Lock()
	if d.bundle != nil && d.view != nil {
		d.markDirty()
	}
	d.mu.Unlock()
	d.log.Info("drone starting", "frontgate", d.cfg.FrontgateAddr, "root", d.cfg.Root)
	g.Go(func() error { return d.renderLoop(gctx) })
	g.Go(func() error { return rd.Run(gctx) })
	if d.cfg.HealthCheck.Cmd != "" {
		g.Go(func() error { return d.healthLoop(gctx) })
	}
	err = g.Wait()
	d.wg.Wait()
	d.log.Info("drone stopped")
	return err
}

// dial opens one session to the Frontgate; it runs on the redialer's goroutine only.
func (d *Drone) dial(ctx context.Context) (*wire.Session, error) {
	addr := d.cfg.FrontgateAddr
	s, err := d.dialOnce(ctx, addr)
	if err != nil {
		if ctx.Err() == nil && d.dialState != err.Error() {
			d.dialState = err.Error()
			d.log.Warn("frontgate unreachable; will retry", "addr", addr, "err", err)
		}
		return nil, err
	}
	d.dialState = ""
	return s, nil
}

func (d *Drone) dialOnce(ctx context.Context, addr string) (*wire.Session, error) {
	p, err := readPEM(d.cfg)
	if err != nil {
		return nil, fmt.Errorf("dial %s: %w", addr, err)
	}
	tlsCfg, err := pki.ClientTLS(p.cert, p.key, p.ca, "")
	if err != nil {
		return nil, fmt.Errorf("dial %s: %w", addr, err)
	}
	return wire.Dial(ctx, addr, tlsCfg, wire.Config{
		Hello:     &edgepb.Hello{Role: string(pki.KindDrone), Id: d.cfg.InstanceID, Version: d.cfg.Version, Vpc: d.cfg.VPC},
		PeerKinds: []pki.Kind{pki.KindFrontgate},
		Logger:    d.cfg.Logger,
	}, d.handle)
}

// onSession runs on the redialer's goroutine for each new session.
func (d *Drone) onSession(ctx context.Context, s *wire.Session) {
	addr := d.cfg.FrontgateAddr
	d.session.Store(s)
	d.log.Info("connected to the frontgate", "addr", addr, "peer", s.PeerName())
	if d.cfg.OnConnected != nil {
		d.cfg.OnConnected(addr)
	}
	if h := d.lastHealth.Load(); h != nil {
		d.send(ctx, h)
	}
	d.wg.Go(func() {
		<-s.Done() // the redialer closes the session when Run ends
		d.session.CompareAndSwap(s, nil)
		if !errors.Is(s.Err(), wire.ErrClosed) {
			d.log.Warn("frontgate session lost; redialing", "addr", addr, "err", s.Err())
		}
	})
}

// send sends msg one-way on the current session; it is dropped when there is none.
func (d *Drone) send(ctx context.Context, msg proto.Message) {
	s := d.session.Load()
	if s == nil || s.Err() != nil {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, sendTimeout)
	defer cancel()
	if err := s.Send(ctx, msg); err != nil {
		d.log.Debug("message to the frontgate dropped", "err", err)
	}
}

// handle handles what the Frontgate sends.
func (d *Drone) handle(ctx context.Context, msg proto.Message) (proto.Message, error) {
	switch m := msg.(type) {
	case *edgepb.RunCommand:
		return d.runCommand(ctx, m)
	case *edgepb.Bundle:
		return nil, d.putBundle(m)
	case *edgepb.SelfView:
		return nil, d.putView(m)
	case *edgepb.RenderConfig:
		return d.renderNow(ctx, m)
	case *edgepb.Ping:
		return &edgepb.Pong{Nonce: m.GetNonce()}, nil
	default:
		return nil, &wire.RemoteError{Code: wire.CodeUnknownType, Message: fmt.Sprintf("drone %s does not handle %s", d.cfg.InstanceID, msg.ProtoReflect().Descriptor().FullName())}
	}
}

// detached runs f with Run's context on a goroutine of the Drone and waits for it within ctx.
// Work a Frontgate asked for (a command, a render) thus outlives the stream it came on: a
// stream lost mid-command does not kill the command, and a redelivery finds it running or
// finished.
func (d *Drone) detached(ctx context.Context, f func(context.Context)) error {
	done := make(chan struct{})
	d.wg.Go(func() {
		defer close(done)
		f(d.runCtx)
	})
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return context.Cause(ctx)
	}
}

func (d *Drone) checkInstance(id string) error {
	if id != "" && id != d.cfg.InstanceID {
		return &wire.RemoteError{Code: CodeInvalid, Message: fmt.Sprintf("drone %s got a request for instance %q", d.cfg.InstanceID, id)}
	}
	return nil
}
