package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"time"

	"k8s.io/client-go/kubernetes"

	"github.com/pitrix/pitrix/actors/appcluster"
	"github.com/pitrix/pitrix/bench/benchkit"
	"github.com/pitrix/pitrix/http/client"
)

// apiSide deploys the chart through the Pitrix API of one server.
type apiSide struct {
	cfg       Config
	c         *client.Client
	kube      kubernetes.Interface
	watch     *readyWatch
	jobs      *benchkit.JobStream
	namespace string
	versionID string
	runtimeID string
}

type obj = map[string]any

// page is a list answer of the API.
type page struct {
	TotalCount int               `json:"total_count"`
	Items      []json.RawMessage `json:"items"`
}

// setupAPI registers the chart repo, waits for its first index, and creates the kubernetes
// runtime credential and a runtime whose zone is namespace (the server creates it).
func setupAPI(ctx context.Context, cfg Config, c *client.Client, repo *chartRepo, namespace string) (*apiSide, error) {
	a := &apiSide{cfg: cfg, c: c, namespace: namespace}
	var r struct {
		ID string `json:"id"`
	}
	if err := c.Do(ctx, http.MethodPost, "/v1/repos", nil, obj{"name": "helmbench", "type": "http", "url": repo.URL(),
		"visibility": "public", "providers": []string{"kubernetes"}, "app_default_status": "active", "index_interval": 0}, &r); err != nil {
		return nil, fmt.Errorf("register chart repo %s: %w", repo.URL(), err)
	}
	last := ""
	err := poll(ctx, 50*time.Millisecond, func() (bool, error) {
		var p page
		if err := c.Do(ctx, http.MethodGet, "/v1/repos/"+r.ID+"/events", nil, nil, &p); err != nil {
			return false, err
		}
		// A new repo has one event: its first index.
		if len(p.Items) == 0 {
			return false, nil
		}
		var ev struct {
			Status string `json:"status"`
		}
		if err := json.Unmarshal(p.Items[0], &ev); err != nil {
			return false, fmt.Errorf("repo %s events: %w", r.ID, err)
		}
		last = string(p.Items[0])
		switch ev.Status {
		case "successful":
			return true, nil
		case "failed":
			return false, fmt.Errorf("index of repo %s failed: %s", r.ID, last)
		}
		return false, nil
	}, func() string { return last })
	if err != nil {
		return nil, fmt.Errorf("first index of repo %s: %w", r.ID, err)
	}
	var apps page
	if err := c.Do(ctx, http.MethodGet, "/v1/apps", url.Values{"repo_id": {r.ID}}, nil, &apps); err != nil {
		return nil, fmt.Errorf("list apps of repo %s: %w", r.ID, err)
	}
	if len(apps.Items) != 1 {
		return nil, fmt.Errorf("repo %s has %d apps, want 1", r.ID, len(apps.Items))
	}
	var app struct {
		ID string `json:"id"`
	}
	if err := json.Unmarshal(apps.Items[0], &app); err != nil {
		return nil, fmt.Errorf("app of repo %s: %w", r.ID, err)
	}
	var versions page
	if err := c.Do(ctx, http.MethodGet, "/v1/apps/"+app.ID+"/versions", nil, nil, &versions); err != nil {
		return nil, fmt.Errorf("list versions of app %s: %w", app.ID, err)
	}
	for _, it := range versions.Items {
		var v struct {
			ID     string `json:"id"`
			Name   string `json:"name"`
			Status string `json:"status"`
		}
		if err := json.Unmarshal(it, &v); err != nil {
			return nil, fmt.Errorf("versions of app %s: %w", app.ID, err)
		}
		if v.Name == repo.version {
			a.versionID = v.ID
		}
	}
	if a.versionID == "" {
		return nil, fmt.Errorf("app %s has no version %s", app.ID, repo.version)
	}
	var cred, rt struct {
		ID string `json:"id"`
	}
	if err := c.Do(ctx, http.MethodPost, "/v1/runtime_credentials", nil, obj{"name": "helmbench", "provider": "kubernetes", "content": cfg.Kubeconfig}, &cred); err != nil {
		return nil, fmt.Errorf("create runtime credential: %w", err)
	}
	if err := c.Do(ctx, http.MethodPost, "/v1/runtimes", nil, obj{"name": "helmbench", "provider": "kubernetes", "zone": namespace, "credential_id": cred.ID}, &rt); err != nil {
		return nil, fmt.Errorf("create runtime in namespace %q: %w", namespace, err)
	}
	a.runtimeID = rt.ID
	return a, nil
}

