package control

import (
	"github.com/prometheus/client_golang/prometheus"
)

// Metric descriptions of the plane's collector. The store's counters are described only when
// Deps.Stats is set.
var (
	activationsDesc = prometheus.NewDesc("pitrix_actor_activations",
		"Live virtual actor activations on this node, by kind.", []string{"kind"}, nil)
	membersAliveDesc = prometheus.NewDesc("pitrix_cluster_members_alive",
		"Control-plane members seen alive by this node.", nil, nil)
	storeAppliesDesc = prometheus.NewDesc("pitrix_store_applies_total",
		"Store Apply calls that committed.", nil, nil)
	storeOpsDesc = prometheus.NewDesc("pitrix_store_ops_total",
		"Ops in the store Apply calls that committed.", nil, nil)
	storeConflictsDesc = prometheus.NewDesc("pitrix_store_conflicts_total",
		"Store Apply calls rejected by a compare-and-set.", nil, nil)
	storeCommitsDesc = prometheus.NewDesc("pitrix_store_commits_total",
		"Store group commits, each one WAL fsync.", nil, nil)
	storeFailuresDesc = prometheus.NewDesc("pitrix_store_failures_total",
		"Store Apply calls that failed for another reason than a conflict.", nil, nil)
	storeLastIndexDesc = prometheus.NewDesc("pitrix_store_last_index",
		"Commit index of the store's last committed Apply.", nil, nil)
)

// Metrics returns the collector of the plane's gauges (live activations by kind, members alive)
// and, when Deps.Stats is set, the store's counters. Each scrape reads them afresh; the REST
// front registers the collector in its registry.
func (p *Plane) Metrics() prometheus.Collector { return planeCollector{p} }

// planeCollector reads the plane's figures at scrape time, so nothing is updated on the request
// path and nothing can drift from the node and store it reports on.
type planeCollector struct{ p *Plane }

// Describe implements prometheus.Collector.
func (c planeCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- activationsDesc
	ch <- membersAliveDesc
	if c.p.stats != nil {
		for _, d := range []*prometheus.Desc{storeAppliesDesc, storeOpsDesc, storeConflictsDesc,
			storeCommitsDesc, storeFailuresDesc, storeLastIndexDesc} {
			ch <- d
		}
	}
}

// Collect implements prometheus.Collector.
func (c planeCollector) Collect(ch chan<- prometheus.Metric) {
	acts := map[string]int{}
	for _, a := range c.p.node.Activations() {
		acts[a.Kind]++
	}
	for kind, n := range acts {
		ch <- prometheus.MustNewConstMetric(activationsDesc, prometheus.GaugeValue, float64(n), kind)
	}
	alive := 0
	for _, n := range c.p.node.Nodes() {
		if n.Status == "alive" {
			alive++
		}
	}
	ch <- prometheus.MustNewConstMetric(membersAliveDesc, prometheus.GaugeValue, float64(alive))
	if c.p.stats == nil {
		return
	}
	st := c.p.stats()
	for _, m := range []struct {
		desc *prometheus.Desc
		typ  prometheus.ValueType
		v    uint64
	}{
		{storeAppliesDesc, prometheus.CounterValue, st.Applies},
		{storeOpsDesc, prometheus.CounterValue, st.Ops},
		{storeConflictsDesc, prometheus.CounterValue, st.Conflicts},
		{storeCommitsDesc, prometheus.CounterValue, st.Commits},
		{storeFailuresDesc, prometheus.CounterValue, st.Failures},
		{storeLastIndexDesc, prometheus.GaugeValue, st.LastIndex},
	} {
		ch <- prometheus.MustNewConstMetric(m.desc, m.typ, float64(m.v))
	}
}

var _ prometheus.Collector = planeCollector{}
