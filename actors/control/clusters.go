package control

import (
	"context"
	"time"

	"encoding/json"
	"errors"
	"fmt"
	"golang.org/x/sync/errgroup"
	"sort"
	"strings"

	"sigs.k8s.io/yaml"

	"github.com/pitrix/pitrix/actors/actorpb"
	"github.com/pitrix/pitrix/actors/appcluster"
	"github.com/pitrix/pitrix/actors/appcluster/clustergrain"
	"github.com/pitrix/pitrix/actors/catalog"
	"github.com/pitrix/pitrix/actors/entity"
	"github.com/pitrix/pitrix/actors/fault"
	"github.com/pitrix/pitrix/actors/identity"
	"github.com/pitrix/pitrix/actors/runtimes"
	"github.com/pitrix/pitrix/actors/store"
	"github.com/pitrix/pitrix/providers"
	"github.com/pitrix/pitrix/providers/helm/chart"
	"github.com/pitrix/pitrix/providers/pkgcheck"
	"github.com/pitrix/pitrix/providers/vm/spec"
)

// CreateCluster checks the version, the runtime and the conf, and has a new app-cluster actor
// create the cluster. Nothing is stored when any check fails.
func (p *Plane) CreateCluster(ctx context.Context, pr identity.Principal, in appcluster.CreateInput) (*appcluster.Accepted, error) {
	bad := problems{}
	bad.name("name", in.Name, true)
	bad.text("description", in.Description, 1024)
	if in.VersionID == "" {
		bad.add("version_id", "required")
	}
	if in.RuntimeID == "" {
		bad.add("runtime_id", "required")
	}
	if len(bad) > 0 {
		return nil, fault.Invalid("invalid cluster", bad)
	}
	vw := p.viewer(ctx, pr)
	rt, err := p.usableRuntime(ctx, pr, in.RuntimeID)
	if err != nil {
		return nil, fault.InvalidField("runtime_id", fmt.Sprintf("no runtime %q", in.RuntimeID))
	}
	if err := checkRuntimeUse(pr, &rt); err != nil {
		return nil, err
	}
	v, err := p.deployableVersion(ctx, vw, pr, "version_id", in.VersionID, &rt)
	if err != nil {
		return nil, err
	}
	if in.AppID != "" && in.AppID != v.AppID {
		return nil, fault.InvalidField("app_id", fmt.Sprintf("version %s belongs to app %s, not %s", v.ID, v.AppID, in.AppID))
	}
	if err := p.checkPlacement(vw, &v, &rt); err != nil {
		return nil, err
	}
	op, ok := p.provs.Operator(rt.Provider)
	if !ok {
		return nil, fault.InvalidField("runtime_id", fmt.Sprintf("provider %q cannot run app clusters on this control plane yet", rt.Provider))
	}
	if c, ok := op.(providers.Checker); ok {
		if err := c.Check(ctx); err != nil {
			return nil, fault.Precondition("runtime %s cannot run app clusters now: %v", rt.ID, err)
		}
	}
	clusterID := p.ids.Next("cl")
	conf, rendered, err := p.checkConf(ctx, clusterID, &v, in.Conf)
	if err != nil {
		return nil, err
	}
	now := p.now()
	cl := appcluster.Cluster{ID: clusterID, Name: in.Name, Description: in.Description, AppID: v.AppID, VersionID: v.ID,
		RuntimeID: rt.ID, Provider: rt.Provider, AppType: v.Type, Owner: pr.UserID, Conf: conf, Spec: rendered,
		Roles: []providers.Role{}, Nodes: []appcluster.Node{}, Endpoints: []providers.Endpoint{}, CreatedAt: now, UpdatedAt: now}
	return p.clusterCommand(ctx, cl.ID, clustergrain.OpCreate, pr, clustergrain.CreateBody{Cluster: cl})
}