// once creates one cluster, waits for its job and for the cluster to be active, reads the
// job's tasks, then deletes and ceases the cluster.
func (a *apiSide) once(parent context.Context, name string) (s Sample, err error) {
	ctx, cancel := context.WithTimeout(parent, a.cfg.Timeout)
	defer cancel()
	s = Sample{Side: sideAPI}
	body := obj{"name": name, "version_id": a.versionID, "runtime_id": a.runtimeID, "conf": obj{"replicaCount": a.cfg.Replicas}}
	t0 := time.Now()
	var acc appcluster.Accepted
	if err := a.c.Do(ctx, http.MethodPost, "/v1/clusters", nil, body, &acc); err != nil {
		return s, fmt.Errorf("create cluster %s: %w", name, err)
	}
	s.Accepted = secs(time.Since(t0))
	s.Release, s.ClusterID, s.JobID = acc.ClusterID, acc.ClusterID, acc.JobID
	defer func() {
		// The cleanup has a budget of its own: it runs even when the create timed out or the
		// run was interrupted.
		cctx, cancel := context.WithTimeout(context.WithoutCancel(parent), a.cfg.Timeout)
		defer cancel()
		err = errors.Join(err, a.cleanup(cctx, acc.ClusterID))
	}()

	job, err := a.waitJob(ctx, acc.JobID, a.cfg.PollInterval)
	if err != nil {
		return s, err
	}
	seen := time.Now()
	s.Total = secs(seen.Sub(t0))
	var tasks page
	if err := a.c.Do(ctx, http.MethodGet, "/v1/jobs/"+acc.JobID+"/tasks", nil, nil, &tasks); err != nil {
		return s, fmt.Errorf("tasks of job %s: %w", acc.JobID, err)
	}
	ts := make([]appcluster.Task, len(tasks.Items))
	for i, it := range tasks.Items {
		if err := json.Unmarshal(it, &ts[i]); err != nil {
			return s, fmt.Errorf("tasks of job %s: %w", acc.JobID, err)
		}
	}
	if job.Status != appcluster.JobSuccessful {
		return s, fmt.Errorf("create job %s %s: %s; tasks: %s", job.ID, job.Status, job.Error, taskSummary(ts))
	}
	var cl appcluster.Cluster
	err = poll(ctx, a.cfg.PollInterval, func() (bool, error) {
		if err := a.c.Do(ctx, http.MethodGet, "/v1/clusters/"+acc.ClusterID, nil, nil, &cl); err != nil {
			return false, fmt.Errorf("get cluster %s: %w", acc.ClusterID, err)
		}
		return cl.Status == appcluster.StatusActive && cl.TransitionStatus == "", nil
	}, func() string { return cl.Status + "/" + cl.TransitionStatus })
	if err != nil {
		return s, fmt.Errorf("cluster %s active: %w", acc.ClusterID, err)
	}
	s.Active = secs(time.Since(t0))
	if end, err := a.jobs.EndOf(ctx, acc.JobID); err == nil {
		s.SSE = secs(end.At.Sub(t0))
	} else {
		return s, fmt.Errorf("job %s on the event stream: %w", acc.JobID, err)
	}
	if job.StartedAt != nil && job.FinishedAt != nil {
		s.JobServer = secs(job.FinishedAt.Sub(job.CreatedAt))
	}
	s.Steps = jobSteps(t0, seen, job, ts)
	if at, ok := a.watch.readyAt(acc.ClusterID); ok {
		s.K8sReady = secs(at.Sub(t0))
	}
	return s, nil
}

// waitJob reads the job every interval until it has ended.
func (a *apiSide) waitJob(ctx context.Context, id string, interval time.Duration) (appcluster.Job, error) {
	var job appcluster.Job
	err := poll(ctx, interval, func() (bool, error) {
		if err := a.c.Do(ctx, http.MethodGet, "/v1/jobs/"+id, nil, nil, &job); err != nil {
			return false, fmt.Errorf("get job %s: %w", id, err)
		}
		return job.Status == appcluster.JobSuccessful || job.Status == appcluster.JobFailed, nil
	}, func() string {
		return fmt.Sprintf("job %s %s, %d/%d tasks done", id, job.Status, job.TasksDone, job.TasksTotal)
	})
	if err != nil {
		return job, fmt.Errorf("wait for job %s: %w", id, err)
	}
	return job, nil
}

// cleanup deletes and then ceases the cluster through the API and waits until its objects
// are gone from the namespace.
func (a *apiSide) cleanup(ctx context.Context, clusterID string) error {
	steps := []struct{ method, path string }{
		{http.MethodDelete, "/v1/clusters/" + clusterID},
		{http.MethodPost, "/v1/clusters/" + clusterID + "/cease"},
	}
	for _, st := range steps {
		var body any
		if st.method == http.MethodPost {
			body = obj{}
		}
		var acc appcluster.Accepted
		if err := a.c.Do(ctx, st.method, st.path, nil, body, &acc); err != nil {
			return fmt.Errorf("clean up: %s %s: %w", st.method, st.path, err)
		}
		job, err := a.waitJob(ctx, acc.JobID, 100*time.Millisecond)
		if err != nil {
			return fmt.Errorf("clean up cluster %s: %w", clusterID, err)
		}
		if job.Status != appcluster.JobSuccessful {
			return fmt.Errorf("clean up: %s %s: job %s %s: %s", st.method, st.path, job.ID, job.Status, job.Error)
		}
	}
	if err := waitGone(ctx, a.kube, a.namespace, clusterID); err != nil {
		return fmt.Errorf("clean up cluster %s: objects left: %w", clusterID, err)
	}
	return nil
}

func taskSummary(ts []appcluster.Task) string {
	out := ""
	for _, t := range ts {
		out += fmt.Sprintf("[%d %s %s attempts %d: %s] ", t.Layer, t.Action, t.Status, t.Attempts, t.Error)
	}
	return out
}
