package localroute

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/pitrix/pitrix/cluster/gossip"
	"github.com/pitrix/pitrix/cluster/node"
	"github.com/pitrix/pitrix/providers"
	"github.com/pitrix/pitrix/providers/vm"
)

// ActorName is the name of the local-driver actor every node runs.
const ActorName = "local-driver"

// DefaultTimeout bounds a remote call whose context has no deadline.
const DefaultTimeout = 10 * time.Minute

// ErrNodeDown: the node a local runtime belongs to is not a live member of the cluster. It
// wraps providers.ErrUnreachable: the job engine parks the job until the node is back.
var ErrNodeDown = fmt.Errorf("localroute: the local runtime's node is down (%w)", providers.ErrUnreachable)

// ErrNotServing: the router has no cluster yet (Serve was not called): the node is starting.
var ErrNotServing = errors.New("localroute: this node is not serving yet")

// Cluster is what the router needs of this node's membership; *node.Node is one.
type Cluster interface {
	Members() []node.Member
	System() *actor.ActorSystem
}

// Config configures a Router.
type Config struct {
	// Name is this node's name, the one the local runtimes it owns record. Required.
	Name   string
	Driver vm.Driver // this node's local driver; required
	Logger *slog.Logger
	// Grace is how long a call waits for its runtime's node to be alive again before failing
	// with ErrNodeDown; default 5 s.
	Grace time.Duration
}

// Router is the vm.Driver of the local runtimes of every node. Safe for concurrent use.
type Router struct {
	cfg  Config
	log  *slog.Logger
	node atomic.Pointer[clusterRef]
	wg   sync.WaitGroup // calls served for other nodes
	stop chan struct{}
	once sync.Once // Close
}

type clusterRef struct {
	c   Cluster
	pid *actor.PID
}

var _ vm.Driver = (*Router)(nil)

