package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"time"

	"github.com/pitrix/pitrix/http/client"
	"github.com/spf13/pflag"
)

// defaultWaitTimeout bounds --wait and job watch.
const defaultWaitTimeout = 30 * time.Minute

// defaultPollInterval is how often a job is fetched when the event stream is not available.
const defaultPollInterval = time.Second

// jobState is what following a job needs of it.
type jobState struct {
	ID         string `json:"id"`
	ClusterID  string `json:"cluster_id"`
	Action     string `json:"action"`
	Status     string `json:"status"`
	Error      string `json:"error"`
	TasksTotal int    `json:"tasks_total"`
	TasksDone  int    `json:"tasks_done"`
}

func (j jobState) terminal() bool { return j.Status == "successful" || j.Status == "failed" }

// before reports whether j is an older state than k of the same run of a job (an event that
// arrived after a fresher fetch), so progress never goes backwards.
func (j jobState) before(k jobState) bool {
	rank := func(s string) int {
		switch s {
		case "pending":
			return 0
		case "working":
			return 1
		}
		return 2
	}
	if rank(j.Status) != rank(k.Status) {
		return rank(j.Status) < rank(k.Status)
	}
	return j.TasksDone < k.TasksDone
}

func (j jobState) progress() string {
	return fmt.Sprintf("job %s %s %d/%d tasks", sanitize(j.ID), sanitize(j.Status), j.TasksDone, j.TasksTotal)
}

// waitFlags are --wait and --timeout of the mutations, and --timeout of job watch.
type waitFlags struct {
	wait    bool
	timeout time.Duration
}

func (w *waitFlags) register(fs *pflag.FlagSet, withWait bool) {
	if withWait {
		fs.BoolVar(&w.wait, "wait", false, "follow the job until it ends; exit 1 if it fails")
	}
	fs.DurationVar(&w.timeout, "timeout", defaultWaitTimeout, "how long to follow the job")
}

// accepted shows a {cluster_id, job_id} answer and, with --wait, follows the job. With -o json
// and --wait only the job as it ended is printed, so stdout holds one JSON document.
func (c *cmd) accepted(ctx context.Context, raw json.RawMessage, w waitFlags) error {
	if !w.wait || !c.s.g.json() {
		if err := c.showObject(raw, acceptedView()); err != nil {
			return err
		}
	}
	if !w.wait {
		return nil
	}
	var acc struct {
		ClusterID string `json:"cluster_id"`
		JobID     string `json:"job_id"`
	}
	if err := json.Unmarshal(raw, &acc); err != nil || acc.JobID == "" {
		return fmt.Errorf("decode accepted answer %q: no job id", raw)
	}
	return c.follow(ctx, acc.JobID, w.timeout)
}

// mutate calls a cluster mutation and shows its answer.
func (c *cmd) mutate(ctx context.Context, method, path string, body any, w waitFlags) error {
	raw, err := c.call(ctx, method, path, nil, body)
	if err != nil {
		return err
	}
	return c.accepted(ctx, raw, w)
}

// progressOut is where progress lines go: stdout for tables, stderr beside JSON output.
func (c *cmd) progressOut() io.Writer {
	if c.s.g.json() {
		return c.s.env.Stderr
	}
	return c.out()
}

// follow watches job id until it ends or timeout passes, printing a line per change. It follows
// GET /v1/events?cluster_id= and falls back to polling GET /v1/jobs/{id} when the stream cannot
// be opened or ends early. A failed job prints its error and its failed tasks and exits 1.
func (c *cmd) follow(ctx context.Context, id string, timeout time.Duration) error {
	api, err := c.s.client()
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	f := &follower{c: c, api: api, id: id}
	job, err := f.get(ctx)
	if err != nil {
		return f.fail(ctx, err, timeout)
	}
	if !job.terminal() {
		job, err = f.stream(ctx, job.ClusterID)
		if err != nil && ctx.Err() == nil {
			fmt.Fprintf(c.s.env.Stderr, "event stream: %s; polling the job every %v\n", sanitize(err.Error()), c.s.pollInterval())
			job, err = f.poll(ctx)
		}
		if err != nil {
			return f.fail(ctx, err, timeout)
		}
	}
	return f.finish(ctx, job)
}

// follower is one follow of one job.
type follower struct {
	c    *cmd
	api  *client.Client
	id   string
	last string // the last progress line printed
}