// deployableVersion loads a version the caller may deploy to rt: an active, reviewed one;
// or, to a test runtime, any live version of the caller's own. Admins may deploy any.
func (p *Plane) deployableVersion(ctx context.Context, vw *viewer, pr identity.Principal, field, id string, rt *runtimes.Runtime) (catalog.Version, error) {
	v, _, err := p.readVersion(ctx, vw, id)
	if fault.Is(err, fault.CodeNotFound) {
		return v, fault.InvalidField(field, fmt.Sprintf("no app version %q", id))
	}
	if err != nil {
		return v, err
	}
	if v.Removed {
		return v, fault.InvalidField(field, fmt.Sprintf("version %s was removed from its repo", id))
	}
	return v, checkDeployable(pr, &v, rt, field)
}

// checkDeployable is the deploy decision: admins deploy anything; others an active,
// reviewed version, or their own version of any live status to their test runtime.
func checkDeployable(pr identity.Principal, v *catalog.Version, rt *runtimes.Runtime, field string) error {
	switch {
	case pr.IsAdmin():
	case v.Status == catalog.StatusActive && !v.Unreviewed:
	case v.Owner == pr.UserID && rt.Test:
		// Its own developer tries it on a test runtime.
	case v.Owner == pr.UserID:
		what := v.Status
		if v.Unreviewed {
			what += " without review"
		}
		return fault.Forbidden("version %s is %s: only active, reviewed versions deploy to runtime %s; deploy your own to a runtime marked test", v.ID, what, rt.ID)
	default:
		return fault.InvalidField(field, fmt.Sprintf("version %s is %s, not active", v.ID, v.Status))
	}
	return nil
}

// checkPlacement refuses a runtime the version cannot run on.
func (p *Plane) checkPlacement(vw *viewer, v *catalog.Version, rt *runtimes.Runtime) error {
	if r := vw.repo(v.RepoID); v.RepoID != "" && r != nil {
		if !catalog.ProviderAllowed(r.Providers, rt.Provider) {
			return fault.InvalidField("runtime_id", fmt.Sprintf("runtime %s is a %s runtime; version %s runs on %s", rt.ID, rt.Provider, v.ID, strings.Join(r.Providers, ", ")))
		}
		if !catalog.SelectorsMatch(r.Selectors, rt.Labels) {
			return fault.InvalidField("runtime_id", fmt.Sprintf("runtime %s's labels do not match the repo's selectors %v", rt.ID, r.Selectors))
		}
		return nil
	}
	if prov, ok := p.provs.Get(rt.Provider); !ok || prov.AppType() != v.Type {
		return fault.InvalidField("runtime_id", fmt.Sprintf("runtime %s (%s) does not run %s apps", rt.ID, rt.Provider, v.Type))
	}
	return nil
}

