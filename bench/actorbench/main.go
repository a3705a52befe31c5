package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"runtime"
	"runtime/pprof"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/asynkron/protoactor-go/actor"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/wrapperspb"

	"github.com/pitrix/pitrix/actors/actorpb"
	"github.com/pitrix/pitrix/actors/entity"
	"github.com/pitrix/pitrix/actors/frontgate"
	"github.com/pitrix/pitrix/actors/frontgate/sessiongrain"
	"github.com/pitrix/pitrix/actors/store"
	"github.com/pitrix/pitrix/cluster/node"
)

func main() {
	n := flag.Int("actors", 100_000, "activations per row")
	workers := flag.Int("workers", 64, "concurrent activating requests")
	dir := flag.String("dir", "", "where the frontgate row's Pebble store goes; default the system temp dir")
	flag.StringVar(&memProfile, "memprofile", "", "write a heap profile after the node row to this file")
	flag.Parse()
	if *n <= 0 || *workers <= 0 {
		fmt.Fprintln(os.Stderr, "actorbench: -actors and -workers must be positive")
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	fmt.Printf("| row | actors | heap per actor | ratio to bare | activations/s |\n|---|---|---|---|---|\n")
	var bare float64
	for _, r := range []struct {
		name string
		run  func(context.Context, int, int, string) (perActor float64, rate float64, err error)
	}{{"bare", runBare}, {"node", runNode}, {"frontgate", runFrontgate}} {
		per, rate, err := r.run(ctx, *n, *workers, *dir)
		if err != nil {
			fmt.Fprintf(os.Stderr, "actorbench: %s: %v\n", r.name, err)
			os.Exit(1)
		}
		if r.name == "bare" {
			bare = per
		}
		fmt.Printf("| %s | %d | %.0f B | %.2f | %.0f |\n", r.name, *n, per, per/bare, rate)
	}
}

var memProfile string

// liveHeap returns the heap in use after two collections.
func liveHeap() uint64 {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// idle never answers anything but a ping: it holds nothing.
type idle struct{}

func (idle) Receive(ctx actor.Context) {
	if _, ok := ctx.Message().(*wrapperspb.StringValue); ok {
		ctx.Respond(wrapperspb.Bool(true))
	}
}

func runBare(ctx context.Context, n, _ int, _ string) (float64, float64, error) {
	sys := actor.NewActorSystem(actor.WithLoggerFactory(func(*actor.ActorSystem) *slog.Logger { return slog.New(slog.DiscardHandler) }))
	defer sys.Shutdown()
	props := actor.PropsFromProducer(func() actor.Actor { return idle{} })
	before := liveHeap()
	start := time.Now()
	pids := make([]*actor.PID, 0, n)
	for i := range n {
		if i%10_000 == 0 && ctx.Err() != nil {
			return 0, 0, ctx.Err()
		}
		pids = append(pids, sys.Root.Spawn(props))
	}
	rate := float64(n) / time.Since(start).Seconds()
	after := liveHeap()
	per := (float64(after) - float64(before) - float64(cap(pids))*8) / float64(n)
	runtime.KeepAlive(pids)
	return per, rate, nil
}

func startNode(ctx context.Context, kinds ...node.Kind) (*node.Node, error) {
	sctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	return node.Start(sctx, node.Config{GossipAddr: "127.0.0.1:0", FastGossip: true, RequestTimeout: 30 * time.Second}, kinds...)
}

// activate sends one request to each of n identities from workers goroutines.
func activate(ctx context.Context, nd *node.Node, kind string, n, workers int, msg func(i int) proto.Message) (float64, error) {
	var next atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	start := time.Now()
	for range workers {
		wg.Go(func() {
			for {
				i := int(next.Add(1)) - 1
				if i >= n || ctx.Err() != nil {
					return
				}
				if _, err := nd.Request(ctx, kind, fmt.Sprintf("%s-%07d", kind, i), msg(i)); err != nil {
					errs <- err
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	if err := errors.Join(<-errs, ctx.Err()); err != nil {
		return 0, err
	}
	return float64(n) / time.Since(start).Seconds(), nil
}

func runNode(ctx context.Context, n, workers int, _ string) (float64, float64, error) {
	nd, err := startNode(ctx, node.Kind{Name: "idle", Producer: func() actor.Actor { return idle{} }})
	if err != nil {
		return 0, 0, err
	}
	defer nd.Close()
	before := liveHeap()
	rate, err := activate(ctx, nd, "idle", n, workers, func(int) proto.Message { return wrapperspb.String("ping") })
	if err != nil {
		return 0, 0, err
	}
	after := liveHeap()
	if got := len(nd.Activations()); got != n {
		return 0, 0, fmt.Errorf("%d activations after %d requests", got, n)
	}
	if memProfile != "" {
		f, err := os.Create(memProfile)
		if err != nil {
			return 0, 0, err
		}
		defer f.Close()
		if err := pprof.WriteHeapProfile(f); err != nil {
			return 0, 0, err
		}
	}
	return (float64(after) - float64(before)) / float64(n), rate, nil
}

func runFrontgate(ctx context.Context, n, workers int, dir string) (float64, float64, error) {
	d, err := os.MkdirTemp(dir, "actorbench-")
	if err != nil {
		return 0, 0, err
	}
	defer os.RemoveAll(d)
	st, err := store.Open(d, store.Config{})
	if err != nil {
		return 0, 0, err
	}
	defer st.Close()
	// The sessions' records, written in batches before the measured part.
	for lo := 0; lo < n; lo += 1000 {
		var ops []store.Op
		for i := lo; i < min(lo+1000, n); i++ {
			id := fmt.Sprintf("%s-%07d", frontgate.KindName, i)
			ops = append(ops, entity.MustPut(frontgate.Key(id), frontgate.Session{ID: id, VPC: "vpc-" + strings.Repeat("x", 8),
				RuntimeID: "rt-bench", Owner: "usr-bench", Node: "node-bench", NodeAddress: "127.0.0.1:1", LastSeen: time.Now().UTC()}, store.Absent))
		}
		if _, err := st.Apply(ctx, ops...); err != nil {
			return 0, 0, fmt.Errorf("write session records: %w", err)
		}
	}
	nd, err := startNode(ctx, sessiongrain.Kind(sessiongrain.Deps{Store: st}))
	if err != nil {
		return 0, 0, err
	}
	defer nd.Close()
	before := liveHeap()
	rate, err := activate(ctx, nd, frontgate.KindName, n, workers, func(int) proto.Message { return &actorpb.FrontgateCommand{Op: frontgate.OpGet} })
	if err != nil {
		return 0, 0, err
	}
	after := liveHeap()
	if got := len(nd.Activations()); got != n {
		return 0, 0, fmt.Errorf("%d activations after %d requests", got, n)
	}
	return (float64(after) - float64(before)) / float64(n), rate, nil
}
