package helm

import (
	"context"
	"errors"
	"fmt"
	"time"

	"helm.sh/helm/v3/pkg/action"
	"helm.sh/helm/v3/pkg/release"
	"helm.sh/helm/v3/pkg/storage/driver"

	"github.com/pitrix/pitrix/providers"
)

// Execute implements providers.Operator: it runs one task of a plan made by Plan against the
// task's runtime. It may block for up to the task's deadline (the wait task uses all of it)
// and is idempotent by t.ID: install, upgrade and rollback leave "[pitrix task <id>]" in the
// description of the revision they make and return that revision when run again. Errors
// that retrying cannot fix (bad chart, invalid values, refused credential, forbidden, missing
// release) are providers.Permanent; unreachable API servers, conflicts and timeouts are not.
func (p *Provider) Execute(ctx context.Context, t providers.Task) (providers.TaskResult, error) {
	start := time.Now()
	tp, err := parseParams(t.Spec.Params)
	if err != nil {
		return providers.TaskResult{}, providers.Permanent(err)
	}
	log := p.log.With("task_id", t.ID, "action", t.Spec.Action, "release", tp.Release, "namespace", tp.Namespace)
	res, err := p.execute(ctx, t, tp)
	if err != nil && tp.Force && (t.Spec.Action == TaskUninstall || t.Spec.Action == TaskRecover) {
		// A forced delete or cease passes over what fails: the cluster goes regardless.
		err = classify(err)
		log.Warn("task failed, skipped (force)", "err", err)
		return providers.TaskResult{Output: fmt.Sprintf("skipped (force): %v", err), Skipped: err.Error()}, nil
	}
	if err != nil && tp.Teardown != "" && (t.Spec.Action == TaskUninstall || t.Spec.Action == TaskRecover) {
		err = fmt.Errorf("%w; %s with force (DELETE /v1/clusters/%s?force=true, pitrix cluster %s %s --force) skips it and removes the cluster anyway",
			err, tp.Teardown, t.Cluster.ID, tp.Teardown, t.Cluster.ID)
	}
	if err != nil {
		err = classify(err)
		log.Debug("task failed", "err", err, "permanent", errors.Is(err, providers.ErrPermanent), "took", time.Since(start))
		return providers.TaskResult{}, err
	}
	log.Info("task done", "output", res.Output, "took", time.Since(start))
	return res, nil
}

func (p *Provider) execute(ctx context.Context, t providers.Task, tp TaskParams) (providers.TaskResult, error) {
	s, err := p.open(t.Runtime.Credential, tp.Namespace)
	if err != nil {
		return providers.TaskResult{}, providers.Permanent(fmt.Errorf("%w: %w", providers.ErrInvalidCredential, err))
	}
	cfg, err := p.helm(s)
	if err != nil {
		return providers.TaskResult{}, err
	}
	var (
		rel *release.Release
		out string
	)
	switch t.Spec.Action {
	case TaskRecover:
		note, err := p.recoverPending(cfg, tp.Release, t.ID)
		if err != nil {
			return providers.TaskResult{}, err
		}
		if note == "" {
			note = "nothing to recover"
		}
		res := providers.TaskResult{Output: note}
		if rel, err := cfg.Releases.Last(tp.Release); err == nil {
			rev, st := rel.Version, string(status(rel))
			res.Observed = &providers.Observed{Revision: &rev, ReleaseStatus: &st}
		}
		return res, nil
	case TaskInstall:
		rel, out, err = p.install(ctx, cfg, t, tp)
	case TaskUpgrade:
		rel, out, err = p.upgrade(ctx, cfg, t, tp)
	case TaskRollback:
		rel, out, err = p.rollback(cfg, t, tp, false)
	case TaskRestore:
		rel, out, err = p.rollback(cfg, t, tp, true)
	case TaskUninstall:
		out, err = p.uninstall(cfg, t, tp)
		if err != nil {
			return providers.TaskResult{}, err
		}
		return providers.TaskResult{Output: out, Observed: p.gone(cfg, tp)}, nil
	case TaskWait, TaskStatus:
		return p.waitOrStatus(ctx, s, cfg, tp, t.Spec.Action == TaskWait)
	default:
		return providers.TaskResult{}, providers.Permanent(fmt.Errorf("%w: task action %q", ErrNotSupported, t.Spec.Action))
	}
	if err != nil {
		return providers.TaskResult{}, err
	}
	rev, st := rel.Version, string(status(rel))
	obs := &providers.Observed{Revision: &rev, ReleaseStatus: &st}
	if v := rel.Labels[LabelVersionID]; v != "" {
		obs.VersionID = &v
	}
	return providers.TaskResult{Output: out, Observed: obs}, nil
}

