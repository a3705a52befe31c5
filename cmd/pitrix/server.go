package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"golang.org/x/sync/errgroup"

	"github.com/pitrix/pitrix/actors/appcluster/clustergrain"
	"github.com/pitrix/pitrix/actors/catalog"
	"github.com/pitrix/pitrix/actors/control"
	"github.com/pitrix/pitrix/actors/eventhub"
	"github.com/pitrix/pitrix/actors/frontgate/sessiongrain"
	"github.com/pitrix/pitrix/actors/identity"
	"github.com/pitrix/pitrix/actors/idgen"
	"github.com/pitrix/pitrix/actors/inspect"
	"github.com/pitrix/pitrix/actors/localroute"
	"github.com/pitrix/pitrix/actors/relay"
	"github.com/pitrix/pitrix/actors/repo"
	"github.com/pitrix/pitrix/actors/repo/source"
	"github.com/pitrix/pitrix/actors/runtimes/runtimegrain"
	"github.com/pitrix/pitrix/actors/store"
	"github.com/pitrix/pitrix/actors/store/replica"
	"github.com/pitrix/pitrix/cluster/node"
	"github.com/pitrix/pitrix/http/rest"
	"github.com/pitrix/pitrix/internal/netguard"
	"github.com/pitrix/pitrix/providers"
	"github.com/pitrix/pitrix/providers/helm"
	"github.com/pitrix/pitrix/providers/local"
	"github.com/pitrix/pitrix/providers/local/driver"
	"github.com/pitrix/pitrix/providers/pkgrepo"
	"github.com/pitrix/pitrix/providers/vm"
)

var errHelp = errors.New("help requested")

// serverConfig is everything `pitrix server` reads from flags and their env twins.
type serverConfig struct {
	DataDir      string
	Listen       string
	NodeName     string
	Gossip       string
	Edge         string
	Join         []string
	JoinToken    string
	Peer         string
	ForceNew     bool
	LeaveOnStop  bool
	LogLevel     string
	DemoSrc      string
	LocalRuntime bool
	// JoinTokenFile is --join-token-file, absolute ("" when not given).
	JoinTokenFile string
	// LocalBase is the read-only root of the local runtime's sandboxes ("" = /).
	LocalBase string
	// MaxInFlight and MaxConnsPerIP are the REST front's admission limits (0: its defaults).
	MaxInFlight, MaxConnsPerIP int
	// AllowFetch are the special ranges (loopback, private, ...) outbound requests made for
	// users may reach anyway; AllowLocalRepo the folders local repos may read.
	AllowFetch     []netip.Prefix
	AllowLocalRepo []string
	// ActorIdle passivates actors idle this long (0: never).
	ActorIdle time.Duration
}

