package helm

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"helm.sh/helm/v3/pkg/action"
	helmchart "helm.sh/helm/v3/pkg/chart"
	"helm.sh/helm/v3/pkg/chartutil"
	"helm.sh/helm/v3/pkg/release"
	"helm.sh/helm/v3/pkg/storage/driver"
	"k8s.io/apimachinery/pkg/util/validation"

	"github.com/pitrix/pitrix/providers"
	"github.com/pitrix/pitrix/providers/helm/chart"
)

// LabelVersionID is the release label (on Helm's storage Secrets) holding the app version id
// a revision was installed from; rollbacks carry it over, so a rolled-back cluster reports
// the version it runs.
const LabelVersionID = "pitrix.io/version-id"

// marker is the text a task leaves in the description of the revision it made, so that a
// re-run of the same task finds its work done.
func marker(taskID string) string { return "[pitrix task " + taskID + "]" }

// history returns the release's revisions, oldest first; none when it does not exist.
func history(cfg *action.Configuration, name string) ([]*release.Release, error) {
	h, err := cfg.Releases.History(name)
	if errors.Is(err, driver.ErrReleaseNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read history of release %q: %w", name, err)
	}
	slices.SortFunc(h, func(a, b *release.Release) int { return a.Version - b.Version })
	return h, nil
}

// byTask returns the newest revision whose description carries the task's marker.
func byTask(h []*release.Release, taskID string) *release.Release {
	m := marker(taskID)
	for i := len(h) - 1; i >= 0; i-- {
		if h[i].Info != nil && strings.Contains(h[i].Info.Description, m) {
			return h[i]
		}
	}
	return nil
}

func last(h []*release.Release) *release.Release {
	if len(h) == 0 {
		return nil
	}
	return h[len(h)-1]
}

func status(r *release.Release) release.Status {
	if r == nil || r.Info == nil {
		return release.StatusUnknown
	}
	return r.Info.Status
}

// recoverPending heals a release whose newest revision was left pending-install,
// pending-upgrade or pending-rollback (or uninstalling) by a crash, so that the next Helm
// action is not refused with "another operation is in progress":
//
//   - a pending revision with an older deployed revision: roll back to that revision;
//   - a pending-install never deployed: uninstall it, purging its history;
//   - any other pending revision: mark it failed (Helm upgrades from failed);
//   - uninstalling: finish the uninstall, keeping history.
//
// It returns what it did in words, "" when there was nothing to do.
func (p *Provider) recoverPending(cfg *action.Configuration, name, taskID string) (string, error) {
	h, err := history(cfg, name)
	if err != nil {
		return "", err
	}
	cur := last(h)
	st := status(cur)
	if cur == nil || !(st.IsPending() || st == release.StatusUninstalling) {
		return "", nil
	}
	found := fmt.Sprintf("revision %d was left %s (%s)", cur.Version, st, cur.Info.Description)
	p.log.Warn("recovering release", "release", name, "namespace", cur.Namespace, "revision", cur.Version, "status", string(st))
	if st == release.StatusUninstalling {
		un := action.NewUninstall(cfg)
		un.KeepHistory = true
		un.Description = "Uninstalled by recovery " + marker(taskID)
		if _, err := un.Run(name); err != nil {
			return "", fmt.Errorf("recover release %q: finish uninstall of revision %d: %w", name, cur.Version, err)
		}
		return found + "; finished the uninstall (history kept)", nil
	}
	var good *release.Release
	for i := len(h) - 2; i >= 0; i-- {
		if s := status(h[i]); s == release.StatusDeployed {
			good = h[i]
			break
		}
	}
	switch {
	case good != nil:
		rb := action.NewRollback(cfg)
		rb.Version = good.Version
		rb.MaxHistory = p.cfg.HistoryMax
		if err := rb.Run(name); err != nil {
			return "", fmt.Errorf("recover release %q: roll back pending revision %d to %d: %w", name, cur.Version, good.Version, err)
		}
		rev, err := p.annotate(cfg, name, fmt.Sprintf("Recovered %s revision %d: rolled back to %d %s", st, cur.Version, good.Version, marker(taskID)))
		if err != nil {
			return "", err
		}
		return fmt.Sprintf("%s; rolled back to revision %d as revision %d", found, good.Version, rev), nil
	case st == release.StatusPendingInstall:
		un := action.NewUninstall(cfg)
		un.KeepHistory = false
		if _, err := un.Run(name); err != nil {
			return "", fmt.Errorf("recover release %q: uninstall never-deployed pending-install revision %d: %w", name, cur.Version, err)
		}
		return found + "; it was never deployed, so it was uninstalled and purged", nil
	default:
		cur.SetStatus(release.StatusFailed, fmt.Sprintf("Marked failed by recovery: was %s with no deployed revision to roll back to %s", st, marker(taskID)))
		if err := cfg.Releases.Update(cur); err != nil {
			return "", fmt.Errorf("recover release %q: mark pending revision %d failed: %w", name, cur.Version, err)
		}
		return found + "; no deployed revision to roll back to, so it was marked failed", nil
	}
}

