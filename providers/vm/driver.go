package vm

import (
	"context"
	"errors"
	"time"

	"github.com/pitrix/pitrix/providers"
)

// ErrNoInstance is wrapped by Driver methods asked about an instance that does not exist.
var ErrNoInstance = errors.New("vm: no such instance")

// VPC is the private network of an owner's clusters on a runtime, with its Frontgate.
type VPC struct {
	ID          string `json:"id"`
	CIDR        string `json:"cidr"`
	FrontgateID string `json:"frontgate_id"`
}

// InstanceSpec is one instance to create: a node of an app cluster.
type InstanceSpec struct {
	ID         string // the instance id, stable: the idempotency key
	ClusterID  string
	NodeID     string
	Role       string
	CPU        int    // cores
	Memory     int    // MiB
	VolumeSize int    // GiB
	MountPoint string // where the data volume is mounted ("" = none)
	Health     Health // the role's health check, run by the Drone
}

// Health is a role's health check as the Drone runs it; an empty Cmd means none.
type Health struct {
	Cmd                string
	Interval, Timeout  time.Duration
	HealthyThreshold   int
	UnhealthyThreshold int
}

// Instance states a driver reports.
const (
	InstanceRunning = "running"
	InstanceStopped = "stopped"
)

// Instance is an instance as the cloud sees it.
type Instance struct {
	ID     string `json:"id"`
	IP     string `json:"ip"`
	Status string `json:"status"` // InstanceRunning | InstanceStopped
}

// Driver is the IaaS part of a VM cloud. Every method is idempotent, may block on the cloud,
// honours ctx, and names the runtime, VPC or instance in its errors.
type Driver interface {
	// EnsureVPC returns the VPC of owner's clusters on runtime rt, creating it and starting
	// its Frontgate when needed (and restarting a Frontgate that is not running).
	EnsureVPC(ctx context.Context, rt providers.RuntimeSpec, owner string) (VPC, error)
	// CreateInstance creates and starts instance in.ID in vpc with its Drone, or returns it
	// when it exists (never a second one).
	CreateInstance(ctx context.Context, rt providers.RuntimeSpec, vpc VPC, in InstanceSpec) (Instance, error)
	// StartInstance starts a stopped instance (and its Drone); a running one is left as is.
	StartInstance(ctx context.Context, rt providers.RuntimeSpec, vpc VPC, id string) (Instance, error)
	// StopInstance stops an instance (its Drone and everything it runs); a stopped one is
	// left as is.
	StopInstance(ctx context.Context, rt providers.RuntimeSpec, vpc VPC, id string) error
	// ResizeInstance changes the cpu, memory and volume size of a stopped instance.
	ResizeInstance(ctx context.Context, rt providers.RuntimeSpec, vpc VPC, in InstanceSpec) (Instance, error)
	// DeleteInstance removes an instance and its disks; a missing one is not an error.
	DeleteInstance(ctx context.Context, rt providers.RuntimeSpec, vpc VPC, id string) error
	// Instance reports one instance; a missing one wraps ErrNoInstance.
	Instance(ctx context.Context, rt providers.RuntimeSpec, vpc VPC, id string) (Instance, error)
}