// New returns the router of node cfg.Name; it serves calls of this node's runtimes at once and
// reaches other nodes once Serve has run.
func New(cfg Config) (*Router, error) {
	if cfg.Name == "" || cfg.Driver == nil {
		return nil, errors.New("localroute: Config.Name and Config.Driver are required")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Grace <= 0 {
		cfg.Grace = 5 * time.Second
	}
	return &Router{cfg: cfg, log: cfg.Logger.With("component", "localroute"), stop: make(chan struct{})}, nil
}

// Serve spawns this node's local-driver actor on c, which serves other nodes' calls, and lets
// this router reach theirs. Close stops it.
func (r *Router) Serve(c Cluster) error {
	if c == nil {
		return errors.New("localroute: Serve needs a cluster")
	}
	pid, err := c.System().Root.SpawnNamed(actor.PropsFromProducer(func() actor.Actor { return &driverActor{r: r} }), ActorName)
	if err != nil {
		return fmt.Errorf("localroute: spawn %s: %w", ActorName, err)
	}
	r.node.Store(&clusterRef{c: c, pid: pid})
	return nil
}

// Close stops the actor and waits for the calls it is serving (their contexts end). A second
// Close does nothing.
func (r *Router) Close() {
	r.once.Do(func() {
		if ref := r.node.Load(); ref != nil {
			_ = ref.c.System().Root.StopFuture(ref.pid).Wait()
		}
		close(r.stop)
	})
	r.wg.Wait()
}

// call is one driver call as it travels between nodes.
type call struct {
	Method    string           `json:"method"`
	Runtime   string           `json:"runtime"`
	Zone      string           `json:"zone,omitempty"`
	Node      string           `json:"node"` // the runtime's node: the one that must serve it
	Owner     string           `json:"owner,omitempty"`
	VPC       vm.VPC           `json:"vpc"`
	Spec      *vm.InstanceSpec `json:"spec,omitempty"`
	ID        string           `json:"id,omitempty"`
	TimeoutMs int64            `json:"timeout_ms"`
}

// reply is a call's answer.
type reply struct {
	VPC        vm.VPC      `json:"vpc"`
	Instance   vm.Instance `json:"instance"`
	Err        string      `json:"err,omitempty"`
	NoInstance bool        `json:"no_instance,omitempty"` // Err wraps vm.ErrNoInstance
}

// Driver methods.
const (
	mEnsureVPC = "ensure_vpc"
	mCreate    = "create_instance"
	mStart     = "start_instance"
	mStop      = "stop_instance"
	mResize    = "resize_instance"
	mDelete    = "delete_instance"
	mInstance  = "instance"
)

// here reports whether rt's calls run on this node; otherwise it returns the member they run
// on, or ErrNodeDown.
func (r *Router) here(rt providers.RuntimeSpec) (bool, node.Member, error) {
	if rt.Node == "" || rt.Node == r.cfg.Name {
		return true, node.Member{}, nil
	}
	ref := r.node.Load()
	if ref == nil {
		return false, node.Member{}, fmt.Errorf("%w: runtime %s is node %s's", ErrNotServing, rt.ID, rt.Node)
	}
	state := "not a member"
	for _, m := range ref.c.Members() {
		if m.Name != rt.Node {
			continue
		}
		if m.Self {
			return true, node.Member{}, nil
		}
		// A suspect member may be dead: calls wait for gossip to say it is alive again.
		if m.Status == gossip.Alive && m.Address != "" {
			return false, m, nil
		}
		state = m.Status.String()
	}
	return false, node.Member{}, fmt.Errorf("%w: runtime %s is the local runtime of node %s, which is %s; its instances run on that node only: try again once it is back",
		ErrNodeDown, rt.ID, rt.Node, state)
}

// remote sends c to the local-driver actor of member m and waits for its reply within ctx.
func (r *Router) remote(ctx context.Context, m node.Member, c call) (reply, error) {
	timeout := DefaultTimeout
	if d, ok := ctx.Deadline(); ok {
		timeout = time.Until(d)
	}
	if timeout <= 0 {
		return reply{}, fmt.Errorf("%s on node %s: %w", c.Method, m.Name, context.DeadlineExceeded)
	}
	c.TimeoutMs = timeout.Milliseconds()
	body, err := json.Marshal(c)
	if err != nil {
		return reply{}, fmt.Errorf("localroute: encode %s: %w", c.Method, err)
	}
	f := r.node.Load().c.System().Root.RequestFuture(actor.NewPID(m.Address, ActorName), wrapperspb.Bytes(body), timeout)
	done := make(chan struct{})
	var res any
	go func() {
		defer close(done)
		res, err = f.Result()
	}()
	// A node that dies mid-call never answers: watch its membership meanwhile.
	watch := time.NewTicker(time.Second)
	defer watch.Stop()
	for waiting := true; waiting; {
		select {
		case <-done:
			waiting = false
		case <-ctx.Done():
			return reply{}, fmt.Errorf("%s for runtime %s on node %s: %w", c.Method, c.Runtime, m.Name, ctx.Err())
		case <-watch.C:
			if _, _, err := r.here(providers.RuntimeSpec{ID: c.Runtime, Node: c.Node}); err != nil {
				return reply{}, fmt.Errorf("%s: %w", c.Method, err)
			}
		}
	}
	if err != nil {
		return reply{}, fmt.Errorf("%s for runtime %s: node %s (%s) did not answer: %w", c.Method, c.Runtime, m.Name, m.Address, err)
	}
	b, ok := res.(*wrapperspb.BytesValue)
	if !ok {
		return reply{}, fmt.Errorf("%s for runtime %s: node %s answered %T", c.Method, c.Runtime, m.Name, res)
	}
	var rep reply
	if err := json.Unmarshal(b.GetValue(), &rep); err != nil {
		return reply{}, fmt.Errorf("%s for runtime %s: node %s: decode the reply: %w", c.Method, c.Runtime, m.Name, err)
	}
	if rep.Err != "" {
		msg := fmt.Sprintf("on node %s: %s", m.Name, rep.Err)
		if rep.NoInstance {
			return rep, fmt.Errorf("%w (%s)", vm.ErrNoInstance, msg)
		}
		return rep, errors.New(msg)
	}
	return rep, nil
}

// locate is here, waiting up to Config.Grace (within ctx) for an owner that is not alive to
// come back: a node restarting, or one gossip suspects for a moment.
func (r *Router) locate(ctx context.Context, rt providers.RuntimeSpec) (bool, node.Member, error) {
	local, m, err := r.here(rt)
	if err == nil || !errors.Is(err, ErrNodeDown) {
		return local, m, err
	}
	deadline := time.Now().Add(r.cfg.Grace)
	t := time.NewTicker(250 * time.Millisecond)
	defer t.Stop()
	for time.Now().Before(deadline) {
		select {
		case <-ctx.Done():
			return false, node.Member{}, err
		case <-t.C:
		}
		if local, m, err = r.here(rt); err == nil {
			return local, m, nil
		}
	}
	return false, node.Member{}, err
}

// do sends c to member m, the node of runtime rt.
func (r *Router) do(ctx context.Context, m node.Member, rt providers.RuntimeSpec, c call) (reply, error) {
	c.Runtime, c.Zone, c.Node = rt.ID, rt.Zone, rt.Node
	return r.remote(ctx, m, c)
}

// EnsureVPC implements vm.Driver.
func (r *Router) EnsureVPC(ctx context.Context, rt providers.RuntimeSpec, owner string) (vm.VPC, error) {
	ok, m, err := r.locate(ctx, rt)
	if err != nil {
		return vm.VPC{}, err
	}
	if ok {
		return r.cfg.Driver.EnsureVPC(ctx, rt, owner)
	}
	rep, err := r.do(ctx, m, rt, call{Method: mEnsureVPC, Owner: owner})
	return rep.VPC, err
}

// CreateInstance implements vm.Driver.
func (r *Router) CreateInstance(ctx context.Context, rt providers.RuntimeSpec, vpc vm.VPC, in vm.InstanceSpec) (vm.Instance, error) {
	ok, m, err := r.locate(ctx, rt)
	if err != nil {
		return vm.Instance{}, err
	}
	if ok {
		return r.cfg.Driver.CreateInstance(ctx, rt, vpc, in)
	}
	rep, err := r.do(ctx, m, rt, call{Method: mCreate, VPC: vpc, Spec: &in})
	return rep.Instance, err
}

// StartInstance implements vm.Driver.
func (r *Router) StartInstance(ctx context.Context, rt providers.RuntimeSpec, vpc vm.VPC, id string) (vm.Instance, error) {
	ok, m, err := r.locate(ctx, rt)
	if err != nil {
		return vm.Instance{}, err
	}
	if ok {
		return r.cfg.Driver.StartInstance(ctx, rt, vpc, id)
	}
	rep, err := r.do(ctx, m, rt, call{Method: mStart, VPC: vpc, ID: id})
	return rep.Instance, err
}

// StopInstance implements vm.Driver.
func (r *Router) StopInstance(ctx context.Context, rt providers.RuntimeSpec, vpc vm.VPC, id string) error {
	ok, m, err := r.locate(ctx, rt)
	if err != nil {
		return err
	}
	if ok {
		return r.cfg.Driver.StopInstance(ctx, rt, vpc, id)
	}
	_, err = r.do(ctx, m, rt, call{Method: mStop, VPC: vpc, ID: id})
	return err
}

// ResizeInstance implements vm.Driver.
func (r *Router) ResizeInstance(ctx context.Context, rt providers.RuntimeSpec, vpc vm.VPC, in vm.InstanceSpec) (vm.Instance, error) {
	ok, m, err := r.locate(ctx, rt)
	if err != nil {
		return vm.Instance{}, err
	}
	if ok {
		return r.cfg.Driver.ResizeInstance(ctx, rt, vpc, in)
	}
	rep, err := r.do(ctx, m, rt, call{Method: mResize, VPC: vpc, Spec: &in})
	return rep.Instance, err
}

// DeleteInstance implements vm.Driver.
func (r *Router) DeleteInstance(ctx context.Context, rt providers.RuntimeSpec, vpc vm.VPC, id string) error {
	ok, m, err := r.locate(ctx, rt)
	if err != nil {
		return err
	}
	if ok {
		return r.cfg.Driver.DeleteInstance(ctx, rt, vpc, id)
	}
	_, err = r.do(ctx, m, rt, call{Method: mDelete, VPC: vpc, ID: id})
	return err
}

// Instance implements vm.Driver.
func (r *Router) Instance(ctx context.Context, rt providers.RuntimeSpec, vpc vm.VPC, id string) (vm.Instance, error) {
	ok, m, err := r.locate(ctx, rt)
	if err != nil {
		return vm.Instance{}, err
	}
	if ok {
		return r.cfg.Driver.Instance(ctx, rt, vpc, id)
	}
	rep, err := r.do(ctx, m, rt, call{Method: mInstance, VPC: vpc, ID: id})
	return rep.Instance, err
}
