package replica

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/raft"
	"golang.org/x/sync/singleflight"

	"github.com/pitrix/pitrix/actors/store"
)

// Replica is one node's copy of the replicated store: a store.Store whose writes go through
// the raft log (forwarded to the leader from any node, acknowledged once a quorum has them)
// and whose reads are served from the local copy. Sync makes the local copy linearizable.
type Replica struct {
	cfg   Config
	log   *slog.Logger
	db    *store.DB
	logs  *logStore
	mux   *mux
	rpc   *rpcClient
	trans *raft.NetworkTransport
	raft  *raft.Raft
	fsm   *fsm

	barrier singleflight.Group
	// started is set once raft runs: the peer port serves RPCs from the start (raft's
	// transport needs it while joining), and a request that arrives before is refused as
	// "not the leader" (nothing done; the sender asks again).
	started atomic.Bool
	stop    chan struct{}
	wg      sync.WaitGroup
	close   sync.Once
	err     error
}

var _ store.Store = (*Replica)(nil)

// errNotLeader is the refusal of a request that reached a node that is not the leader:
// nothing was done, so it is safe to send again to the leader.
var errNotLeader = fmt.Errorf("%w: not the leader", store.ErrUnavailable)

// leaderWait bounds how long a write waits for a leader to exist before it is refused.
const leaderWait = 5 * time.Second

