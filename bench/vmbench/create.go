package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"time"

	"github.com/pitrix/pitrix/actors/appcluster"
	"github.com/pitrix/pitrix/bench/benchkit"
	"github.com/pitrix/pitrix/http/client"
)

// Bounds of the create part's fixed steps.
const (
	startTimeout = time.Minute // server start, demo repo indexed, local runtime registered
	setupPoll    = 50 * time.Millisecond
)

type obj = map[string]any

// appSpec is how the bench deploys one demo app.
type appSpec struct {
	conf  obj
	nodes string // what conf makes, for the report
	needs string // a program that must be on PATH, "" for none
}

// appSpecOf returns the deployment of a demo app: hello with three nodes of its one role, redis
// with a master and two replicas (Debian's redis-server runs on each).
func appSpecOf(name string) (appSpec, bool) {
	switch name {
	case appHello:
		return appSpec{conf: obj{"cluster": obj{"node": obj{"count": 3}}}, nodes: "3× node"}, true
	case appRedis:
		return appSpec{conf: obj{"cluster": obj{"replica": obj{"count": 2}}}, nodes: "1 master, 2 replica", needs: "redis-server"}, true
	}
	return appSpec{}, false
}

// page is a list answer of the API.
type page struct {
	TotalCount int               `json:"total_count"`
	Items      []json.RawMessage `json:"items"`
}

// createPart starts a server on a fresh data directory, measures create and delete of every
// app of cfg, stops the server and kills whatever it left running under the data directory.
func createPart(ctx context.Context, cfg Config) (_ *CreateReport, err error) {
	log := cfg.Logger
	dir, err := os.MkdirTemp("", "vmbench-")
	if err != nil {
		return nil, err
	}
	r := &CreateReport{Binary: cfg.Binary, DataDir: filepath.Join(dir, "data"), N: cfg.N, PollInterval: cfg.PollInterval.String()}
	defer func() { err = errors.Join(err, os.RemoveAll(dir)) }()
	defer func() {
		// Runs after the server is stopped: its Frontgates, Drones and their apps are
		// processes of their own.
		left, serr := sweep(r.DataDir)
		r.Leftovers = left
		for _, l := range left {
			log.Info("killed a leftover process", "kind", l.Kind, "pid", l.PID, "expected", l.Expected())
		}
		err = errors.Join(err, serr)
	}()

	startCtx, cancel := context.WithTimeout(ctx, startTimeout)
	defer cancel()
	srv, err := benchkit.StartServer(startCtx, cfg.Binary, r.DataDir, []string{"--edge", "127.0.0.1:0", "--demo-src", cfg.DemoSrc}, []string{"PITRIX_LOCAL_RUNTIME=true"}, log)
	if err != nil {
		return nil, err
	}
	defer func() { err = errors.Join(err, srv.Close()) }()
	tok, err := srv.Token()
	if err != nil {
		return nil, err
	}
	c, err := client.New(client.Config{Server: srv.URL(), Token: tok, UserAgent: "pitrix-vmbench"})
	if err != nil {
		return nil, err
	}
	defer c.CloseIdleConnections()
	runtimeID, versions, err := setup(startCtx, c, cfg.Apps)
	if err != nil {
		return nil, err
	}
	streamCtx, stopStream := context.WithCancel(ctx)
	defer stopStream()
	jobs, err := benchkit.OpenJobStream(streamCtx, c)
	if err != nil {
		return nil, err
	}
	defer jobs.Close()

	b := &bench{cfg: cfg, c: c, jobs: jobs, runtimeID: runtimeID}
	for _, app := range cfg.Apps {
		spec, _ := appSpecOf(app)
		res := AppResult{App: app, Nodes: spec.nodes}
		if spec.needs != "" {
			if _, err := exec.LookPath(spec.needs); err != nil {
				res.Skipped = "no " + spec.needs
				log.Info("skipping app", "app", app, "why", res.Skipped)
				r.Apps = append(r.Apps, res)
				continue
			}
		}
		for i := range cfg.N {
			s, err := b.once(ctx, app, versions[app], spec.conf, i)
			if err != nil {
				return nil, fmt.Errorf("%s iteration %d: %w", app, i, err)
			}
			log.Info("iteration", "app", app, "iter", i, "create_s", fmt.Sprintf("%.3f", s.Create.SSE),
				"delete_s", fmt.Sprintf("%.3f", s.Delete.SSE))
			res.Samples = append(res.Samples, s)
		}
		res.summarise()
		r.Apps = append(r.Apps, res)
	}
	return r, nil
}

