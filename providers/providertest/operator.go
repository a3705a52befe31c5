package providertest

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"

	"github.com/pitrix/pitrix/providers"
)

// Name is the provider word of the fake.
const Name = "fake"

// Operator is a stateful fake operator. Plans: create → [prepare] [instance × count] [start];
// other actions → [<action>]; delete and cease remove the cluster's instances. The instance
// count comes from the cluster conf's "count" (default 2).
type Operator struct {
	mu        sync.Mutex
	instances map[string]map[string]bool // cluster id → instance ids (task ids that made them)
	runs      map[string]int             // task id → executions
	fails     map[string]int             // task action → transient failures left
	permanent map[string]bool            // task action → fail permanently
	skips     map[string]bool            // task action → fail but be passed over (TaskResult.Skipped)
	down      map[string]bool            // task action → fail with providers.ErrUnreachable
	gates     map[string]chan struct{}   // task action → blocks until closed
	started   chan string                // task ids as they start, if someone listens
}

var _ providers.Operator = (*Operator)(nil)

// New returns an empty fake.
func New() *Operator {
	return &Operator{instances: map[string]map[string]bool{}, runs: map[string]int{}, fails: map[string]int{},
		permanent: map[string]bool{}, skips: map[string]bool{}, down: map[string]bool{}, gates: map[string]chan struct{}{}, started: make(chan string, 1024)}
}

// Name implements providers.Provider.
func (o *Operator) Name() string { return Name }

// AppType implements providers.Provider.
func (o *Operator) AppType() string { return providers.AppTypeVM }

// NeedsCredential implements providers.Provider.
func (o *Operator) NeedsCredential() bool { return false }

// Zones implements providers.Provider.
func (o *Operator) Zones(context.Context) []string { return []string{"fake-1"} }

// ValidateCredential implements providers.Provider.
func (o *Operator) ValidateCredential(context.Context, providers.Credential) error { return nil }

// ValidateRuntime implements providers.Provider.
func (o *Operator) ValidateRuntime(context.Context, string, providers.Credential) error { return nil }

// SkipAlways makes every execution of tasks with action fail and be passed over, as a forced
// delete passes over a failing command (TaskResult.Skipped).
func (o *Operator) SkipAlways(action string, on bool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.skips[action] = on
}

// FailNext makes the next n executions of tasks with action fail with a transient error.
func (o *Operator) FailNext(action string, n int) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.fails[action] = n
}

// FailAlways makes tasks with action fail permanently (until cleared with false).
func (o *Operator) FailAlways(action string, on bool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.permanent[action] = on
}

// Unreachable makes tasks with action fail with providers.ErrUnreachable (until cleared with
// false), as a task whose node is down does.
func (o *Operator) Unreachable(action string, on bool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.down[action] = on
}

// Block makes tasks with action wait until the returned func is called (or their ctx ends).
func (o *Operator) Block(action string) (release func()) {
	o.mu.Lock()
	defer o.mu.Unlock()
	ch := make(chan struct{})
	o.gates[action] = ch
	var once sync.Once
	return func() {
		once.Do(func() {
			o.mu.Lock()
			delete(o.gates, action)
			o.mu.Unlock()
			close(ch)
		})
	}
}

// Started delivers the id of each task as its execution starts.
func (o *Operator) Started() <-chan string { return o.started }

// Instances returns how many instances the cluster has.
func (o *Operator) Instances(clusterID string) int {
	o.mu.Lock()
	defer o.mu.Unlock()
	return len(o.instances[clusterID])
}

// Runs returns how often the task with id was executed.
func (o *Operator) Runs(taskID string) int {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.runs[taskID]
}

// Plan implements providers.Operator.
func (o *Operator) Plan(req providers.PlanRequest) (providers.Plan, error) {
	var conf struct {
		Count *int `json:"count"`
	}
	_ = json.Unmarshal(req.Cluster.Conf, &conf)
	count := 2
	if conf.Count != nil {
		count = *conf.Count
	}
	if count < 0 || count > 100 {
		return providers.Plan{}, providers.Permanent(fmt.Errorf("count %d out of range", count))
	}
	switch req.Action {
	case providers.ActionCreate, providers.ActionRecover:
		var layer []providers.TaskSpec
		for i := range count {
			layer = append(layer, providers.TaskSpec{Action: "instance", Target: fmt.Sprintf("instance %d", i)})
		}
		return providers.Plan{Layers: [][]providers.TaskSpec{{{Action: "prepare"}}, layer, {{Action: "start"}}}}, nil
	case providers.ActionDelete, providers.ActionCease:
		return providers.Plan{Layers: [][]providers.TaskSpec{{{Action: "stop"}}, {{Action: "destroy"}}}}, nil
	default:
		return providers.Plan{Layers: [][]providers.TaskSpec{{{Action: req.Action}}}}, nil
	}
}

// Execute implements providers.Operator.
func (o *Operator) Execute(ctx context.Context, t providers.Task) (providers.TaskResult, error) {
	o.mu.Lock()
	o.runs[t.ID]++
	gate := o.gates[t.Spec.Action]
	o.mu.Unlock()
	select {
	case o.started <- t.ID:
	default:
	}
	if gate != nil {
		select {
		case <-gate:
		case <-ctx.Done():
			return providers.TaskResult{}, ctx.Err()
		}
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.permanent[t.Spec.Action] {
		return providers.TaskResult{}, providers.Permanent(fmt.Errorf("%s refused", t.Spec.Action))
	}
	if o.skips[t.Spec.Action] {
		return providers.TaskResult{Output: "skipped (force)", Skipped: t.Spec.Action + " failed"}, nil
	}
	if o.down[t.Spec.Action] {
		return providers.TaskResult{}, fmt.Errorf("%s: its node is down: %w", t.Spec.Action, providers.ErrUnreachable)
	}
	if o.fails[t.Spec.Action] > 0 {
		o.fails[t.Spec.Action]--
		return providers.TaskResult{}, fmt.Errorf("%s: transient failure", t.Spec.Action)
	}
	switch t.Spec.Action {
	case "instance":
		if o.instances[t.Cluster.ID] == nil {
			o.instances[t.Cluster.ID] = map[string]bool{}
		}
		if o.instances[t.Cluster.ID][t.ID] {
			return providers.TaskResult{Output: "instance exists (same task)"}, nil
		}
		o.instances[t.Cluster.ID][t.ID] = true
		return providers.TaskResult{Output: "instance created"}, nil
	case "destroy":
		n := len(o.instances[t.Cluster.ID])
		delete(o.instances, t.Cluster.ID)
		return providers.TaskResult{Output: fmt.Sprintf("%d instances destroyed", n)}, nil
	case "start":
		rev := t.Cluster.Revision + 1
		st := "running"
		return providers.TaskResult{Output: "started", Observed: &providers.Observed{Revision: &rev, ReleaseStatus: &st,
			Roles: []providers.Role{{Role: "node", Count: len(o.instances[t.Cluster.ID]), Ready: len(o.instances[t.Cluster.ID])}}}}, nil
	}
	return providers.TaskResult{Output: t.Spec.Action + " done"}, nil
}