func parseServerFlags(args []string, getenv func(string) string, stderr io.Writer) (serverConfig, error) {
	env := func(name, def string) string {
		if v := getenv(name); v != "" {
			return v
		}
		return def
	}
	var c serverConfig
	var join, allowFetch, allowLocal string
	fs := flag.NewFlagSet("pitrix server", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&c.DataDir, "data-dir", env("PITRIX_DATA_DIR", "pitrix-data"), "the node's data: Pebble store, keys, admin.token (env PITRIX_DATA_DIR)")
	fs.StringVar(&c.Listen, "listen", env("PITRIX_LISTEN", "127.0.0.1:9080"), "the REST API's address (env PITRIX_LISTEN)")
	fs.StringVar(&c.NodeName, "node-name", env("PITRIX_NODE_NAME", ""), "this node's name in the cluster; default: generated (env PITRIX_NODE_NAME)")
	fs.StringVar(&c.Gossip, "gossip", env("PITRIX_GOSSIP", "127.0.0.1:0"), "memberlist gossip address; port 0 picks one (env PITRIX_GOSSIP)")
	fs.StringVar(&c.Edge, "edge", env("PITRIX_EDGE", "127.0.0.1:0"), "the edge listener Frontgates dial; port 0 picks one (env PITRIX_EDGE)")
	fs.StringVar(&join, "join", env("PITRIX_JOIN", ""), "peer addresses (--peer) of members of the cluster to join, HOST:PORT[,...]; needs --join-token (env PITRIX_JOIN)")
	fs.StringVar(&c.JoinToken, "join-token", env("PITRIX_JOIN_TOKEN", ""), "the cluster's secret, from the first node's <data-dir>/join.token (env PITRIX_JOIN_TOKEN; prefer --join-token-file: a command line is visible to every user of the host)")
	fs.StringVar(&c.JoinTokenFile, "join-token-file", env("PITRIX_JOIN_TOKEN_FILE", ""), "a file holding the cluster's secret, e.g. a copy of the first node's join.token (env PITRIX_JOIN_TOKEN_FILE)")
	fs.BoolVar(&c.ForceNew, "force-new-cluster", env("PITRIX_FORCE_NEW_CLUSTER", "") == "true", "start as the only member of the cluster, with this data dir's state: restore a backup or recover from a lost quorum; others join anew (env PITRIX_FORCE_NEW_CLUSTER)")
	fs.BoolVar(&c.LeaveOnStop, "leave-on-stop", env("PITRIX_LEAVE_ON_STOP", "") == "true", "on SIGINT/SIGTERM leave the cluster for good (removed from the replicated log) instead of stopping for a restart (env PITRIX_LEAVE_ON_STOP)")
	fs.StringVar(&c.Peer, "peer", env("PITRIX_PEER", "127.0.0.1:0"), "the node-to-node listener (raft, forwarded writes; mutual TLS); port 0 picks one (env PITRIX_PEER)")
	fs.StringVar(&c.LogLevel, "log-level", env("PITRIX_LOG_LEVEL", "info"), "debug, info, warn or error (env PITRIX_LOG_LEVEL)")
	fs.StringVar(&c.DemoSrc, "demo-src", env("PITRIX_DEMO_SRC", ""), "a folder of demo package sources (vm/, helm/) to pack and register as repos (env PITRIX_DEMO_SRC)")
	fs.BoolVar(&c.LocalRuntime, "local-runtime", env("PITRIX_LOCAL_RUNTIME", "true") == "true", "register the embedded local runtime on start (env PITRIX_LOCAL_RUNTIME)")
	fs.StringVar(&c.LocalBase, "local-base", env("PITRIX_LOCAL_BASE", ""), "the read-only root every local instance starts from: an image folder; default / (the host's root, less the data dir and tokens) (env PITRIX_LOCAL_BASE)")
	maxInFlight := fs.String("max-in-flight", env("PITRIX_MAX_IN_FLIGHT", "0"), "requests handled at once before the REST front sheds with 429 + Retry-After; 0: the default (512) (env PITRIX_MAX_IN_FLIGHT)")
	maxPerIP := fs.String("max-conns-per-ip", env("PITRIX_MAX_CONNS_PER_IP", "0"), "open connections allowed per client address; 0: the default (256); raise behind a proxy (env PITRIX_MAX_CONNS_PER_IP)")
	fs.StringVar(&allowFetch, "allow-fetch", env("PITRIX_ALLOW_FETCH", ""), "CIDR,... that repo, package and API-server requests made for users may reach although loopback, link-local or private; default none (env PITRIX_ALLOW_FETCH)")
	fs.StringVar(&allowLocal, "allow-local-repo", env("PITRIX_ALLOW_LOCAL_REPO", ""), "absolute folders DIR,... that local repos may read; the data dir's demo-repos is always allowed (env PITRIX_ALLOW_LOCAL_REPO)")
	actorIdle := fs.String("actor-idle", env("PITRIX_ACTOR_IDLE", "10m"), "stop an actor that had no message for this long; the next request loads it again from the store; 0 keeps every actor (env PITRIX_ACTOR_IDLE)")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return c, errHelp
		}
		return c, err
	}
	if fs.NArg() > 0 {
		return c, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	if d, err := time.ParseDuration(*actorIdle); err != nil || d < 0 {
		return c, fmt.Errorf("--actor-idle %q: want a duration such as 10m, or 0 for never", *actorIdle)
	} else {
		c.ActorIdle = d
	}
	for _, j := range strings.Split(join, ",") {
		if j = strings.TrimSpace(j); j != "" {
			c.Join = append(c.Join, j)
		}
	}
	if c.JoinTokenFile != "" {
		if c.JoinToken != "" {
			return c, errors.New("--join-token and --join-token-file: give one")
		}
		b, err := os.ReadFile(c.JoinTokenFile)
		if err != nil {
			return c, fmt.Errorf("--join-token-file: %w", err)
		}
		if c.JoinToken = strings.TrimSpace(string(b)); c.JoinToken == "" {
			return c, fmt.Errorf("--join-token-file %s is empty", c.JoinTokenFile)
		}
		if c.JoinTokenFile, err = filepath.Abs(c.JoinTokenFile); err != nil {
			return c, fmt.Errorf("--join-token-file: %w", err)
		}
	}
	var err error
	if c.AllowFetch, err = netguard.ParseAllow(allowFetch); err != nil {
		return c, fmt.Errorf("--allow-fetch: %w", err)
	}
	for _, d := range strings.Split(allowLocal, ",") {
		if d = strings.TrimSpace(d); d == "" {
			continue
		}
		if !filepath.IsAbs(d) {
			return c, fmt.Errorf("--allow-local-repo %q: not an absolute folder", d)
		}
		c.AllowLocalRepo = append(c.AllowLocalRepo, filepath.Clean(d))
	}
	if c.LocalBase != "" {
		if !filepath.IsAbs(c.LocalBase) {
			return c, fmt.Errorf("--local-base %q: not an absolute folder", c.LocalBase)
		}
		c.LocalBase = filepath.Clean(c.LocalBase)
	}
	if c.DataDir == "" {
		return c, errors.New("--data-dir is required")
	}
	if c.MaxInFlight, err = strconv.Atoi(*maxInFlight); err != nil {
		return c, fmt.Errorf("--max-in-flight %q: %w", *maxInFlight, err)
	}
	if c.MaxConnsPerIP, err = strconv.Atoi(*maxPerIP); err != nil {
		return c, fmt.Errorf("--max-conns-per-ip %q: %w", *maxPerIP, err)
	}
	if _, _, err := net.SplitHostPort(c.Listen); err != nil {
		return c, fmt.Errorf("--listen %q: %w", c.Listen, err)
	}
	switch c.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		return c, fmt.Errorf("--log-level %q: want debug, info, warn or error", c.LogLevel)
	}
	return c, nil
}