// checkConf turns the user's conf into the cluster's: Helm values (an object, or a YAML
// string) checked against the chart's values.schema.json; for VM apps the config tree merged
// over config.json's defaults, validated, and cluster.json.tmpl rendered with it (the spec,
// nil for Helm apps). Every bad path is named.
//
// Password values of a VM app's conf are swapped for references to their sealed copies under
// the cluster's secrets (secrets.go); a reference already there (a conf carried from the
// cluster) stays.
func (p *Plane) checkConf(ctx context.Context, clusterID string, v *catalog.Version, raw json.RawMessage) (conf, rendered json.RawMessage, err error) {
	obj, err := confObject(raw)
	if err != nil {
		return nil, nil, err
	}
	pkg, err := p.packageOf(ctx, v)
	if err != nil {
		return nil, nil, err
	}
	var known map[string]string // reference -> value, of the cluster's stored secrets
	if hasSecretRef(obj) {
		if known, err = p.ClusterSecrets(ctx, clusterID); err != nil {
			return nil, nil, fault.Unavailable(err, "read the secrets of cluster %s", clusterID)
		}
		obj = resolveSecretRefs(obj, known).(map[string]any) // checked as the values they stand for
	}
	sw := newSecretSwap(known)
	if v.Type == catalog.AppTypeHelm {
		_, ch, err := chart.Load(pkg)
		if err != nil {
			return nil, nil, fault.Precondition("chart of %s does not load: %v", v.ID, err)
		}
		if err := chart.ValidateValues(ch, obj); err != nil {
			var ve *chart.ValuesError
			if errors.As(err, &ve) {
				return nil, nil, fault.Invalid("invalid values", prefixKeys("conf.", ve.Paths))
			}
			return nil, nil, fault.InvalidField("conf", err.Error())
		}
		// Values the chart's schema marks secret (writeOnly, format password) are sealed too.
		for _, path := range chart.SecretPaths(ch.Schema) {
			swapAt(obj, path, sw.ref)
		}
		if err := p.storeSecrets(ctx, clusterID, sw.fresh); err != nil {
			return nil, nil, err
		}
		b, _ := json.Marshal(obj)
		return b, nil, nil
	}
	sp, err := p.vmPackage(ctx, v, pkg)
	if err != nil {
		return nil, nil, err
	}
	merged, err := sp.Merge(obj)
	if err != nil {
		var ce *spec.ConfError
		if errors.As(err, &ce) {
			return nil, nil, fault.Invalid("invalid conf", prefixKeys("conf.", ce.Fields))
		}
		return nil, nil, fault.InvalidField("conf", err.Error())
	}
	if refs := sp.ExternalRefs(merged); len(refs) > 0 {
		return nil, nil, fault.Invalid("the runtime cannot provide linked services or load balancers", prefixKeys("conf.", refs))
	}
	sp.ReplacePasswords(merged, func(_, val string) string { return sw.ref(val) })
	cl, err := sp.Render(merged)
	if err != nil {
		return nil, nil, fault.InvalidField("conf", fmt.Sprintf("renders an invalid cluster: %v", err))
	}
	if err := p.storeSecrets(ctx, clusterID, sw.fresh); err != nil {
		return nil, nil, err
	}
	conf, _ = json.Marshal(merged)
	rendered, _ = json.Marshal(cl)
	return conf, rendered, nil
}

// vmPackage loads version v's VM package as upload and index checked it (pkgcheck): a package
// without package.json is named by its app and version.
func (p *Plane) vmPackage(ctx context.Context, v *catalog.Version, pkg []byte) (*spec.Package, error) {
	a, _, err := entity.Get[catalog.App](ctx, p.st, catalog.AppKey(v.AppID))
	if err != nil {
		return nil, fault.Unavailable(err, "read app %s", v.AppID)
	}
	sp, err := pkgcheck.Load(pkg, versionOrigin(a.Name, v))
	if err != nil {
		return nil, fault.Precondition("package of %s is invalid: %v", v.ID, err)
	}
	return sp, nil
}

// confObject reads conf as an object: JSON, or a string of YAML (Helm values).
func confObject(raw json.RawMessage) (map[string]any, error) {
	obj := map[string]any{}
	s := strings.TrimSpace(string(raw))
	if s == "" || s == "null" {
		return obj, nil
	}
	if strings.HasPrefix(s, `"`) {
		var text string
		if err := json.Unmarshal(raw, &text); err != nil {
			return nil, fault.InvalidField("conf", "not a JSON string: "+err.Error())
		}
		if err := yaml.Unmarshal([]byte(text), &obj); err != nil {
			return nil, fault.InvalidField("conf", "not YAML: "+err.Error())
		}
		if obj == nil {
			obj = map[string]any{}
		}
		return obj, nil
	}
	if err := json.Unmarshal(raw, &obj); err != nil {
		return nil, fault.InvalidField("conf", "want an object (or a YAML string): "+err.Error())
	}
	return obj, nil
}

