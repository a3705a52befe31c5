package frontgate

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/pitrix/pitrix/edge/edgepb"
	"github.com/pitrix/pitrix/edge/pki"
	"github.com/pitrix/pitrix/edge/wire"
)

// pushTimeout bounds one push (Bundle or SelfView) to a Drone; it persists them and answers.
const pushTimeout = 30 * time.Second

// relayMargin is added to a relayed request's own time budget for the round trips.
const relayMargin = 30 * time.Second

// droneConn is one Drone stream.
type droneConn struct {
	id    string
	sess  *wire.Session
	ready chan struct{} // closed once the first push is done

	mu           sync.Mutex // serializes pushes; guards what was pushed
	pushedView   []byte
	pushedBundle string // "cluster_id/hash" of the bundle pushed, "" for none
}

func (dc *droneConn) isReady() bool {
	select {
	case <-dc.ready:
		return true
	default:
		return false
	}
}

// acceptDrone registers a Drone stream (Serve calls it after the handshake) and starts its
// pusher. A Drone announcing another VPC is refused.
func (f *Frontgate) acceptDrone(id pki.Identity, hello *edgepb.Hello, s *wire.Session) error {
	if vpc := hello.GetVpc(); vpc != "" && f.cfg.VPC != "" && vpc != f.cfg.VPC {
		return fmt.Errorf("drone %s is in VPC %q; frontgate %s serves VPC %q", id.ID, vpc, f.cfg.ID, f.cfg.VPC)
	}
	dc := &droneConn{id: id.ID, sess: s, ready: make(chan struct{})}
	f.mu.Lock()
	old := f.drones[id.ID]
	f.drones[id.ID] = dc
	f.notifyLocked()
	f.mu.Unlock()
	f.wg.Go(func() { f.serveDrone(dc, old) })
	return nil
}

func (f *Frontgate) notifyLocked() {
	close(f.dronesChanged)
	f.dronesChanged = make(chan struct{})
}

// serveDrone pushes the Drone its bundle and view now and on every change, until its stream
// ends or Run stops.
func (f *Frontgate) serveDrone(dc *droneConn, old *droneConn) {
	log := f.log.With("instance_id", dc.id)
	if old != nil {
		old.sess.Close() // the Drone came back on a new stream; the old one is dead or stale
	}
	ctx, cancel := context.WithCancel(f.runCtx)
	defer func() {
		cancel()
		f.mu.Lock()
		if f.drones[dc.id] == dc {
			delete(f.drones, dc.id)
			delete(f.health, dc.id) // unknown until it reports again
		}
		f.notifyLocked()
		f.mu.Unlock()
		log.Info("drone disconnected", "err", dc.sess.Err())
	}()
	watch := f.store.Watch(ctx, dc.id)
	if err := f.syncDrone(ctx, dc); err != nil {
		log.Warn("first push to drone failed; will push on the next change", "err", err)
	}
	f.mu.Lock()
	close(dc.ready)
	f.notifyLocked()
	f.mu.Unlock()
	log.Info("drone connected", "peer", dc.sess.PeerName())
	for {
		bundles := f.bundles.changes()
		select {
		case _, ok := <-watch:
			if !ok {
				return
			}
		case <-bundles:
		case <-dc.sess.Done():
			return
		case <-ctx.Done():
			return
		}
		if err := f.syncDrone(ctx, dc); err != nil && dc.sess.Err() == nil {
			log.Warn("push to drone failed; will push on the next change", "err", err)
		}
	}
}

// syncDrone pushes the Drone its cluster's bundle and its view when they differ from what it
// was last given. A Drone not in the metadata gets nothing.
func (f *Frontgate) syncDrone(ctx context.Context, dc *droneConn) error {
	dc.mu.Lock()
	defer dc.mu.Unlock()
	view, err := f.store.View(dc.id)
	if err != nil {
		return nil // not registered (yet): nothing to push
	}
	cid, _ := view.Get("/cluster/cluster_id")
	if b, ok := f.bundles.get(cid); ok && cid+"/"+b.hash != dc.pushedBundle {
		if err := f.push(ctx, dc, &edgepb.Bundle{ClusterId: cid, Files: b.files}); err != nil {
			return fmt.Errorf("push bundle of cluster %q: %w", cid, err)
		}
		dc.pushedBundle = cid + "/" + b.hash
	}
	js := view.JSON()
	if !bytes.Equal(js, dc.pushedView) {
		if err := f.push(ctx, dc, &edgepb.SelfView{InstanceId: dc.id, Json: js}); err != nil {
			return fmt.Errorf("push view: %w", err)
		}
		dc.pushedView = js
	}
	return nil
}

