package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"slices"
	"strings"
	"sync"
)

// fakeClusters is the clusters, jobs and events part of fakeAPI. Jobs follow a script chosen by
// the cluster's name: "bad..." fails at its second task, "stuck..." never moves, anything else
// goes working 1/3, working 2/3, successful 3/3. On the event stream the script plays once the
// client fetches a job of the stream's cluster after subscribing (as the CLI does), so what the
// CLI prints is deterministic; with the stream down (sseDown) or ending at once (sseEndEarly)
// every GET of a job moves it one step instead.
type fakeClusters struct {
	mu          sync.Mutex
	seq         int
	clusters    map[string]map[string]any
	corder      []string
	jobs        map[string]*fakeJob
	jorder      []string
	sseDown     bool
	sseEndEarly bool
	taskEvents  bool        // the stream sends task events only; each waits for the client's fetch
	fetched     chan string // ids of jobs fetched, for the stream
	streams     int         // event streams opened
}

type fakeJob struct {
	obj   map[string]any
	steps []fakeStep
	tasks []map[string]any
}

type fakeStep struct {
	status string
	done   int
	err    string
}

func newFakeClusters() *fakeClusters {
	return &fakeClusters{
		clusters: map[string]map[string]any{},
		jobs:     map[string]*fakeJob{},
		fetched:  make(chan string, 64),
	}
}

var fakeActions = []string{"start", "stop", "resize", "add_nodes", "delete_nodes", "upgrade", "rollback",
	"update_env", "recover", "cease"}

func (fc *fakeClusters) routes(mux *http.ServeMux) {
	mux.HandleFunc("POST /v1/clusters", fc.create)
	mux.HandleFunc("GET /v1/clusters", fc.listClusters)
	mux.HandleFunc("GET /v1/clusters/{id}", func(w http.ResponseWriter, r *http.Request) {
		fc.mu.Lock()
		defer fc.mu.Unlock()
		c, ok := fc.clusters[r.PathValue("id")]
		if !ok {
			notFound(w, r.PathValue("id"))
			return
		}
		fakeJSON(w, 200, c)
	})
	mux.HandleFunc("GET /v1/clusters/{id}/nodes", func(w http.ResponseWriter, r *http.Request) {
		fc.mu.Lock()
		defer fc.mu.Unlock()
		c, ok := fc.clusters[r.PathValue("id")]
		if !ok {
			notFound(w, r.PathValue("id"))
			return
		}
		fakeJSON(w, 200, map[string]any{"total_count": 1, "items": c["nodes"]})
	})
	mux.HandleFunc("POST /v1/clusters/{id}/{action}", func(w http.ResponseWriter, r *http.Request) {
		if !slices.Contains(fakeActions, r.PathValue("action")) {
			notFound(w, r.PathValue("action"))
			return
		}
		fc.action(w, r, r.PathValue("action"))
	})
	mux.HandleFunc("DELETE /v1/clusters/{id}", func(w http.ResponseWriter, r *http.Request) { fc.action(w, r, "delete") })
	mux.HandleFunc("GET /v1/jobs", fc.listJobs)
	mux.HandleFunc("GET /v1/jobs/{id}", fc.getJob)
	mux.HandleFunc("GET /v1/jobs/{id}/tasks", func(w http.ResponseWriter, r *http.Request) {
		fc.mu.Lock()
		defer fc.mu.Unlock()
		j, ok := fc.jobs[r.PathValue("id")]
		if !ok {
			notFound(w, r.PathValue("id"))
			return
		}
		fakeJSON(w, 200, map[string]any{"total_count": len(j.tasks), "items": j.tasks})
	})
	mux.HandleFunc("POST /v1/jobs/{id}/retry", func(w http.ResponseWriter, r *http.Request) {
		fc.mu.Lock()
		defer fc.mu.Unlock()
		j, ok := fc.jobs[r.PathValue("id")]
		if !ok {
			notFound(w, r.PathValue("id"))
			return
		}
		if j.obj["status"] != "failed" {
			fakeError(w, 409, "failed_precondition", fmt.Sprintf("job %s is %v", r.PathValue("id"), j.obj["status"]), nil)
			return
		}
		j.obj["status"], j.obj["error"] = "pending", ""
		j.steps = okSteps()
		fakeJSON(w, 202, map[string]any{"cluster_id": j.obj["cluster_id"], "job_id": j.obj["id"]})
	})
	mux.HandleFunc("GET /v1/events", fc.events)
}