func prefixKeys(prefix string, m map[string]string) map[string]string {
	out := make(map[string]string, len(m))
	for k, v := range m {
		out[prefix+strings.TrimPrefix(k, "/")] = v
	}
	return out
}

// mergeValues lays over on top of base, recursively for objects; a null in over deletes.
func mergeValues(base, over map[string]any) map[string]any {
	out := make(map[string]any, len(base))
	for k, v := range base {
		out[k] = v
	}
	for k, v := range over {
		if v == nil {
			delete(out, k)
			continue
		}
		if ov, ok := v.(map[string]any); ok {
			if bv, ok := out[k].(map[string]any); ok {
				out[k] = mergeValues(bv, ov)
				continue
			}
		}
		out[k] = v
	}
	return out
}

func (p *Plane) readCluster(ctx context.Context, pr identity.Principal, id string) (appcluster.Cluster, error) {
	c, _, err := entity.Get[appcluster.Cluster](ctx, p.st, appcluster.ClusterKey(id))
	if errors.Is(err, store.ErrNotFound) || (err == nil && !pr.IsAdmin() && c.Owner != pr.UserID) {
		return c, fault.NotFound("cluster", id)
	}
	if err != nil {
		return c, fault.Unavailable(err, "read cluster %s", id)
	}
	return c, nil
}

