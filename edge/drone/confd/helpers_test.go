package confd

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/pitrix/pitrix/edge/drone/runner"
	"github.com/pitrix/pitrix/edge/metadata"
	"github.com/pitrix/pitrix/internal/testutil"
)

// redisPackage is the spec package's Redis demo, whose confd files these
// tests render.
const redisPackage = "../../../providers/vm/spec/testdata/redis"

// packageFiles reads a package directory into the map pkgfile.Read returns.
func packageFiles(t testing.TB, dir string) map[string][]byte {
	t.Helper()
	return testutil.ReadTree(t, dir)
}

func redisCluster() metadata.Cluster {
	return metadata.Cluster{
		ClusterID: "cl-redis1",
		AppID:     "app-redis",
		Endpoints: map[string]metadata.Endpoint{"client": {Port: 6379, Protocol: "tcp"}},
		Hosts: []metadata.Host{
			{InstanceID: "i-m1", Role: "master", IP: "127.1.0.2", SID: 1},
			{InstanceID: "i-r1", Role: "replica", IP: "127.1.0.3", SID: 2},
			{InstanceID: "i-r2", Role: "replica", IP: "127.1.0.4", SID: 3},
		},
		Env: map[string]map[string]string{"": {
			"port": "6379", "maxmemory": "256mb", "maxmemory-policy": "allkeys-lru",
			"hash-max-ziplist-entries": "512", "appendonly": "true",
		}},
	}
}

func selfView(t testing.TB, c metadata.Cluster, id string) metadata.View {
	t.Helper()
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	v, err := metadata.SelfView(metadata.Build(c), id)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// recorder is a Runner that runs commands on a real runner and remembers
// them.
type recorder struct {
	inner *runner.Runner
	mu    sync.Mutex
	cmds  []string
}

func (r *recorder) Run(ctx context.Context, c runner.Command) (runner.Result, error) {
	r.mu.Lock()
	r.cmds = append(r.cmds, c.Cmd)
	r.mu.Unlock()
	return r.inner.Run(ctx, c)
}

func (r *recorder) commands() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.cmds...)
}

func testLogger(t testing.TB) *slog.Logger {
	if _, bench := t.(*testing.B); bench {
		return slog.New(slog.DiscardHandler) // per-iteration debug lines would swamp the figures
	}
	return slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// instance is a renderer over a fresh instance root with a real runner.
type instance struct {
	root string
	rec  *recorder
	r    *Renderer
}

func newInstance(t testing.TB) *instance {
	t.Helper()
	dir := t.TempDir()
	root := filepath.Join(dir, "root")
	if err := os.MkdirAll(root, 0o755); err != nil {
		t.Fatal(err)
	}
	run, err := runner.Open(runner.Config{Root: root, StateDir: filepath.Join(dir, "state"), Logger: testLogger(t)})
	if err != nil {
		t.Fatal(err)
	}
	rec := &recorder{inner: run}
	r, err := New(Config{Root: root, Runner: rec, Logger: testLogger(t)})
	if err != nil {
		t.Fatal(err)
	}
	return &instance{root: root, rec: rec, r: r}
}

func (in *instance) read(t testing.TB, rel string) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(in.root, rel))
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}