func okSteps() []fakeStep {
	return []fakeStep{{"working", 1, ""}, {"working", 2, ""}, {"successful", 3, ""}}
}

// newJob adds a job for action on cluster c; the caller holds fc.mu.
func (fc *fakeClusters) newJob(c map[string]any, action string, params json.RawMessage) map[string]any {
	fc.seq++
	id := fmt.Sprintf("j-%d", fc.seq)
	name, _ := c["name"].(string)
	steps := okSteps()
	switch {
	case strings.HasPrefix(name, "bad"):
		steps = []fakeStep{{"working", 1, ""}, {"failed", 1, "task " + id + "-t2 failed"}}
	case strings.HasPrefix(name, "stuck"):
		steps = nil
	}
	obj := map[string]any{"id": id, "cluster_id": c["id"], "action": action, "status": "pending",
		"tasks_total": 3, "tasks_done": 0, "error": "", "created_at": "2025-01-01T00:00:00Z"}
	if len(params) > 0 {
		obj["params"] = params
	}
	var tasks []map[string]any
	for i := 1; i <= 3; i++ {
		tasks = append(tasks, map[string]any{"id": fmt.Sprintf("%s-t%d", id, i), "layer": i - 1,
			"action": action, "target": "node-" + fmt.Sprint(i), "status": "pending", "attempts": 0, "error": ""})
	}
	fc.jobs[id] = &fakeJob{obj: obj, steps: steps, tasks: tasks}
	fc.jorder = append([]string{id}, fc.jorder...)
	c["last_job_id"] = id
	return obj
}

// advance moves job id one step; the caller holds fc.mu. It reports whether it moved.
func (fc *fakeClusters) advance(id string) bool {
	j := fc.jobs[id]
	if j == nil || len(j.steps) == 0 {
		return false
	}
	st := j.steps[0]
	j.steps = j.steps[1:]
	j.obj["status"], j.obj["tasks_done"], j.obj["error"] = st.status, st.done, st.err
	for i, t := range j.tasks {
		switch {
		case i < st.done:
			t["status"], t["attempts"] = "successful", 1
		case i == st.done && st.status == "failed":
			t["status"], t["attempts"], t["error"] = "failed", 3, "quota exceeded: 0 cores left"
		case i == st.done && st.status == "working":
			t["status"], t["attempts"] = "working", 1
		}
	}
	c := fc.clusters[j.obj["cluster_id"].(string)]
	switch st.status {
	case "successful":
		c["status"], c["transition_status"] = "active", ""
	case "failed":
		c["status"], c["transition_status"] = "failed", ""
	}
	return true
}

func (fc *fakeClusters) create(w http.ResponseWriter, r *http.Request) {
	var in map[string]any
	body, _ := io.ReadAll(r.Body)
	if err := json.Unmarshal(body, &in); err != nil {
		fakeError(w, 400, "invalid_argument", "body is not JSON", nil)
		return
	}
	bad := map[string]any{}
	for _, k := range []string{"name", "version_id", "runtime_id"} {
		if s, _ := in[k].(string); s == "" {
			bad[k] = "required"
		}
	}
	if len(bad) > 0 {
		fakeError(w, 400, "invalid_argument", "invalid cluster", bad)
		return
	}
	fc.mu.Lock()
	defer fc.mu.Unlock()
	fc.seq++
	id := fmt.Sprintf("cl-%d", fc.seq)
	c := maps.Clone(in)
	c["id"], c["status"], c["transition_status"] = id, "pending", "creating"
	c["updated_at"] = "2025-01-01T00:00:00Z"
	c["nodes"] = []any{map[string]any{"id": id + "-n1", "role": "main", "instance_id": "i-1", "private_ip": "10.0.0.5", "status": "running", "health": "ok"}}
	if _, ok := c["app_id"]; !ok {
		c["app_id"] = "app-1"
	}
	fc.clusters[id] = c
	fc.corder = append([]string{id}, fc.corder...)
	j := fc.newJob(c, "create", nil)
	fakeJSON(w, 202, map[string]any{"cluster_id": id, "job_id": j["id"]})
}

