package helm

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/pitrix/pitrix/providers"
)

// Task actions of Helm plans.
const (
	TaskRecover   = "helm.recover"   // heal a release left pending-* by a crash
	TaskInstall   = "helm.install"   // first install of the release
	TaskUpgrade   = "helm.upgrade"   // new chart version and/or values
	TaskRollback  = "helm.rollback"  // back to a revision (default: the previous one)
	TaskRestore   = "helm.restore"   // bring back a release uninstalled with its history kept
	TaskUninstall = "helm.uninstall" // delete (keep history) or cease (purge)
	TaskWait      = "helm.wait"      // until the release's workloads are ready
	TaskStatus    = "helm.status"    // report what runs
)

// ErrNotSupported marks an action Helm apps do not have (start, stop, resize, ...).
var ErrNotSupported = errors.New("helm: not supported for Helm apps")

// TaskParams is the input of every Helm task (TaskSpec.Params), written by Plan.
type TaskParams struct {
	Release   string `json:"release"`
	Namespace string `json:"namespace"`
	// VersionID is the app version whose chart is installed or upgraded to.
	VersionID string `json:"version_id,omitempty"`
	// Values are the user values (a JSON object). Absent on upgrade: keep the release's
	// current user values.
	Values json.RawMessage `json:"values,omitempty"`
	// MergeValues merges Values over the release's current user values instead of replacing
	// them (update_env).
	MergeValues bool `json:"merge_values,omitempty"`
	// Revision is the rollback target; 0 means the previous revision.
	Revision int `json:"revision,omitempty"`
	// Purge drops the release history on uninstall (cease).
	Purge bool `json:"purge,omitempty"`
	// Force (delete, cease) passes over a recover or uninstall that fails (the namespace is
	// gone, the API server refuses the credential): the task is recorded as skipped with its
	// error and the cluster is removed anyway.
	Force bool `json:"force,omitempty"`
	// Teardown is the job's action when it takes the release down (delete, cease): a failing
	// recover or uninstall then names force in its error.
	Teardown string `json:"teardown,omitempty"`
}

// Plan implements providers.Operator. It does no I/O. The release is named after the
// cluster id and lives in the runtime's zone (namespace). Every action that changes the
// release starts with a helm.recover layer so a release left pending by a crash never blocks
// it:
//
//	create     recover | install | wait
//	upgrade    recover | upgrade | wait    params {"version_id"?, "conf"?}
//	update_env recover | upgrade | wait    params {"env"|"conf": values}, merged over current
//	rollback   recover | rollback | wait   params {"revision"?} (default: previous)
//	recover    recover | restore | wait    (undo a delete that kept history)
//	delete     recover | uninstall         (history kept)   params {"force"?}
//	cease      recover | uninstall         (purged)         params {"force"?}
//
// With force, a recover or uninstall of delete or cease that fails is skipped (recorded with
// its error) rather than failing the job, so the cluster is removed anyway.
//
// Other actions fail with a permanent ErrNotSupported.
func (p *Provider) Plan(req providers.PlanRequest) (providers.Plan, error) {
	base, err := planBase(req)
	if err != nil {
		return providers.Plan{}, providers.Permanent(err)
	}
	var in struct {
		VersionID string          `json:"version_id"`
		Conf      json.RawMessage `json:"conf"`
		Env       json.RawMessage `json:"env"`
		Revision  int             `json:"revision"`
		Force     bool            `json:"force"`
	}
	if len(bytes.TrimSpace(req.Params)) > 0 && !bytes.Equal(bytes.TrimSpace(req.Params), []byte("null")) {
		dec := json.NewDecoder(bytes.NewReader(req.Params))
		if err := dec.Decode(&in); err != nil {
			return providers.Plan{}, providers.Permanent(fmt.Errorf("helm: %s params: %w", req.Action, err))
		}
	}
	var main taskSpec
	wait := true
	switch req.Action {
	case providers.ActionCreate:
		if base.VersionID == "" {
			return providers.Plan{}, providers.Permanent(fmt.Errorf("helm: create %s: cluster has no version id", base.Release))
		}
		vals, err := valuesOf(req.Cluster.Conf, "cluster conf")
		if err != nil {
			return providers.Plan{}, providers.Permanent(err)
		}
		tp := base
		tp.Values = vals
		main = taskSpec{TaskInstall, tp}
	case providers.ActionUpgrade:
		tp := base
		if in.VersionID != "" {
			tp.VersionID = in.VersionID
		}
		if tp.VersionID == "" {
			return providers.Plan{}, providers.Permanent(fmt.Errorf("helm: upgrade %s: no version id", base.Release))
		}
		if in.Conf != nil {
			if tp.Values, err = valuesOf(in.Conf, "upgrade conf"); err != nil {
				return providers.Plan{}, providers.Permanent(err)
			}
		}
		main = taskSpec{TaskUpgrade, tp}
	case providers.ActionUpdateEnv:
		raw := in.Env
		if raw == nil {
			raw = in.Conf
		}
		if raw == nil {
			return providers.Plan{}, providers.Permanent(fmt.Errorf("helm: update_env %s: params need \"env\" or \"conf\"", base.Release))
		}
		tp := base
		if tp.Values, err = valuesOf(raw, "update_env values"); err != nil {
			return providers.Plan{}, providers.Permanent(err)
		}
		tp.MergeValues = true
		main = taskSpec{TaskUpgrade, tp}
	case providers.ActionRollback:
		if in.Revision < 0 {
			return providers.Plan{}, providers.Permanent(fmt.Errorf("helm: rollback %s: revision %d is negative", base.Release, in.Revision))
		}
		tp := base
		tp.Revision = in.Revision
		main = taskSpec{TaskRollback, tp}
	case providers.ActionRecover:
		main = taskSpec{TaskRestore, base}
	case providers.ActionDelete:
		base.Force, base.Teardown = in.Force, req.Action
		main, wait = taskSpec{TaskUninstall, base}, false
	case providers.ActionCease:
		base.Force, base.Teardown = in.Force, req.Action
		tp := base
		tp.Purge = true
		main, wait = taskSpec{TaskUninstall, tp}, false
	default:
		return providers.Plan{}, providers.Permanent(fmt.Errorf("%w: %q", ErrNotSupported, req.Action))
	}
	layers := [][]providers.TaskSpec{
		{p.spec(taskSpec{TaskRecover, base})},
		{p.spec(main)},
	}
	if wait {
		layers = append(layers, []providers.TaskSpec{p.spec(taskSpec{TaskWait, base})})
	}
	return providers.Plan{Layers: layers}, nil
}