// setup waits until the local runtime is registered and the demo repo lists apps, and returns
// the runtime's id and each app's latest version id.
func setup(ctx context.Context, c *client.Client, apps []string) (string, map[string]string, error) {
	var runtimeID, last string
	versions := map[string]string{}
	err := poll(ctx, setupPoll, func() (bool, error) {
		var rts page
		if err := c.Do(ctx, http.MethodGet, "/v1/runtimes", url.Values{"limit": {"200"}}, nil, &rts); err != nil {
			return false, fmt.Errorf("list runtimes: %w", err)
		}
		for _, it := range rts.Items {
			var rt struct{ ID, Provider string }
			if err := json.Unmarshal(it, &rt); err != nil {
				return false, fmt.Errorf("list runtimes: %w", err)
			}
			if rt.Provider == "local" {
				runtimeID = rt.ID
			}
		}
		var as page
		if err := c.Do(ctx, http.MethodGet, "/v1/apps", url.Values{"limit": {"200"}}, nil, &as); err != nil {
			return false, fmt.Errorf("list apps: %w", err)
		}
		for _, it := range as.Items {
			var a struct {
				Name            string `json:"name"`
				Type            string `json:"type"`
				LatestVersionID string `json:"latest_version_id"`
			}
			if err := json.Unmarshal(it, &a); err != nil {
				return false, fmt.Errorf("list apps: %w", err)
			}
			if a.Type == "vm" && a.LatestVersionID != "" {
				versions[a.Name] = a.LatestVersionID
			}
		}
		last = fmt.Sprintf("local runtime %q, vm apps %v", runtimeID, versions)
		if runtimeID == "" {
			return false, nil
		}
		for _, a := range apps {
			if versions[a] == "" {
				return false, nil
			}
		}
		return true, nil
	}, func() string { return last })
	if err != nil {
		return "", nil, fmt.Errorf("wait for the local runtime and the demo apps: %w", err)
	}
	return runtimeID, versions, nil
}

// bench measures clusters of one server.
type bench struct {
	cfg       Config
	c         *client.Client
	jobs      *benchkit.JobStream
	runtimeID string
}

// once creates a cluster of app, waits for its job, then deletes it and waits for that job.
// A cluster whose create was accepted is deleted even when something failed on the way.
func (b *bench) once(ctx context.Context, app, versionID string, conf obj, iter int) (Sample, error) {
	s := Sample{Iter: iter}
	name := fmt.Sprintf("vmbench-%s-%d", app, iter)
	cr, err := b.action(ctx, http.MethodPost, "/v1/clusters", obj{"name": name, "version_id": versionID, "runtime_id": b.runtimeID, "conf": conf})
	s.ClusterID, s.CreateJob, s.Create, s.CreateSteps = cr.clusterID, cr.jobID, cr.timing, cr.steps
	if err != nil {
		if cr.clusterID != "" {
			if _, derr := b.action(context.WithoutCancel(ctx), http.MethodDelete, "/v1/clusters/"+cr.clusterID, nil); derr != nil {
				err = errors.Join(err, fmt.Errorf("clean up: %w", derr))
			}
		}
		return s, fmt.Errorf("create %s: %w", name, err)
	}
	dr, err := b.action(ctx, http.MethodDelete, "/v1/clusters/"+s.ClusterID, nil)
	s.DeleteJob, s.Delete, s.DeleteSteps = dr.jobID, dr.timing, dr.steps
	if err != nil {
		return s, fmt.Errorf("delete %s (%s): %w", name, s.ClusterID, err)
	}
	return s, nil
}