func (fc *fakeClusters) action(w http.ResponseWriter, r *http.Request, action string) {
	body, _ := io.ReadAll(r.Body)
	if len(body) > 0 && !json.Valid(body) {
		fakeError(w, 400, "invalid_argument", "body is not JSON", nil)
		return
	}
	fc.mu.Lock()
	defer fc.mu.Unlock()
	c, ok := fc.clusters[r.PathValue("id")]
	if !ok {
		notFound(w, r.PathValue("id"))
		return
	}
	if action == "start" && c["status"] != "stopped" {
		fakeError(w, 409, "failed_precondition", fmt.Sprintf("cannot start a cluster in status %v", c["status"]), nil)
		return
	}
	j := fc.newJob(c, action, body)
	fakeJSON(w, 202, map[string]any{"cluster_id": c["id"], "job_id": j["id"]})
}

func (fc *fakeClusters) listClusters(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	fc.mu.Lock()
	defer fc.mu.Unlock()
	items := []any{}
	for _, id := range fc.corder {
		c := fc.clusters[id]
		if !matches(c, q, "runtime_id", "app_id", "status") {
			continue
		}
		items = append(items, c)
	}
	fakeJSON(w, 200, map[string]any{"total_count": len(items), "items": items})
}

func (fc *fakeClusters) listJobs(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	fc.mu.Lock()
	defer fc.mu.Unlock()
	items := []any{}
	for _, id := range fc.jorder {
		j := fc.jobs[id].obj
		if !matches(j, q, "cluster_id", "status") {
			continue
		}
		items = append(items, j)
	}
	fakeJSON(w, 200, map[string]any{"total_count": len(items), "items": items})
}

func matches(obj map[string]any, q map[string][]string, keys ...string) bool {
	for _, k := range keys {
		if v := q[k]; len(v) > 0 && v[0] != "" && obj[k] != v[0] {
			return false
		}
	}
	return true
}

func (fc *fakeClusters) getJob(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	fc.mu.Lock()
	j, ok := fc.jobs[id]
	if !ok {
		fc.mu.Unlock()
		notFound(w, id)
		return
	}
	fakeJSON(w, 200, j.obj)
	if fc.sseDown || fc.sseEndEarly {
		fc.advance(id)
	}
	fc.mu.Unlock()
	select {
	case fc.fetched <- id:
	default:
	}
}

// events is GET /v1/events: see fakeClusters.
func (fc *fakeClusters) events(w http.ResponseWriter, r *http.Request) {
	fc.mu.Lock()
	down, early, taskOnly := fc.sseDown, fc.sseEndEarly, fc.taskEvents
	fc.streams++
	fc.mu.Unlock()
	if down {
		fakeError(w, 503, "unavailable", "events are not available", nil)
		return
	}
	clusterID := r.URL.Query().Get("cluster_id")
	for drained := false; !drained; {
		select {
		case <-fc.fetched:
		default:
			drained = true
		}
	}
	w.Header().Set("Content-Type", "text/event-stream")
	w.WriteHeader(200)
	io.WriteString(w, ": connected\n\n")
	w.(http.Flusher).Flush()
	if early {
		return
	}
	var jobID string
	for jobID == "" {
		select {
		case id := <-fc.fetched:
			fc.mu.Lock()
			if j := fc.jobs[id]; j != nil && j.obj["cluster_id"] == clusterID {
				jobID = id
			}
			fc.mu.Unlock()
		case <-r.Context().Done():
			return
		}
	}
	seq := 0
	send := func(typ string, data any) {
		seq++
		d, _ := json.Marshal(data)
		ev, _ := json.Marshal(map[string]any{"seq": seq, "type": typ, "cluster_id": clusterID, "data": json.RawMessage(d), "at": "2025-01-01T00:00:00Z"})
		fmt.Fprintf(w, "id: %d\nevent: %s\ndata: %s\n\n", seq, typ, ev)
		w.(http.Flusher).Flush()
	}
	// Another job of the same cluster and a task change: the CLI must look past them.
	send("job", map[string]any{"id": "j-other", "cluster_id": clusterID, "status": "failed", "tasks_total": 1, "tasks_done": 0})
	send("task", map[string]any{"id": "j-other-t1", "job_id": "j-other", "status": "working"})
	for {
		fc.mu.Lock()
		moved := fc.advance(jobID)
		job := maps.Clone(fc.jobs[jobID].obj)
		fc.mu.Unlock()
		if !moved {
			break
		}
		if !taskOnly {
			send("job", job)
			continue
		}
		send("task", map[string]any{"id": jobID + "-t1", "job_id": jobID, "status": job["status"]})
		for fetched := false; !fetched; {
			select {
			case id := <-fc.fetched:
				fetched = id == jobID
			case <-r.Context().Done():
				return
			}
		}
	}
	<-r.Context().Done()
}