func newLogger(level string, w io.Writer) *slog.Logger {
	var l slog.Level
	_ = l.UnmarshalText([]byte(level))
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: l}))
}

// runServer wires one control-plane node and runs it until ctx ends. Shutdown order: stop
// the HTTP front, drain the actors and leave the cluster, close the store last.
func runServer(ctx context.Context, cfg serverConfig, stderr io.Writer) error {
	log := newLogger(cfg.LogLevel, stderr)
	dataDir, err := filepath.Abs(cfg.DataDir)
	if err != nil {
		return fmt.Errorf("data dir %q: %w", cfg.DataDir, err)
	}
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return fmt.Errorf("data dir %s: %w", dataDir, err)
	}
	secret, nodeName, err := clusterIdentity(dataDir, cfg.JoinToken, cfg.NodeName, len(cfg.Join) > 0)
	if err != nil {
		return err
	}
	peerServer, peerClient, err := secret.PeerTLS(nodeName)
	if err != nil {
		return err
	}
	// Raft's reconcile asks which members gossip sees alive; the node exists only later.
	var gossipNode atomic.Pointer[node.Node]
	st, err := replica.Open(ctx, replica.Config{ID: nodeName, StoreDir: filepath.Join(dataDir, "store"), RaftDir: filepath.Join(dataDir, "raft"),
		Listen: stickyPort(cfg.Peer, filepath.Join(dataDir, peerAddrFile)), ForceNewCluster: cfg.ForceNew, ServerTLS: peerServer, ClientTLS: peerClient, Join: cfg.Join,
		Alive: func() map[string]bool {
			alive := map[string]bool{}
			if n := gossipNode.Load(); n != nil {
				for _, m := range n.Members() {
					alive[m.Name] = true
				}
			}
			return alive
		},
		Store: store.Config{Logger: log.With("component", "store")}, Logger: log})
	if err != nil {
		return err
	}
	defer func() {
		if err := st.Close(); err != nil {
			log.Error("close store", "err", err)
		}
	}()
	if err := os.WriteFile(filepath.Join(dataDir, peerAddrFile), []byte(st.Addr()+"\n"), 0o600); err != nil {
		return fmt.Errorf("record the peer address: %w", err)
	}
	if err := st.Sync(ctx); err != nil {
		return fmt.Errorf("catch up with the cluster: %w", err)
	}
	sealer, err := clusterSealer(ctx, st, secret, dataDir)
	if err != nil {
		return err
	}
	seeds, err := gossipSeeds(ctx, st, nodeName)
	if err != nil {
		return err
	}
	ids := idgen.New(nil)
	ident := identity.New(st, ids, nil)
	tokenPath, created, err := ident.Bootstrap(ctx, dataDir)
	if err != nil {
		return err
	}
	if created {
		log.Info("created the admin; its token is in the data dir", "path", tokenPath)
	}
	guard, err := netguard.New(netguard.Config{Allow: cfg.AllowFetch})
	if err != nil {
		return err
	}
	src, err := source.New(source.Config{Guard: guard,
		AllowDirs: append([]string{filepath.Join(dataDir, "demo-repos")}, cfg.AllowLocalRepo...)})
	if err != nil {
		return err
	}
	indexer := &repo.Indexer{Store: st, Source: src, Sealer: sealer, IDs: ids, Logger: log.With("component", "indexer")}
	kube, err := helm.New(helm.Config{Logger: log.With("component", "helm"), Dial: guard.DialContext})
	if err != nil {
		return err
	}
	// The local runtime's driver and the VM operator reach the edge gateway, opened once the
	// node has its id, through link.
	link := &edgeLink{}
	// Instances run in sandboxes that never see the data dir, the join token or the CLI's token.
	drv, err := driver.New(driver.Config{Dir: filepath.Join(dataDir, "local"), Control: controlAddrs(st, nodeName, link.Addr, log), Issuer: link,
		Base: cfg.LocalBase, Hide: sandboxHidden(dataDir, cfg.JoinTokenFile),
		HideMore: otherDataDirs(st, nodeName, log), Logger: log.With("component", "local-driver")})
	if err != nil {
		return err
	}
	if err := drv.Probe(ctx); err != nil {
		log.Warn("the local runtime cannot sandbox instances here and will refuse to run packages", "err", err)
	}
	// A local runtime is one node's: its driver calls run there, whichever node drives the job.
	router, err := localroute.New(localroute.Config{Name: nodeName, Driver: drv, Logger: log})
	if err != nil {
		return err
	}
	localOp, err := vm.New(local.Provider{Sandbox: drv.Probe}, vm.Config{Driver: router, Edge: link, Logger: log.With("component", "vm"), OnVPC: link.registerVPC})
	if err != nil {
		return err
	}
	provs, err := providers.NewRegistry(localOp, kube)
	if err != nil {
		return err
	}
	hub := eventhub.New(0)
	// The app-cluster actors open runtimes and packages through the plane, which needs the node
	// first: the plane is set before the node serves any request or resumes any job.
	var plane *control.Plane
	n, err := node.Start(ctx, node.Config{Name: nodeName, GossipAddr: cfg.Gossip, Join: seeds, GossipKey: secret.GossipKey(), IdleTimeout: cfg.ActorIdle, Logger: log.With("component", "node"),
		BeforeDrain: func(ctx context.Context) {
			if err := st.StepDown(ctx); err != nil {
				log.Warn("drain: the replicated log's leadership stays here", "err", err)
			}
		}},
		repo.Kind(repo.Deps{Store: st, Indexer: indexer, IDs: ids, Logger: log}),
		runtimegrain.Kind(runtimegrain.Deps{Store: st, Logger: log}),
		sessiongrain.Kind(sessiongrain.Deps{Store: st, Logger: log}),
		clustergrain.Kind(clustergrain.Deps{Store: st, IDs: ids, Operator: provs.Operator, Publish: hub.Publish, Logger: log,
			Runtime: func(ctx context.Context, id string) (providers.RuntimeSpec, error) { return plane.RuntimeSpec(ctx, id) },
			Package: func(ctx context.Context, id string) ([]byte, error) { return plane.Package(ctx, id) },
			Secrets: func(ctx context.Context, id string) (map[string]string, error) { return plane.ClusterSecrets(ctx, id) },
		}),
	)
	if err != nil {
		return err
	}
	defer func() {
		if err := n.Close(); err != nil {
			log.Error("leave cluster", "err", err)
		}
	}()
	gossipNode.Store(n)
	if err := router.Serve(n); err != nil {
		return err
	}
	defer router.Close()
	// Stream changes reach the Frontgate-session actors through the relay, built next.
	var rl *relay.Relay
	if err := clusterEdgeCA(ctx, st, secret, dataDir); err != nil {
		return err
	}
	edge, err := openEdge(ctx, cfg.Edge, dataDir, n.ID(), log, func(id, vpc string, connected bool) {
		if rl != nil { // streams are accepted only once the gateway runs, after rl is set
			rl.OnStream(id, vpc, connected)
		}
	})
	if err != nil {
		return err
	}
	if rl, err = relay.New(relay.Config{Node: n, Gateway: edge, Logger: log}); err != nil {
		return err
	}
	defer rl.Close()
	link.set(edge, rl)
	plane, err = control.New(control.Deps{Store: st, Cluster: control.NodeCluster(n, raftView(st)), Identity: ident, Providers: provs,
		Source: src, Sealer: sealer, IDs: ids, Logger: log, Stats: st.DB().Stats, Hub: hub, Drones: link.drones, Health: link.health, NodeName: nodeName})
	if err != nil {
		return err
	}
	front, err := rest.New(rest.Config{Logger: log.With("component", "rest"), MaxInFlight: cfg.MaxInFlight, MaxConnsPerIP: cfg.MaxConnsPerIP,
		Collectors: []prometheus.Collector{clusterCollector{st: st, n: gossipNode.Load}}}, plane)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		return fmt.Errorf("listen %s: %w", cfg.Listen, err)
	}
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error { return front.Serve(gctx, ln) })
	g.Go(func() error { return rl.Run(gctx) })
	// The local runtime's agents are processes of their own: keep the ones meant to run running.
	g.Go(func() error { return drv.Supervise(gctx, time.Second) })
	g.Go(func() error { return edge.Run(gctx) })
	g.Go(func() error { return resumeJobs(gctx, st, plane, log) })
	url := "http://" + ln.Addr().String()
	if err := putNodeRecord(ctx, st, nodeRecord{Name: nodeName, Gossip: n.GossipAddr(), Peer: st.Addr(), API: ln.Addr().String(),
		Edge: edge.Addr(), DataDir: dataDir, Started: time.Now().UTC()}); err != nil {
		ln.Close()
		return err
	}
	fmt.Fprintf(stderr, "pitrix: node %s, peer address %s (join with --join %s --join-token-file %s)\n",
		nodeName, st.Addr(), st.Addr(), filepath.Join(dataDir, joinTokenFile))
	fmt.Fprintf(stderr, "pitrix: listening on %s\n", url)
	g.Go(func() error {
		localID := bootstrap(gctx, log, plane, cfg, dataDir, drv.HasRuntime, func() bool { return loneNode(gctx, st) })
		welcome(stderr, url, tokenPath, localID)
		return nil
	})
	err = g.Wait()
	log.Info("stopping")
	if cfg.LeaveOnStop {
		// Leave the replicated log's configuration while the others still count on us, so the
		// cluster's quorum shrinks with us instead of missing a voter.
		lctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
		if lerr := st.Leave(lctx); lerr != nil {
			log.Error("leave the replicated log", "err", lerr)
		} else {
			log.Info("left the replicated log", "node", nodeName)
		}
		cancel()
	}
	return err
}

