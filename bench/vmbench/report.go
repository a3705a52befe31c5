package main

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"slices"
	"strings"
	"text/tabwriter"
	"time"
)

// Report is one run of the benchmark. A part that was not run is nil.
type Report struct {
	Started   time.Time     `json:"started"`
	GoVersion string        `json:"go_version"`
	NumCPU    int           `json:"num_cpu"`
	Create    *CreateReport `json:"create,omitempty"`
	Edge      *EdgeReport   `json:"edge,omitempty"`
}

// CreateReport is the create part: VM clusters on the local runtime through the REST API.
type CreateReport struct {
	Binary       string      `json:"binary"`
	DataDir      string      `json:"data_dir"`
	N            int         `json:"n"`
	PollInterval string      `json:"poll_interval"`
	Apps         []AppResult `json:"apps"`
	// Leftovers are the processes killed after the server stopped (see Leftover.Expected).
	Leftovers []Leftover `json:"leftovers"`
}

// AppResult is the measurements of one demo app.
type AppResult struct {
	App     string   `json:"app"`
	Nodes   string   `json:"nodes"`
	Skipped string   `json:"skipped,omitempty"` // why the app was not measured
	Samples []Sample `json:"samples,omitempty"`
	Rows    []Stats  `json:"rows,omitempty"`
	// CreateSteps and DeleteSteps are the layers of the median iteration (by the event-stream
	// figure) of create and of delete.
	CreateSteps []Step `json:"create_steps,omitempty"`
	CreateIter  int    `json:"create_steps_iter"`
	DeleteSteps []Step `json:"delete_steps,omitempty"`
	DeleteIter  int    `json:"delete_steps_iter"`
}

// Sample is one create and delete of a cluster.
type Sample struct {
	Iter        int    `json:"iter"`
	ClusterID   string `json:"cluster_id"`
	CreateJob   string `json:"create_job"`
	DeleteJob   string `json:"delete_job"`
	Create      Timing `json:"create"`
	Delete      Timing `json:"delete"`
	CreateSteps []Step `json:"create_steps"`
	DeleteSteps []Step `json:"delete_steps"`
}

// Timing is one mutation, in seconds from just before its request was sent.
type Timing struct {
	Accepted float64 `json:"accepted_s"` // the 202 answer arrived
	SSE      float64 `json:"sse_s"`      // the job's final event arrived on GET /v1/events
	Poll     float64 `json:"poll_s"`     // GET /v1/jobs/{id}, read every PollInterval, said successful
	Server   float64 `json:"server_s"`   // the job's created_at → finished_at
}

// Stats summarises a series of seconds. First is the series' first value (the first iteration).
type Stats struct {
	Name   string  `json:"name"`
	N      int     `json:"n"`
	First  float64 `json:"first"`
	Min    float64 `json:"min"`
	Median float64 `json:"median"`
	P90    float64 `json:"p90"`
	Max    float64 `json:"max"`
}

// statsOf summarises xs: the median of an even count is the mean of the middle two, p90 is the
// nearest rank (the smallest value at or above 90% of the values).
func statsOf(name string, xs []float64) Stats {
	s := Stats{Name: name, N: len(xs)}
	if len(xs) == 0 {
		return s
	}
	s.First = xs[0]
	ys := slices.Sorted(slices.Values(xs))
	s.Min, s.Max = ys[0], ys[len(ys)-1]
	if n := len(ys); n%2 == 1 {
		s.Median = ys[n/2]
	} else {
		s.Median = (ys[n/2-1] + ys[n/2]) / 2
	}
	s.P90 = ys[int(math.Ceil(0.9*float64(len(ys))))-1]
	return s
}

// Rows of an AppResult, in order.
const (
	rowCreateSSE    = "create: request → final job event (SSE)"
	rowCreatePoll   = "create: request → job successful (poll)"
	rowCreateServer = "create: job created_at → finished_at"
	rowCreate202    = "create: request → 202"
	rowDeleteSSE    = "delete: request → final job event (SSE)"
	rowDeletePoll   = "delete: request → job successful (poll)"
	rowDeleteServer = "delete: job created_at → finished_at"
)

