package helm

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"helm.sh/helm/v3/pkg/action"
	"helm.sh/helm/v3/pkg/release"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/pitrix/pitrix/providers"
)

// lifecycleEnv is a runtime (fresh namespace) with the web chart in versions v1 and v2.
type lifecycleEnv struct {
	admin kubernetes.Interface
	p     *Provider
	r     *runner
	ns    string
}

func newLifecycle(t *testing.T, conf string) *lifecycleEnv {
	kc := testKubeconfig(t)
	admin := adminClient(t, kc)
	p := newTestProvider(t, Config{HistoryMax: 5})
	ns := testNamespace(t, admin)
	cred := providers.Credential{Content: kc}
	if err := p.ValidateRuntime(t.Context(), ns, cred); err != nil {
		t.Fatalf("ValidateRuntime: %v", err)
	}
	r := &runner{
		t: t, p: p,
		cluster: providers.ClusterSpec{ID: "cl-" + randomSuffix(t), VersionID: "appv-1", Conf: []byte(conf)},
		rt:      providers.RuntimeSpec{ID: "rt-test", Zone: ns, Credential: cred},
		pkgs:    map[string][]byte{"appv-1": webChart(t, "0.1.0"), "appv-2": webChart(t, "0.2.0")},
	}
	return &lifecycleEnv{admin: admin, p: p, r: r, ns: ns}
}

