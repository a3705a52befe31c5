package wire_test

import (
	"context"
	"fmt"
	"net"

	"github.com/pitrix/pitrix/edge/edgepb"
	"github.com/pitrix/pitrix/edge/wire"
	"google.golang.org/protobuf/proto"
)

// A Drone-like end answers RunCommand; the other end asks. In production both ends come from
// Dial and Serve over mutual TLS; here a net.Pipe stands in for the connection.
func Example() {
	drone := func(ctx context.Context, msg proto.Message) (proto.Message, error) {
		switch m := msg.(type) {
		case *edgepb.RunCommand:
			return &edgepb.CommandResult{CommandId: m.CommandId, ExitCode: 0, Stdout: []byte("ok\n")}, nil
		default:
			return nil, &wire.RemoteError{Code: wire.CodeUnknownType, Message: "drone does not handle this"}
		}
	}
	c1, c2 := net.Pipe()
	frontgate := wire.NewSession(c1, wire.Config{}, nil)
	defer frontgate.Close()
	agent := wire.NewSession(c2, wire.Config{}, drone)
	defer agent.Close()

	reply, err := frontgate.Request(context.Background(), &edgepb.RunCommand{CommandId: "cmd-1", Cmd: "echo ok"})
	if err != nil {
		fmt.Println(err)
		return
	}
	res := reply.(*edgepb.CommandResult)
	fmt.Printf("%s exit %d: %s", res.CommandId, res.ExitCode, res.Stdout)

	_, err = frontgate.Request(context.Background(), &edgepb.PutMetadata{ClusterId: "cl-1"})
	fmt.Println(err)
	// Output:
	// cmd-1 exit 0: ok
	// wire: pipe replied unknown_type: drone does not handle this
}