// show prints the progress line of j if it differs from the last one.
func (f *follower) show(j jobState) {
	if line := j.progress(); line != f.last {
		f.last = line
		fmt.Fprintln(f.c.progressOut(), line)
	}
}

func (f *follower) get(ctx context.Context) (jobState, error) {
	var j jobState
	if err := f.api.Do(ctx, "GET", client.Path("v1", "jobs", f.id), nil, nil, &j); err != nil {
		return j, err
	}
	f.show(j)
	return j, nil
}

// errStreamEnded means the server ended the event stream before the job did.
var errStreamEnded = errors.New("ended before the job did")

// stream follows the job's events until it ends. The job is fetched again once the stream is
// open, so a change between the first fetch and the subscription is not missed.
func (f *follower) stream(ctx context.Context, clusterID string) (jobState, error) {
	q := url.Values{}
	if clusterID != "" {
		q.Set("cluster_id", clusterID)
	}
	s, err := f.api.OpenEvents(ctx, "/v1/events", q)
	if err != nil {
		return jobState{}, err
	}
	defer s.Close()
	j, err := f.get(ctx)
	if err != nil || j.terminal() {
		return j, err
	}
	for {
		ev, err := s.Next()
		if err != nil {
			if ctx.Err() != nil {
				return j, ctx.Err()
			}
			if errors.Is(err, io.EOF) {
				return j, errStreamEnded
			}
			return j, err
		}
		var change struct {
			Type string          `json:"type"`
			Data json.RawMessage `json:"data"`
		}
		if json.Unmarshal(ev.Data, &change) != nil {
			continue
		}
		switch change.Type {
		case "job":
			var next jobState
			if json.Unmarshal(change.Data, &next) != nil || next.ID != f.id || next.before(j) {
				continue
			}
			j = next
			f.show(j)
		case "task":
			// A task of this job moved: fetch the job, in case its own event is late or the
			// server sends none for task progress.
			var t struct {
				JobID string `json:"job_id"`
			}
			if json.Unmarshal(change.Data, &t) != nil || t.JobID != f.id {
				continue
			}
			if j, err = f.get(ctx); err != nil {
				return j, err
			}
		default:
			continue
		}
		if j.terminal() {
			return j, nil
		}
	}
}

// poll fetches the job every poll interval until it ends.
func (f *follower) poll(ctx context.Context) (jobState, error) {
	t := time.NewTicker(f.c.s.pollInterval())
	defer t.Stop()
	for {
		j, err := f.get(ctx)
		if err != nil || j.terminal() {
			return j, err
		}
		select {
		case <-ctx.Done():
			return j, ctx.Err()
		case <-t.C:
		}
	}
}

// finish reports a job that ended: nothing more when it succeeded; its error and failed tasks
// (on stderr) and exit 1 when it failed.
func (f *follower) finish(ctx context.Context, j jobState) error {
	if c := f.c; c.s.g.json() {
		raw, err := c.call(ctx, "GET", client.Path("v1", "jobs", f.id), nil, nil)
		if err != nil {
			return err
		}
		if err := writeJSON(c.out(), raw); err != nil {
			return err
		}
	}
	if j.Status == "successful" {
		return nil
	}
	w := f.c.s.env.Stderr
	fmt.Fprintf(w, "error: job %s (%s) failed: %s\n", sanitize(j.ID), sanitize(j.Action), cellText(j.Error))
	var tasks struct {
		Items []struct {
			ID     string `json:"id"`
			Action string `json:"action"`
			Target string `json:"target"`
			Status string `json:"status"`
			Error  string `json:"error"`
		} `json:"items"`
	}
	if err := f.api.Do(ctx, "GET", client.Path("v1", "jobs", f.id, "tasks"), nil, nil, &tasks); err != nil {
		fmt.Fprintf(w, "  (tasks not available: %s)\n", sanitize(err.Error()))
		return errFailed
	}
	for _, t := range tasks.Items {
		if t.Status == "failed" {
			fmt.Fprintf(w, "  task %s %s %s: %s\n", sanitize(t.ID), sanitize(t.Action), cellText(t.Target), cellText(t.Error))
		}
	}
	return errFailed
}

// fail turns the end of a follow that did not see the job end into the error to report.
func (f *follower) fail(ctx context.Context, err error, timeout time.Duration) error {
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return fmt.Errorf("job %s still running after %v (it goes on; follow it with: pitrix job watch %s)", f.id, timeout, f.id)
	}
	return err
}
