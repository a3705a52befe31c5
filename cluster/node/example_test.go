package node_test

import (
	"context"
	"fmt"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/pitrix/pitrix/cluster/node"
)

// greeter is a virtual actor: it learns its identity when activated (a real
// actor would load its state by it here) and greets by it.
type greeter struct{ who string }

func (g *greeter) Receive(ctx actor.Context) {
	switch msg := ctx.Message().(type) {
	case *actor.Started:
		g.who = node.Identity(ctx)
	case *wrapperspb.StringValue:
		ctx.Respond(wrapperspb.String(msg.GetValue() + ", " + g.who))
	}
}

func Example() {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	n, err := node.Start(ctx, node.Config{GossipAddr: "127.0.0.1:0", FastGossip: true},
		node.Kind{Name: "greeter", Producer: func() actor.Actor { return &greeter{} }})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer n.Close()

	res, err := n.Request(ctx, "greeter", "alice", wrapperspb.String("hello"))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(res.(*wrapperspb.StringValue).GetValue())
	for _, a := range n.Activations() {
		fmt.Println(a.Kind, a.ID, a.Messages, a.Node == n.ID())
	}
	// Output:
	// hello, alice
	// greeter alice 1 true
}