// annotate sets the description of the release's newest revision (after a rollback, which
// has no description option) and returns its number.
func (p *Provider) annotate(cfg *action.Configuration, name, desc string) (int, error) {
	r, err := cfg.Releases.Last(name)
	if err != nil {
		return 0, fmt.Errorf("read release %q after rollback: %w", name, err)
	}
	r.Info.Description = desc
	if err := cfg.Releases.Update(r); err != nil {
		return 0, fmt.Errorf("describe revision %d of release %q: %w", r.Version, name, err)
	}
	return r.Version, nil
}

// loadChart fetches and loads the chart of versionID. A chart that does not load is a
// permanent failure; a fetch error is the caller's to classify.
func loadChart(ctx context.Context, t providers.Task, versionID string) (*helmchart.Chart, error) {
	if t.Package == nil {
		return nil, providers.Permanent(fmt.Errorf("helm: task %s: no package source", t.ID))
	}
	tgz, err := t.Package(ctx, versionID)
	if err != nil {
		return nil, fmt.Errorf("fetch chart of version %q: %w", versionID, err)
	}
	_, ch, err := chart.Load(tgz)
	if err != nil {
		return nil, providers.Permanent(fmt.Errorf("load chart of version %q: %w", versionID, err))
	}
	return ch, nil
}

// valuesFor decides the user values of an install or upgrade and checks them against the
// chart's schema. prev is the release's current user values (nil on install).
func valuesFor(ch *helmchart.Chart, tp TaskParams, prev map[string]any) (map[string]any, error) {
	var vals map[string]any
	switch {
	case tp.Values == nil:
		vals = copyValues(prev)
	default:
		v, err := decodeValues(tp.Values)
		if err != nil {
			return nil, providers.Permanent(err)
		}
		vals = v
		if tp.MergeValues && prev != nil {
			// Coalescing keeps the new values, fills in the old ones, and a null in the new
			// values removes the old key, as `helm upgrade --reuse-values --set` does.
			vals = chartutil.CoalesceTables(vals, copyValues(prev))
		}
	}
	if vals == nil {
		vals = map[string]any{}
	}
	if err := chart.ValidateValues(ch, vals); err != nil {
		return nil, providers.Permanent(err)
	}
	return vals, nil
}

func copyValues(m map[string]any) map[string]any {
	if m == nil {
		return nil
	}
	out := make(map[string]any, len(m))
	for k, v := range m {
		if sub, ok := v.(map[string]any); ok {
			v = copyValues(sub)
		}
		out[k] = v
	}
	return out
}

// labels are the release labels of a revision installed from versionID.
func labels(versionID string) map[string]string {
	if versionID == "" || len(validation.IsValidLabelValue(versionID)) > 0 {
		return nil
	}
	return map[string]string{LabelVersionID: versionID}
}

// hookTimeout is how long Helm may wait for hooks: what is left of the task's budget.
func hookTimeout(ctx context.Context) time.Duration {
	if d, ok := ctx.Deadline(); ok {
		return max(time.Until(d), time.Second)
	}
	return DefaultOpTimeout
}