// push sends one push and waits for the Drone's answer. A Drone that refuses it (a *RemoteError)
// counts as pushed: sending the same again would be refused again.
func (f *Frontgate) push(ctx context.Context, dc *droneConn, msg proto.Message) error {
	ctx, cancel := context.WithTimeout(ctx, pushTimeout)
	defer cancel()
	_, err := dc.sess.Request(ctx, msg)
	var re *wire.RemoteError
	if errors.As(err, &re) {
		f.log.Warn("drone refused a push", "instance_id", dc.id, "type", msg.ProtoReflect().Descriptor().Name(), "err", err)
		return nil
	}
	return err
}

// handleDrone handles what a Drone sends: Health (relayed up) and Ping.
func (f *Frontgate) handleDrone(ctx context.Context, msg proto.Message) (proto.Message, error) {
	s := wire.SessionFromContext(ctx)
	switch m := msg.(type) {
	case *edgepb.Health:
		f.relayHealth(ctx, s.Peer().ID, m)
		return nil, nil
	case *edgepb.Ping:
		return &edgepb.Pong{Nonce: m.GetNonce()}, nil
	default:
		return nil, &wire.RemoteError{Code: wire.CodeUnknownType, Message: fmt.Sprintf("frontgate %s does not handle %s from a drone", f.cfg.ID, msg.ProtoReflect().Descriptor().FullName())}
	}
}

// waitDrone returns the ready stream of instanceID, waiting for one within ctx.
func (f *Frontgate) waitDrone(ctx context.Context, instanceID string) (*droneConn, error) {
	for {
		f.mu.Lock()
		dc, changed := f.drones[instanceID], f.dronesChanged
		f.mu.Unlock()
		if dc != nil && dc.isReady() && dc.sess.Err() == nil {
			return dc, nil
		}
		var dying <-chan struct{}
		if dc != nil {
			dying = dc.sess.Done()
		}
		select {
		case <-changed:
		case <-dying:
		case <-ctx.Done():
			return nil, context.Cause(ctx)
		}
	}
}

// relayOpts says how a request is relayed to a Drone.
type relayOpts struct {
	wait  time.Duration // how long to wait for the Drone to connect
	run   time.Duration // how long the Drone may take to answer
	retry bool          // the request may be delivered again on a new stream
	sync  bool          // push newer bundle and view before relaying
}

// relay sends msg to the Drone of instanceID and returns its reply.
func (f *Frontgate) relay(ctx context.Context, instanceID string, o relayOpts, msg proto.Message) (proto.Message, error) {
	if err := (pki.Identity{Kind: pki.KindDrone, ID: instanceID}).Validate(); err != nil {
		return nil, &wire.RemoteError{Code: CodeInvalid, Message: fmt.Sprintf("frontgate %s: instance_id %q: %v", f.cfg.ID, instanceID, err)}
	}
	ctx, cancel := context.WithTimeout(ctx, o.wait+o.run+relayMargin)
	defer cancel()
	waitCtx, cancelWait := context.WithTimeout(ctx, o.wait)
	defer cancelWait()
	var lost error
	for {
		dc, err := f.waitDrone(waitCtx, instanceID)
		if err != nil {
			return nil, f.unavailable(instanceID, o.wait, lost)
		}
		if o.sync {
			if err := f.syncDrone(ctx, dc); err != nil && dc.sess.Err() == nil {
				return nil, fmt.Errorf("frontgate %s: drone %s: %w", f.cfg.ID, instanceID, err)
			}
		}
		reply, err := dc.sess.Request(ctx, msg)
		if err == nil {
			return reply, nil
		}
		var re *wire.RemoteError
		if errors.As(err, &re) {
			return nil, &wire.RemoteError{Code: re.Code, Message: fmt.Sprintf("drone %s (via frontgate %s): %s", instanceID, f.cfg.ID, re.Message)}
		}
		if dc.sess.Err() == nil || !o.retry || ctx.Err() != nil {
			return nil, &wire.RemoteError{Code: CodeDroneUnavailable, Message: fmt.Sprintf("frontgate %s: drone %s: %v", f.cfg.ID, instanceID, err)}
		}
		// The stream died under the request: the Drone may come back and the request may be
		// delivered again (its command id runs once).
		lost = err
		waitCtx = ctx
	}
}

// unavailable is the error reply for a Drone that did not connect in time.
func (f *Frontgate) unavailable(instanceID string, waited time.Duration, lost error) error {
	known := "registered in this Frontgate's metadata"
	if _, err := f.store.View(instanceID); err != nil {
		known = "not registered in this Frontgate's metadata"
	}
	msg := fmt.Sprintf("frontgate %s: drone of instance %s is not connected (waited %s; the instance is %s)", f.cfg.ID, instanceID, waited, known)
	if lost != nil {
		msg += fmt.Sprintf("; its stream was lost during the request: %v", lost)
	}
	return &wire.RemoteError{Code: CodeDroneUnavailable, Message: msg}
}
