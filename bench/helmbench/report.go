package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"slices"
	"text/tabwriter"
	"time"

	"github.com/pitrix/pitrix/actors/appcluster"
)

// Sides of the benchmark.
const (
	sideAPI    = "api"
	sideDirect = "direct"
)

// Sample is one iteration of one side. Times are seconds from the iteration's start: the POST
// on the API side, the creation of the Helm client on the direct side. Zero means "not
// measured on this side".
type Sample struct {
	Side    string `json:"side"`
	Iter    int    `json:"iter"`
	Warmup  bool   `json:"warmup,omitempty"`
	Release string `json:"release"`
	// Total is the headline: on the API side the job seen successful by polling GET
	// /v1/jobs/{id}; on the direct side Install (Wait: true) returned and every replica was
	// confirmed ready.
	Total float64 `json:"total_s"`
	// K8sReady is when the Deployment informer first saw every desired replica ready.
	K8sReady float64 `json:"k8s_ready_s"`

	ClusterID string  `json:"cluster_id,omitempty"`
	JobID     string  `json:"job_id,omitempty"`
	Accepted  float64 `json:"accepted_s,omitempty"`   // POST /v1/clusters answered
	SSE       float64 `json:"sse_s,omitempty"`        // the job's "successful" event arrived
	Active    float64 `json:"active_s,omitempty"`     // GET /v1/clusters/{id} said active
	JobServer float64 `json:"job_server_s,omitempty"` // the job's created_at → finished_at
	Steps     []Step  `json:"steps,omitempty"`        // where the API time went, adding up to Total

	Installed float64 `json:"installed_s,omitempty"` // direct: Install with Wait returned
}

// Step is one stretch of an API create, in seconds.
type Step struct {
	Name    string  `json:"name"`
	Seconds float64 `json:"s"`
}

// jobSteps splits an API create, from the POST (t0) to the poll that saw the job done (seen),
// into consecutive stretches by the job's and its tasks' server timestamps (same machine, same
// clock): request → job created, job created → first task, each task, the engine's gap before
// each next task, last task → job finished, job finished → seen by the poll.
func jobSteps(t0, seen time.Time, job appcluster.Job, tasks []appcluster.Task) []Step {
	ts := slices.Clone(tasks)
	slices.SortFunc(ts, func(a, b appcluster.Task) int {
		if a.Layer != b.Layer {
			return a.Layer - b.Layer
		}
		return a.Seq - b.Seq
	})
	var out []Step
	add := func(name string, from, to time.Time) { out = append(out, Step{name, secs(to.Sub(from))}) }
	add("POST → job created", t0, job.CreatedAt)
	prev, prevName := job.CreatedAt, "job created"
	for _, t := range ts {
		if t.StartedAt == nil || t.FinishedAt == nil {
			continue
		}
		add(prevName+" → "+t.Action+" start", prev, *t.StartedAt)
		add(t.Action, *t.StartedAt, *t.FinishedAt)
		prev, prevName = *t.FinishedAt, t.Action+" end"
	}
	if job.FinishedAt != nil {
		add(prevName+" → job finished", prev, *job.FinishedAt)
		add("job finished → seen by poll", *job.FinishedAt, seen)
	}
	return out
}

// Stats summarises one figure over the measured samples of a side.
type Stats struct {
	Name   string  `json:"name"`
	N      int     `json:"n"`
	Min    float64 `json:"min_s"`
	Median float64 `json:"median_s"`
	Max    float64 `json:"max_s"`
}

func statsOf(name string, xs []float64) Stats {
	s := Stats{Name: name, N: len(xs)}
	if len(xs) == 0 {
		return s
	}
	xs = slices.Clone(xs)
	slices.Sort(xs)
	s.Min, s.Max = xs[0], xs[len(xs)-1]
	if m := len(xs) / 2; len(xs)%2 == 1 {
		s.Median = xs[m]
	} else {
		s.Median = (xs[m-1] + xs[m]) / 2
	}
	return s
}