// actionResult is one timed cluster mutation. clusterID is set once the server accepted it.
type actionResult struct {
	clusterID, jobID string
	timing           Timing
	steps            []Step
}

// action sends one cluster mutation and times its job: polled every PollInterval and, at the
// same time, seen ending on the event stream.
func (b *bench) action(parent context.Context, method, path string, body any) (actionResult, error) {
	ctx, cancel := context.WithTimeout(parent, b.cfg.Timeout)
	defer cancel()
	var r actionResult
	t0 := time.Now()
	var acc appcluster.Accepted
	if err := b.c.Do(ctx, method, path, nil, body, &acc); err != nil {
		return r, fmt.Errorf("%s %s: %w", method, path, err)
	}
	r.timing.Accepted = secs(time.Since(t0))
	r.clusterID, r.jobID = acc.ClusterID, acc.JobID
	job, err := b.waitJob(ctx, acc.JobID)
	if err != nil {
		return r, err
	}
	r.timing.Poll = secs(time.Since(t0))
	end, err := b.jobs.EndOf(ctx, acc.JobID)
	if err != nil {
		return r, err
	}
	r.timing.SSE = secs(end.At.Sub(t0))
	if job.FinishedAt != nil {
		r.timing.Server = secs(job.FinishedAt.Sub(job.CreatedAt))
	}
	var tasks page
	if err := b.c.Do(ctx, http.MethodGet, "/v1/jobs/"+acc.JobID+"/tasks", nil, nil, &tasks); err != nil {
		return r, fmt.Errorf("tasks of job %s: %w", acc.JobID, err)
	}
	ts := make([]appcluster.Task, len(tasks.Items))
	for i, it := range tasks.Items {
		if err := json.Unmarshal(it, &ts[i]); err != nil {
			return r, fmt.Errorf("tasks of job %s: %w", acc.JobID, err)
		}
	}
	if job.Status != appcluster.JobSuccessful {
		return r, fmt.Errorf("job %s (%s) %s: %s; tasks: %s", job.ID, job.Action, job.Status, job.Error, taskSummary(ts))
	}
	if end.Status != job.Status {
		return r, fmt.Errorf("job %s: the event stream says %s, GET says %s", job.ID, end.Status, job.Status)
	}
	r.steps = jobSteps(t0, end.At, job, ts)
	return r, nil
}

// waitJob reads the job every PollInterval until it has ended.
func (b *bench) waitJob(ctx context.Context, id string) (appcluster.Job, error) {
	var job appcluster.Job
	err := poll(ctx, b.cfg.PollInterval, func() (bool, error) {
		if err := b.c.Do(ctx, http.MethodGet, "/v1/jobs/"+id, nil, nil, &job); err != nil {
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

// poll calls cond every interval until it is true or fails; when ctx ends first the error
// says what last() saw.
func poll(ctx context.Context, interval time.Duration, cond func() (bool, error), last func() string) error {
	tick := time.NewTicker(interval)
	defer tick.Stop()
	for {
		ok, err := cond()
		if err != nil {
			return err
		}
		if ok {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%w; last: %s", ctx.Err(), last())
		case <-tick.C:
		}
	}
}

func taskSummary(ts []appcluster.Task) string {
	out := ""
	for _, t := range ts {
		out += fmt.Sprintf("[L%d %s %s %s attempts %d: %s] ", t.Layer, t.Action, t.Target, t.Status, t.Attempts, t.Error)
	}
	return out
}

func secs(d time.Duration) float64 { return d.Seconds() }