// ClusterAction checks an action's input and queues it with the cluster's actor. For VM apps
// an action that changes the cluster's shape (update_env, add_nodes, delete_nodes, resize,
// upgrade) is checked by re-rendering the spec with the new conf; the job carries it.
func (p *Plane) ClusterAction(ctx context.Context, pr identity.Principal, id, action string, in appcluster.ActionInput) (*appcluster.Accepted, error) {
	c, err := p.readCluster(ctx, pr, id)
	if err != nil {
		return nil, err
	}
	if !appcluster.Known(action) || action == providers.ActionCreate {
		return nil, fault.InvalidField("action", fmt.Sprintf("%q is not one of %s", action, strings.Join(appcluster.Actions(), ", ")))
	}
	in.Spec, in.RoleParams = nil, nil // only ever set here
	if len(in.ServiceParams) > 0 && action != providers.ActionService {
		return nil, fault.InvalidField("service_params", fmt.Sprintf("only service takes service_params, not %s", action))
	}
	if in.Force && action != providers.ActionDelete && action != providers.ActionCease {
		return nil, fault.InvalidField("force", fmt.Sprintf("only delete and cease take force, not %s", action))
	}
	vm := c.AppType != catalog.AppTypeHelm
	rt, _, err := entity.Get[runtimes.Runtime](ctx, p.st, runtimes.RuntimeKey(c.RuntimeID))
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return nil, fault.Unavailable(err, "read runtime %s", c.RuntimeID)
	}
	if action != providers.ActionStop && action != providers.ActionDelete && action != providers.ActionCease {
		// Stopping and removing stay possible; nothing else runs on the host for a non-admin.
		use := checkRuntimeTrust(pr, c.Provider)
		if err == nil {
			use = checkRuntimeUse(pr, &rt)
		}
		if use != nil {
			return nil, use
		}
	}
	switch action {
	case providers.ActionUpgrade:
		target := c.VersionID
		if in.VersionID != "" {
			v, err := p.deployableVersion(ctx, p.viewer(ctx, pr), pr, "version_id", in.VersionID, &rt)
			if err != nil {
				return nil, err
			}
			if v.AppID != c.AppID {
				return nil, fault.InvalidField("version_id", fmt.Sprintf("version %s is of app %s; the cluster runs app %s", v.ID, v.AppID, c.AppID))
			}
			target = v.ID
		}
		if in.VersionID == "" && len(in.Conf) == 0 {
			return nil, fault.Invalid("nothing to upgrade", map[string]string{"version_id": "name a new version, new conf, or both"})
		}
		conf := in.Conf
		if len(conf) == 0 {
			if conf, err = p.carryConf(ctx, c, target); err != nil {
				return nil, err
			}
		}
		if in.Conf, in.Spec, err = p.checkVersionConf(ctx, c.ID, target, conf); err != nil {
			return nil, err
		}
		in.VersionID = target
	case providers.ActionUpdateEnv:
		env, err := confObject(in.Env)
		if err != nil || len(env) == 0 {
			return nil, fault.InvalidField("env", "an object of the settings to change")
		}
		current, _ := confObject(c.Conf)
		var merged map[string]any
		if vm {
			merged = mergeValues(current, map[string]any{"env": env})
		} else {
			merged = mergeValues(current, env)
		}
		b, _ := json.Marshal(merged)
		if in.Conf, in.Spec, err = p.checkVersionConf(ctx, c.ID, c.VersionID, b); err != nil {
			return nil, err
		}
		if vm || strings.Contains(string(in.Conf), secretRefPrefix) {
			// The job keeps the checked conf (secrets as references), not the raw input: a
			// Helm update_env then applies the whole merged values.
			in.Env = nil
		}
	case providers.ActionRollback:
		if vm {
			// A VM app rolls back to the version its last upgrade left, with its conf.
			if c.PrevVersionID == "" {
				return nil, fault.InvalidField("action", fmt.Sprintf("cluster %s has no earlier version to roll back to", c.ID))
			}
			if in.Revision != 0 {
				return nil, fault.InvalidField("revision", "VM apps roll back to the version before the last upgrade; revisions are Helm's")
			}
			conf, err := p.carryConf(ctx, c, c.PrevVersionID)
			if err != nil {
				return nil, err
			}
			if in.Conf, in.Spec, err = p.checkVersionConf(ctx, c.ID, c.PrevVersionID, conf); err != nil {
				return nil, err
			}
			in.VersionID = c.PrevVersionID
			break
		}
		if in.Revision < 0 {
			return nil, fault.InvalidField("revision", "a revision number, or 0 for the previous one")
		}
	case providers.ActionAddNodes, providers.ActionDeleteNodes, providers.ActionResize:
		if !vm {
			return nil, fault.InvalidField("action", fmt.Sprintf("%s is for VM apps; scale a Helm app with update_env (its values)", action))
		}
		conf, err := shapeConf(c, action, in)
		if err != nil {
			return nil, err
		}
		if in.Conf, in.Spec, err = p.checkVersionConf(ctx, c.ID, c.VersionID, conf); err != nil {
			return nil, err
		}
	case providers.ActionService:
		if !vm {
			return nil, fault.InvalidField("action", "custom services are for VM apps")
		}
		if err := checkService(c, in.Service); err != nil {
			return nil, err
		}
		if in.ServiceParams, in.RoleParams, err = p.checkServiceParams(ctx, c, in.Service, in.ServiceParams); err != nil {
			return nil, err
		}
	case providers.ActionRestart:
		if !vm {
			return nil, fault.InvalidField("action", "restart is for VM apps; a Helm app restarts with an upgrade")
		}
	}
	return p.clusterCommand(ctx, id, clustergrain.OpAction, pr, clustergrain.ActionBody{Action: action, Input: in, Owner: pr.UserID})
}

// carryConf is a cluster's conf for another version of its app: for VM apps without the keys
// that version's config.json does not have (a role or setting it dropped); Helm values are
// carried as they are.
func (p *Plane) carryConf(ctx context.Context, c appcluster.Cluster, versionID string) (json.RawMessage, error) {
	if c.AppType == catalog.AppTypeHelm {
		return c.Conf, nil
	}
	v, _, err := entity.Get[catalog.Version](ctx, p.st, catalog.VersionKey(versionID))
	if err != nil {
		return nil, fault.Unavailable(err, "read version %s", versionID)
	}
	pkg, err := p.packageOf(ctx, &v)
	if err != nil {
		return nil, err
	}
	sp, err := p.vmPackage(ctx, &v, pkg)
	if err != nil {
		return nil, err
	}
	cur, err := confObject(c.Conf)
	if err != nil {
		return nil, err
	}
	b, _ := json.Marshal(sp.Known(cur))
	return b, nil
}