// install installs the release. A revision made by this very task (found by its marker) is
// returned as done; a release that exists deployed from elsewhere is a permanent conflict; a
// failed or uninstalled one is replaced.
func (p *Provider) install(ctx context.Context, cfg *action.Configuration, t providers.Task, tp TaskParams) (*release.Release, string, error) {
	h, note, done, err := p.begin(cfg, t, tp)
	if err != nil || done != nil {
		return done, doneMessage(done, "installed by this task as"), err
	}
	if cur := last(h); cur != nil {
		if st := status(cur); st != release.StatusFailed && st != release.StatusUninstalled {
			return nil, "", providers.Permanent(fmt.Errorf("release %q already exists in namespace %q: revision %d is %s (%s)", tp.Release, tp.Namespace, cur.Version, st, cur.Info.Description))
		}
	}
	ch, err := loadChart(ctx, t, tp.VersionID)
	if err != nil {
		return nil, "", err
	}
	vals, err := valuesFor(ch, tp, nil)
	if err != nil {
		return nil, "", err
	}
	in := action.NewInstall(cfg)
	in.ReleaseName = tp.Release
	in.Namespace = tp.Namespace
	in.Description = "Install complete " + marker(t.ID)
	in.Replace = true // reuse the name of a failed or uninstalled release
	in.SkipSchemaValidation = true
	in.Labels = labels(tp.VersionID)
	in.Timeout = hookTimeout(ctx)
	rel, err := in.RunWithContext(ctx, ch, vals)
	if err != nil {
		return nil, "", fmt.Errorf("install release %q of version %q: %w", tp.Release, tp.VersionID, err)
	}
	out := fmt.Sprintf("installed %s %s as revision %d (%s)", ch.Metadata.Name, ch.Metadata.Version, rel.Version, status(rel))
	if note != "" {
		out = "recovered: " + note + "; " + out
	}
	return rel, out, nil
}

// begin is the start every release-changing task shares: a revision this task already made
// (done, not failed) means a re-run after a crash, and is returned as is; otherwise a release
// left pending by a crash is recovered first. It returns the release's history and what the
// recovery did ("" when nothing was pending).
func (p *Provider) begin(cfg *action.Configuration, t providers.Task, tp TaskParams) (h []*release.Release, note string, done *release.Release, err error) {
	if h, err = history(cfg, tp.Release); err != nil {
		return nil, "", nil, err
	}
	if r := byTask(h, t.ID); r != nil && status(r) != release.StatusFailed {
		return h, "", r, nil
	}
	if note, err = p.recoverPending(cfg, tp.Release, t.ID); err != nil {
		return nil, "", nil, err
	}
	if note != "" {
		if h, err = history(cfg, tp.Release); err != nil {
			return nil, "", nil, err
		}
	}
	return h, note, nil, nil
}

// doneMessage is the output of a task that found its own revision already made.
func doneMessage(r *release.Release, what string) string {
	if r == nil {
		return ""
	}
	return fmt.Sprintf("already %s revision %d (%s)", what, r.Version, status(r))
}

// upgrade upgrades the release to tp's version and values (absent values: the current ones;
// merged values: laid over the current ones).
func (p *Provider) upgrade(ctx context.Context, cfg *action.Configuration, t providers.Task, tp TaskParams) (*release.Release, string, error) {
	h, note, done, err := p.begin(cfg, t, tp)
	if err != nil || done != nil {
		return done, doneMessage(done, "upgraded by this task to"), err
	}
	cur := last(h)
	switch status(cur) {
	case release.StatusUnknown:
		return nil, "", providers.Permanent(fmt.Errorf("release %q does not exist in namespace %q", tp.Release, tp.Namespace))
	case release.StatusUninstalled:
		return nil, "", providers.Permanent(fmt.Errorf("release %q was uninstalled (revision %d); recover it before upgrading", tp.Release, cur.Version))
	}
	ch, err := loadChart(ctx, t, tp.VersionID)
	if err != nil {
		return nil, "", err
	}
	vals, err := valuesFor(ch, tp, cur.Config)
	if err != nil {
		return nil, "", err
	}
	up := action.NewUpgrade(cfg)
	up.Namespace = tp.Namespace
	up.MaxHistory = p.cfg.HistoryMax
	up.Description = "Upgrade complete " + marker(t.ID)
	up.SkipSchemaValidation = true
	up.Labels = labels(tp.VersionID)
	up.Timeout = hookTimeout(ctx)
	rel, err := up.RunWithContext(ctx, tp.Release, ch, vals)
	if err != nil {
		return nil, "", fmt.Errorf("upgrade release %q to version %q: %w", tp.Release, tp.VersionID, err)
	}
	out := fmt.Sprintf("upgraded to %s %s as revision %d (%s)", ch.Metadata.Name, ch.Metadata.Version, rel.Version, status(rel))
	if note != "" {
		out = "recovered: " + note + "; " + out
	}
	return rel, out, nil
}

