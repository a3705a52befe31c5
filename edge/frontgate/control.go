package frontgate

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os"
	"slices"
	"strings"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/pitrix/pitrix/edge/drone/runner"
	"github.com/pitrix/pitrix/edge/edgepb"
	"github.com/pitrix/pitrix/edge/metadata"
	"github.com/pitrix/pitrix/edge/pki"
	"github.com/pitrix/pitrix/edge/wire"
)

// healthSendTimeout bounds the relay of one Health message to the control plane.
const healthSendTimeout = 5 * time.Second

// dialControl dials the next control-plane address; a failure moves on to the following one.
// It runs on the redialer's goroutine only.
func (f *Frontgate) dialControl(ctx context.Context) (*wire.Session, error) {
	addrs := f.controlAddrs()
	addr := addrs[f.nextAddr%len(addrs)]
	s, err := f.dialOne(ctx, addr)
	if err != nil {
		f.nextAddr++
		if ctx.Err() == nil && f.dialState[addr] != err.Error() {
			f.dialState[addr] = err.Error()
			f.log.Warn("control plane unreachable; will retry", "addr", addr, "err", err)
		}
		return nil, err
	}
	delete(f.dialState, addr)
	f.dialAddr = addr
	return s, nil
}

// controlAddrs returns the addresses to try: Config.ControlFile's when it lists any valid one,
// else Config.ControlAddrs.
func (f *Frontgate) controlAddrs() []string {
	if f.cfg.ControlFile == "" {
		return f.cfg.ControlAddrs
	}
	b, err := os.ReadFile(f.cfg.ControlFile)
	if err != nil {
		return f.cfg.ControlAddrs
	}
	var out []string
	for _, a := range strings.FieldsFunc(string(b), func(r rune) bool { return r == ',' || r == '\n' || r == '\r' || r == ' ' || r == '\t' }) {
		if _, _, err := net.SplitHostPort(a); err == nil {
			out = append(out, a)
		}
	}
	if len(out) == 0 {
		return f.cfg.ControlAddrs
	}
	return out
}

func (f *Frontgate) dialOne(ctx context.Context, addr string) (*wire.Session, error) {
	p, err := readPEM(f.cfg.CertFile, f.cfg.KeyFile, f.cfg.CAFile)
	if err != nil {
		return nil, fmt.Errorf("dial %s: %w", addr, err)
	}
	tlsCfg, err := pki.ClientTLS(p.cert, p.key, p.ca, "")
	if err != nil {
		return nil, fmt.Errorf("dial %s: %w", addr, err)
	}
	return wire.Dial(ctx, addr, tlsCfg, wire.Config{
		Hello:     f.hello(),
		PeerKinds: []pki.Kind{pki.KindServer},
		Logger:    f.cfg.Logger,
	}, f.handleControl)
}

// onControlSession runs on the redialer's goroutine for each new control session.
func (f *Frontgate) onControlSession(_ context.Context, s *wire.Session) {
	addr := f.dialAddr
	f.control.Store(s)
	f.log.Info("connected to the control plane", "addr", addr, "peer", s.PeerName())
	if f.cfg.OnConnected != nil {
		f.cfg.OnConnected(addr)
	}
	f.wg.Go(func() { f.resendHealth(s) })
	f.wg.Go(func() {
		<-s.Done() // the redialer closes the session when Run ends
		f.control.CompareAndSwap(s, nil)
		if !errors.Is(s.Err(), wire.ErrClosed) {
			f.log.Warn("control-plane session lost; redialing", "addr", addr, "err", s.Err())
		}
	})
}

// controlSession returns the control session if it is up now, or nil.
func (f *Frontgate) controlSession() *wire.Session {
	s := f.control.Load()
	if s == nil || s.Err() != nil {
		return nil
	}
	return s
}

// handleControl handles what the control plane sends.
func (f *Frontgate) handleControl(ctx context.Context, msg proto.Message) (proto.Message, error) {
	switch m := msg.(type) {
	case *edgepb.PutMetadata:
		return nil, f.putMetadata(m)
	case *edgepb.DeleteMetadata:
		return nil, f.deleteMetadata(m)
	case *edgepb.PutBundle:
		if err := f.bundles.put(m.GetClusterId(), m.GetFiles()); err != nil {
			if errors.Is(err, errBadBundle) {
				return nil, &wire.RemoteError{Code: CodeInvalid, Message: err.Error()}
			}
			return nil, err
		}
		f.log.Info("bundle stored", "cluster_id", m.GetClusterId(), "files", len(m.GetFiles()))
		return nil, nil
	case *edgepb.RunCommand:
		return f.runCommand(ctx, m)
	case *edgepb.RenderConfig:
		return f.relay(ctx, m.GetInstanceId(), relayOpts{wait: f.cfg.DroneWait, run: f.cfg.DroneWait, retry: true, sync: true}, m)
	case *edgepb.DroneStatus:
		return &edgepb.DroneList{InstanceIds: f.connectedDrones()}, nil
	case *edgepb.Ping:
		return &edgepb.Pong{Nonce: m.GetNonce()}, nil
	default:
		return nil, &wire.RemoteError{Code: wire.CodeUnknownType, Message: fmt.Sprintf("frontgate %s does not handle %s", f.cfg.ID, msg.ProtoReflect().Descriptor().FullName())}
	}
}