// Report is one run: the setting, every sample and the summaries.
type Report struct {
	Started      time.Time `json:"started"`
	GoVersion    string    `json:"go_version"`
	NumCPU       int       `json:"num_cpu"`
	Binary       string    `json:"binary"`
	KubeServer   string    `json:"kube_server"`
	KubeVersion  string    `json:"kube_version"`
	Namespace    string    `json:"namespace"`
	Chart        string    `json:"chart"`
	Replicas     int       `json:"replicas"`
	N            int       `json:"n"`
	Warmup       int       `json:"warmup"`
	PollInterval string    `json:"poll_interval"`
	Samples      []Sample  `json:"samples"`
	// Rows are the figures per side: the two headline rows first (api, direct), then the
	// API's other views and the Kubernetes readiness of each side.
	Rows []Stats `json:"rows"`
	// Ratio is the API headline median over the direct one.
	Ratio float64 `json:"ratio_api_direct"`
	// Steps are the medians of the API job's stretches (see jobSteps).
	Steps []Stats `json:"api_steps"`
}

// summarise fills r's rows, ratio and steps from its measured samples.
func (r *Report) summarise() {
	pick := func(side string, f func(Sample) float64) []float64 {
		var xs []float64
		for _, s := range r.Samples {
			if s.Side == side && !s.Warmup {
				xs = append(xs, f(s))
			}
		}
		return xs
	}
	total := func(s Sample) float64 { return s.Total }
	r.Rows = []Stats{
		statsOf("api: POST → job successful (GET /v1/jobs/{id} every "+r.PollInterval+")", pick(sideAPI, total)),
		statsOf("direct: Helm SDK Install, Wait: true (+ all replicas ready)", pick(sideDirect, total)),
		statsOf("api: POST → job successful event on GET /v1/events", pick(sideAPI, func(s Sample) float64 { return s.SSE })),
		statsOf("api: POST → cluster active", pick(sideAPI, func(s Sample) float64 { return s.Active })),
		statsOf("api: job created_at → finished_at (server)", pick(sideAPI, func(s Sample) float64 { return s.JobServer })),
		statsOf("direct: Install (Wait: true) returned", pick(sideDirect, func(s Sample) float64 { return s.Installed })),
		statsOf("k8s ready, api releases (from POST)", pick(sideAPI, func(s Sample) float64 { return s.K8sReady })),
		statsOf("k8s ready, direct releases (from start)", pick(sideDirect, func(s Sample) float64 { return s.K8sReady })),
	}
	if d := r.Rows[1].Median; d > 0 {
		r.Ratio = r.Rows[0].Median / d
	}
	var names []string
	byName := map[string][]float64{}
	for _, s := range r.Samples {
		if s.Side != sideAPI || s.Warmup {
			continue
		}
		for _, st := range s.Steps {
			if _, ok := byName[st.Name]; !ok {
				names = append(names, st.Name)
			}
			byName[st.Name] = append(byName[st.Name], st.Seconds)
		}
	}
	r.Steps = nil
	for _, n := range names {
		r.Steps = append(r.Steps, statsOf(n, byName[n]))
	}
}

// writeTable prints r for people.
func writeTable(w io.Writer, r Report) error {
	fmt.Fprintf(w, "chart %s, replicaCount %d, %d measured + %d warm-up iterations per side, alternating; namespace %s on %s (%s); %s, %d CPUs\n\n",
		r.Chart, r.Replicas, r.N, r.Warmup, r.Namespace, r.KubeServer, r.KubeVersion, r.GoVersion, r.NumCPU)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "side\tn\tmin s\tmedian s\tmax s\t")
	for _, s := range r.Rows {
		fmt.Fprintf(tw, "%s\t%d\t%.3f\t%.3f\t%.3f\t\n", s.Name, s.N, s.Min, s.Median, s.Max)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(w, "\nAPI/direct (medians of the first two rows): %.2fx\n\nwhere an API create spends its time (medians; they add up to about the api median):\n", r.Ratio)
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "step\tmin s\tmedian s\tmax s\t")
	for _, s := range r.Steps {
		fmt.Fprintf(tw, "%s\t%.3f\t%.3f\t%.3f\t\n", s.Name, s.Min, s.Median, s.Max)
	}
	return tw.Flush()
}

// writeJSON writes r as indented JSON to path.
func writeJSON(path string, r Report) error {
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(path, append(b, '\n'), 0o644); err != nil {
		return fmt.Errorf("write report %s: %w", path, err)
	}
	return nil
}

func secs(d time.Duration) float64 { return d.Seconds() }
