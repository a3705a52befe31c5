package clustergrain

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/pitrix/pitrix/providers"
)

// Password values of a conf are stored as references (control/secrets.go). The actor swaps them
// back only in the copy of the cluster and task it hands a provider for one attempt, and masks
// the values in what comes back (the task's output and error), so the records it writes, its
// logs and its inspector state hold references only.

// secretRefMarker starts every reference.
const secretRefMarker = "ptxsecret-"

// Mask replaces a secret value in task output and errors.
const Mask = "******"

// withSecrets returns task with its references resolved, and the values to mask afterwards.
func withSecrets(ctx context.Context, load func(ctx context.Context, clusterID string) (map[string]string, error), task providers.Task) (providers.Task, []string, error) {
	if load == nil || !mentionsSecret(task) {
		return task, nil, nil
	}
	secrets, err := load(ctx, task.Cluster.ID)
	if err != nil {
		return task, nil, fmt.Errorf("load the cluster's secrets: %w", err)
	}
	pairs := make([]string, 0, 2*len(secrets))
	values := make([]string, 0, len(secrets))
	for ref, v := range secrets {
		b, _ := json.Marshal(v)
		pairs = append(pairs, ref, string(b[1:len(b)-1])) // inside a JSON string
		if v != "" {
			values = append(values, v)
		}
	}
	r := strings.NewReplacer(pairs...)
	sub := func(raw json.RawMessage) json.RawMessage {
		if len(raw) == 0 {
			return raw
		}
		return json.RawMessage(r.Replace(string(raw)))
	}
	task.Cluster.Conf, task.Cluster.Spec, task.Cluster.CurrentSpec = sub(task.Cluster.Conf), sub(task.Cluster.Spec), sub(task.Cluster.CurrentSpec)
	task.Spec.Params = sub(task.Spec.Params)
	return task, values, nil
}

func mentionsSecret(t providers.Task) bool {
	for _, raw := range []json.RawMessage{t.Cluster.Conf, t.Cluster.Spec, t.Cluster.CurrentSpec, t.Spec.Params} {
		if strings.Contains(string(raw), secretRefMarker) {
			return true
		}
	}
	return false
}

// maskText replaces every value in s.
func maskText(s string, values []string) string {
	for _, v := range values {
		s = strings.ReplaceAll(s, v, Mask)
	}
	return s
}

// maskedError is a task error with the secret values masked in its text; errors.Is still sees
// through it (providers.ErrPermanent).
type maskedError struct {
	msg   string
	inner error
}

func (e *maskedError) Error() string { return e.msg }
func (e *maskedError) Unwrap() error { return e.inner }

func maskResult(res providers.TaskResult, err error, values []string) (providers.TaskResult, error) {
	if len(values) == 0 {
		return res, err
	}
	res.Output = maskText(res.Output, values)
	if res.Observed != nil && len(res.Observed.Renders) > 0 {
		obs := *res.Observed
		obs.Renders = make(map[string]providers.NodeRender, len(res.Observed.Renders))
		for id, r := range res.Observed.Renders {
			r.Error = maskText(r.Error, values)
			obs.Renders[id] = r
		}
		res.Observed = &obs
	}
	if err != nil {
		if msg := maskText(err.Error(), values); msg != err.Error() {
			err = &maskedError{msg: msg, inner: err}
		}
	}
	return res, err
}
