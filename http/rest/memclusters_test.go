package rest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/pitrix/pitrix/actors/appcluster"
	"github.com/pitrix/pitrix/actors/catalog"
	"github.com/pitrix/pitrix/actors/fault"
	"github.com/pitrix/pitrix/actors/identity"
)

// memClusters is the clusters, jobs and events part of memBackend: real state in maps. Create
// makes a pending cluster and a pending job with tasks; every action checks the cluster's status
// and makes a job; every change is published to the subscribers. Tests finish jobs with
// finishJob and publish events of their own with publish.
type memClusters struct {
	mu       sync.Mutex
	seq      int
	evSeq    uint64
	epoch    time.Time
	clusters map[string]*appcluster.Cluster
	jobs     map[string]*appcluster.Job
	tasks    map[string][]appcluster.Task // by job id
	created  map[string]int
	subs     map[*memSub]bool
	fail     map[string]error

	// subscribed receives once per Subscribe; unsubscribed once per subscription whose context
	// ended. Both are buffered so the backend never blocks on a test that does not listen.
	subscribed, unsubscribed chan struct{}
}

type memSub struct {
	p  identity.Principal
	ch chan appcluster.Event
}

func newMemClusters() *memClusters {
	return &memClusters{
		epoch:        time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC),
		clusters:     map[string]*appcluster.Cluster{},
		jobs:         map[string]*appcluster.Job{},
		tasks:        map[string][]appcluster.Task{},
		created:      map[string]int{},
		subs:         map[*memSub]bool{},
		fail:         map[string]error{},
		subscribed:   make(chan struct{}, 64),
		unsubscribed: make(chan struct{}, 64),
	}
}

var _ Clusters = (*memClusters)(nil)

// clusterMoves is each action's allowed statuses and the transition it starts.
var clusterMoves = map[string]struct {
	from  []string
	trans string
}{
	"start":        {[]string{appcluster.StatusStopped}, appcluster.TransStarting},
	"stop":         {[]string{appcluster.StatusActive}, appcluster.TransStopping},
	"resize":       {[]string{appcluster.StatusActive, appcluster.StatusStopped}, appcluster.TransResizing},
	"add_nodes":    {[]string{appcluster.StatusActive}, appcluster.TransScalingOut},
	"delete_nodes": {[]string{appcluster.StatusActive}, appcluster.TransScalingIn},
	"upgrade":      {[]string{appcluster.StatusActive}, appcluster.TransUpgrading},
	"rollback":     {[]string{appcluster.StatusActive, appcluster.StatusFailed}, appcluster.TransRollingBack},
	"update_env":   {[]string{appcluster.StatusActive}, appcluster.TransUpdating},
	"recover":      {[]string{appcluster.StatusFailed, appcluster.StatusPending}, appcluster.TransRecovering},
	"delete":       {[]string{appcluster.StatusActive, appcluster.StatusStopped, appcluster.StatusFailed}, appcluster.TransDeleting},
	"cease":        {[]string{appcluster.StatusDeleted}, appcluster.TransCeasing},
	"restart":      {[]string{appcluster.StatusActive}, appcluster.TransStarting},
	"service":      {[]string{appcluster.StatusActive}, appcluster.TransUpdating},
}

// newID makes an id with the kind prefix; the caller holds m.mu.
func (m *memClusters) newID(prefix string) (string, time.Time) {
	m.seq++
	id := fmt.Sprintf("%s-%04d", prefix, m.seq)
	m.created[id] = m.seq
	return id, m.epoch.Add(time.Duration(m.seq) * time.Second)
}

func (m *memClusters) enter(method string) error {
	if err, ok := m.fail[method]; ok {
		delete(m.fail, method)
		return err
	}
	return nil
}

// failNext makes the next call of method return err.
func (m *memClusters) failNext(method string, err error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.fail[method] = err
}

// publish sends ev to every subscriber that may see it, dropping (closing) a subscriber whose
// buffer is full, as the contract allows. It assigns Seq and At when they are zero.
func (m *memClusters) publish(ev appcluster.Event) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.publishLocked(ev)
}