// checkVersionConf checks conf of cluster clusterID against version id (see checkConf).
func (p *Plane) checkVersionConf(ctx context.Context, clusterID, id string, conf json.RawMessage) (json.RawMessage, json.RawMessage, error) {
	v, _, err := entity.Get[catalog.Version](ctx, p.st, catalog.VersionKey(id))
	if err != nil {
		return nil, nil, fault.Unavailable(err, "read version %s", id)
	}
	return p.checkConf(ctx, clusterID, &v, conf)
}

func (p *Plane) clusterCommand(ctx context.Context, id, op string, pr identity.Principal, body any) (*appcluster.Accepted, error) {
	b, _ := json.Marshal(body)
	res, err := request[*actorpb.ClusterCommandResult](ctx, p.node, appcluster.KindName, id,
		&actorpb.ClusterCommand{Op: op, Caller: &actorpb.Caller{UserId: pr.UserID, Role: pr.Role}, Body: b})
	if err != nil {
		return nil, fault.Unavailable(err, "cluster %s did not answer", id)
	}
	if err := fault.FromProto(res.Fault); err != nil {
		return nil, err
	}
	var acc appcluster.Accepted
	if err := json.Unmarshal(res.Body, &acc); err != nil {
		return nil, fault.Internal(err, "decode the answer of cluster %s", id)
	}
	return &acc, nil
}

// ListClusters lists the caller's clusters (all, for an admin).
func (p *Plane) ListClusters(ctx context.Context, pr identity.Principal, q catalog.ListQuery) (catalog.Page[appcluster.Cluster], error) {
	f := q.Filters
	term := ""
	switch {
	case f["runtime_id"] != "":
		term = runtimes.TermRuntime(f["runtime_id"])
	case f["app_id"] != "":
		term = "app_id=" + f["app_id"]
	case !pr.IsAdmin():
		term = "owner=" + pr.UserID
	}
	items, total, err := entity.List(ctx, p.st, entity.Query[appcluster.Cluster]{
		Prefix: appcluster.ClusterPrefix, Term: term, Limit: q.Limit, Offset: q.Offset,
		Less: lessByName(q.Sort, func(c appcluster.Cluster) string { return c.Name }),
		Keep: func(c appcluster.Cluster) bool {
			return (pr.IsAdmin() || c.Owner == pr.UserID) && match(f["runtime_id"], c.RuntimeID) && match(f["app_id"], c.AppID) &&
				match(f["status"], c.Status) && match(f["owner"], c.Owner) && (f["status"] == appcluster.StatusCeased || c.Status != appcluster.StatusCeased) &&
				entity.Contains(q.Q, c.Name, c.Description)
		},
	})
	if err != nil {
		return catalog.Page[appcluster.Cluster]{}, fault.Unavailable(err, "list clusters")
	}
	return catalog.Page[appcluster.Cluster]{TotalCount: total, Items: items}, nil
}

// GetCluster returns one of the caller's clusters.
func (p *Plane) GetCluster(ctx context.Context, pr identity.Principal, id string) (*appcluster.Cluster, error) {
	c, err := p.readCluster(ctx, pr, id)
	if err != nil {
		return nil, err
	}
	p.fillHealth(c.Nodes)
	return &c, nil
}

// Node health words: the last report of the node's health check (none: "").
const (
	HealthHealthy   = "healthy"
	HealthUnhealthy = "unhealthy"
)

// fillHealth sets each running node's health from its Drone's last report.
func (p *Plane) fillHealth(nodes []appcluster.Node) {
	if p.health == nil {
		return
	}
	for i := range nodes {
		if nodes[i].Status != "running" {
			continue // a stopped node's last report is stale
		}
		if healthy, ok := p.health(nodes[i].InstanceID); ok {
			nodes[i].Health = HealthUnhealthy
			if healthy {
				nodes[i].Health = HealthHealthy
			}
		}
	}
}

