package appcluster

import (
	"encoding/json"
	"time"

	"github.com/pitrix/pitrix/providers"
)

// Cluster status words (API.md).
const (
	StatusPending = "pending"
	StatusActive  = "active"
	StatusStopped = "stopped"
	StatusFailed  = "failed"
	StatusDeleted = "deleted"
	StatusCeased  = "ceased"
)

// Transition status words (API.md); "" when idle.
const (
	TransCreating    = "creating"
	TransStarting    = "starting"
	TransStopping    = "stopping"
	TransResizing    = "resizing"
	TransScalingOut  = "scaling_out"
	TransScalingIn   = "scaling_in"
	TransUpgrading   = "upgrading"
	TransRollingBack = "rolling_back"
	TransUpdating    = "updating"
	TransDeleting    = "deleting"
	TransRecovering  = "recovering"
	TransCeasing     = "ceasing"
)

// Job and task status words (API.md).
const (
	JobPending    = "pending"
	JobWorking    = "working"
	JobSuccessful = "successful"
	JobFailed     = "failed"
	// TaskSkipped is a task that failed and was passed over (a forced delete or cease).
	TaskSkipped = "skipped"
)

// Node is one node (instance) of an app cluster.
type Node struct {
	ID         string `json:"id"`
	Role       string `json:"role"`
	InstanceID string `json:"instance_id"`
	PrivateIP  string `json:"private_ip"`
	Status     string `json:"status"`
	Health     string `json:"health"`
}

// Cluster is one deployed app cluster.
type Cluster struct {
	ID          string `json:"id"`
	Name        string `json:"name"`
	Description string `json:"description"`
	AppID       string `json:"app_id"`
	VersionID   string `json:"version_id"`
	// PrevVersionID is the version the last upgrade left (a VM app's rollback returns to it).
	PrevVersionID    string               `json:"prev_version_id,omitempty"`
	RuntimeID        string               `json:"runtime_id"`
	Provider         string               `json:"provider"`
	AppType          string               `json:"app_type"`
	Owner            string               `json:"owner"`
	Status           string               `json:"status"`
	TransitionStatus string               `json:"transition_status"`
	Roles            []providers.Role     `json:"roles"`
	Nodes            []Node               `json:"nodes"`
	Endpoints        []providers.Endpoint `json:"endpoints"`
	Conf             json.RawMessage      `json:"conf"`
	// Spec is the rendered cluster.json of a VM app (what its nodes run).
	Spec          json.RawMessage `json:"spec,omitempty"`
	Revision      int             `json:"revision"`
	ReleaseStatus string          `json:"release_status,omitempty"`
	LastJobID     string          `json:"last_job_id,omitempty"`
	CreatedAt     time.Time       `json:"created_at"`
	UpdatedAt     time.Time       `json:"updated_at"`
}

// Job is one lifecycle action on an app cluster.
type Job struct {
	ID         string          `json:"id"`
	ClusterID  string          `json:"cluster_id"`
	Action     string          `json:"action"`
	Status     string          `json:"status"`
	Error      string          `json:"error"`
	TasksTotal int             `json:"tasks_total"`
	TasksDone  int             `json:"tasks_done"`
	Params     json.RawMessage `json:"params,omitempty"`
	Owner      string          `json:"owner"`
	// PrevStatus is the cluster's status before the job, restored when the job fails.
	PrevStatus string     `json:"prev_status,omitempty"`
	CreatedAt  time.Time  `json:"created_at"`
	StartedAt  *time.Time `json:"started_at,omitempty"`
	FinishedAt *time.Time `json:"finished_at,omitempty"`
}

// Task is one step of a job.
type Task struct {
	ID         string          `json:"id"`
	JobID      string          `json:"job_id"`
	ClusterID  string          `json:"cluster_id"`
	Layer      int             `json:"layer"`
	Seq        int             `json:"seq"`
	Action     string          `json:"action"`
	Target     string          `json:"target"`
	NodeID     string          `json:"node_id"`
	Status     string          `json:"status"`
	Attempts   int             `json:"attempts"`
	Error      string          `json:"error"`
	Output     string          `json:"output"`
	Params     json.RawMessage `json:"params,omitempty"`
	TimeoutSec int             `json:"timeout_sec"`
	MaxAttempt int             `json:"max_attempts"`
	Run        int             `json:"run,omitempty"` // retries of the job that ran this task again
	StartedAt  *time.Time      `json:"started_at,omitempty"`
	FinishedAt *time.Time      `json:"finished_at,omitempty"`
}

// CreateInput is the body of POST /v1/clusters.
type CreateInput struct {
	Name        string          `json:"name"`
	Description string          `json:"description"`
	AppID       string          `json:"app_id"`
	VersionID   string          `json:"version_id"`
	RuntimeID   string          `json:"runtime_id"`
	Conf        json.RawMessage `json:"conf"`
}

// ActionInput is the body of POST /v1/clusters/{id}/{action}: the fields each action takes.
type ActionInput struct {
	VersionID string          `json:"version_id,omitempty"` // upgrade
	Revision  int             `json:"revision,omitempty"`   // rollback
	Env       json.RawMessage `json:"env,omitempty"`        // update_env
	Conf      json.RawMessage `json:"conf,omitempty"`       // upgrade (new values)
	Role      string          `json:"role,omitempty"`       // add_nodes
	Count     int             `json:"count,omitempty"`      // add_nodes
	NodeIDs   []string        `json:"node_ids,omitempty"`   // delete_nodes
	// Force (delete, cease) skips the app's stop and destroy commands that fail, recording
	// each as a skipped task with its error, so the instances are always removed.
	Force   bool         `json:"force,omitempty"`
	Roles   []ResizeRole `json:"roles,omitempty"`   // resize
	Service string       `json:"service,omitempty"` // service: a custom service's name
	// Spec is the rendered spec the job leads to (VM apps); set by the control plane, never
	// taken from a caller.
	Spec json.RawMessage `json:"spec,omitempty"`
}

// ResizeRole is one role of a resize.
type ResizeRole struct {
	Role       string `json:"role"`
	CPU        int    `json:"cpu,omitempty"`
	Memory     int    `json:"memory,omitempty"`
	VolumeSize int    `json:"volume_size,omitempty"`
}

// Accepted is the 202 answer of every cluster mutation.
type Accepted struct {
	ClusterID string `json:"cluster_id"`
	JobID     string `json:"job_id"`
}

// Event is one change pushed on GET /v1/events.
type Event struct {
	Seq       uint64          `json:"seq"`
	Type      string          `json:"type"` // cluster | job | task
	ClusterID string          `json:"cluster_id"`
	Owner     string          `json:"-"`
	Data      json.RawMessage `json:"data"`
	At        time.Time       `json:"at"`
}