// sandboxHidden are the host paths the local runtime's sandboxes show empty: the data dir
// (store, keys, admin.token, join.token, the local runtime itself), the join token file, and,
// of this user's home, the CLI's config (it may hold a token) and ~/.ssh.
func sandboxHidden(dataDir, joinTokenFile string) []string {
	out := []string{dataDir}
	if joinTokenFile != "" {
		out = append(out, joinTokenFile)
	}
	if home, err := os.UserHomeDir(); err == nil && filepath.IsAbs(home) && home != "/" {
		out = append(out, filepath.Join(home, ".config", "pitrix"), filepath.Join(home, ".ssh"))
	}
	return out
}

// bootstrap registers the local runtime and the demo repos; failures are logged, not fatal:
// the API works without them.
// It returns the local runtime's id ("" when there is none).
// mine and lone tell EnsureLocalRuntime whether a local runtime of no node is this node's.
func bootstrap(ctx context.Context, log *slog.Logger, plane *control.Plane, cfg serverConfig, dataDir string, mine func(string) bool, lone func() bool) (localID string) {
	admin := identity.Principal{UserID: identity.AdminID, Role: identity.RoleAdmin}
	if n, err := plane.ResumeJobs(ctx); err != nil {
		log.Error("resume unfinished jobs", "err", err)
	} else if n > 0 {
		log.Info("resumed unfinished jobs", "clusters", n)
	}
	if cfg.LocalRuntime {
		if id, err := plane.EnsureLocalRuntime(ctx, admin, mine, lone()); err != nil {
			log.Error("register the local runtime", "err", err)
		} else {
			log.Info("local runtime ready", "runtime_id", id)
			localID = id
		}
	}
	if cfg.DemoSrc == "" {
		return localID
	}
	demos := []struct {
		dir, name, desc string
		providers       []string
	}{
		{"vm", "demo-vm", "demo VM apps for the local runtime", []string{local.Name}},
		{"helm", "demo-charts", "demo Helm charts for Kubernetes runtimes", []string{"kubernetes"}},
	}
	for _, d := range demos {
		srcDir := filepath.Join(cfg.DemoSrc, d.dir)
		if _, err := os.Stat(srcDir); err != nil {
			continue
		}
		out := filepath.Join(dataDir, "demo-repos", d.dir)
		if _, err := pkgrepo.Build(srcDir, out, time.Now()); err != nil {
			log.Error("build demo repo", "src", srcDir, "err", err)
			continue
		}
		zero := 0
		id, err := plane.EnsureRepo(ctx, admin, catalog.RepoInput{Name: d.name, Description: d.desc, Type: "local", URL: out,
			Visibility: catalog.VisibilityPublic, Providers: d.providers, AppDefaultStatus: catalog.StatusActive, IndexInterval: &zero})
		if err != nil {
			log.Error("register demo repo", "name", d.name, "err", err)
			continue
		}
		log.Info("demo repo indexing", "name", d.name, "repo_id", id)
	}
	return localID
}