// ClusterNodes lists a cluster's nodes.
func (p *Plane) ClusterNodes(ctx context.Context, pr identity.Principal, id string) (catalog.Page[appcluster.Node], error) {
	c, err := p.readCluster(ctx, pr, id)
	if err != nil {
		return catalog.Page[appcluster.Node]{}, err
	}
	nodes := c.Nodes
	if nodes == nil {
		nodes = []appcluster.Node{}
	}
	p.fillHealth(nodes)
	return catalog.Page[appcluster.Node]{TotalCount: len(nodes), Items: nodes}, nil
}

// ListJobs lists the caller's jobs, newest first.
func (p *Plane) ListJobs(ctx context.Context, pr identity.Principal, q catalog.ListQuery) (catalog.Page[appcluster.Job], error) {
	f := q.Filters
	term := ""
	switch {
	case f["cluster_id"] != "":
		term = appcluster.TermCluster(f["cluster_id"])
	case !pr.IsAdmin():
		term = "owner=" + pr.UserID
	}
	items, total, err := entity.List(ctx, p.st, entity.Query[appcluster.Job]{
		Prefix: appcluster.JobPrefix, Term: term, Limit: q.Limit, Offset: q.Offset,
		Keep: func(j appcluster.Job) bool {
			return (pr.IsAdmin() || j.Owner == pr.UserID) && match(f["cluster_id"], j.ClusterID) && match(f["status"], j.Status) && match(f["action"], j.Action)
		},
	})
	if err != nil {
		return catalog.Page[appcluster.Job]{}, fault.Unavailable(err, "list jobs")
	}
	return catalog.Page[appcluster.Job]{TotalCount: total, Items: items}, nil
}

func (p *Plane) readJob(ctx context.Context, pr identity.Principal, id string) (appcluster.Job, error) {
	j, _, err := entity.Get[appcluster.Job](ctx, p.st, appcluster.JobKey(id))
	if errors.Is(err, store.ErrNotFound) || (err == nil && !pr.IsAdmin() && j.Owner != pr.UserID) {
		return j, fault.NotFound("job", id)
	}
	if err != nil {
		return j, fault.Unavailable(err, "read job %s", id)
	}
	return j, nil
}

// GetJob returns one of the caller's jobs.
func (p *Plane) GetJob(ctx context.Context, pr identity.Principal, id string) (*appcluster.Job, error) {
	j, err := p.readJob(ctx, pr, id)
	if err != nil {
		return nil, err
	}
	return &j, nil
}

// ListTasks lists a job's tasks by layer.
func (p *Plane) ListTasks(ctx context.Context, pr identity.Principal, jobID string) (catalog.Page[appcluster.Task], error) {
	if _, err := p.readJob(ctx, pr, jobID); err != nil {
		return catalog.Page[appcluster.Task]{}, err
	}
	var out []appcluster.Task
	err := entity.Each(ctx, p.st, appcluster.TaskPrefix+jobID+"/", "", func(t appcluster.Task, _ uint64) error {
		out = append(out, t)
		return nil
	})
	if err != nil {
		return catalog.Page[appcluster.Task]{}, fault.Unavailable(err, "list tasks of %s", jobID)
	}
	if out == nil {
		out = []appcluster.Task{}
	}
	return catalog.Page[appcluster.Task]{TotalCount: len(out), Items: out}, nil
}

// RetryJob resumes a failed job from its failed tasks.
func (p *Plane) RetryJob(ctx context.Context, pr identity.Principal, id string) (*appcluster.Accepted, error) {
	j, err := p.readJob(ctx, pr, id)
	if err != nil {
		return nil, err
	}
	return p.clusterCommand(ctx, j.ClusterID, clustergrain.OpRetry, pr, clustergrain.RetryBody{JobID: id})
}

