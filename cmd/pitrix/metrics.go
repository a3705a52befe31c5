package main

import (
	"strings"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/pitrix/pitrix/actors/store/replica"
	"github.com/pitrix/pitrix/cluster/node"
)

// Raft and gossip figures of this node, read at scrape time.
var (
	raftStateDesc = prometheus.NewDesc("pitrix_raft_state",
		"1 for this node's raft state (leader, follower, candidate, shutdown), 0 for the others.", []string{"state"}, nil)
	raftTermDesc   = prometheus.NewDesc("pitrix_raft_term", "This node's raft term.", nil, nil)
	raftCommitDesc = prometheus.NewDesc("pitrix_raft_commit_index",
		"The highest log index this node knows committed.", nil, nil)
	raftAppliedDesc = prometheus.NewDesc("pitrix_raft_applied_index",
		"The highest log index this node handed to its state machine.", nil, nil)
	raftLastLogDesc = prometheus.NewDesc("pitrix_raft_last_log_index", "The last index of this node's raft log.", nil, nil)
	raftServersDesc = prometheus.NewDesc("pitrix_raft_servers",
		"Servers of the raft configuration this node knows, by suffrage.", []string{"suffrage"}, nil)
	storeAppliedLogDesc = prometheus.NewDesc("pitrix_store_applied_log_index",
		"The last log index the store (the state machine) has durably applied.", nil, nil)
	gossipMembersDesc = prometheus.NewDesc("pitrix_gossip_members",
		"Gossip members this node sees, by state.", []string{"state"}, nil)
)

// clusterCollector exports the node's raft and gossip figures.
type clusterCollector struct {
	st *replica.Replica
	n  func() *node.Node
}

func (c clusterCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{raftStateDesc, raftTermDesc, raftCommitDesc, raftAppliedDesc, raftLastLogDesc,
		raftServersDesc, storeAppliedLogDesc, gossipMembersDesc} {
		ch <- d
	}
}

func (c clusterCollector) Collect(ch chan<- prometheus.Metric) {
	s := c.st.Status()
	for _, state := range []string{"leader", "follower", "candidate", "shutdown"} {
		v := 0.0
		if strings.EqualFold(s.State, state) {
			v = 1
		}
		ch <- prometheus.MustNewConstMetric(raftStateDesc, prometheus.GaugeValue, v, state)
	}
	gauge := func(d *prometheus.Desc, v uint64) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, float64(v))
	}
	gauge(raftTermDesc, s.Term)
	gauge(raftCommitDesc, s.CommitIndex)
	gauge(raftAppliedDesc, s.AppliedIndex)
	gauge(raftLastLogDesc, s.LastLogIdx)
	gauge(storeAppliedLogDesc, c.st.DB().AppliedLogIndex())
	voters, nonvoters := 0, 0
	for _, sv := range s.Servers {
		if sv.Voter {
			voters++
		} else {
			nonvoters++
		}
	}
	ch <- prometheus.MustNewConstMetric(raftServersDesc, prometheus.GaugeValue, float64(voters), "voter")
	ch <- prometheus.MustNewConstMetric(raftServersDesc, prometheus.GaugeValue, float64(nonvoters), "nonvoter")
	states := map[string]int{"alive": 0, "suspect": 0, "dead": 0, "left": 0}
	if n := c.n(); n != nil {
		for _, m := range n.Members() {
			states[m.Status.String()]++
		}
	}
	for state, k := range states {
		ch <- prometheus.MustNewConstMetric(gossipMembersDesc, prometheus.GaugeValue, float64(k), state)
	}
}
