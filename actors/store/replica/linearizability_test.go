//go:build !race

package replica

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/anishathalye/porcupine"

	"github.com/pitrix/pitrix/actors/store"
)

// The linearizability check, as etcd's robustness tests do it: concurrent clients read
// (Sync then Get: a plain local Get is not linearizable by design) and write (Apply with
// Expect Any, Absent or an exact version) a few keys through random nodes while nodes, the
// leader among them, are closed and opened again on the same dirs; every operation's call and
// return times are recorded and porcupine looks for an order of them, consistent with real
// time, that a single register per key would produce.

const (
	linGet = iota
	linWrite
)

const (
	linOK = iota
	linConflict
	linUnknown // failed with an unknown outcome: it may or may not have been applied
)

type linInput struct {
	Kind   int
	Key    string
	Value  string // write: the new value, unique in the run
	Expect uint64 // write: store.Any, store.Absent or the version expected
	// ExpectValue is the value the client saw with version Expect. Values are unique and a
	// version names the write that made it, so "the version is Expect" is "the value is
	// ExpectValue": the model can decide a compare-and-set after a write of unknown outcome,
	// whose version it cannot know.
	ExpectValue string
}

type linOutput struct {
	Status  int
	Found   bool // get
	Value   string
	Version uint64 // get: the record's; write: the one Apply returned
}

// linState is one key's register; version 0 is "not known": the key was last written by a
// write of unknown outcome, and no read has seen its version yet.
type linState struct {
	Exists  bool
	Value   string
	Version uint64
}

var linModel = porcupine.Model{
	Partition: func(h []porcupine.Operation) [][]porcupine.Operation {
		byKey := map[string][]porcupine.Operation{}
		var keys []string
		for _, op := range h {
			k := op.Input.(linInput).Key
			if _, ok := byKey[k]; !ok {
				keys = append(keys, k)
			}
			byKey[k] = append(byKey[k], op)
		}
		sort.Strings(keys)
		out := make([][]porcupine.Operation, 0, len(keys))
		for _, k := range keys {
			out = append(out, byKey[k])
		}
		return out
	},
	Init: func() any { return linState{} },
	Step: func(state, input, output any) (bool, any) {
		st, in, out := state.(linState), input.(linInput), output.(linOutput)
		if in.Kind == linGet {
			if out.Found != st.Exists {
				return false, st
			}
			if !out.Found {
				return true, st
			}
			if out.Value != st.Value || (st.Version != 0 && out.Version != st.Version) {
				return false, st
			}
			st.Version = out.Version
			return true, st
		}
		var cond bool
		switch in.Expect {
		case store.Any:
			cond = true
		case store.Absent:
			cond = !st.Exists
		default:
			cond = st.Exists && st.Value == in.ExpectValue && (st.Version == 0 || st.Version == in.Expect)
		}
		switch out.Status {
		case linOK:
			if !cond || (st.Exists && st.Version != 0 && out.Version <= st.Version) {
				return false, st
			}
			return true, linState{Exists: true, Value: in.Value, Version: out.Version}
		case linConflict:
			return !cond, st
		default: // unknown: if it was applied, then it applied here
			if cond {
				return true, linState{Exists: true, Value: in.Value}
			}
			return true, st
		}
	},
	DescribeOperation: func(input, output any) string {
		in, out := input.(linInput), output.(linOutput)
		if in.Kind == linGet {
			if !out.Found {
				return fmt.Sprintf("get(%s) -> absent", in.Key)
			}
			return fmt.Sprintf("get(%s) -> %s@%d", in.Key, out.Value, out.Version)
		}
		exp := fmt.Sprint(in.Expect)
		switch in.Expect {
		case store.Any:
			exp = "any"
		case store.Absent:
			exp = "absent"
		default:
			exp += "(" + in.ExpectValue + ")"
		}
		res := [...]string{"ok@" + fmt.Sprint(out.Version), "conflict", "unknown"}[out.Status]
		return fmt.Sprintf("put(%s, %s, expect %s) -> %s", in.Key, in.Value, exp, res)
	},
	DescribeState: func(state any) string {
		st := state.(linState)
		if !st.Exists {
			return "absent"
		}
		return fmt.Sprintf("%s@%d", st.Value, st.Version)
	},
}

// liveNodes is the set of open replicas the clients pick from while nodes come and go.
type liveNodes struct {
	mu    sync.Mutex
	nodes map[string]*Replica
}