func (m *memClusters) publishLocked(ev appcluster.Event) {
	m.evSeq++
	if ev.Seq == 0 {
		ev.Seq = m.evSeq
	}
	if ev.At.IsZero() {
		ev.At = m.epoch.Add(time.Duration(m.evSeq) * time.Millisecond)
	}
	for s := range m.subs {
		if s.p.Role != identity.RoleAdmin && ev.Owner != s.p.UserID {
			continue
		}
		select {
		case s.ch <- ev:
		default:
			delete(m.subs, s)
			close(s.ch)
		}
	}
}

// publishObject publishes a change of obj; the caller holds m.mu.
func (m *memClusters) publishObject(typ, clusterID, owner string, obj any) {
	data, err := json.Marshal(obj)
	if err != nil {
		panic(err) // our own types always encode
	}
	m.publishLocked(appcluster.Event{Type: typ, ClusterID: clusterID, Owner: owner, Data: data})
}

// subscribers returns how many subscriptions are open.
func (m *memClusters) subscribers() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.subs)
}

func (m *memClusters) Subscribe(ctx context.Context, p identity.Principal) (<-chan appcluster.Event, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := m.enter("Subscribe"); err != nil {
		return nil, err
	}
	s := &memSub{p: p, ch: make(chan appcluster.Event, 16)}
	m.subs[s] = true
	context.AfterFunc(ctx, func() {
		m.mu.Lock()
		if m.subs[s] {
			delete(m.subs, s)
			close(s.ch)
		}
		m.mu.Unlock()
		m.unsubscribed <- struct{}{}
	})
	m.subscribed <- struct{}{}
	return s.ch, nil
}

// validConf accepts what the contract allows for conf: absent, an object or a (YAML) string.
func validConf(raw json.RawMessage) error {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" || raw[0] == '{' || raw[0] == '"' {
		return nil
	}
	return fault.InvalidField("conf", "must be an object or a YAML string")
}

func (m *memClusters) CreateCluster(_ context.Context, p identity.Principal, in appcluster.CreateInput) (*appcluster.Accepted, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := m.enter("CreateCluster"); err != nil {
		return nil, err
	}
	bad := map[string]string{}
	if in.Name == "" {
		bad["name"] = "required"
	}
	if in.VersionID == "" {
		bad["version_id"] = "required"
	}
	if in.RuntimeID == "" {
		bad["runtime_id"] = "required"
	}
	if err := validConf(in.Conf); err != nil {
		bad["conf"] = "must be an object or a YAML string"
	}
	if len(bad) > 0 {
		return nil, fault.Invalid("invalid cluster", bad)
	}
	id, now := m.newID("cl")
	appID := in.AppID
	if appID == "" {
		appID = "app-of-" + in.VersionID
	}
	c := &appcluster.Cluster{
		ID: id, Name: in.Name, Description: in.Description, AppID: appID, VersionID: in.VersionID,
		RuntimeID: in.RuntimeID, Owner: p.UserID, Status: appcluster.StatusPending,
		TransitionStatus: appcluster.TransCreating, Conf: bytes.Clone(in.Conf),
		Nodes:     []appcluster.Node{{ID: id + "-n1", Role: "main", Status: "pending"}},
		CreatedAt: now, UpdatedAt: now,
	}
	m.clusters[id] = c
	m.publishObject("cluster", id, c.Owner, c)
	return m.newJob(c, "create", nil), nil
}

