package appcluster

import "strconv"

// Key prefixes. Cluster records live under runtime.ClusterPrefix ("cl/") so a runtime can find
// its live clusters.
const (
	ClusterPrefix = "cl/"
	JobPrefix     = "job/"
	TaskPrefix    = "task/"
	KindName      = "appcluster"
)

// ClusterKey is the key of a cluster record.
func ClusterKey(id string) string { return ClusterPrefix + id }

// SecretsPrefix holds each cluster's sealed conf secrets (actors/control: secrets.go).
const SecretsPrefix = "clustersecret/"

// SecretsKey is the key of a cluster's sealed conf secrets; they are deleted when it ceases.
func SecretsKey(id string) string { return SecretsPrefix + id }

// JobKey is the key of a job record.
func JobKey(id string) string { return JobPrefix + id }

// TaskKey is the key of a task; the tasks of a job share TaskPrefix+jobID+"/" and sort by
// layer then sequence.
func TaskKey(jobID string, layer, seq int) string {
	return TaskPrefix + jobID + "/" + pad(layer) + "/" + pad(seq)
}

func pad(n int) string {
	s := strconv.Itoa(n)
	for len(s) < 4 {
		s = "0" + s
	}
	return s
}

// TermCluster selects the jobs of a cluster.
func TermCluster(id string) string { return "cluster_id=" + id }

// Terms returns the index terms of a cluster record.
func (c *Cluster) Terms() []string {
	t := []string{"runtime_id=" + c.RuntimeID, "app_id=" + c.AppID, "owner=" + c.Owner, "status=" + c.Status}
	if c.Status != StatusDeleted && c.Status != StatusCeased {
		t = append(t, "live=true")
	}
	return t
}

// Terms returns the index terms of a job record.
func (j *Job) Terms() []string {
	return []string{TermCluster(j.ClusterID), "status=" + j.Status, "owner=" + j.Owner}
}