// rollback rolls the release back to tp.Revision (0: the previous revision). restore instead
// rolls an uninstalled release back to its last revision, bringing it back.
func (p *Provider) rollback(cfg *action.Configuration, t providers.Task, tp TaskParams, restore bool) (*release.Release, string, error) {
	h, note, done, err := p.begin(cfg, t, tp)
	if err != nil || done != nil {
		return done, doneMessage(done, "rolled back by this task as"), err
	}
	cur := last(h)
	if cur == nil {
		return nil, "", providers.Permanent(fmt.Errorf("release %q does not exist in namespace %q", tp.Release, tp.Namespace))
	}
	target := tp.Revision
	switch {
	case restore && status(cur) != release.StatusUninstalled:
		return cur, fmt.Sprintf("nothing to restore: revision %d is %s", cur.Version, status(cur)), nil
	case restore:
		target = cur.Version
	case target == 0:
		target = cur.Version - 1
	}
	if !slices.ContainsFunc(h, func(r *release.Release) bool { return r.Version == target }) {
		have := make([]int, len(h))
		for i, r := range h {
			have[i] = r.Version
		}
		return nil, "", providers.Permanent(fmt.Errorf("release %q has no revision %d to roll back to (kept: %v)", tp.Release, target, have))
	}
	rb := action.NewRollback(cfg)
	rb.Version = target
	rb.MaxHistory = p.cfg.HistoryMax
	if err := rb.Run(tp.Release); err != nil {
		return nil, "", fmt.Errorf("roll back release %q to revision %d: %w", tp.Release, target, err)
	}
	verb := "Rollback to"
	if restore {
		verb = "Restored uninstalled revision"
	}
	if _, err := p.annotate(cfg, tp.Release, fmt.Sprintf("%s %d %s", verb, target, marker(t.ID))); err != nil {
		return nil, "", err
	}
	rel, err := cfg.Releases.Last(tp.Release)
	if err != nil {
		return nil, "", fmt.Errorf("read release %q after rollback: %w", tp.Release, err)
	}
	out := fmt.Sprintf("rolled back to revision %d as revision %d (%s)", target, rel.Version, status(rel))
	if restore {
		out = fmt.Sprintf("restored uninstalled revision %d as revision %d (%s)", target, rel.Version, status(rel))
	}
	if note != "" {
		out = "recovered: " + note + "; " + out
	}
	return rel, out, nil
}

// uninstall deletes the release's resources, keeping its history unless tp.Purge. Already
// uninstalled (or already gone, when purging) is success.
func (p *Provider) uninstall(cfg *action.Configuration, t providers.Task, tp TaskParams) (string, error) {
	h, err := history(cfg, tp.Release)
	if err != nil {
		return "", err
	}
	cur := last(h)
	switch {
	case cur == nil && tp.Purge:
		return "release is gone (purged)", nil
	case cur == nil:
		return "", providers.Permanent(fmt.Errorf("release %q does not exist in namespace %q", tp.Release, tp.Namespace))
	case status(cur) == release.StatusUninstalled && !tp.Purge:
		return fmt.Sprintf("already uninstalled (revision %d, history kept)", cur.Version), nil
	}
	un := action.NewUninstall(cfg)
	un.KeepHistory = !tp.Purge
	un.IgnoreNotFound = true
	un.Description = "Uninstalled " + marker(t.ID)
	un.DeletionPropagation = "background"
	res, err := un.Run(tp.Release)
	if err != nil {
		return "", fmt.Errorf("uninstall release %q: %w", tp.Release, err)
	}
	out := fmt.Sprintf("uninstalled revision %d", cur.Version)
	if tp.Purge {
		out += ", history purged"
	} else {
		out += ", history kept"
	}
	if res != nil && res.Info != "" {
		out += "; " + strings.TrimSpace(res.Info)
	}
	return out, nil
}
