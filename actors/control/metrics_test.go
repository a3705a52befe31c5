package control

import (
	"context"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus/testutil"
	"google.golang.org/protobuf/proto"

	"github.com/pitrix/pitrix/actors/inspect"
	"github.com/pitrix/pitrix/actors/store"
)

// staticCluster answers Nodes and Activations from fixed lists; the collector calls nothing else.
type staticCluster struct {
	nodes []inspect.NodeInfo
	acts  []inspect.ActorInfo
}

func (c staticCluster) Request(context.Context, string, string, proto.Message) (proto.Message, error) {
	panic("not used by the collector")
}
func (c staticCluster) ID() string                       { return "n1" }
func (c staticCluster) Ready() bool                      { return true }
func (c staticCluster) Nodes() []inspect.NodeInfo        { return c.nodes }
func (c staticCluster) Activations() []inspect.ActorInfo { return c.acts }

func TestMetricsCollector(t *testing.T) {
	cl := staticCluster{
		nodes: []inspect.NodeInfo{{Status: "alive"}, {Status: "alive"}, {Status: "suspect"}},
		acts:  []inspect.ActorInfo{{Kind: "repo"}, {Kind: "repo"}, {Kind: "cluster"}},
	}
	stats := store.Stats{Applies: 7, Ops: 9, Conflicts: 1, Commits: 5, Failures: 2, LastIndex: 42}
	p := &Plane{node: cl, stats: func() store.Stats { return stats }}
	want := `
# HELP pitrix_actor_activations Live virtual actor activations on this node, by kind.
# TYPE pitrix_actor_activations gauge
pitrix_actor_activations{kind="cluster"} 1
pitrix_actor_activations{kind="repo"} 2
# HELP pitrix_cluster_members_alive Control-plane members seen alive by this node.
# TYPE pitrix_cluster_members_alive gauge
pitrix_cluster_members_alive 2
# HELP pitrix_store_applies_total Store Apply calls that committed.
# TYPE pitrix_store_applies_total counter
pitrix_store_applies_total 7
# HELP pitrix_store_commits_total Store group commits, each one WAL fsync.
# TYPE pitrix_store_commits_total counter
pitrix_store_commits_total 5
# HELP pitrix_store_conflicts_total Store Apply calls rejected by a compare-and-set.
# TYPE pitrix_store_conflicts_total counter
pitrix_store_conflicts_total 1
# HELP pitrix_store_failures_total Store Apply calls that failed for another reason than a conflict.
# TYPE pitrix_store_failures_total counter
pitrix_store_failures_total 2
# HELP pitrix_store_last_index Commit index of the store's last committed Apply.
# TYPE pitrix_store_last_index gauge
pitrix_store_last_index 42
# HELP pitrix_store_ops_total Ops in the store Apply calls that committed.
# TYPE pitrix_store_ops_total counter
pitrix_store_ops_total 9
`
	if err := testutil.CollectAndCompare(p.Metrics(), strings.NewReader(want)); err != nil {
		t.Fatal(err)
	}

	// Each scrape reads the store afresh.
	stats.Applies = 8
	if err := testutil.CollectAndCompare(p.Metrics(), strings.NewReader(`
# HELP pitrix_store_applies_total Store Apply calls that committed.
# TYPE pitrix_store_applies_total counter
pitrix_store_applies_total 8
`), "pitrix_store_applies_total"); err != nil {
		t.Fatal(err)
	}

	// Without store stats the collector reports the gauges only.
	p = &Plane{node: staticCluster{}}
	if n := testutil.CollectAndCount(p.Metrics()); n != 1 {
		t.Fatalf("without stats and activations: %d metrics, want 1 (members alive)", n)
	}
}