// Open starts the node's replica: it opens the store and the raft log, listens for peers,
// then bootstraps a new cluster, rejoins its own, or joins through cfg.Join, and returns once
// it is a member. ctx bounds the join.
func Open(ctx context.Context, cfg Config) (_ *Replica, err error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg = cfg.withDefaults()
	r := &Replica{cfg: cfg, log: cfg.Logger.With("component", "replica"), stop: make(chan struct{})}
	var closers []func() error
	defer func() {
		if err != nil {
			for i := len(closers) - 1; i >= 0; i-- {
				_ = closers[i]()
			}
		}
	}()
	if r.db, err = store.Open(cfg.StoreDir, cfg.Store); err != nil {
		return nil, err
	}
	closers = append(closers, r.db.Close)
	if err := os.MkdirAll(cfg.RaftDir, 0o700); err != nil {
		return nil, fmt.Errorf("replica: raft dir %s: %w", cfg.RaftDir, err)
	}
	if r.logs, err = openLogStore(cfg.RaftDir+"/log", r.log); err != nil {
		return nil, err
	}
	closers = append(closers, r.logs.Close)
	hl := hclog.New(&hclog.LoggerOptions{Name: "raft", Level: hclog.Info, Output: slogWriter{r.log}, DisableTime: true})
	snaps, err := raft.NewFileSnapshotStoreWithLogger(cfg.RaftDir, 2, hl)
	if err != nil {
		return nil, fmt.Errorf("replica: snapshot store %s: %w", cfg.RaftDir, err)
	}

	ln, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		return nil, fmt.Errorf("replica: listen %s: %w", cfg.Listen, err)
	}
	advertise := ln.Addr()
	if cfg.Advertise != "" {
		if advertise, err = net.ResolveTCPAddr("tcp", cfg.Advertise); err != nil {
			ln.Close()
			return nil, fmt.Errorf("replica: advertise %q: %w", cfg.Advertise, err)
		}
	}
	r.mux = newMux(ln, advertise, cfg.ServerTLS, cfg.ClientTLS, r.log)
	r.mux.rpc = r.serveRPC
	r.mux.reachable = cfg.Reachable
	r.rpc = &rpcClient{m: r.mux, idle: make(map[string][]net.Conn)}
	r.mux.wg.Add(1)
	go r.mux.serve()
	closers = append(closers, func() error { r.rpc.close(); r.mux.close(); return nil })
	r.trans = raft.NewNetworkTransportWithConfig(&raft.NetworkTransportConfig{
		Stream: streamLayer{r.mux}, MaxPool: 4, Timeout: 10 * time.Second, Logger: hl})
	closers = append(closers, r.trans.Close)

	rc := raft.DefaultConfig()
	rc.LocalID = raft.ServerID(cfg.ID)
	rc.Logger = hl
	rc.SnapshotThreshold = cfg.SnapshotThreshold
	rc.TrailingLogs = cfg.TrailingLogs
	// Not BatchApplyCh: futures buffered there are never answered after a shutdown. The
	// leader still groups every proposal queued while it appends into one log write.
	// The store is durable itself and knows which entries it holds (AppliedLogIndex): raft
	// need not reload a snapshot into it on every start, only when it is behind one.
	rc.NoSnapshotRestoreOnStart = true
	if list, err := snaps.List(); err == nil && len(list) > 0 {
		if r.db.RestoreIncomplete() || r.db.AppliedLogIndex() < list[0].Index {
			rc.NoSnapshotRestoreOnStart = false
		}
	}
	// The leader tells followers the commit index with its next message: at most this late
	// when idle (a forwarded write waits for its own node to apply it).
	rc.CommitTimeout = 5 * time.Millisecond
	if cfg.Fast {
		rc.HeartbeatTimeout = 500 * time.Millisecond
		rc.ElectionTimeout = 500 * time.Millisecond
		rc.LeaderLeaseTimeout = 250 * time.Millisecond
		rc.SnapshotInterval = 200 * time.Millisecond
	}
	hasState, err := raft.HasExistingState(r.logs, r.logs, snaps)
	if err != nil {
		return nil, fmt.Errorf("replica: read raft state: %w", err)
	}
	r.fsm = &fsm{db: r.db}
	r.fsm.applied.Store(r.db.AppliedLogIndex())
	if cfg.ForceNewCluster && hasState {
		self := raft.Server{Suffrage: raft.Voter, ID: rc.LocalID, Address: raft.ServerAddress(advertise.String())}
		recoverCfg := *rc
		recoverCfg.NoSnapshotRestoreOnStart = false
		if err := raft.RecoverCluster(&recoverCfg, r.fsm, r.logs, r.logs, snaps, r.trans, raft.Configuration{Servers: []raft.Server{self}}); err != nil {
			return nil, fmt.Errorf("replica: force a new cluster of this node alone: %w", err)
		}
		r.log.Warn("forced a new cluster: this node is its only member; others must join it", "id", cfg.ID)
		r.fsm.applied.Store(r.db.AppliedLogIndex())
	}
	if r.raft, err = raft.NewRaft(rc, r.fsm, r.logs, r.logs, snaps, r.trans); err != nil {
		return nil, fmt.Errorf("replica: start raft: %w", err)
	}
	r.started.Store(true)
	closers = append(closers, func() error { return r.raft.Shutdown().Error() })
	self := raft.Server{Suffrage: raft.Voter, ID: rc.LocalID, Address: raft.ServerAddress(advertise.String())}
	switch {
	case !hasState && len(cfg.Join) == 0:
		if err := r.raft.BootstrapCluster(raft.Configuration{Servers: []raft.Server{self}}).Error(); err != nil {
			return nil, fmt.Errorf("replica: bootstrap: %w", err)
		}
		r.log.Info("bootstrapped a new cluster", "id", cfg.ID, "addr", self.Address)
	case !hasState:
		if err := r.join(ctx, cfg.Join, self, true); err != nil {
			return nil, err
		}
	default:
		if err := r.rejoin(ctx, self); err != nil {
			return nil, err
		}
	}
	r.wg.Go(r.reconcile)
	return r, nil
}

// rejoin runs on a restart: if the configuration names this node at another address (it
// restarted on a new port), it asks the others to update it.
func (r *Replica) rejoin(ctx context.Context, self raft.Server) error {
	f := r.raft.GetConfiguration()
	if err := f.Error(); err != nil {
		return fmt.Errorf("replica: read configuration: %w", err)
	}
	var peers []string
	for _, s := range f.Configuration().Servers {
		if s.ID == self.ID {
			if s.Address == self.Address {
				return nil
			}
			continue
		}
		peers = append(peers, string(s.Address))
	}
	peers = append(peers, r.cfg.Join...)
	if len(peers) == 0 {
		return nil
	}
	return r.join(ctx, peers, self, false)
}