// newJob makes a pending job of two tasks for action on c and publishes it; the caller holds
// m.mu.
func (m *memClusters) newJob(c *appcluster.Cluster, action string, params json.RawMessage) *appcluster.Accepted {
	id, now := m.newID("j")
	j := &appcluster.Job{ID: id, ClusterID: c.ID, Action: action, Status: appcluster.JobPending,
		TasksTotal: 2, Params: params, Owner: c.Owner, CreatedAt: now}
	m.jobs[id] = j
	m.tasks[id] = []appcluster.Task{
		{ID: id + "-t1", JobID: id, ClusterID: c.ID, Layer: 0, Seq: 0, Action: action + "_prepare", Target: "cluster", Status: appcluster.JobPending, MaxAttempt: 3},
		{ID: id + "-t2", JobID: id, ClusterID: c.ID, Layer: 1, Seq: 0, Action: action + "_apply", Target: "main", NodeID: c.ID + "-n1", Status: appcluster.JobPending, MaxAttempt: 3},
	}
	c.LastJobID = id
	m.publishObject("job", c.ID, c.Owner, j)
	return &appcluster.Accepted{ClusterID: c.ID, JobID: id}
}

// finishJob ends a job (successful or failed) and settles its cluster, as the engine would.
func (m *memClusters) finishJob(id, status, errText string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	j := m.jobs[id]
	c := m.clusters[j.ClusterID]
	j.Status, j.Error = status, errText
	for i := range m.tasks[id] {
		t := &m.tasks[id][i]
		t.Status, t.Attempts = status, 1
		if status == appcluster.JobFailed {
			t.Error = errText
		}
	}
	if status == appcluster.JobSuccessful {
		j.TasksDone = j.TasksTotal
		switch j.Action {
		case "stop":
			c.Status = appcluster.StatusStopped
		case "delete":
			c.Status = appcluster.StatusDeleted
		case "cease":
			c.Status = appcluster.StatusCeased
		default:
			c.Status = appcluster.StatusActive
		}
	} else {
		c.Status = appcluster.StatusFailed
	}
	c.TransitionStatus = ""
	m.publishObject("job", c.ID, c.Owner, j)
	m.publishObject("cluster", c.ID, c.Owner, c)
}

func (m *memClusters) visible(p identity.Principal, owner string) bool {
	return p.Role == identity.RoleAdmin || p.UserID == owner
}

func (m *memClusters) ListClusters(_ context.Context, p identity.Principal, q catalog.ListQuery) (catalog.Page[appcluster.Cluster], error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := m.enter("ListClusters"); err != nil {
		return catalog.Page[appcluster.Cluster]{}, err
	}
	visible := map[string]*appcluster.Cluster{}
	for id, c := range m.clusters {
		if m.visible(p, c.Owner) {
			visible[id] = c
		}
	}
	return memList(m.created, visible, q, func(c *appcluster.Cluster) string { return c.ID },
		func(c *appcluster.Cluster) string { return c.Name },
		func(c *appcluster.Cluster, k string) string {
			switch k {
			case "runtime_id":
				return c.RuntimeID
			case "app_id":
				return c.AppID
			case "status":
				return c.Status
			case "owner":
				return c.Owner
			}
			return ""
		}), nil
}

// cluster returns the cluster p may see; the caller holds m.mu.
func (m *memClusters) cluster(p identity.Principal, id string) (*appcluster.Cluster, error) {
	c, ok := m.clusters[id]
	if !ok || !m.visible(p, c.Owner) {
		return nil, fault.NotFound("cluster", id)
	}
	return c, nil
}

func (m *memClusters) GetCluster(_ context.Context, p identity.Principal, id string) (*appcluster.Cluster, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	c, err := m.cluster(p, id)
	if err != nil {
		return nil, err
	}
	cp := *c
	return &cp, nil
}

func (m *memClusters) ClusterNodes(_ context.Context, p identity.Principal, id string) (catalog.Page[appcluster.Node], error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	c, err := m.cluster(p, id)
	if err != nil {
		return catalog.Page[appcluster.Node]{}, err
	}
	return catalog.Page[appcluster.Node]{TotalCount: len(c.Nodes), Items: slices.Clone(c.Nodes)}, nil
}