// gone is what an uninstall leaves: no workloads or endpoints; revision 0 when purged.
func (p *Provider) gone(cfg *action.Configuration, tp TaskParams) *providers.Observed {
	obs := &providers.Observed{Roles: []providers.Role{}, Endpoints: []providers.Endpoint{}}
	rev, st := 0, string(release.StatusUninstalled)
	if rel, err := cfg.Releases.Last(tp.Release); err == nil {
		rev, st = rel.Version, string(status(rel))
	}
	obs.Revision, obs.ReleaseStatus = &rev, &st
	return obs
}

func (p *Provider) waitOrStatus(ctx context.Context, s *session, cfg *action.Configuration, tp TaskParams, wait bool) (providers.TaskResult, error) {
	rel, err := cfg.Releases.Last(tp.Release)
	if errors.Is(err, driver.ErrReleaseNotFound) {
		return providers.TaskResult{}, providers.Permanent(fmt.Errorf("release %q does not exist in namespace %q", tp.Release, tp.Namespace))
	}
	if err != nil {
		return providers.TaskResult{}, fmt.Errorf("read release %q: %w", tp.Release, err)
	}
	if !wait {
		obs, _, err := observe(ctx, s, rel)
		if err != nil {
			return providers.TaskResult{}, err
		}
		return providers.TaskResult{Output: summary(rel, obs), Observed: obs}, nil
	}
	switch st := status(rel); {
	case st == release.StatusDeployed:
	case st.IsPending():
		return providers.TaskResult{}, fmt.Errorf("release %q revision %d is still %s", rel.Name, rel.Version, st)
	default:
		return providers.TaskResult{}, providers.Permanent(fmt.Errorf("release %q revision %d is %s: %s", rel.Name, rel.Version, st, rel.Info.Description))
	}
	obs, err := p.waitReady(ctx, s, rel)
	if err != nil {
		return providers.TaskResult{}, err
	}
	return providers.TaskResult{Output: summary(rel, obs), Observed: obs}, nil
}

// summary is a one-line description of what runs.
func summary(rel *release.Release, obs *providers.Observed) string {
	out := fmt.Sprintf("revision %d %s", rel.Version, status(rel))
	for i, r := range obs.Roles {
		if i == 0 {
			out += ":"
		} else {
			out += ","
		}
		out += fmt.Sprintf(" %s/%s %d/%d ready", r.Kind, r.Role, r.Ready, r.Count)
	}
	return out
}

// Status reports what runs for release in runtime rt: the newest revision, its status, its
// workloads as roles (desired and ready replicas) and its Services and Ingresses as
// endpoints. It is for the control plane's cluster view and does not wait.
func (p *Provider) Status(ctx context.Context, rt providers.RuntimeSpec, releaseName string) (*providers.Observed, error) {
	tp := TaskParams{Release: releaseName, Namespace: rt.Zone}
	if err := tp.check(); err != nil {
		return nil, err
	}
	s, err := p.open(rt.Credential, rt.Zone)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", providers.ErrInvalidCredential, err)
	}
	cfg, err := p.helm(s)
	if err != nil {
		return nil, err
	}
	rel, err := cfg.Releases.Last(releaseName)
	if errors.Is(err, driver.ErrReleaseNotFound) {
		return nil, fmt.Errorf("%w: release %q in namespace %q", ErrNoRelease, releaseName, rt.Zone)
	}
	if err != nil {
		return nil, fmt.Errorf("read release %q in namespace %q: %w", releaseName, rt.Zone, err)
	}
	obs, _, err := observe(ctx, s, rel)
	return obs, err
}

// ErrNoRelease is returned by Status for a release that does not exist (never installed, or
// purged).
var ErrNoRelease = errors.New("helm: no such release")
