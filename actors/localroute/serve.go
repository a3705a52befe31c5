package localroute

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/pitrix/pitrix/providers"
	"github.com/pitrix/pitrix/providers/vm"
)

// driverActor serves other nodes' calls with this node's driver. Each call runs on its own
// goroutine (a create waits for its Drone) and answers the caller's future directly.
type driverActor struct{ r *Router }

func (a *driverActor) Receive(ctx actor.Context) {
	m, ok := ctx.Message().(*wrapperspb.BytesValue)
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
		root.Send(sender, wrapperspb.Bytes(a.r.serve(m.GetValue())))
	}()
}

// serve decodes a call from another node and runs it here, if the runtime is this node's.
func (r *Router) serve(body []byte) []byte {
	var c call
	var rep reply
	if err := json.Unmarshal(body, &c); err != nil {
		rep.Err = fmt.Sprintf("node %s: bad driver call: %v", r.cfg.Name, err)
	} else if c.Node != r.cfg.Name {
		// Never run another node's runtime on this node's driver.
		rep.Err = fmt.Sprintf("runtime %s belongs to node %s, and this is node %s", c.Runtime, c.Node, r.cfg.Name)
	} else {
		ctx, cancel := context.WithTimeout(context.Background(), time.Duration(max(c.TimeoutMs, 1))*time.Millisecond)
		go func() { // Close ends the calls in flight
			select {
			case <-r.stop:
				cancel()
			case <-ctx.Done():
			}
		}()
		rep = r.serveLocal(ctx, c)
		cancel()
		r.log.Debug("served a driver call", "method", c.Method, "runtime", c.Runtime, "err", rep.Err)
	}
	out, _ := json.Marshal(rep) // strings and numbers: cannot fail
	return out
}

// serveLocal runs c on this node's driver.
func (r *Router) serveLocal(ctx context.Context, c call) reply {
	d := r.cfg.Driver
	rt := providers.RuntimeSpec{ID: c.Runtime, Zone: c.Zone, Node: c.Node}
	var rep reply
	var err error
	switch c.Method {
	case mEnsureVPC:
		rep.VPC, err = d.EnsureVPC(ctx, rt, c.Owner)
	case mCreate, mResize:
		if c.Spec == nil {
			err = fmt.Errorf("%s without an instance spec", c.Method)
		} else if c.Method == mCreate {
			rep.Instance, err = d.CreateInstance(ctx, rt, c.VPC, *c.Spec)
		} else {
			rep.Instance, err = d.ResizeInstance(ctx, rt, c.VPC, *c.Spec)
		}
	case mStart:
		rep.Instance, err = d.StartInstance(ctx, rt, c.VPC, c.ID)
	case mStop:
		err = d.StopInstance(ctx, rt, c.VPC, c.ID)
	case mDelete:
		err = d.DeleteInstance(ctx, rt, c.VPC, c.ID)
	case mInstance:
		rep.Instance, err = d.Instance(ctx, rt, c.VPC, c.ID)
	default:
		err = fmt.Errorf("unknown driver method %q", c.Method)
	}
	if err != nil {
		rep.Err, rep.NoInstance = err.Error(), errors.Is(err, vm.ErrNoInstance)
	}
	return rep
}
