package relay

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"

	"github.com/pitrix/pitrix/actors/actorpb"
	"github.com/pitrix/pitrix/actors/fault"
	"github.com/pitrix/pitrix/actors/frontgate"
	"github.com/pitrix/pitrix/cluster/gossip"
	"github.com/pitrix/pitrix/cluster/node"
	"github.com/pitrix/pitrix/edge/gateway"
)

// ActorName is the name of the edge-relay actor every node runs.
const ActorName = "edge-relay"

// ErrNoStream: no node holds the Frontgate's stream (within the caller's deadline).
var ErrNoStream = errors.New("relay: no control-plane node holds the frontgate's stream")

// Config configures a Relay.
type Config struct {
	Node    *node.Node
	Gateway *gateway.Gateway
	Logger  *slog.Logger
	// Recheck is how long a request waits for a local stream before asking the session
	// actor again where the stream is; default 1s.
	Recheck time.Duration
}

// Relay sends edge requests from this node. Safe for concurrent use.
type Relay struct {
	cfg    Config
	log    *slog.Logger
	events chan streamEvent
	pid    *actor.PID
	wg     sync.WaitGroup // requests served for other nodes
}

type streamEvent struct {
	id string
	ev frontgate.StreamEvent
}

// New spawns this node's edge-relay actor. Run must be running for stream events to reach
// the session actors; Close stops the actor.
func New(cfg Config) (*Relay, error) {
	if cfg.Node == nil || cfg.Gateway == nil {
		return nil, errors.New("relay: Config.Node and Config.Gateway are required")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Recheck <= 0 {
		cfg.Recheck = time.Second
	}
	r := &Relay{cfg: cfg, log: cfg.Logger.With("component", "relay"), events: make(chan streamEvent, 1024)}
	pid, err := cfg.Node.System().Root.SpawnNamed(actor.PropsFromProducer(func() actor.Actor { return &relayActor{r: r} }), ActorName)
	if err != nil {
		return nil, fmt.Errorf("relay: spawn %s: %w", ActorName, err)
	}
	r.pid = pid
	return r, nil
}

// Close stops the relay actor and waits for the requests it is serving.
func (r *Relay) Close() {
	_ = r.cfg.Node.System().Root.StopFuture(r.pid).Wait()
	r.wg.Wait()
}

// OnStream is the gateway's stream hook (gateway.Config.OnStream): it queues the change for
// Run; it never blocks (a full queue drops the event and logs it: the next change fixes it).
func (r *Relay) OnStream(fgID, vpc string, connected bool) {
	ev := frontgate.StreamEvent{Node: r.cfg.Node.ID(), NodeAddress: r.cfg.Node.Address(), VPC: vpc, Connected: connected, At: time.Now().UTC()}
	select {
	case r.events <- streamEvent{id: fgID, ev: ev}:
	default:
		r.log.Warn("stream event queue full; event dropped", "frontgate", fgID, "connected", connected)
	}
}

// Run reports stream changes to the session actors until ctx ends.
func (r *Relay) Run(ctx context.Context) error {
	for {
		select {
		case <-ctx.Done():
			return nil
		case se := <-r.events:
			id, ev := se.id, se.ev
			op := frontgate.OpDisconnected
			if ev.Connected {
				op = frontgate.OpConnected
			}
			body, _ := json.Marshal(ev)
			r.report(ctx, id, op, body)
		}
	}
}

// reportFor bounds how long Run keeps trying to report one stream change.
const reportFor = time.Minute

// report tells the session actor of a stream change, trying again while the store cannot take
// it (a raft election after a node died: the very moment Frontgates move) for up to reportFor.
// A change not reported would leave the session naming a node that no longer holds the stream.
func (r *Relay) report(ctx context.Context, id, op string, body []byte) {
	deadline := time.Now().Add(reportFor)
	wait := 200 * time.Millisecond
	for {
		_, err := r.command(ctx, id, op, body)
		if err == nil || ctx.Err() != nil {
			return
		}
		if fault.Is(err, fault.CodeInvalid) || fault.Is(err, fault.CodePermission) {
			r.log.Warn("report stream change", "frontgate", id, "op", op, "err", err)
			return // trying again cannot help
		}
		if time.Now().After(deadline) {
			r.log.Warn("report stream change: giving up", "frontgate", id, "op", op, "err", err)
			return
		}
		r.log.Info("report stream change: trying again", "frontgate", id, "op", op, "err", err)
		select {
		case <-ctx.Done():
			return
		case <-time.After(wait):
		}
		wait = min(wait*2, 5*time.Second)
	}
}

// Register records which runtime and owner the Frontgate's VPC serves.
func (r *Relay) Register(ctx context.Context, fgID string, p frontgate.Placement) error {
	body, _ := json.Marshal(p)
	_, err := r.command(ctx, fgID, frontgate.OpRegister, body)
	return err
}

// Session returns what the control plane knows of a Frontgate.
func (r *Relay) Session(ctx context.Context, fgID string) (frontgate.Session, error) {
	var s frontgate.Session
	b, err := r.command(ctx, fgID, frontgate.OpGet, nil)
	if err != nil {
		return s, err
	}
	err = json.Unmarshal(b, &s)
	return s, err
}

func (r *Relay) command(ctx context.Context, fgID, op string, body []byte) ([]byte, error) {
	for attempt := 0; ; attempt++ {
		res, err := r.cfg.Node.Request(ctx, frontgate.KindName, fgID, &actorpb.FrontgateCommand{Op: op, Body: body})
		if err != nil {
			return nil, err
		}
		fr, ok := res.(*actorpb.FrontgateCommandResult)
		if !ok {
			return nil, fmt.Errorf("relay: frontgate %s answered %T", fgID, res)
		}
		if err := fault.FromProto(fr.Fault); err != nil {
			if fault.Is(err, fault.CodeConflict) && attempt < 3 {
				continue // the actor reloaded; try again on fresh state
			}
			return nil, err
		}
		return fr.Session, nil
	}
}

// Request sends msg to Frontgate fgID and returns its reply: through this node's gateway when
// it holds the stream, else through the node the session names; while no node holds it, it
// waits (within ctx) and looks again.
func (r *Relay) Request(ctx context.Context, fgID string, msg proto.Message) (proto.Message, error) {
	gw := r.cfg.Gateway
	for {
		if gw.Connected(fgID) {
			return gw.Request(ctx, fgID, msg)
		}
		if s, err := r.Session(ctx, fgID); err == nil && s.Connected && s.Node != r.cfg.Node.ID() && s.NodeAddress != "" && r.alive(s.Node) {
			res, err := r.remote(ctx, s, fgID, msg)
			if err == nil || !errors.Is(err, gateway.ErrNotConnected) {
				return res, err
			}
		}
		wctx, cancel := context.WithTimeout(ctx, r.cfg.Recheck)
		res, err := gw.Request(wctx, fgID, msg)
		cancel()
		if err == nil || !errors.Is(err, gateway.ErrNotConnected) {
			return res, err
		}
		if ctx.Err() != nil {
			return nil, fmt.Errorf("%w: %s (this node %s listens at %s): %w", ErrNoStream, fgID, r.cfg.Node.ID(), gw.Addr(), ctx.Err())
		}
	}
}

// alive reports whether node id is a live member (a stream recorded on a node that is gone
// went with it).
func (r *Relay) alive(id string) bool {
	for _, m := range r.cfg.Node.Members() {
		if m.ID == id {
			return m.Status == gossip.Alive
		}
	}
	return false
}

// remote asks the edge-relay actor of node s.Node to send msg.
func (r *Relay) remote(ctx context.Context, s frontgate.Session, fgID string, msg proto.Message) (proto.Message, error) {
	payload, err := proto.Marshal(msg)
	if err != nil {
		return nil, fmt.Errorf("relay: encode %T: %w", msg, err)
	}
	timeout := 30 * time.Second
	if d, ok := ctx.Deadline(); ok {
		timeout = time.Until(d)
	}
	req := &actorpb.EdgeRelay{FrontgateId: fgID, Type: string(msg.ProtoReflect().Descriptor().FullName()), Payload: payload, TimeoutMs: timeout.Milliseconds()}
	res, err := r.cfg.Node.System().Root.RequestFuture(actor.NewPID(s.NodeAddress, ActorName), req, timeout).Result()
	if err != nil {
		return nil, fmt.Errorf("relay %s via node %s (%s): %w", fgID, s.Node, s.NodeAddress, err)
	}
	rr, ok := res.(*actorpb.EdgeRelayResult)
	if !ok {
		return nil, fmt.Errorf("relay %s via node %s: answered %T", fgID, s.Node, res)
	}
	if rr.Fault != nil {
		err := fault.FromProto(rr.Fault)
		if rr.Fault.Code == codeNotConnected {
			err = fmt.Errorf("%w: %w", gateway.ErrNotConnected, err)
		}
		return nil, fmt.Errorf("relay %s via node %s: %w", fgID, s.Node, err)
	}
	return decode(rr.Type, rr.Payload)
}

// codeNotConnected marks a relay fault where the far node no longer holds the stream.
const codeNotConnected = "unavailable"

func decode(typ string, payload []byte) (proto.Message, error) {
	mt, err := protoregistry.GlobalTypes.FindMessageByName(protoreflect.FullName(typ))
	if err != nil {
		return nil, fmt.Errorf("relay: unknown message type %q: %w", typ, err)
	}
	m := mt.New().Interface()
	if err := proto.Unmarshal(payload, m); err != nil {
		return nil, fmt.Errorf("relay: decode %s: %w", typ, err)
	}
	return m, nil
}

// relayActor serves other nodes' EdgeRelay requests with this node's gateway. Each request
// runs on its own goroutine (a Frontgate may take a command's whole timeout) and answers the
// caller's future directly.
type relayActor struct{ r *Relay }

func (a *relayActor) Receive(ctx actor.Context) {
	m, ok := ctx.Message().(*actorpb.EdgeRelay)
	if !ok {
		return
	}
	sender, root := ctx.Sender(), ctx.ActorSystem().Root
	if sender == nil {
		return
	}
	a.r.wg.Add(1)
	go func() {
		defer a.r.wg.Done()
		root.Send(sender, a.r.serve(m))
	}()
}

func (r *Relay) serve(m *actorpb.EdgeRelay) *actorpb.EdgeRelayResult {
	msg, err := decode(m.Type, m.Payload)
	if err != nil {
		return &actorpb.EdgeRelayResult{Fault: fault.ToProto(fault.InvalidField("type", err.Error()))}
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Duration(max(m.TimeoutMs, 1))*time.Millisecond)
	defer cancel()
	if !r.cfg.Gateway.Connected(m.FrontgateId) {
		return &actorpb.EdgeRelayResult{Fault: fault.ToProto(fault.Unavailable(gateway.ErrNotConnected, "node %s holds no stream of %s", r.cfg.Node.ID(), m.FrontgateId))}
	}
	res, err := r.cfg.Gateway.Request(ctx, m.FrontgateId, msg)
	if err != nil {
		return &actorpb.EdgeRelayResult{Fault: fault.ToProto(fault.Internal(err, "%s", err.Error()))}
	}
	b, err := proto.Marshal(res)
	if err != nil {
		return &actorpb.EdgeRelayResult{Fault: fault.ToProto(fault.Internal(err, "encode %T", res))}
	}
	return &actorpb.EdgeRelayResult{Type: string(res.ProtoReflect().Descriptor().FullName()), Payload: b}
}