// maxClusterJSON bounds the JSON of one cluster description.
const maxClusterJSON = metadata.MaxViewBytes

// decodeCluster parses PutMetadata's json: one metadata.Cluster object, no unknown fields, no
// trailing data. It does not validate names; Store.Put does.
func decodeCluster(data []byte) (metadata.Cluster, error) {
	if len(data) > maxClusterJSON {
		return metadata.Cluster{}, fmt.Errorf("%d bytes, at most %d", len(data), maxClusterJSON)
	}
	var c metadata.Cluster
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&c); err != nil {
		return metadata.Cluster{}, err
	}
	if dec.More() {
		return metadata.Cluster{}, errors.New("data after the JSON object")
	}
	return c, nil
}

func (f *Frontgate) putMetadata(m *edgepb.PutMetadata) error {
	c, err := decodeCluster(m.GetJson())
	if err != nil {
		return &wire.RemoteError{Code: CodeInvalid, Message: fmt.Sprintf("metadata of cluster %q: %v", m.GetClusterId(), err)}
	}
	if err := f.store.Put(m.GetClusterId(), c); err != nil {
		switch {
		case errors.Is(err, metadata.ErrInvalid):
			return &wire.RemoteError{Code: CodeInvalid, Message: err.Error()}
		case errors.Is(err, metadata.ErrInstanceConflict):
			return &wire.RemoteError{Code: CodeConflict, Message: err.Error()}
		}
		return err
	}
	f.log.Info("metadata stored", "cluster_id", m.GetClusterId(), "hosts", len(c.Hosts), "adding", len(c.Adding), "deleting", len(c.Deleting))
	return nil
}

func (f *Frontgate) deleteMetadata(m *edgepb.DeleteMetadata) error {
	id := m.GetClusterId()
	if err := checkClusterID(id); err != nil {
		return &wire.RemoteError{Code: CodeInvalid, Message: err.Error()}
	}
	if err := f.store.Delete(id); err != nil && !errors.Is(err, metadata.ErrNotFound) {
		return err
	}
	if err := f.bundles.delete(id); err != nil {
		return err
	}
	f.log.Info("metadata deleted", "cluster_id", id)
	return nil
}

func (f *Frontgate) runCommand(ctx context.Context, m *edgepb.RunCommand) (proto.Message, error) {
	run := time.Duration(m.GetTimeoutSec()) * time.Second
	wait := run
	if run == 0 {
		run = runner.DefaultTimeout // the Drone's default command timeout
		wait = f.cfg.DroneWait
	}
	// Only a command with an id may be delivered twice: the Drone runs an id once.
	return f.relay(ctx, m.GetInstanceId(), relayOpts{wait: wait, run: run, retry: m.GetCommandId() != ""}, m)
}

// relayHealth forwards a Drone's Health to the control plane, if the session is up, and keeps
// it to send again on the next control session.
func (f *Frontgate) relayHealth(ctx context.Context, from string, h *edgepb.Health) {
	h = proto.CloneOf(h)
	h.InstanceId = from // a Drone speaks only for itself
	f.mu.Lock()
	f.health[from] = h
	f.mu.Unlock()
	s := f.controlSession()
	if s == nil {
		f.log.Debug("health dropped: control plane not connected", "instance_id", from)
		return
	}
	ctx, cancel := context.WithTimeout(ctx, healthSendTimeout)
	defer cancel()
	if err := s.Send(ctx, h); err != nil {
		f.log.Debug("health dropped", "instance_id", from, "err", err)
	}
}

// resendHealth sends the last Health of every connected Drone on a new control session, so a
// control plane that was away learns the current state.
func (f *Frontgate) resendHealth(s *wire.Session) {
	f.mu.Lock()
	var hs []*edgepb.Health
	for id, h := range f.health {
		if f.drones[id] != nil {
			hs = append(hs, h)
		}
	}
	f.mu.Unlock()
	for _, h := range hs {
		ctx, cancel := context.WithTimeout(f.runCtx, healthSendTimeout)
		err := s.Send(ctx, h)
		cancel()
		if err != nil {
			return // the session is gone; the next one sends again
		}
	}
}

// connectedDrones lists the Drones that are connected and have their bundle and view.
func (f *Frontgate) connectedDrones() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	ids := make([]string, 0, len(f.drones))
	for id, dc := range f.drones {
		if dc.isReady() && dc.sess.Err() == nil {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	return ids
}
