package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/pitrix/pitrix/actors/store"
	"github.com/pitrix/pitrix/actors/store/replica"
	"github.com/pitrix/pitrix/cluster/trust"
)

// cluster is a set of replica nodes in this process, each with its data under dir/<id>. It
// owns the nodes: close stops every one still open.
type cluster struct {
	name   string
	dir    string
	secret trust.Secret
	fast   bool
	// voters is MaxVoters; snapThreshold and trailing, when set, the log compaction settings.
	voters                  int
	snapThreshold, trailing uint64
	log                     *slog.Logger
	nodes                   map[string]*replica.Replica
	ids                     []string // in start order
}

func newCluster(name, dir string, fast bool, voters int, log *slog.Logger) (*cluster, error) {
	s, err := trust.NewSecret()
	if err != nil {
		return nil, fmt.Errorf("cluster %s: %w", name, err)
	}
	dir = filepath.Join(dir, name)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("cluster %s: %w", name, err)
	}
	return &cluster{name: name, dir: dir, secret: s, fast: fast, voters: voters, log: log, nodes: map[string]*replica.Replica{}}, nil
}

func (c *cluster) config(id string, join ...string) (replica.Config, error) {
	srv, cli, err := c.secret.PeerTLS(id)
	if err != nil {
		return replica.Config{}, fmt.Errorf("cluster %s: node %s: %w", c.name, id, err)
	}
	log := c.log.With("cluster", c.name, "node", id)
	return replica.Config{ID: id, StoreDir: filepath.Join(c.dir, id, "store"), RaftDir: filepath.Join(c.dir, id, "raft"),
		Listen: "127.0.0.1:0", ServerTLS: srv, ClientTLS: cli, Join: join, Fast: c.fast, MaxVoters: c.voters,
		SnapshotThreshold: c.snapThreshold, TrailingLogs: c.trailing,
		Store: store.Config{Logger: log}, Logger: log}, nil
}

// open starts (or restarts, on its data dir) node id, joining through join if given.
func (c *cluster) open(ctx context.Context, id string, join ...string) (*replica.Replica, error) {
	if _, ok := c.nodes[id]; ok {
		return nil, fmt.Errorf("cluster %s: node %s is already open", c.name, id)
	}
	cfg, err := c.config(id, join...)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	r, err := replica.Open(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("cluster %s: open node %s: %w", c.name, id, err)
	}
	c.nodes[id] = r
	if !containsID(c.ids, id) {
		c.ids = append(c.ids, id)
	}
	return r, nil
}

func containsID(ids []string, id string) bool {
	for _, x := range ids {
		if x == id {
			return true
		}
	}
	return false
}

// start opens n nodes: n1 bootstraps, the others join through n1; it returns once
// min(n, voters) of them vote.
func (c *cluster) start(ctx context.Context, n int) error {
	first, err := c.open(ctx, "n1")
	if err != nil {
		return err
	}
	for i := 2; i <= n; i++ {
		if _, err := c.open(ctx, fmt.Sprintf("n%d", i), first.Addr()); err != nil {
			return err
		}
	}
	want := min(n, c.voters)
	return waitFor(ctx, fmt.Sprintf("cluster %s: %d voters", c.name, want), time.Minute, func() bool {
		return votersOf(first.Status()) == want
	})
}

func votersOf(s replica.Status) int {
	n := 0
	for _, sv := range s.Servers {
		if sv.Voter {
			n++
		}
	}
	return n
}

// list returns the open nodes in start order.
func (c *cluster) list() []*replica.Replica {
	var out []*replica.Replica
	for _, id := range c.ids {
		if r, ok := c.nodes[id]; ok {
			out = append(out, r)
		}
	}
	return out
}

// leader returns the id of the leader the open nodes agree on, waiting for one.
func (c *cluster) leader(ctx context.Context) (string, error) {
	var id string
	err := waitFor(ctx, fmt.Sprintf("cluster %s: a leader", c.name), time.Minute, func() bool {
		id = ""
		for _, r := range c.list() {
			l := r.Status().LeaderID
			if l == "" || (id != "" && l != id) {
				return false
			}
			id = l
		}
		_, open := c.nodes[id]
		return open
	})
	return id, err
}

// stop closes node id.
func (c *cluster) stop(id string) error {
	r, ok := c.nodes[id]
	if !ok {
		return fmt.Errorf("cluster %s: node %s is not open", c.name, id)
	}
	delete(c.nodes, id)
	if err := r.Close(); err != nil {
		return fmt.Errorf("cluster %s: close node %s: %w", c.name, id, err)
	}
	return nil
}

func (c *cluster) close() error {
	var errs []error
	for _, id := range c.ids {
		if _, ok := c.nodes[id]; ok {
			errs = append(errs, c.stop(id))
		}
	}
	return errors.Join(errs...)
}

// waitFor polls cond every 10 ms until it holds, ctx ends or limit passes.
func waitFor(ctx context.Context, what string, limit time.Duration, cond func() bool) error {
	deadline := time.Now().Add(limit)
	for !cond() {
		if time.Now().After(deadline) {
			return fmt.Errorf("timed out after %s waiting for %s", limit, what)
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("waiting for %s: %w", what, ctx.Err())
		case <-time.After(10 * time.Millisecond):
		}
	}
	return nil
}

// sleep waits d or until ctx ends.
func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