// helmCfg is a Helm action configuration on the env's namespace, to inspect and tamper with
// release storage as a crash would leave it.
func (e *lifecycleEnv) helmCfg(t *testing.T) *action.Configuration {
	s, err := e.p.open(e.r.rt.Credential, e.ns)
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := e.p.helm(s)
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

func (e *lifecycleEnv) history(t *testing.T) []*release.Release {
	h, err := history(e.helmCfg(t), e.r.cluster.ID)
	if err != nil {
		t.Fatalf("history: %v", err)
	}
	return h
}

// deployment checks on the API server that the release's Deployment wants want replicas,
// has them all ready, and was rendered from chartVersion.
func (e *lifecycleEnv) deployment(t *testing.T, want int32, chartVersion string) {
	t.Helper()
	d, err := e.admin.AppsV1().Deployments(e.ns).Get(t.Context(), e.r.cluster.ID+"-web", metav1.GetOptions{})
	if err != nil {
		t.Fatalf("get deployment: %v", err)
	}
	if got := *d.Spec.Replicas; got != want {
		t.Errorf("deployment wants %d replicas, want %d", got, want)
	}
	if d.Status.ReadyReplicas != want {
		t.Errorf("deployment has %d ready replicas, want %d", d.Status.ReadyReplicas, want)
	}
	if got := d.Labels["chart-version"]; got != chartVersion {
		t.Errorf("deployment from chart %s, want %s", got, chartVersion)
	}
}

func checkObserved(t *testing.T, o *providers.Observed, rev int, st string, replicas int) {
	t.Helper()
	if o == nil || o.Revision == nil || o.ReleaseStatus == nil {
		t.Fatalf("observed %+v lacks revision/status", o)
	}
	if *o.Revision != rev || *o.ReleaseStatus != st {
		t.Errorf("observed revision %d %s, want %d %s", *o.Revision, *o.ReleaseStatus, rev, st)
	}
	if len(o.Roles) != 1 || o.Roles[0].Kind != "Deployment" || o.Roles[0].Count != replicas || o.Roles[0].Ready != replicas {
		t.Errorf("observed roles %+v, want one Deployment %d/%d", o.Roles, replicas, replicas)
	}
	if len(o.Endpoints) != 1 {
		t.Fatalf("observed endpoints %+v, want the service", o.Endpoints)
	}
	ep := o.Endpoints[0]
	if ep.Kind != "Service" || ep.Port != 80 || ep.Protocol != "tcp" || !strings.HasSuffix(ep.Host, ".svc") || !strings.HasPrefix(ep.Host, ep.Name[:strings.Index(ep.Name, ":")]+".") {
		t.Errorf("endpoint %+v, want service <name>.<ns>.svc:80/tcp", ep)
	}
}

func TestLifecycle(t *testing.T) {
	e := newLifecycle(t, `{"replicas": 2}`)
	r := e.r
	timed := func(name string) func() {
		start := time.Now()
		return func() { t.Logf("TIMING %s: %s", name, time.Since(start).Round(time.Millisecond)) }
	}

	// create → deployed, 2 ready replicas.
	done := timed("create (recover+install+wait)")
	rs, err := r.run(providers.ActionCreate, nil)
	done()
	if err != nil {
		t.Fatal(err)
	}
	checkObserved(t, lastObserved(rs), 1, "deployed", 2)
	e.deployment(t, 2, "0.1.0")
	install := rs[1].task

	// The install task again (a resume after a crash): no new revision.
	res, err := r.p.Execute(t.Context(), install)
	if err != nil {
		t.Fatalf("re-run install: %v", err)
	}
	if !strings.Contains(res.Output, "already installed by this task") || *res.Observed.Revision != 1 {
		t.Errorf("re-run install: %q rev %d, want already installed rev 1", res.Output, *res.Observed.Revision)
	}
	if h := e.history(t); len(h) != 1 {
		t.Errorf("history has %d revisions after re-run, want 1", len(h))
	}

	// upgrade to chart v2 and replicas 3 → revision 2, 3 ready.
	done = timed("upgrade (recover+upgrade+wait)")
	rs, err = r.run(providers.ActionUpgrade, map[string]any{"version_id": "appv-2", "conf": map[string]any{"replicas": 3}})
	done()
	if err != nil {
		t.Fatal(err)
	}
	checkObserved(t, lastObserved(rs), 2, "deployed", 3)
	e.deployment(t, 3, "0.2.0")
	if r.cluster.VersionID != "appv-2" {
		t.Errorf("observed version %q, want appv-2", r.cluster.VersionID)
	}
	// The upgrade task again: the same revision.
	res, err = r.p.Execute(t.Context(), rs[1].task)
	if err != nil || *res.Observed.Revision != 2 {
		t.Fatalf("re-run upgrade: %v, %+v", err, res)
	}

	// rollback (to the previous revision) → revision 3 with the old chart and values.
	done = timed("rollback (recover+rollback+wait)")
	rs, err = r.run(providers.ActionRollback, nil)
	done()
	if err != nil {
		t.Fatal(err)
	}
	checkObserved(t, lastObserved(rs), 3, "deployed", 2)
	e.deployment(t, 2, "0.1.0")
	if r.cluster.VersionID != "appv-1" {
		t.Errorf("observed version after rollback %q, want appv-1", r.cluster.VersionID)
	}
	res, err = r.p.Execute(t.Context(), rs[1].task)
	if err != nil || *res.Observed.Revision != 3 {
		t.Fatalf("re-run rollback: %v, %+v", err, res)
	}

	// A crash during an upgrade leaves a pending-upgrade revision. Simulated by writing what
	// Helm writes before it touches any object: revision 4, a copy of 3, status
	// pending-upgrade, in the release's storage Secret. Helm then refuses to upgrade; the
	// plan's recover layer rolls back to revision 3 and the upgrade goes through.
	cfg := e.helmCfg(t)
	cur, err := cfg.Releases.Last(r.cluster.ID)
	if err != nil {
		t.Fatal(err)
	}
	pending := *cur
	info := *cur.Info
	pending.Info, pending.Version = &info, cur.Version+1
	pending.SetStatus(release.StatusPendingUpgrade, "Preparing upgrade")
	if err := cfg.Releases.Create(&pending); err != nil {
		t.Fatalf("store pending revision: %v", err)
	}
	up := action.NewUpgrade(cfg)
	if _, err := up.RunWithContext(t.Context(), r.cluster.ID, cur.Chart, map[string]any{}); err == nil || !strings.Contains(err.Error(), "another operation") {
		t.Fatalf("helm upgrade of a pending release: %v, want 'another operation ... in progress'", err)
	}
	done = timed("upgrade after recovering pending-upgrade")
	rs, err = r.run(providers.ActionUpgrade, map[string]any{"conf": map[string]any{"replicas": 3}})
	done()
	if err != nil {
		t.Fatal(err)
	}
	if out := rs[0].res.Output; !strings.Contains(out, "revision 4 was left pending-upgrade") || !strings.Contains(out, "rolled back to revision 3 as revision 5") {
		t.Errorf("recover output %q", out)
	}
	checkObserved(t, lastObserved(rs), 6, "deployed", 3)
	e.deployment(t, 3, "0.1.0") // version absent: same chart

	// update_env merges over the current values.
	rs, err = r.run(providers.ActionUpdateEnv, map[string]any{"env": map[string]any{"image": "nginx:1.28"}})
	if err != nil {
		t.Fatal(err)
	}
	checkObserved(t, lastObserved(rs), 7, "deployed", 3)
	if h := e.history(t); len(h) != 5 {
		t.Errorf("history keeps %d revisions, want HistoryMax 5", len(h))
	}

	// delete keeps history; recover brings it back; cease purges.
	rs, err = r.run(providers.ActionDelete, nil)
	if err != nil {
		t.Fatal(err)
	}
	if h := e.history(t); status(last(h)) != release.StatusUninstalled {
		t.Errorf("after delete the last revision is %s, want uninstalled", status(last(h)))
	}
	if _, err := e.admin.AppsV1().Deployments(e.ns).Get(t.Context(), r.cluster.ID+"-web", metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Errorf("deployment after delete: %v, want not found", err)
	}
	if o := lastObserved(rs); o == nil || *o.ReleaseStatus != "uninstalled" || o.Roles == nil || len(o.Roles) != 0 {
		t.Errorf("observed after delete %+v", o)
	}
	if res, err := r.p.Execute(t.Context(), rs[1].task); err != nil || !strings.Contains(res.Output, "already uninstalled") {
		t.Errorf("re-run delete: %v, %+v", err, res)
	}
	rs, err = r.run(providers.ActionRecover, nil)
	if err != nil {
		t.Fatal(err)
	}
	checkObserved(t, lastObserved(rs), 8, "deployed", 3)
	if _, err := r.run(providers.ActionDelete, nil); err != nil {
		t.Fatal(err)
	}
	rs, err = r.run(providers.ActionCease, nil)
	if err != nil {
		t.Fatal(err)
	}
	if h := e.history(t); len(h) != 0 {
		t.Errorf("after cease %d revisions are left, want none", len(h))
	}
	if o := lastObserved(rs); o == nil || *o.Revision != 0 {
		t.Errorf("observed after cease %+v, want revision 0", o)
	}
	if _, err := r.p.Status(t.Context(), r.rt, r.cluster.ID); !errors.Is(err, ErrNoRelease) {
		t.Errorf("Status after cease: %v, want ErrNoRelease", err)
	}
	// Cease again is done already.
	if _, err := r.run(providers.ActionCease, nil); err != nil {
		t.Errorf("cease again: %v", err)
	}
}

func TestRecoverCrashedReleases(t *testing.T) {
	e := newLifecycle(t, `{}`)
	r := e.r
	// A crash right after Helm stored the first revision as pending-install.
	cfg := e.helmCfg(t)
	_, ch, err := loadTestChart(r.pkgs["appv-1"])
	if err != nil {
		t.Fatal(err)
	}
	rel := &release.Release{Name: r.cluster.ID, Namespace: e.ns, Chart: ch, Config: map[string]any{}, Version: 1, Info: &release.Info{}}
	rel.SetStatus(release.StatusPendingInstall, "Initial install underway")
	if err := cfg.Releases.Create(rel); err != nil {
		t.Fatal(err)
	}
	rs, err := r.run(providers.ActionCreate, nil)
	if err != nil {
		t.Fatal(err)
	}
	if out := rs[0].res.Output; !strings.Contains(out, "pending-install") || !strings.Contains(out, "uninstalled and purged") {
		t.Errorf("recover output %q", out)
	}
	checkObserved(t, lastObserved(rs), 1, "deployed", 2)
	obs, err := r.p.Status(t.Context(), r.rt, r.cluster.ID)
	if err != nil {
		t.Fatalf("Status: %v", err)
	}
	checkObserved(t, obs, 1, "deployed", 2)

	// A crash inside Helm's upgrade after it superseded the old revision but before it marked
	// the new one deployed leaves no deployed revision: recovery marks the pending one failed
	// and the next upgrade goes on from it.
	cur, err := cfg.Releases.Last(r.cluster.ID)
	if err != nil {
		t.Fatal(err)
	}
	cur.SetStatus(release.StatusSuperseded, "superseded by new release")
	if err := cfg.Releases.Update(cur); err != nil {
		t.Fatal(err)
	}
	next := *cur
	next.Info, next.Version = &release.Info{}, cur.Version+1
	next.SetStatus(release.StatusPendingUpgrade, "Preparing upgrade")
	if err := cfg.Releases.Create(&next); err != nil {
		t.Fatal(err)
	}
	rs, err = r.run(providers.ActionUpgrade, map[string]any{"conf": map[string]any{"replicas": 2}})
	if err != nil {
		t.Fatal(err)
	}
	if out := rs[0].res.Output; !strings.Contains(out, "revision 2 was left pending-upgrade") || !strings.Contains(out, "marked failed") {
		t.Errorf("recover output %q", out)
	}
	checkObserved(t, lastObserved(rs), 3, "deployed", 2)

	// A retried install task (which does not re-run the recover layer) heals a pending-install
	// left by its own crashed attempt before installing.
	other := *r
	other.cluster.ID = "cl-" + randomSuffix(t)
	rel2 := *rel
	rel2.Name, rel2.Info = other.cluster.ID, &release.Info{}
	rel2.SetStatus(release.StatusPendingInstall, "Initial install underway")
	if err := cfg.Releases.Create(&rel2); err != nil {
		t.Fatal(err)
	}
	plan, err := r.p.Plan(providers.PlanRequest{Action: providers.ActionCreate, Cluster: other.cluster, Runtime: other.rt})
	if err != nil {
		t.Fatal(err)
	}
	res, err := r.p.Execute(t.Context(), providers.Task{ID: "t-retry", Attempt: 2, Spec: plan.Layers[1][0], Cluster: other.cluster, Runtime: other.rt, Package: other.pkg})
	if err != nil {
		t.Fatalf("install over pending-install: %v", err)
	}
	if !strings.HasPrefix(res.Output, "recovered: revision 1 was left pending-install") || *res.Observed.Revision != 1 {
		t.Errorf("install over pending-install: %q", res.Output)
	}

	// An Ingress shows up as an endpoint by its host.
	rs, err = r.run(providers.ActionUpdateEnv, map[string]any{"env": map[string]any{"ingressHost": "web.example.test"}})
	if err != nil {
		t.Fatal(err)
	}
	var hosts []string
	for _, ep := range lastObserved(rs).Endpoints {
		hosts = append(hosts, fmt.Sprintf("%s %s %s:%d/%s", ep.Kind, ep.Name, ep.Host, ep.Port, ep.Protocol))
	}
	want := []string{
		fmt.Sprintf("Service %s-web:http %s-web.%s.svc:80/tcp", r.cluster.ID, r.cluster.ID, e.ns),
		fmt.Sprintf("Ingress %s-web web.example.test:80/http", r.cluster.ID),
	}
	if !reflect.DeepEqual(hosts, want) {
		t.Errorf("endpoints %q, want %q", hosts, want)
	}
}

func TestWaitTimeoutNamesWorkload(t *testing.T) {
	cases := []struct {
		name, conf, workload string
		want                 []string
	}{
		{"unschedulable deployment", `{"replicas": 1, "nodeSelector": {"pitrix-test/no-such-node": "true"}}`, "deployment/%s-web",
			[]string{"0/1 ready", "FailedScheduling", "node(s) didn't match"}},
		{"statefulset with pending claim", `{"replicas": 1, "statefulset": true}`, "statefulset/%s-db",
			[]string{"0/1 ready", "FailedScheduling", "PersistentVolumeClaim"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newLifecycle(t, tc.conf)
			e.r.p = newTestProvider(t, Config{WaitTimeout: 5 * time.Second})
			start := time.Now()
			_, err := e.r.run(providers.ActionCreate, nil)
			t.Logf("TIMING wait timeout after %s", time.Since(start).Round(time.Millisecond))
			var nr *NotReadyError
			if !errors.As(err, &nr) {
				t.Fatalf("create: %v, want a *NotReadyError", err)
			}
			if errors.Is(err, providers.ErrPermanent) {
				t.Errorf("a wait timeout is transient, got permanent")
			}
			contains(t, err, append([]string{fmt.Sprintf(tc.workload, e.r.cluster.ID)}, tc.want...)...)
			for _, w := range nr.Workloads {
				if w.Ready >= w.Desired {
					t.Errorf("ready workload %+v reported", w)
				}
			}
			t.Logf("error: %v", err)
		})
	}
}

func TestPermanentFailures(t *testing.T) {
	e := newLifecycle(t, `{}`)
	cases := []struct {
		name string
		conf string
		want []string
	}{
		{"schema", `{"replicas": "many"}`, []string{"invalid values", "replicas"}},
		{"render", `{"image": null}`, []string{"image is required"}},
		{"not an object", `[1, 2]`, []string{"values must be a JSON object"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := *e.r
			r.t = t
			r.cluster.ID = "cl-" + randomSuffix(t)
			r.cluster.Conf = []byte(tc.conf)
			_, err := r.run(providers.ActionCreate, nil)
			if !errors.Is(err, providers.ErrPermanent) {
				t.Fatalf("create: %v, want permanent", err)
			}
			contains(t, err, tc.want...)
			t.Logf("error: %v", err)
		})
	}
	t.Run("bad chart", func(t *testing.T) {
		r := *e.r
		r.t = t
		r.cluster.ID = "cl-" + randomSuffix(t)
		r.pkgs = map[string][]byte{"appv-1": []byte("not a tgz")}
		_, err := r.run(providers.ActionCreate, nil)
		if !errors.Is(err, providers.ErrPermanent) {
			t.Fatalf("create: %v, want permanent", err)
		}
		contains(t, err, "load chart")
	})
	t.Run("upgrade of a missing release", func(t *testing.T) {
		r := *e.r
		r.t = t
		r.cluster.ID = "cl-" + randomSuffix(t)
		_, err := r.run(providers.ActionUpgrade, nil)
		if !errors.Is(err, providers.ErrPermanent) {
			t.Fatalf("upgrade: %v, want permanent", err)
		}
		contains(t, err, "does not exist")
	})
}