// join asks peers, in turn and again until ctx ends, to add this node. fresh says it has no
// raft state (a new node, or one whose data dir was wiped).
func (r *Replica) join(ctx context.Context, peers []string, self raft.Server, fresh bool) error {
	req := joinRequest{ID: string(self.ID), Addr: string(self.Address), Fresh: fresh}.encode()
	var last error
	for attempt := 0; ; attempt++ {
		for _, p := range peers {
			cctx, cancel := context.WithTimeout(ctx, r.cfg.ApplyTimeout)
			resp, err := r.rpc.call(cctx, p, req)
			cancel()
			if err == nil {
				_, err = decodeResult(resp)
			}
			if err == nil {
				r.log.Info("joined the cluster", "id", self.ID, "addr", self.Address, "via", p)
				return r.askVote(ctx, p, self)
			}
			last = fmt.Errorf("join via %s: %w", p, err)
			if errors.Is(err, store.ErrInvalid) {
				return fmt.Errorf("replica: %w", last)
			}
			var unknownCA x509.UnknownAuthorityError
			var verify *tls.CertificateVerificationError
			if errors.As(err, &unknownCA) || errors.As(err, &verify) {
				return fmt.Errorf("replica: join via %s: that node is not of this cluster (wrong --join-token, or another cluster's node): %w", p, err)
			}
		}
		if attempt%10 == 0 {
			r.log.Warn("join not done yet; retrying", "peers", peers, "err", last)
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("replica: %w (gave up: %w)", last, ctx.Err())
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// askVote catches up with the leader, then asks to become a voter (granted while the cluster
// has fewer than MaxVoters).
func (r *Replica) askVote(ctx context.Context, peer string, self raft.Server) error {
	if err := r.Sync(ctx); err != nil {
		return fmt.Errorf("replica: catch up after joining: %w", err)
	}
	req := joinRequest{ID: string(self.ID), Addr: string(self.Address), Voter: true}.encode()
	for {
		resp, err := r.rpc.call(ctx, peer, req)
		if err == nil {
			if _, err = decodeResult(resp); err == nil {
				return nil
			}
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("replica: ask for a vote via %s: %w (gave up: %w)", peer, err, ctx.Err())
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// Apply implements store.Writer: the ops become one log entry, proposed by the leader (this
// node or the one it forwards to) and acknowledged once a quorum holds it and the leader
// applied it.
func (r *Replica) Apply(ctx context.Context, ops ...store.Op) (uint64, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	data, err := store.EncodeEntry(ops)
	if err != nil {
		return 0, err
	}
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, r.cfg.ApplyTimeout)
		defer cancel()
	}
	req := append([]byte{rpcApply}, data...)
	var logIndex uint64
	index, err := r.toLeader(ctx, "write", func(ctx context.Context) (uint64, error) {
		idx, _, err := r.applyLocal(ctx, data)
		return idx, err
	}, req, func(resp []byte) { logIndex = decodeApplied(resp) })
	if err == nil && logIndex > 0 {
		// Read your writes: a forwarded write returns once this node has applied it too (the
		// leader applied it already), so a list on this node right after shows it.
		r.waitApplied(ctx, logIndex)
	}
	return index, err
}

// waitApplied waits, at most until ctx ends, for this node to apply log index i.
func (r *Replica) waitApplied(ctx context.Context, i uint64) bool {
	return r.fsm.waitApplied(i, ctx.Done(), r.stop)
}

// toLeader runs local on the leader, or sends req to it, retrying while nothing was done
// (no leader yet, or leadership moved) for at most leaderWait.
func (r *Replica) toLeader(ctx context.Context, what string, local func(context.Context) (uint64, error), req []byte, onResp ...func([]byte)) (uint64, error) {
	giveUp := time.Now().Add(leaderWait)
	last := errors.New("no leader")
	for {
		if r.raft.State() == raft.Leader {
			idx, err := local(ctx)
			if !errors.Is(err, errNotLeader) {
				return idx, err
			}
			last = err
		} else if addr, id := r.raft.LeaderWithID(); addr != "" {
			resp, err := r.rpc.call(ctx, string(addr), req)
			if err == nil {
				idx, err := decodeResult(resp)
				if err == nil {
					for _, f := range onResp {
						f(resp)
					}
				}
				if !errors.Is(err, errNotLeader) {
					return idx, err
				}
				last = err
			} else if errors.Is(err, errNotSent) {
				last = fmt.Errorf("leader %s: %w", id, err)
			} else {
				if ctx.Err() != nil {
					return 0, ctx.Err()
				}
				return 0, fmt.Errorf("%w: %s through leader %s: %v (the outcome is unknown)", store.ErrUnavailable, what, id, err)
			}
		}
		if time.Now().After(giveUp) {
			return 0, fmt.Errorf("%w: no raft leader reachable from node %s for %s: %v (the node may be on the minority side of a partition)",
				store.ErrUnavailable, r.cfg.ID, leaderWait, last)
		}
		select {
		case <-ctx.Done():
			return 0, ctx.Err()
		case <-r.stop:
			return 0, fmt.Errorf("%w: node %s is shutting down", store.ErrUnavailable, r.cfg.ID)
		case <-time.After(20 * time.Millisecond):
		}
	}
}

func (r *Replica) applyLocal(ctx context.Context, data []byte) (index, logIndex uint64, err error) {
	timeout := r.cfg.ApplyTimeout
	if dl, ok := ctx.Deadline(); ok {
		timeout = time.Until(dl)
	}
	f := r.raft.Apply(data, timeout)
	if err := r.await(ctx, f); err != nil {
		switch {
		case errors.Is(err, raft.ErrNotLeader):
			return 0, 0, errNotLeader
		case errors.Is(err, raft.ErrEnqueueTimeout):
			return 0, 0, fmt.Errorf("%w: write not enqueued in %s", store.ErrUnavailable, timeout)
		default:
			return 0, 0, fmt.Errorf("%w: %v (the write may or may not have committed)", store.ErrUnavailable, err)
		}
	}
	res, ok := f.Response().(applyResult)
	if !ok {
		return 0, 0, fmt.Errorf("replica: unexpected apply response %T", f.Response())
	}
	return res.index, f.Index(), res.err
}

// await waits for a raft future, at most until ctx ends or the replica closes. Raft may
// leave a future unanswered for good when leadership moves or it shuts down
// (hashicorp/raft#498: a VerifyLeader under node restarts did, and hung the RPC handler and
// then Close): the caller must not wait on it forever. The goroutine that waits on the
// future ends when raft answers it; one that raft never answers is left behind.
func (r *Replica) await(ctx context.Context, f raft.Future) error {
	done := make(chan error, 1)
	go func() { done <- f.Error() }()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
		return fmt.Errorf("%w: waiting for raft: %w", store.ErrUnavailable, ctx.Err())
	case <-r.stop:
		return fmt.Errorf("%w: node %s is shutting down", store.ErrUnavailable, r.cfg.ID)
	}
}

// Sync waits until this node's copy holds every write acknowledged before Sync was called
// (a read index from the leader), so the reads that follow are linearizable. Actors call it
// before loading their state on activation.
func (r *Replica) Sync(ctx context.Context) error {
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, r.cfg.ApplyTimeout)
		defer cancel()
	}
	idx, err := r.toLeader(ctx, "read index", r.readIndexLocal, []byte{rpcReadIndex})
	if err != nil {
		return err
	}
	if !r.fsm.waitApplied(idx, ctx.Done(), r.stop) {
		return fmt.Errorf("%w: node %s catching up to index %d: %v", store.ErrUnavailable, r.cfg.ID, idx, context.Cause(ctx))
	}
	return nil
}

func (r *Replica) readIndexLocal(ctx context.Context) (uint64, error) {
	if r.raft.State() != raft.Leader {
		return 0, errNotLeader
	}
	timeout := r.cfg.ApplyTimeout
	if dl, ok := ctx.Deadline(); ok {
		timeout = time.Until(dl)
	}
	// A barrier applies everything committed before it, including the entry that opened
	// this leader's term; concurrent callers share one.
	if _, err, _ := r.barrier.Do("barrier", func() (any, error) { return nil, r.await(ctx, r.raft.Barrier(timeout)) }); err != nil {
		return 0, errNotLeader // a read: safe to ask again, of whoever leads next
	}
	if err := r.await(ctx, r.raft.VerifyLeader()); err != nil {
		return 0, errNotLeader
	}
	return r.fsm.applied.Load(), nil
}

// Get, Scan and Lookup read the local copy (see Sync).
func (r *Replica) Get(ctx context.Context, key string) (store.Record, error) {
	return r.db.Get(ctx, key)
}

func (r *Replica) Scan(ctx context.Context, opts store.ScanOptions, fn func(store.Record) error) error {
	return r.db.Scan(ctx, opts, fn)
}

// LastIndex is the local copy's last commit index (store.DB.LastIndex).
func (r *Replica) LastIndex() uint64 { return r.db.LastIndex() }

// GetBorrowed implements store.BorrowGetter on the local copy.
func (r *Replica) GetBorrowed(ctx context.Context, key string, fn func(version uint64, value []byte) error) error {
	return r.db.GetBorrowed(ctx, key, fn)
}

// ScanBorrowed implements store.BorrowScanner on the local copy.
func (r *Replica) ScanBorrowed(ctx context.Context, opts store.ScanOptions, fn func(key []byte, version uint64, value []byte) error) error {
	return r.db.ScanBorrowed(ctx, opts, fn)
}

func (r *Replica) Lookup(ctx context.Context, term string, opts store.ScanOptions, fn func(string) error) error {
	return r.db.Lookup(ctx, term, opts, fn)
}

// DB is the local store under the replica, for its counters.
func (r *Replica) DB() *store.DB { return r.db }

// Addr is the address peers dial.
func (r *Replica) Addr() string { return r.mux.advertise.String() }

func (r *Replica) addServerLocal(j joinRequest) error {
	if r.raft.State() != raft.Leader {
		return errNotLeader
	}
	if j.ID == "" || j.Addr == "" {
		return fmt.Errorf("%w: join needs an id and an address", store.ErrInvalid)
	}
	if j.ID == r.cfg.ID {
		return fmt.Errorf("%w: node id %s is the leader's own: two nodes have the same id", store.ErrInvalid, j.ID)
	}
	f := r.raft.GetConfiguration()
	if err := f.Error(); err != nil {
		return fmt.Errorf("%w: read configuration: %v", store.ErrUnavailable, err)
	}
	voters, suffrage := 0, raft.ServerSuffrage(-1)
	var existing raft.Server
	exists := false
	for _, s := range f.Configuration().Servers {
		if s.Suffrage == raft.Voter {
			voters++
		}
		if string(s.ID) == j.ID {
			existing, exists, suffrage = s, true, s.Suffrage
		} else if string(s.Address) == j.Addr {
			return fmt.Errorf("%w: address %s is already member %s's", store.ErrInvalid, j.Addr, s.ID)
		}
	}
	if exists && j.Fresh {
		// The member lost its data (a wiped data dir): its log and its vote are gone. Left a
		// voter, it would vote for a candidate that lacks entries it had acknowledged and
		// count toward quorums it cannot serve. It is removed and added back as a non-voter,
		// and asks for its vote again once it has caught up (from a snapshot).
		if err := r.raft.RemoveServer(existing.ID, 0, r.cfg.ApplyTimeout).Error(); err != nil {
			return fmt.Errorf("%w: remove %s, which rejoins without its data: %v", store.ErrUnavailable, j.ID, err)
		}
		r.log.Warn("a member rejoined without its data: re-adding it as a non-voter", "id", j.ID, "addr", j.Addr)
		if suffrage == raft.Voter {
			voters--
		}
		exists, suffrage = false, -1
	}
	switch {
	case suffrage == -1:
		suffrage = raft.Nonvoter // new: it votes once it has caught up (it asks again)
	case suffrage == raft.Nonvoter && j.Voter && voters < r.cfg.MaxVoters:
		suffrage = raft.Voter
	case suffrage == raft.Nonvoter && j.Voter:
		return nil // enough voters: it stays a non-voter, promoted when a voter goes
	case exists && string(existing.Address) == j.Addr:
		return nil
	}
	var err error
	if suffrage == raft.Voter {
		err = r.raft.AddVoter(raft.ServerID(j.ID), raft.ServerAddress(j.Addr), 0, r.cfg.ApplyTimeout).Error()
	} else {
		err = r.raft.AddNonvoter(raft.ServerID(j.ID), raft.ServerAddress(j.Addr), 0, r.cfg.ApplyTimeout).Error()
	}
	if err != nil {
		return fmt.Errorf("%w: add %s: %v", store.ErrUnavailable, j.ID, err)
	}
	r.log.Info("added a member", "id", j.ID, "addr", j.Addr, "voter", suffrage == raft.Voter)
	return nil
}

func (r *Replica) removeServerLocal(id string) error {
	if r.raft.State() != raft.Leader {
		return errNotLeader
	}
	if err := r.raft.RemoveServer(raft.ServerID(id), 0, r.cfg.ApplyTimeout).Error(); err != nil {
		return fmt.Errorf("%w: remove %s: %v", store.ErrUnavailable, id, err)
	}
	r.log.Info("removed a member", "id", id)
	return nil
}

// Leave removes this node from the configuration (leadership moves first if it leads), so
// the others do not count on it for a quorum. Call it before Close on a graceful exit.
func (r *Replica) Leave(ctx context.Context) error {
	if err := r.StepDown(ctx); err != nil {
		r.log.Warn("leadership transfer before leaving failed", "err", err)
	}
	id := r.cfg.ID
	_, err := r.toLeader(ctx, "leave", func(context.Context) (uint64, error) { return 0, r.removeServerLocal(id) },
		append([]byte{rpcRemove}, id...))
	return err
}

// StepDown hands the leadership to another voter when this node leads (before it drains or
// stops), bounded by ctx; a follower does nothing.
func (r *Replica) StepDown(ctx context.Context) error {
	if r.raft.State() != raft.Leader {
		return nil
	}
	if err := r.await(ctx, r.raft.LeadershipTransfer()); err != nil {
		return fmt.Errorf("hand over the leadership: %w", err)
	}
	return nil
}

// reconcile runs on every node and acts while it leads: servers gossip has not seen alive
// for DeadAfter are removed, and alive non-voters are promoted while voters are missing.
func (r *Replica) reconcile() {
	missing := map[raft.ServerID]time.Time{}
	tick := time.NewTicker(time.Second)
	if r.cfg.Fast {
		tick.Reset(200 * time.Millisecond)
	}
	defer tick.Stop()
	for {
		select {
		case <-r.stop:
			return
		case <-tick.C:
		}
		if r.raft.State() != raft.Leader {
			clear(missing)
			continue
		}
		f := r.raft.GetConfiguration()
		if f.Error() != nil {
			continue
		}
		// A leader restarted on another address (a single node has no one to tell) fixes
		// its own entry, so followers forward to where it listens now.
		for _, s := range f.Configuration().Servers {
			if string(s.ID) == r.cfg.ID && string(s.Address) != r.Addr() && s.Suffrage == raft.Voter {
				if err := r.raft.AddVoter(s.ID, raft.ServerAddress(r.Addr()), 0, r.cfg.ApplyTimeout).Error(); err != nil {
					r.log.Error("update own address", "err", err)
				} else {
					r.log.Info("updated own address in the configuration", "old", s.Address, "new", r.Addr())
				}
			}
		}
		if r.cfg.Alive == nil {
			continue
		}
		alive := r.cfg.Alive()
		voters := 0
		var promotable []raft.Server
		for _, s := range f.Configuration().Servers {
			if string(s.ID) == r.cfg.ID || alive[string(s.ID)] {
				delete(missing, s.ID)
				if s.Suffrage == raft.Voter {
					voters++
				} else {
					promotable = append(promotable, s)
				}
				continue
			}
			since, seen := missing[s.ID]
			if !seen {
				missing[s.ID] = time.Now()
				continue
			}
			if time.Since(since) >= r.cfg.DeadAfter {
				r.log.Warn("removing a member gossip has not seen alive", "id", s.ID, "for", time.Since(since).Round(time.Second))
				if err := r.removeServerLocal(string(s.ID)); err != nil {
					r.log.Error("remove dead member", "id", s.ID, "err", err)
				}
				delete(missing, s.ID)
			}
		}
		for _, s := range promotable {
			if voters >= r.cfg.MaxVoters {
				break
			}
			if err := r.raft.AddVoter(s.ID, s.Address, 0, r.cfg.ApplyTimeout).Error(); err != nil {
				r.log.Error("promote member", "id", s.ID, "err", err)
				break
			}
			r.log.Info("promoted a member to voter", "id", s.ID)
			voters++
		}
	}
}

// Server is one member of the raft configuration.
type Server struct {
	ID, Address string
	Voter       bool
}

// Status is the node's view of the replicated log, for operators.
type Status struct {
	ID, State, LeaderID, LeaderAddr             string
	Term, CommitIndex, AppliedIndex, LastLogIdx uint64
	Servers                                     []Server
}

// Status reports the node's raft role and indexes and the configuration it knows.
func (r *Replica) Status() Status {
	st := r.raft.Stats()
	num := func(k string) uint64 { v, _ := strconv.ParseUint(st[k], 10, 64); return v }
	addr, id := r.raft.LeaderWithID()
	s := Status{ID: r.cfg.ID, State: r.raft.State().String(), LeaderID: string(id), LeaderAddr: string(addr),
		Term: num("term"), CommitIndex: num("commit_index"), AppliedIndex: num("applied_index"), LastLogIdx: num("last_log_index")}
	if f := r.raft.GetConfiguration(); f.Error() == nil {
		for _, sv := range f.Configuration().Servers {
			s.Servers = append(s.Servers, Server{ID: string(sv.ID), Address: string(sv.Address), Voter: sv.Suffrage == raft.Voter})
		}
	}
	return s
}

// Statuses asks every server of the configuration for its Status (this node answers from
// memory), in configuration order; a server that does not answer within ctx has only its ID,
// address and suffrage, and Err set.
func (r *Replica) Statuses(ctx context.Context) []PeerStatus {
	self := r.Status()
	out := make([]PeerStatus, len(self.Servers))
	var wg sync.WaitGroup
	for i, sv := range self.Servers {
		out[i].Server = sv
		if sv.ID == r.cfg.ID {
			out[i].Status = self
			continue
		}
		wg.Go(func() {
			resp, err := r.rpc.call(ctx, sv.Address, []byte{rpcStatus})
			if err == nil && (len(resp) == 0 || resp[0] != resOK) {
				_, err = decodeResult(resp)
				if err == nil {
					err = errors.New("malformed status")
				}
			}
			if err == nil {
				err = json.Unmarshal(resp[1:], &out[i].Status)
			}
			if err != nil {
				out[i].Err = err.Error()
			}
		})
	}
	wg.Wait()
	return out
}

// PeerStatus is one server of the configuration and what it says of itself.
type PeerStatus struct {
	Server
	Status Status
	Err    string
}

// Close stops raft, the peer listener and the store. It does not leave the configuration
// (see Leave): a restarted node takes its place again.
func (r *Replica) Close() error {
	r.close.Do(func() {
		// Raft first: its shutdown answers every future a request or the reconcile loop may
		// be waiting on, so nothing below waits on raft.
		close(r.stop)
		errs := []error{r.raft.Shutdown().Error()}
		r.wg.Wait()
		r.rpc.close()
		r.mux.close()
		errs = append(errs, r.trans.Close(), r.logs.Close(), r.db.Close())
		r.err = errors.Join(errs...)
	})
	return r.err
}

// slogWriter carries raft's hclog lines onto slog, at their level.
type slogWriter struct{ l *slog.Logger }

func (w slogWriter) Write(p []byte) (int, error) {
	line := strings.TrimSpace(string(p))
	switch {
	case strings.Contains(line, "[ERROR]"):
		w.l.Error(line)
	case strings.Contains(line, "[WARN]"):
		w.l.Warn(line)
	case strings.Contains(line, "[DEBUG]"), strings.Contains(line, "[TRACE]"):
		w.l.Debug(line)
	default:
		w.l.Info(line)
	}
	return len(p), nil
}

var _ io.Writer = slogWriter{}
