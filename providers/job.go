package providers

import (
	"context"
	"encoding/json"
	"errors"
	"time"
)

// Lifecycle actions of an app cluster (the job's action).
const (
	ActionCreate      = "create"
	ActionStart       = "start"
	ActionStop        = "stop"
	ActionResize      = "resize"
	ActionAddNodes    = "add_nodes"
	ActionDeleteNodes = "delete_nodes"
	ActionUpgrade     = "upgrade"
	ActionRollback    = "rollback"
	ActionUpdateEnv   = "update_env"
	ActionRestart     = "restart"
	ActionDelete      = "delete"
	ActionCease       = "cease"
	ActionRecover     = "recover"
	ActionService     = "service" // run a custom service of a VM app on demand
)

// ErrPermanent marks a task failure that retrying cannot fix (a bad spec, a refused
// credential, a quota): the job engine fails the task at once. Everything else is retried with
// backoff up to the task's attempts.
var ErrPermanent = errors.New("providers: permanent failure")

// Permanent wraps err as a permanent failure.
func Permanent(err error) error {
	if err == nil {
		return nil
	}
	return &permanentError{err}
}

type permanentError struct{ err error }

func (e *permanentError) Error() string        { return e.err.Error() }
func (e *permanentError) Unwrap() error        { return e.err }
func (e *permanentError) Is(target error) bool { return target == ErrPermanent }

// ErrUnreachable marks a task failure because what the task acts on is down for now (the node
// a local runtime belongs to): once the task's attempts are spent, the job engine does not
// fail the job but parks it, unfinished, with the task's error; the next resume round (the
// raft leader pokes every cluster with an unfinished job) runs it again from that task.
var ErrUnreachable = errors.New("providers: unreachable for now")

// ClusterSpec is what a provider knows of the app cluster a job acts on.
type ClusterSpec struct {
	ID        string
	Name      string
	Owner     string
	AppID     string
	VersionID string
	// Conf is the user's configuration: for Helm apps the values (an object), for VM apps the
	// config tree nested as config.json's keys.
	Conf json.RawMessage
	// Revision is the provider's revision of what runs (a Helm release revision), 0 if none.
	Revision int
	// Spec is the rendered cluster.json of a VM app the job leads to; CurrentSpec is what
	// runs now when the job changes it (update_env, resize, add_nodes, upgrade), else nil.
	Spec, CurrentSpec json.RawMessage
	// Nodes are the cluster's nodes as last observed (VM apps).
	Nodes []Node
}

// Node is one node (instance) of a VM app cluster.
type Node struct {
	ID         string `json:"id"`
	Role       string `json:"role"`
	InstanceID string `json:"instance_id"`
	PrivateIP  string `json:"private_ip"`
	Status     string `json:"status"`
}

// RuntimeSpec is the runtime a job runs on, with its credential opened.
type RuntimeSpec struct {
	ID         string
	Zone       string // a namespace for kubernetes
	Credential Credential
	// Node is the control-plane node the runtime belongs to (a local runtime's machine); ""
	// for runtimes any node reaches alike.
	Node string
}

// PlanRequest asks a provider for the plan of one action.
type PlanRequest struct {
	Action  string
	Cluster ClusterSpec
	Runtime RuntimeSpec
	// Params are the action's parameters as the API took them (e.g. {"version_id": ...} for
	// upgrade, {"revision": 2} for rollback, {"env": {...}} for update_env).
	Params json.RawMessage
}

// TaskSpec is one step of a plan. IDs are assigned by the job engine; a provider fills the rest.
type TaskSpec struct {
	Action string          // the provider's task word, e.g. "helm.install"
	Target string          // what it acts on (a release, an instance), for people
	NodeID string          // the app-cluster node, for VM tasks
	Params json.RawMessage // the provider's own input of the task
	// Timeout bounds one attempt; 0 means the engine's default (10 minutes).
	Timeout time.Duration
	// Attempts is how often a transient failure is tried; 0 means the engine's default (3).
	Attempts int
}

// Plan is a job's tasks in layers: the tasks of a layer run in parallel, layers in order.
type Plan struct {
	Layers [][]TaskSpec
}

// Task is one task to execute, as the engine hands it to the provider.
type Task struct {
	ID      string // stable across retries and resumes: the idempotency key
	JobID   string
	Attempt int // 1-based
	// Run counts the job's retries (POST /v1/jobs/{id}/retry): 0 on the first run. Work that is
	// deduplicated by id (a Drone command) uses ID and Run so a retry runs it again.
	Run     int
	Spec    TaskSpec
	Cluster ClusterSpec
	Runtime RuntimeSpec
	// Package returns the package (.tgz) of a version of the cluster's app.
	Package func(ctx context.Context, versionID string) ([]byte, error)
}

// Role is a role of a running app cluster as the provider sees it (a VM role, or a Helm
// workload: Deployment/StatefulSet/DaemonSet).
type Role struct {
	Role    string `json:"role"`
	Kind    string `json:"kind,omitempty"`
	Count   int    `json:"count"`
	Ready   int    `json:"ready"`
	CPU     int    `json:"cpu,omitempty"`
	Memory  int    `json:"memory,omitempty"`
	Message string `json:"message,omitempty"`
}

// Endpoint is a way into a running app cluster (a Service, an Ingress, a VM endpoint).
type Endpoint struct {
	Name     string `json:"name"`
	Kind     string `json:"kind,omitempty"`
	Host     string `json:"host,omitempty"`
	Port     int    `json:"port,omitempty"`
	Protocol string `json:"protocol,omitempty"`
}

// Observed is what a task learned about the running cluster; nil fields are unchanged.
type Observed struct {
	Revision      *int       `json:"revision,omitempty"`
	ReleaseStatus *string    `json:"release_status,omitempty"`
	Roles         []Role     `json:"roles,omitempty"`
	Endpoints     []Endpoint `json:"endpoints,omitempty"`
	VersionID     *string    `json:"version_id,omitempty"`
	// Nodes are added or updated (by id); DropNodes are removed.
	Nodes     []Node   `json:"nodes,omitempty"`
	DropNodes []string `json:"drop_nodes,omitempty"`
}

// TaskResult is what one successful task reports.
type TaskResult struct {
	Output   string    // for people: what was done ("installed revision 1", "unchanged")
	Observed *Observed // what changed in the cluster, if anything
	// Skipped is the error of a task that failed but was passed over, as the job asked (a
	// forced delete): the engine records the task as skipped with it and goes on.
	Skipped string
}

// Operator is a provider that runs app clusters: it plans actions into task layers and
// executes one task at a time. Plan is called from the app-cluster actor's goroutine and must
// not block on the network; Execute runs on a goroutine of the job engine, may block, must
// honour ctx (the task's timeout), and must be idempotent by Task.ID: running a task again
// after a crash must not create a second anything.
type Operator interface {
	Provider
	Plan(req PlanRequest) (Plan, error)
	Execute(ctx context.Context, t Task) (TaskResult, error)
}
