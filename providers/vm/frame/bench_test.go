package frame

import (
	"testing"

	"github.com/pitrix/pitrix/providers"
)

// BenchmarkPlanJobAddNodes plans adding 10 nodes to a 200-node cluster.
func BenchmarkPlanJobAddNodes(b *testing.B) {
	c := zkCluster()
	c.Nodes[0].Count, c.Nodes[1].Count = 150, 50
	in := Input{Action: providers.ActionAddNodes, ClusterID: "cl-z", Current: c, Nodes: Nodes("cl-z", c), Role: "zk", Count: 10}
	b.ReportAllocs()
	tasks := 0
	for b.Loop() {
		p, err := PlanJob(in)
		if err != nil {
			b.Fatal(err)
		}
		tasks = 0
		for _, l := range p.Layers {
			tasks += len(l)
		}
	}
	b.ReportMetric(float64(tasks), "tasks/plan")
}
