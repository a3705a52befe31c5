package main

import (
	"context"
	"fmt"
	"maps"
	"net/http"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pitrix/pitrix/http/client"
)

// ackLog runs writers that create categories through whichever nodes are up and remembers
// every create that was acknowledged (201): each must be readable through every node later.
type ackLog struct {
	mu    sync.Mutex
	up    map[string]*server // by node name
	acked map[string]string  // category id -> name
	tried int
	token string
	conns map[*server]*client.Client // one client (and its connections) per server process
}

func (a *ackLog) setUp(name string, s *server) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if s == nil {
		delete(a.up, name)
	} else {
		a.up[name] = s
	}
}

func (a *ackLog) pick(i int) *server {
	a.mu.Lock()
	defer a.mu.Unlock()
	names := keysOf(a.up)
	if len(names) == 0 {
		return nil
	}
	return a.up[names[i%len(names)]]
}

// keysOf returns m's names in order, so that writer i spreads over the nodes.
func keysOf(m map[string]*server) []string {
	return slices.Sorted(maps.Keys(m))
}

func (a *ackLog) client(s *server) (*client.Client, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if c := a.conns[s]; c != nil {
		return c, nil
	}
	c, err := client.New(client.Config{Server: s.url, Token: a.token, Timeout: 15 * time.Second})
	if err == nil {
		a.conns[s] = c
	}
	return c, err
}

// write creates categories until ctx ends, through the nodes in turn.
func (a *ackLog) write(ctx context.Context, w int) {
	for i := 0; ctx.Err() == nil; i++ {
		s := a.pick(w + i)
		if s == nil {
			time.Sleep(20 * time.Millisecond)
			continue
		}
		c, err := a.client(s)
		if err != nil {
			return
		}
		name := fmt.Sprintf("w%d-%05d", w, i)
		var out obj
		err = c.Do(ctx, http.MethodPost, "/v1/categories", nil, obj{"name": name}, &out)
		a.mu.Lock()
		a.tried++
		if err == nil {
			a.acked[out["id"].(string)] = name
		}
		a.mu.Unlock()
		time.Sleep(10 * time.Millisecond)
	}
}

// Five nodes (three voters, two non-voters) under a steady write load: every node is restarted
// in turn (SIGTERM, then started again on its data dir), then the raft leader is killed with
// SIGKILL and started again. No acknowledged write is lost: every one reads back through every
// node afterwards.
func TestFiveNodesRollingRestartLosesNoAcknowledgedWrite(t *testing.T) {
	dir := t.TempDir()
	args := func(name string) []string { return []string{"--local-runtime=false", "--node-name", name} }
	n1 := startServer(t, filepath.Join(dir, "n1"), args("n1")...)
	tokFile := filepath.Join(dir, "n1", "join.token")
	nodes := map[string]*server{"n1": n1}
	for _, name := range []string{"n2", "n3", "n4", "n5"} {
		nodes[name] = startServer(t, filepath.Join(dir, name), append(args(name), "--join", n1.peerAddr(), "--join-token-file", tokFile)...)
	}
	admin := n1.token()
	eventually(t, "five nodes, three voters, one leader", func() (bool, string) {
		ns := list(t, n1.client(admin), "/v1/admin/nodes", nil)
		leaders, voters := 0, 0
		for _, n := range ns {
			if n["raft_role"] == "leader" {
				leaders++
			}
			if n["raft_voter"] == true {
				voters++
			}
		}
		return len(ns) == 5 && leaders == 1 && voters == 3, fmt.Sprint(ns)
	})
	// A token made through n5 works through n1; a category made through n1 reads through n5.
	tok := do(t, nodes["n5"].client(admin), http.MethodPost, "/v1/users/usr-admin/tokens", obj{"name": "from-n5"})
	list(t, n1.client(tok["token"].(string)), "/v1/categories", nil)

	acks := &ackLog{up: map[string]*server{}, acked: map[string]string{}, token: admin, conns: map[*server]*client.Client{}}
	for name, s := range nodes {
		acks.setUp(name, s)
	}
	ctx, cancel := context.WithCancel(t.Context())
	var wg sync.WaitGroup
	for w := range 3 {
		wg.Go(func() { acks.write(ctx, w) })
	}
	defer func() {
		cancel()
		wg.Wait()
	}()
	ackedCount := func() int {
		acks.mu.Lock()
		defer acks.mu.Unlock()
		return len(acks.acked)
	}
	waitWrites := func(more int) {
		t.Helper()
		from := ackedCount()
		eventually(t, fmt.Sprintf("%d more acknowledged writes", more), func() (bool, string) {
			return ackedCount() >= from+more, fmt.Sprint(ackedCount()-from, " so far")
		})
	}
	waitWrites(20)

	// Rolling restart, one node at a time.
	for _, name := range []string{"n1", "n2", "n3", "n4", "n5"} {
		acks.setUp(name, nil)
		if err := nodes[name].stop(); err != nil {
			t.Fatalf("stop %s: %v", name, err)
		}
		waitWrites(10) // the others keep taking writes while it is down
		nodes[name] = startServer(t, filepath.Join(dir, name), args(name)...)
		acks.setUp(name, nodes[name])
		waitWrites(10)
	}

	// kill -9 of the leader.
	var leader string
	for _, n := range list(t, nodes["n2"].client(admin), "/v1/admin/nodes", nil) {
		if n["raft_role"] == "leader" {
			leader = n["name"].(string)
		}
	}
	if nodes[leader] == nil {
		t.Fatalf("no leader named among %v", keysOf(nodes))
	}
	acks.setUp(leader, nil)
	nodes[leader].kill()
	t.Logf("killed the leader %s", leader)
	waitWrites(20) // a new leader is elected and takes writes
	nodes[leader] = startServer(t, filepath.Join(dir, leader), args(leader)...)
	acks.setUp(leader, nodes[leader])
	waitWrites(10)

	cancel()
	wg.Wait()
	acks.mu.Lock()
	acked := acks.acked
	t.Logf("%d writes tried, %d acknowledged", acks.tried, len(acked))
	acks.mu.Unlock()
	for name, s := range nodes {
		c := s.client(admin)
		missing := 0
		eventually(t, name+" has every acknowledged write", func() (bool, string) {
			missing = 0
			var first string
			for id, want := range acked {
				var got obj
				if err := c.Do(t.Context(), http.MethodGet, "/v1/categories/"+id, nil, nil, &got); err != nil || got["name"] != want {
					missing++
					if first == "" {
						first = fmt.Sprintf("%s (%s): %v %v", id, want, got["name"], err)
					}
				}
			}
			return missing == 0, fmt.Sprintf("%d missing, e.g. %s", missing, first)
		})
	}
	if strings.Contains(n1.logText(), "panic") {
		t.Fatal("a node panicked")
	}
}