// welcome tells where the server is and where its admin token file is. The token itself is
// never printed: stderr ends up in logs and terminals' scrollback.
func welcome(w io.Writer, url, tokenPath, localID string) {
	fmt.Fprintf(w, `
Pitrix is up at %[1]s
  admin token file: %[2]s (readable by this user only; the token is not printed)
  dashboard: %[1]s/ (sign in with the token in that file)
Try:
  export PITRIX_SERVER=%[1]s PITRIX_TOKEN=$(cat %[2]s)
  bin/pitrix app list
  bin/pitrix runtime list
  bin/pitrix repo events $(bin/pitrix repo list -o json | sed -n 's/.*"id": "\(repo-[a-z0-9]*\)".*/\1/p' | head -1)
`, url, tokenPath)
	if localID != "" {
		fmt.Fprintf(w, `  bin/pitrix cluster create --name hi --runtime %s --version <hello's LATEST_VERSION_ID> --wait
  bin/pitrix cluster nodes <cluster id>     # each node is a sandbox on its own 127.x.y.z
`, localID)
	}
}

// raftView gives the admin's node list each raft server's own figures.
func raftView(st *replica.Replica) func(context.Context) map[string]inspect.RaftInfo {
	return func(ctx context.Context) map[string]inspect.RaftInfo {
		out := map[string]inspect.RaftInfo{}
		for _, p := range st.Statuses(ctx) {
			out[p.ID] = inspect.RaftInfo{Address: p.Address, Role: p.Status.State, Err: p.Err, Voter: p.Voter,
				Term: p.Status.Term, CommitIndex: p.Status.CommitIndex, AppliedIndex: p.Status.AppliedIndex}
		}
		return out
	}
}