func (l *liveNodes) pick(rng *rand.Rand) *Replica {
	l.mu.Lock()
	defer l.mu.Unlock()
	ids := make([]string, 0, len(l.nodes))
	for id := range l.nodes {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	return l.nodes[ids[rng.IntN(len(ids))]]
}

func TestLinearizableUnderRestarts(t *testing.T) {
	const (
		clients = 6
		keys    = 4
		chaos   = 20 * time.Second
		opLimit = 3 * time.Second
	)
	c := newTestCluster(t)
	c.three()
	live := &liveNodes{nodes: c.nodes}
	c.nodes = map[string]*Replica{} // the test closes them: see the cleanup below
	addrs := map[string]string{}
	for id, r := range live.nodes {
		addrs[id] = r.Addr()
	}
	t.Cleanup(func() {
		for _, r := range live.nodes {
			r.Close()
		}
	})

	start := time.Now()
	now := func() int64 { return int64(time.Since(start)) }
	var (
		hmu     sync.Mutex
		history []porcupine.Operation
		unknown []int // indexes into history of operations of unknown outcome
	)
	record := func(op porcupine.Operation) {
		hmu.Lock()
		defer hmu.Unlock()
		if op.Output.(linOutput).Status == linUnknown {
			unknown = append(unknown, len(history))
		}
		history = append(history, op)
	}
	read := func(ctx context.Context, r *Replica, client int, key string) (linOutput, bool) {
		ctx, cancel := context.WithTimeout(ctx, opLimit)
		defer cancel()
		call := now()
		if err := r.Sync(ctx); err != nil {
			return linOutput{}, false // a read that failed did nothing: it is left out
		}
		rec, err := r.Get(ctx, key)
		var out linOutput
		switch {
		case errors.Is(err, store.ErrNotFound):
		case err != nil:
			return linOutput{}, false
		default:
			out = linOutput{Found: true, Value: string(rec.Value), Version: rec.Version}
		}
		record(porcupine.Operation{ClientId: client, Input: linInput{Kind: linGet, Key: key}, Call: call, Output: out, Return: now()})
		return out, true
	}

	stop := make(chan struct{})
	var wg sync.WaitGroup
	for cl := range clients {
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(cl), 7))
			type seen struct {
				value   string
				version uint64
			}
			last := map[string]seen{}
			for seq := 0; ; seq++ {
				select {
				case <-stop:
					return
				default:
				}
				key := fmt.Sprintf("reg%d", rng.IntN(keys))
				r := live.pick(rng)
				if rng.IntN(100) < 35 {
					if out, ok := read(t.Context(), r, cl, key); ok && out.Found {
						last[key] = seen{out.Value, out.Version}
					}
					continue
				}
				in := linInput{Kind: linWrite, Key: key, Value: fmt.Sprintf("c%d-%d", cl, seq), Expect: store.Any}
				if rng.IntN(100) >= 25 {
					in.Expect = store.Absent
					if s, ok := last[key]; ok {
						in.Expect, in.ExpectValue = s.version, s.value
					}
				}
				ctx, cancel := context.WithTimeout(t.Context(), opLimit)
				call := now()
				v, err := r.Apply(ctx, store.Op{Key: key, Value: []byte(in.Value), Expect: in.Expect})
				ret := now()
				cancel()
				var conflict *store.ConflictError
				out := linOutput{Status: linOK, Version: v}
				switch {
				case err == nil:
					last[key] = seen{in.Value, v}
				case errors.As(err, &conflict):
					out.Status = linConflict
					delete(last, key) // read again before the next compare-and-set
				default:
					// ErrUnavailable ("may or may not have committed"), a deadline, a node
					// closing under the call: the write may land later, so it stays pending.
					out.Status = linUnknown
				}
				record(porcupine.Operation{ClientId: cl, Input: in, Call: call, Output: out, Return: ret})
			}
		})
	}

	// The chaos: every ~1.5 s a node is closed, the leader every other time, and opened
	// again on the same dirs and port after a pause. At most one is down at a time.
	var restarts int
	var chaosErr error
	rng := rand.New(rand.NewPCG(42, 42))
	for round := 0; time.Since(start) < chaos; round++ {
		time.Sleep(time.Second + time.Duration(rng.IntN(1000))*time.Millisecond)
		live.mu.Lock()
		var victim string
		if round%2 == 0 {
			for _, r := range live.nodes {
				if id := r.Status().LeaderID; id != "" {
					victim = id
					break
				}
			}
		}
		if _, ok := live.nodes[victim]; !ok {
			victim = fmt.Sprintf("n%d", 1+rng.IntN(3))
		}
		r := live.nodes[victim]
		delete(live.nodes, victim)
		live.mu.Unlock()
		if err := r.Close(); err != nil {
			chaosErr = fmt.Errorf("close %s: %w", victim, err)
			break
		}
		time.Sleep(time.Duration(200+rng.IntN(800)) * time.Millisecond)
		cfg := c.config(victim, c.secret)
		cfg.Listen = addrs[victim]
		ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
		r, err := Open(ctx, cfg)
		cancel()
		if err != nil {
			chaosErr = fmt.Errorf("reopen %s: %w", victim, err)
			break
		}
		live.mu.Lock()
		live.nodes[victim] = r
		live.mu.Unlock()
		restarts++
		t.Logf("%6.2fs: restarted %s (round %d)", time.Since(start).Seconds(), victim, round)
	}
	close(stop)
	wg.Wait()
	if chaosErr != nil {
		t.Fatal(chaosErr)
	}
	// Final reads on every node settle the writes left pending.
	for id, r := range live.nodes {
		for k := range keys {
			if _, ok := read(t.Context(), r, clients, fmt.Sprintf("reg%d", k)); !ok {
				t.Fatalf("final read through %s failed", id)
			}
		}
	}
	// A write of unknown outcome never returned: it is concurrent with everything after its
	// call (porcupine's way of saying "maybe applied, at any time").
	end := now() + 1
	for _, i := range unknown {
		history[i].Return = end
	}
	counts := [3]int{}
	reads := 0
	for _, op := range history {
		if op.Input.(linInput).Kind == linGet {
			reads++
		} else {
			counts[op.Output.(linOutput).Status]++
		}
	}
	t.Logf("%d operations in %s: %d reads, writes %d ok, %d conflicts, %d unknown; %d restarts",
		len(history), time.Since(start).Round(time.Millisecond), reads, counts[linOK], counts[linConflict], counts[linUnknown], restarts)
	if counts[linOK] < 50 || restarts < 5 {
		t.Fatalf("too little happened to be a test: %d acknowledged writes, %d restarts", counts[linOK], restarts)
	}
	checkStart := time.Now()
	res, info := porcupine.CheckOperationsVerbose(linModel, history, 30*time.Second)
	t.Logf("porcupine: %s in %s", res, time.Since(checkStart).Round(time.Millisecond))
	if res != porcupine.Ok {
		path := filepath.Join(t.ArtifactDir(), "linearizability.html")
		if err := porcupine.VisualizePath(linModel, info, path); err != nil {
			t.Errorf("visualize: %v", err)
		}
		t.Fatalf("history is %s (not linearizable, or the check timed out); visualization: %s (kept with go test -artifacts)", res, path)
	}
}

