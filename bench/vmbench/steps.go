package main

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/pitrix/pitrix/actors/appcluster"
)

// Step is one stretch of a job as the client saw it: seconds from the request (Start) and its
// length (Seconds).
type Step struct {
	Name    string  `json:"name"`
	Start   float64 `json:"start_s"`
	Seconds float64 `json:"s"`
}

// jobSteps splits one mutation, from the request (t0) to the job's final event (seen), into
// consecutive stretches by the job's and its tasks' server timestamps (same machine, same
// clock): request → job created, the engine's gap before each layer, each layer's wall time
// (first task start → last task end), last layer → job finished, job finished → event seen.
// They add up to seen - t0. Tasks that never started are left out.
func jobSteps(t0, seen time.Time, job appcluster.Job, tasks []appcluster.Task) []Step {
	var steps []Step
	add := func(name string, from, to time.Time) {
		steps = append(steps, Step{Name: name, Start: secs(from.Sub(t0)), Seconds: secs(to.Sub(from))})
	}
	add("request → job created", t0, job.CreatedAt)
	cur, prev := job.CreatedAt, "job created"
	for _, l := range layersOf(tasks) {
		name := fmt.Sprintf("L%d", l.layer)
		add(prev+" → "+name, cur, l.start)
		add(name+" "+l.label, l.start, l.end)
		cur, prev = l.end, name
	}
	if job.FinishedAt != nil {
		add(prev+" → job finished", cur, *job.FinishedAt)
		cur = *job.FinishedAt
	}
	add("job finished → final event seen", cur, seen)
	return steps
}

// layer is the tasks of one layer of a job: they run in parallel, the next layer after.
type layer struct {
	layer      int
	label      string
	start, end time.Time
}

// layersOf groups the started tasks by layer, in layer order. A layer's label names its
// actions with their counts ("vm.create_instance ×3"); a vm.command's command name (the
// target's second word) is part of its action ("vm.command start ×3").
func layersOf(tasks []appcluster.Task) []layer {
	byLayer := map[int][]appcluster.Task{}
	for _, t := range tasks {
		if t.StartedAt != nil && t.FinishedAt != nil {
			byLayer[t.Layer] = append(byLayer[t.Layer], t)
		}
	}
	var out []layer
	for _, n := range slices.Sorted(maps.Keys(byLayer)) {
		ts := byLayer[n]
		slices.SortFunc(ts, func(a, b appcluster.Task) int { return a.Seq - b.Seq })
		l := layer{layer: n, start: *ts[0].StartedAt, end: *ts[0].FinishedAt}
		var actions []string
		count := map[string]int{}
		for _, t := range ts {
			if t.StartedAt.Before(l.start) {
				l.start = *t.StartedAt
			}
			if t.FinishedAt.After(l.end) {
				l.end = *t.FinishedAt
			}
			a := t.Action
			if _, cmd, ok := strings.Cut(t.Target, " "); ok && cmd != "" {
				a += " " + cmd
			}
			if count[a] == 0 {
				actions = append(actions, a)
			}
			count[a]++
		}
		for i, a := range actions {
			if count[a] > 1 {
				actions[i] = fmt.Sprintf("%s ×%d", a, count[a])
			}
		}
		l.label = strings.Join(actions, ", ")
		out = append(out, l)
	}
	return out
}