// summarise fills a's rows and the steps of its median iterations from its samples.
func (a *AppResult) summarise() {
	pick := func(f func(Sample) float64) []float64 {
		xs := make([]float64, len(a.Samples))
		for i, s := range a.Samples {
			xs[i] = f(s)
		}
		return xs
	}
	a.Rows = []Stats{
		statsOf(rowCreateSSE, pick(func(s Sample) float64 { return s.Create.SSE })),
		statsOf(rowCreatePoll, pick(func(s Sample) float64 { return s.Create.Poll })),
		statsOf(rowCreateServer, pick(func(s Sample) float64 { return s.Create.Server })),
		statsOf(rowCreate202, pick(func(s Sample) float64 { return s.Create.Accepted })),
		statsOf(rowDeleteSSE, pick(func(s Sample) float64 { return s.Delete.SSE })),
		statsOf(rowDeletePoll, pick(func(s Sample) float64 { return s.Delete.Poll })),
		statsOf(rowDeleteServer, pick(func(s Sample) float64 { return s.Delete.Server })),
	}
	if len(a.Samples) == 0 {
		return
	}
	a.CreateIter = medianIndex(pick(func(s Sample) float64 { return s.Create.SSE }))
	a.DeleteIter = medianIndex(pick(func(s Sample) float64 { return s.Delete.SSE }))
	a.CreateSteps = a.Samples[a.CreateIter].CreateSteps
	a.DeleteSteps = a.Samples[a.DeleteIter].DeleteSteps
}

// medianIndex is the index of the (lower) median of xs, which must not be empty.
func medianIndex(xs []float64) int {
	idx := make([]int, len(xs))
	for i := range idx {
		idx[i] = i
	}
	slices.SortStableFunc(idx, func(a, b int) int { return cmpFloat(xs[a], xs[b]) })
	return idx[(len(idx)-1)/2]
}

func cmpFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// EdgeReport is the edge part: sequential round trips in process on loopback.
type EdgeReport struct {
	Ops    int       `json:"ops"`
	Warmup int       `json:"warmup"`
	Rows   []OpStats `json:"rows"`
	Ratios []Ratio   `json:"ratios"`
}

// OpStats is the latency (seconds) and throughput of one operation.
type OpStats struct {
	Stats
	Seconds   float64 `json:"total_s"`
	OpsPerSec float64 `json:"ops_per_s"`
}

// Ratio compares the median of an edge operation with the medians of the gRPC baselines.
type Ratio struct {
	Op      string  `json:"op"`
	VsPlain float64 `json:"vs_grpc_plain"`
	VsTLS   float64 `json:"vs_grpc_mtls"`
}

// summarise fills r's ratios from its rows.
func (r *EdgeReport) summarise() {
	median := func(name string) float64 {
		for _, row := range r.Rows {
			if row.Name == name {
				return row.Median
			}
		}
		return 0
	}
	div := func(a, b float64) float64 {
		if b <= 0 {
			return 0
		}
		return a / b
	}
	plain, tls := median(opGRPCPlain), median(opGRPCTLS)
	r.Ratios = nil
	for _, op := range []string{opCommand, opStatus} {
		r.Ratios = append(r.Ratios, Ratio{Op: op, VsPlain: div(median(op), plain), VsTLS: div(median(op), tls)})
	}
}

// writeTable prints r for people.
func writeTable(w io.Writer, r Report) error {
	fmt.Fprintf(w, "vmbench %s, %s, %d CPUs\n", r.Started.Format(time.RFC3339), r.GoVersion, r.NumCPU)
	if c := r.Create; c != nil {
		if err := writeCreate(w, c); err != nil {
			return err
		}
	}
	if e := r.Edge; e != nil {
		if err := writeEdge(w, e); err != nil {
			return err
		}
	}
	return nil
}

