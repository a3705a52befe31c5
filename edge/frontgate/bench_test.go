package frontgate_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/pitrix/pitrix/edge/edgepb"
)

// BenchmarkRoundTrip measures requests from the control plane over mutual TLS on loopback:
// DroneStatus is answered by the Frontgate; RunCommand of `true` goes on to a Drone, which forks
// a shell and stores the result durably (fsync) under a fresh command id.
func BenchmarkRoundTrip(b *testing.B) {
	c := newCerts(b)
	cp := startControl(b, c)
	fg, _ := startFrontgate(b, frontgateConfig(b, c, cp, "127.0.0.1:0", b.TempDir()))
	startDrone(b, c, newNode(b, "i-1", "master"), fg.DroneAddr())
	s := cp.session(0)
	ctx := context.Background()
	// The Drone is connected once a command reaches it.
	if _, err := cp.request(&edgepb.RunCommand{InstanceId: "i-1", Cmd: "true", TimeoutSec: 20}); err != nil {
		b.Fatal(err)
	}
	run := func(b *testing.B, req func(i int) error) {
		b.ReportAllocs()
		i := 0
		start := time.Now()
		for b.Loop() {
			if err := req(i); err != nil {
				b.Fatal(err)
			}
			i++
		}
		b.ReportMetric(float64(time.Since(start).Microseconds())/float64(i), "µs/roundtrip")
	}
	b.Run("DroneStatus", func(b *testing.B) {
		run(b, func(int) error {
			_, err := s.Request(ctx, &edgepb.DroneStatus{})
			return err
		})
	})
	b.Run("RunCommand_true", func(b *testing.B) {
		run(b, func(i int) error {
			reply, err := s.Request(ctx, &edgepb.RunCommand{CommandId: fmt.Sprintf("bench-%s-%d", b.Name(), i), InstanceId: "i-1", Cmd: "true", TimeoutSec: 20})
			if err == nil && reply.(*edgepb.CommandResult).ExitCode != 0 {
				err = fmt.Errorf("exit %d", reply.(*edgepb.CommandResult).ExitCode)
			}
			return err
		})
	})
}