// Subscribe streams the cluster, job and task changes the caller may see.
func (p *Plane) Subscribe(ctx context.Context, pr identity.Principal) (<-chan appcluster.Event, error) {
	if p.hub == nil {
		return nil, fault.Unavailable(nil, "events are not available on this node")
	}
	return p.hub.Subscribe(ctx, func(e appcluster.Event) bool { return pr.IsAdmin() || e.Owner == pr.UserID }), nil
}

// ResumeJobs wakes the actors of clusters with unfinished jobs (after a restart), so their
// jobs continue. It returns how many clusters it woke.
func (p *Plane) ResumeJobs(ctx context.Context) (int, error) {
	ids := map[string]bool{}
	for _, st := range []string{appcluster.JobPending, appcluster.JobWorking} {
		err := entity.Each(ctx, p.st, appcluster.JobPrefix, "status="+st, func(j appcluster.Job, _ uint64) error {
			ids[j.ClusterID] = true
			return nil
		})
		if err != nil {
			return 0, fault.Unavailable(err, "list unfinished jobs")
		}
	}
	sorted := make([]string, 0, len(ids))
	for id := range ids {
		sorted = append(sorted, id)
	}
	sort.Strings(sorted)
	admin := identity.Principal{UserID: identity.AdminID, Role: identity.RoleAdmin}
	// Pokes run side by side, each bounded: one that lands on a node that just died waits out
	// its timeout, and the next round (or the next command) reaches the new activation.
	var g errgroup.Group
	g.SetLimit(resumeParallel)
	for _, id := range sorted {
		g.Go(func() error {
			cctx, cancel := context.WithTimeout(ctx, resumePokeTimeout)
			defer cancel()
			b, _ := json.Marshal(struct{}{})
			if _, err := request[*actorpb.ClusterCommandResult](cctx, p.node, appcluster.KindName, id,
				&actorpb.ClusterCommand{Op: clustergrain.OpResume, Caller: &actorpb.Caller{UserId: admin.UserID, Role: admin.Role}, Body: b}); err != nil {
				p.log.Warn("resume cluster", "cluster_id", id, "err", err)
			}
			return nil
		})
	}
	_ = g.Wait()
	return len(sorted), nil
}

// Bounds of ResumeJobs: clusters poked at once, and how long one poke may take.
const (
	resumeParallel    = 16
	resumePokeTimeout = 2 * time.Second
)

// RuntimeSpec opens a runtime for the job engine: its zone and its credential.
func (p *Plane) RuntimeSpec(ctx context.Context, id string) (providers.RuntimeSpec, error) {
	rt, _, err := entity.Get[runtimes.Runtime](ctx, p.st, runtimes.RuntimeKey(id))
	if err != nil {
		return providers.RuntimeSpec{}, fmt.Errorf("read runtime %s: %w", id, err)
	}
	spec := providers.RuntimeSpec{ID: id, Zone: rt.Zone, Node: rt.Node}
	if rt.CredentialID != "" {
		c, _, err := entity.Get[runtimes.StoredCredential](ctx, p.st, runtimes.CredentialKey(rt.CredentialID))
		if err != nil {
			return spec, fmt.Errorf("read credential %s of runtime %s: %w", rt.CredentialID, id, err)
		}
		if spec.Credential, err = p.openCredential(c); err != nil {
			return spec, err
		}
	}
	return spec, nil
}

// Package returns a version's package for the job engine (digest-checked, cached).
func (p *Plane) Package(ctx context.Context, versionID string) ([]byte, error) {
	v, _, err := entity.Get[catalog.Version](ctx, p.st, catalog.VersionKey(versionID))
	if err != nil {
		return nil, fmt.Errorf("read version %s: %w", versionID, err)
	}
	return p.packageOf(ctx, &v)
}
