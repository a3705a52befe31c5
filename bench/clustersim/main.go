package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/asynkron/protoactor-go/cluster"

	"github.com/pitrix/pitrix/actors/appcluster"
	"github.com/pitrix/pitrix/actors/entity"
	"github.com/pitrix/pitrix/providers"
)

type config struct {
	Clusters        int
	Nodes           []int
	NodesPerCluster int
	Tasks           int
	JobsKept        int
	ActionsPerDay   float64
	JobSeconds      float64
	IdleSeconds     float64
	ActorBytes      float64
}

func main() {
	var c config
	flag.IntVar(&c.Clusters, "clusters", 1_000_000, "app clusters")
	nodes := flag.String("nodes", "3,5,10,20", "control-plane sizes, comma-separated")
	flag.IntVar(&c.NodesPerCluster, "nodes-per-cluster", 3, "VM nodes of the typical cluster")
	flag.IntVar(&c.Tasks, "tasks", 8, "tasks of a typical job")
	flag.IntVar(&c.JobsKept, "jobs-kept", 10, "finished jobs (with their tasks) each cluster keeps")
	flag.Float64Var(&c.ActionsPerDay, "actions-per-day", 1, "lifecycle actions per cluster per day (the churn)")
	flag.Float64Var(&c.JobSeconds, "job-seconds", 20, "how long a job keeps its actor busy")
	flag.Float64Var(&c.IdleSeconds, "idle-seconds", 600, "the servers' --actor-idle")
	flag.Float64Var(&c.ActorBytes, "actor-bytes", 2230, "heap per activated app-cluster actor (bench/actorbench)")
	flag.Parse()
	for _, s := range strings.Split(*nodes, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || n < 1 {
			fmt.Fprintf(os.Stderr, "clustersim: -nodes: %q is not a positive count\n", s)
			os.Exit(2)
		}
		c.Nodes = append(c.Nodes, n)
	}
	if c.Clusters < 1 || c.Tasks < 1 || c.JobsKept < 1 || c.NodesPerCluster < 1 {
		fmt.Fprintln(os.Stderr, "clustersim: -clusters, -tasks, -jobs-kept and -nodes-per-cluster must be positive")
		os.Exit(2)
	}
	clusterBytes, jobBytes := recordSizes(c)
	perCluster := clusterBytes + float64(c.JobsKept)*jobBytes
	applies := 4 + 2*float64(c.Tasks)
	actionsPerSec := float64(c.Clusters) * c.ActionsPerDay / 86400
	live := actionsPerSec * (c.JobSeconds + c.IdleSeconds)

	fmt.Printf("Model: %d clusters of %d VM nodes, %d tasks per job, %d jobs kept, %.1f actions per cluster per day, --actor-idle %.0fs\n\n",
		c.Clusters, c.NodesPerCluster, c.Tasks, c.JobsKept, c.ActionsPerDay, c.IdleSeconds)
	fmt.Printf("Store (every node holds all of it): %.1f KB per cluster (record %.1f KB, each job with its tasks %.1f KB) → %.1f GB logical\n",
		perCluster/1e3, clusterBytes/1e3, jobBytes/1e3, perCluster*float64(c.Clusters)/1e9)
	fmt.Printf("Writes: %.1f actions/s × %.0f Applies = %.0f replicated Applies/s\n", actionsPerSec, applies, actionsPerSec*applies)
	fmt.Printf("Live app-cluster actors: %.0f in the cluster (%.1f MB of heap at %.0f B each)\n\n", live, live*c.ActorBytes/1e6, c.ActorBytes)
	fmt.Println("| nodes | busiest node's ids | mean | busiest/mean | moved when one node leaves | ideal | live actors per node |")
	fmt.Println("|---|---|---|---|---|---|---|")
	for _, n := range c.Nodes {
		b := balance(c.Clusters, n)
		fmt.Printf("| %d | %d | %.0f | %.3f | %.2f%% | %.2f%% | %.0f |\n", n, b.max, b.mean, float64(b.max)/b.mean, 100*b.moved, 100/float64(n), live/float64(n))
	}
}

type placement struct {
	max   int
	mean  float64
	moved float64
}

func members(n int) cluster.Members {
	ms := make(cluster.Members, n)
	for i := range n {
		ms[i] = &cluster.Member{Id: fmt.Sprintf("node-%02d-%x", i, i*7919), Host: fmt.Sprintf("127.0.0.%d", i+1), Port: 9090, Kinds: []string{appcluster.KindName}}
	}
	return ms
}