// taskSpec is a task action with its params, before encoding.
type taskSpec struct {
	Action string
	Params TaskParams
}

func (p *Provider) spec(ts taskSpec) providers.TaskSpec {
	raw, err := json.Marshal(ts.Params)
	if err != nil {
		panic(fmt.Sprintf("helm: marshal task params: %v", err)) // plain struct of strings, ints, raw JSON already checked
	}
	s := providers.TaskSpec{
		Action:  ts.Action,
		Target:  ts.Params.Namespace + "/" + ts.Params.Release,
		Params:  raw,
		Timeout: p.cfg.OpTimeout,
	}
	if ts.Action == TaskWait {
		// A timed-out wait already waited its whole budget; the job fails and can be retried.
		s.Timeout, s.Attempts = p.cfg.WaitTimeout, 1
	}
	return s
}

// planBase checks the release name and namespace of req.
func planBase(req providers.PlanRequest) (TaskParams, error) {
	tp := TaskParams{Release: req.Cluster.ID, Namespace: req.Runtime.Zone, VersionID: req.Cluster.VersionID}
	return tp, tp.check()
}

func (tp TaskParams) check() error {
	if msgs := validation.IsDNS1123Label(tp.Release); len(msgs) > 0 || len(tp.Release) > 53 {
		return fmt.Errorf("helm: release name %q (the cluster id) is not a valid release name (DNS label of at most 53 characters)", tp.Release)
	}
	if msgs := validation.IsDNS1123Label(tp.Namespace); len(msgs) > 0 {
		return fmt.Errorf("helm: namespace %q is not a valid namespace name: %s", tp.Namespace, strings.Join(msgs, "; "))
	}
	return nil
}

// valuesOf checks that raw is a JSON object (or empty/null, meaning no values) and returns
// it compacted.
func valuesOf(raw json.RawMessage, what string) (json.RawMessage, error) {
	t := bytes.TrimSpace(raw)
	if len(t) == 0 || bytes.Equal(t, []byte("null")) {
		return json.RawMessage("{}"), nil
	}
	if _, err := decodeValues(t); err != nil {
		return nil, fmt.Errorf("helm: %s: %w", what, err)
	}
	var b bytes.Buffer
	if err := json.Compact(&b, t); err != nil {
		return nil, fmt.Errorf("helm: %s: %w", what, err)
	}
	return b.Bytes(), nil
}

// ErrValues marks values that are not a JSON object.
var ErrValues = errors.New("helm: values must be a JSON object")

// decodeValues decodes Helm values from a JSON object; integral numbers become int64 and the
// others float64, so templates print 3 and 1000000, not 3.0 or 1e+06.
func decodeValues(raw []byte) (map[string]any, error) {
	t := bytes.TrimSpace(raw)
	if len(t) == 0 || bytes.Equal(t, []byte("null")) {
		return map[string]any{}, nil
	}
	if t[0] != '{' {
		return nil, fmt.Errorf("%w, got %.40q", ErrValues, t)
	}
	var v map[string]any
	dec := json.NewDecoder(bytes.NewReader(t))
	dec.UseNumber()
	if err := dec.Decode(&v); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrValues, err)
	}
	if dec.More() {
		return nil, fmt.Errorf("%w: trailing data after the object", ErrValues)
	}
	return normalizeNumbers(v).(map[string]any), nil
}

// normalizeNumbers turns json.Numbers into int64 when integral, float64 otherwise.
func normalizeNumbers(v any) any {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			x[k] = normalizeNumbers(e)
		}
		return x
	case []any:
		for i, e := range x {
			x[i] = normalizeNumbers(e)
		}
		return x
	case json.Number:
		if i, err := x.Int64(); err == nil {
			return i
		}
		f, _ := x.Float64()
		return f
	}
	return v
}

// parseParams decodes a task's params and checks the release and namespace.
func parseParams(raw json.RawMessage) (TaskParams, error) {
	var tp TaskParams
	if err := json.Unmarshal(raw, &tp); err != nil {
		return tp, fmt.Errorf("helm: task params: %w", err)
	}
	if err := tp.check(); err != nil {
		return tp, err
	}
	if tp.Revision < 0 {
		return tp, fmt.Errorf("helm: task params: revision %d is negative", tp.Revision)
	}
	return tp, nil
}