func writeCreate(w io.Writer, c *CreateReport) error {
	fmt.Fprintf(w, "\n== create → active and delete of VM clusters on the local runtime (%s; %d iterations per app)\n", c.Binary, c.N)
	fmt.Fprintf(w, "SSE: the job's final event on one GET /v1/events stream; poll: GET /v1/jobs/{id} every %s; both timed from just before the request.\n\n", c.PollInterval)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "app\tnodes\tfigure\tn\tfirst s\tmin s\tmedian s\tp90 s\tmax s\t")
	for _, a := range c.Apps {
		if a.Skipped != "" {
			fmt.Fprintf(tw, "%s\t%s\tskipped: %s\t\t\t\t\t\t\t\n", a.App, a.Nodes, a.Skipped)
			continue
		}
		for _, s := range a.Rows {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%.3f\t%.3f\t%.3f\t%.3f\t%.3f\t\n", a.App, a.Nodes, s.Name, s.N, s.First, s.Min, s.Median, s.P90, s.Max)
		}
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, a := range c.Apps {
		if a.Skipped != "" {
			continue
		}
		for _, part := range []struct {
			what  string
			iter  int
			steps []Step
			job   string
		}{
			{"create", a.CreateIter, a.CreateSteps, a.Samples[a.CreateIter].CreateJob},
			{"delete", a.DeleteIter, a.DeleteSteps, a.Samples[a.DeleteIter].DeleteJob},
		} {
			fmt.Fprintf(w, "\n%s %s, median iteration (#%d, job %s), by layer (Lk = first task start → last task end):\n", a.App, part.what, part.iter+1, part.job)
			tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
			fmt.Fprintln(tw, "step\tfrom ms\twall ms\t")
			var sum float64
			for _, s := range part.steps {
				fmt.Fprintf(tw, "%s\t%.1f\t%.1f\t\n", s.Name, s.Start*1e3, s.Seconds*1e3)
				sum += s.Seconds
			}
			fmt.Fprintf(tw, "total (= SSE figure)\t\t%.1f\t\n", sum*1e3)
			if err := tw.Flush(); err != nil {
				return err
			}
		}
	}
	fmt.Fprintf(w, "\nprocesses left under the data dir after the server stopped: %s\n", leftoverSummary(c.Leftovers))
	return nil
}

// leftoverSummary says what sweep killed, by kind, marking what was not expected.
func leftoverSummary(ls []Leftover) string {
	if len(ls) == 0 {
		return "none"
	}
	var kinds []string
	count := map[string]int{}
	unexpected := 0
	for _, l := range ls {
		if count[l.Kind] == 0 {
			kinds = append(kinds, l.Kind)
		}
		count[l.Kind]++
		if !l.Expected() {
			unexpected++
		}
	}
	parts := make([]string, len(kinds))
	for i, k := range kinds {
		parts[i] = fmt.Sprintf("%d %s", count[k], k)
	}
	s := fmt.Sprintf("killed %d (%s)", len(ls), strings.Join(parts, ", "))
	if unexpected == 0 {
		return s + "; all expected: a VPC's Frontgate outlives its clusters and the server"
	}
	return fmt.Sprintf("%s; %d UNEXPECTED (not a Frontgate): %s", s, unexpected, unexpectedCmds(ls))
}

func unexpectedCmds(ls []Leftover) string {
	var out []string
	for _, l := range ls {
		if !l.Expected() {
			out = append(out, fmt.Sprintf("[%d %s]", l.PID, l.Cmd))
		}
	}
	return strings.Join(out, " ")
}

func writeEdge(w io.Writer, e *EdgeReport) error {
	fmt.Fprintf(w, "\n== edge round trip vs gRPC unary, in process on loopback, sequential: %d ops each after %d warm-up\n\n", e.Ops, e.Warmup)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "op\tn\tmedian µs\tp90 µs\tmax µs\tops/s\t")
	for _, s := range e.Rows {
		fmt.Fprintf(tw, "%s\t%d\t%.1f\t%.1f\t%.1f\t%.0f\t\n", s.Name, s.N, s.Median*1e6, s.P90*1e6, s.Max*1e6, s.OpsPerSec)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintln(w, "\nedge / gRPC, ratio of medians:")
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "op\tvs plaintext\tvs mTLS\t")
	for _, r := range e.Ratios {
		fmt.Fprintf(tw, "%s\t%.2fx\t%.2fx\t\n", r.Op, r.VsPlain, r.VsTLS)
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