// balance places every id with protoactor's rendezvous over n members, then over the same
// members less the last, and counts per node and the ids that moved.
func balance(clusters, n int) placement {
	all := members(n)
	full := cluster.NewRendezvous()
	full.UpdateMembers(all)
	less := cluster.NewRendezvous()
	if n > 1 {
		less.UpdateMembers(all[:n-1])
	}
	per := map[string]int{}
	moved := 0
	for i := range clusters {
		ci := cluster.NewClusterIdentity(fmt.Sprintf("cl-%016x", uint64(i)*0x9e3779b97f4a7c15), appcluster.KindName)
		owner := full.GetByClusterIdentity(ci)
		per[owner]++
		if n > 1 && less.GetByClusterIdentity(ci) != owner {
			moved++
		}
	}
	counts := make([]int, 0, len(per))
	for _, v := range per {
		counts = append(counts, v)
	}
	return placement{max: slices.Max(counts), mean: float64(clusters) / float64(n), moved: float64(moved) / float64(clusters)}
}

// recordSizes returns the stored bytes of a typical cluster record and of one job with its
// tasks: key, JSON value and index terms, as entity.Put builds the store op.
func recordSizes(c config) (clusterBytes, jobBytes float64) {
	now := time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC)
	cl := appcluster.Cluster{ID: "cl-0123456789abcdef", Name: "redis-prod-eu", Description: "cache for the shop", AppID: "app-0123456789abcdef",
		VersionID: "appv-0123456789abcdef", RuntimeID: "rt-0123456789abcdef", Provider: "openstack", AppType: "vm", Owner: "usr-0123456789abcdef",
		Status: "active", Revision: 4, LastJobID: "job-0123456789abcdef", CreatedAt: now, UpdatedAt: now,
		Conf: json.RawMessage(`{"cluster":{"name":"redis-prod-eu","description":"","vxnet":"vxnet-0123456","master":{"cpu":2,"memory":4096,"count":1,"volume_size":20},"replica":{"cpu":2,"memory":4096,"count":2,"volume_size":20}},"env":{"maxmemory_policy":"volatile-lru","appendonly":"yes","port":6379}}`),
		Spec: json.RawMessage(`{"name":"redis-prod-eu","nodes":[` + strings.Repeat(`{"role":"replica","container":{"type":"kvm","image":"img-0123456"},"cpu":2,"memory":4096,"volume":{"size":20,"mount_point":"/data","filesystem":"ext4"},"services":{"init":{"cmd":"/opt/app/bin/init.sh"},"start":{"cmd":"/opt/app/bin/start.sh"},"stop":{"cmd":"/opt/app/bin/stop.sh"}}},`, 2) + `{"role":"master"}],"endpoints":{"client":{"port":6379,"protocol":"tcp"}}}`),
	}
	for i := range c.NodesPerCluster {
		cl.Nodes = append(cl.Nodes, appcluster.Node{ID: fmt.Sprintf("cln-0123456789ab%04d", i), Role: "replica", InstanceID: fmt.Sprintf("i-0123456789ab%04d", i),
			PrivateIP: fmt.Sprintf("10.0.0.%d", i+2), Status: "active", Health: "healthy"})
	}
	cl.Roles = []providers.Role{{Role: "master", Count: 1, Ready: 1, CPU: 2, Memory: 4096}, {Role: "replica", Count: c.NodesPerCluster - 1, Ready: c.NodesPerCluster - 1, CPU: 2, Memory: 4096}}
	cl.Endpoints = []providers.Endpoint{{Name: "client", Port: 6379}}
	clusterBytes = opBytes(appcluster.ClusterKey(cl.ID), cl, appcluster.TermCluster(cl.ID), "owner="+cl.Owner, "status="+cl.Status)
	job := appcluster.Job{ID: "job-0123456789abcdef", ClusterID: cl.ID, Action: "scale_out", Status: "successful", TasksTotal: c.Tasks, TasksDone: c.Tasks,
		Owner: cl.Owner, CreatedAt: now, StartedAt: &now, FinishedAt: &now, Params: json.RawMessage(`{"role":"replica","count":1}`)}
	jobBytes = opBytes(appcluster.JobKey(job.ID), job, appcluster.TermCluster(cl.ID), "status="+job.Status)
	for i := range c.Tasks {
		t := appcluster.Task{ID: fmt.Sprintf("task-0123456789ab%04d", i), JobID: job.ID, ClusterID: cl.ID, Layer: i / 3, Seq: i % 3, Action: "run_service",
			Target: "replica", NodeID: cl.Nodes[i%len(cl.Nodes)].ID, Status: "successful", Attempts: 1, Output: "started redis-server on port 6379",
			TimeoutSec: 600, MaxAttempt: 3, StartedAt: &now, FinishedAt: &now}
		jobBytes += opBytes(appcluster.TaskKey(job.ID, t.Layer, t.Seq), t)
	}
	return clusterBytes, jobBytes
}

func opBytes(key string, v any, terms ...string) float64 {
	op := entity.MustPut(key, v, 0, terms...)
	n := len(op.Key) + len(op.Value)
	for _, t := range terms {
		n += len(t) + len(key) // an index entry: term and the key it points to
	}
	return float64(n)
}