// checkAction reports the fields action needs that in lacks.
func checkAction(action string, in appcluster.ActionInput) error {
	bad := map[string]string{}
	switch action {
	case "add_nodes":
		if in.Role == "" {
			bad["role"] = "required"
		}
		if in.Count < 1 {
			bad["count"] = "must be at least 1"
		}
	case "delete_nodes":
		if len(in.NodeIDs) == 0 {
			bad["node_ids"] = "required"
		}
	case "resize":
		if len(in.Roles) == 0 {
			bad["roles"] = "required"
		}
	case "upgrade":
		if in.VersionID == "" {
			bad["version_id"] = "required"
		}
	case "update_env":
		if len(in.Env) == 0 {
			bad["env"] = "required"
		}
	}
	if len(bad) > 0 {
		return fault.Invalid("invalid "+action, bad)
	}
	return nil
}

func (m *memClusters) ClusterAction(_ context.Context, p identity.Principal, id, action string, in appcluster.ActionInput) (*appcluster.Accepted, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if err := m.enter("ClusterAction"); err != nil {
		return nil, err
	}
	move, ok := clusterMoves[action]
	if !ok {
		return nil, fault.InvalidField("action", "unknown action "+action)
	}
	c, err := m.cluster(p, id)
	if err != nil {
		return nil, err
	}
	if err := checkAction(action, in); err != nil {
		return nil, err
	}
	if c.TransitionStatus != "" || !slices.Contains(move.from, c.Status) {
		return nil, fault.Precondition("cannot %s a cluster in status %s %s", action, c.Status, c.TransitionStatus)
	}
	params, err := json.Marshal(in)
	if err != nil {
		return nil, fault.Internal(err, "encode params")
	}
	c.TransitionStatus = move.trans
	c.UpdatedAt = c.UpdatedAt.Add(time.Second)
	m.publishObject("cluster", c.ID, c.Owner, c)
	return m.newJob(c, action, params), nil
}

func (m *memClusters) ListJobs(_ context.Context, p identity.Principal, q catalog.ListQuery) (catalog.Page[appcluster.Job], error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	visible := map[string]*appcluster.Job{}
	for id, j := range m.jobs {
		if m.visible(p, j.Owner) {
			visible[id] = j
		}
	}
	return memList(m.created, visible, q, func(j *appcluster.Job) string { return j.ID },
		func(j *appcluster.Job) string { return j.Action },
		func(j *appcluster.Job, k string) string {
			switch k {
			case "cluster_id":
				return j.ClusterID
			case "status":
				return j.Status
			}
			return ""
		}), nil
}

func (m *memClusters) job(p identity.Principal, id string) (*appcluster.Job, error) {
	j, ok := m.jobs[id]
	if !ok || !m.visible(p, j.Owner) {
		return nil, fault.NotFound("job", id)
	}
	return j, nil
}

func (m *memClusters) GetJob(_ context.Context, p identity.Principal, id string) (*appcluster.Job, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	j, err := m.job(p, id)
	if err != nil {
		return nil, err
	}
	cp := *j
	return &cp, nil
}

func (m *memClusters) ListTasks(_ context.Context, p identity.Principal, jobID string) (catalog.Page[appcluster.Task], error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, err := m.job(p, jobID); err != nil {
		return catalog.Page[appcluster.Task]{}, err
	}
	ts := slices.Clone(m.tasks[jobID])
	return catalog.Page[appcluster.Task]{TotalCount: len(ts), Items: ts}, nil
}

func (m *memClusters) RetryJob(_ context.Context, p identity.Principal, id string) (*appcluster.Accepted, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	j, err := m.job(p, id)
	if err != nil {
		return nil, err
	}
	if j.Status != appcluster.JobFailed {
		return nil, fault.Precondition("job %s is %s; only failed jobs are retried", id, j.Status)
	}
	j.Status, j.Error = appcluster.JobPending, ""
	for i := range m.tasks[id] {
		if t := &m.tasks[id][i]; t.Status == appcluster.JobFailed {
			t.Status, t.Error = appcluster.JobPending, ""
		}
	}
	m.publishObject("job", j.ClusterID, j.Owner, j)
	return &appcluster.Accepted{ClusterID: j.ClusterID, JobID: j.ID}, nil
}