// The model refuses what it must: a read that misses an acknowledged write, a compare-and-set
// acknowledged on a version that was already replaced; and lets a write of unknown outcome
// have happened or not.
func TestLinearizabilityModel(t *testing.T) {
	w := func(call, ret int64, val string, expect uint64, expVal string, status int, version uint64) porcupine.Operation {
		return porcupine.Operation{Input: linInput{Kind: linWrite, Key: "k", Value: val, Expect: expect, ExpectValue: expVal},
			Call: call, Return: ret, Output: linOutput{Status: status, Version: version}}
	}
	g := func(call, ret int64, val string, version uint64) porcupine.Operation {
		return porcupine.Operation{ClientId: 1, Input: linInput{Kind: linGet, Key: "k"}, Call: call, Return: ret,
			Output: linOutput{Found: val != "", Value: val, Version: version}}
	}
	for _, tc := range []struct {
		name string
		h    []porcupine.Operation
		ok   bool
	}{
		{"read after write", []porcupine.Operation{w(0, 1, "a", store.Absent, "", linOK, 5), g(2, 3, "a", 5)}, true},
		{"stale read", []porcupine.Operation{w(0, 1, "a", store.Absent, "", linOK, 5), g(2, 3, "", 0)}, false},
		{"wrong version", []porcupine.Operation{w(0, 1, "a", store.Absent, "", linOK, 5), g(2, 3, "a", 6)}, false},
		{"lost update", []porcupine.Operation{w(0, 1, "a", store.Absent, "", linOK, 5), w(2, 3, "b", 5, "a", linOK, 7),
			w(4, 5, "c", 5, "a", linOK, 9)}, false},
		{"conflict", []porcupine.Operation{w(0, 1, "a", store.Absent, "", linOK, 5), w(2, 3, "b", 5, "a", linOK, 7),
			w(4, 5, "c", 5, "a", linConflict, 0)}, true},
		{"unknown applied", []porcupine.Operation{w(0, 100, "a", store.Any, "", linUnknown, 0), g(2, 3, "a", 4)}, true},
		{"unknown not applied", []porcupine.Operation{w(0, 100, "a", store.Any, "", linUnknown, 0), g(2, 3, "", 0)}, true},
		{"unknown applied then gone", []porcupine.Operation{w(0, 100, "a", store.Absent, "", linUnknown, 0), g(2, 3, "a", 4),
			g(4, 5, "", 0)}, false},
	} {
		if got := porcupine.CheckOperations(linModel, tc.h); got != tc.ok {
			t.Errorf("%s: linearizable %v, want %v", tc.name, got, tc.ok)
		}
	}
}
