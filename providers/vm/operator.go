package vm

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/pitrix/pitrix/providers"
	"github.com/pitrix/pitrix/providers/vm/frame"
	"github.com/pitrix/pitrix/providers/vm/spec"
)

// Edge reaches a Frontgate by id through the control plane's edge gateway, waiting (within
// ctx) for it to connect.
type Edge interface {
	Request(ctx context.Context, frontgateID string, msg proto.Message) (proto.Message, error)
}

// Config configures an Operator.
type Config struct {
	Driver Driver
	Edge   Edge
	Logger *slog.Logger
	// PollInterval is how often the Operator looks for a Drone to connect; default 100ms.
	PollInterval time.Duration
	// DroneGrace is how long a render or command waits for an instance's Drone to (re)connect
	// before asking the driver to start the instance again; default 3s.
	DroneGrace time.Duration
	// OnVPC, when set, is told the VPC a task ensured (to record which runtime and owner its
	// Frontgate serves); an error is logged, not fatal.
	OnVPC func(ctx context.Context, rt providers.RuntimeSpec, owner string, vpc VPC) error
}

func (c Config) withDefaults() Config {
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.PollInterval <= 0 {
		c.PollInterval = 100 * time.Millisecond
	}
	if c.DroneGrace <= 0 {
		c.DroneGrace = 3 * time.Second
	}
	return c
}

// Validate reports what is missing.
func (c Config) Validate() error {
	var errs []error
	if c.Driver == nil {
		errs = append(errs, errors.New("vm: Config.Driver is required"))
	}
	if c.Edge == nil {
		errs = append(errs, errors.New("vm: Config.Edge is required"))
	}
	return errors.Join(errs...)
}

// Operator runs VM app clusters of one provider: p answers the provider questions (name,
// zones, credentials), the driver does the IaaS calls.
type Operator struct {
	providers.Provider
	cfg      Config
	recordMu sync.Mutex
	recorded map[string]bool // VPCs told to OnVPC: "fg runtime owner"
}

var _ providers.Operator = (*Operator)(nil)

// New returns the Operator of provider p.
func New(p providers.Provider, cfg Config) (*Operator, error) {
	cfg = cfg.withDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return &Operator{Provider: p, cfg: cfg, recorded: map[string]bool{}}, nil
}

// Check implements providers.Checker with the provider's own check, if it has one.
func (o *Operator) Check(ctx context.Context) error {
	if c, ok := o.Provider.(providers.Checker); ok {
		return c.Check(ctx)
	}
	return nil
}

// actionParams are the fields of a job's params the frame needs.
type actionParams struct {
	Role    string   `json:"role"`
	Count   int      `json:"count"`
	NodeIDs []string `json:"node_ids"`
	Service string   `json:"service"`
	Force   bool     `json:"force"`
}

// Plan implements providers.Operator: the frame's plan over the cluster's rendered spec.
func (o *Operator) Plan(req providers.PlanRequest) (providers.Plan, error) {
	next, err := decodeSpec(req.Cluster.ID, req.Cluster.Spec)
	if err != nil {
		return providers.Plan{}, err
	}
	cur := next
	if len(req.Cluster.CurrentSpec) > 0 {
		if cur, err = decodeSpec(req.Cluster.ID, req.Cluster.CurrentSpec); err != nil {
			return providers.Plan{}, err
		}
	}
	var p actionParams
	if len(req.Params) > 0 {
		if err := json.Unmarshal(req.Params, &p); err != nil {
			return providers.Plan{}, providers.Permanent(fmt.Errorf("params of %s: %w", req.Action, err))
		}
	}
	in := frame.Input{Action: req.Action, ClusterID: req.Cluster.ID, Current: cur, Next: next,
		Role: p.Role, Count: p.Count, NodeIDs: p.NodeIDs, Service: p.Service, Force: p.Force}
	if req.Action != providers.ActionCreate && len(req.Cluster.Nodes) > 0 {
		in.Nodes = frameNodes(req.Cluster.Nodes) // else (create, recover of a deleted cluster): from the spec's counts
	}
	if req.Action == providers.ActionDelete || req.Action == providers.ActionCease {
		// Also the nodes the spec names: an instance a failed create made but never reported
		// goes too. Commands on instances that do not exist are skipped (see command).
		in.Nodes = union(in.Nodes, frame.Nodes(req.Cluster.ID, cur))
	}
	return frame.PlanJob(in)
}

// union is a's nodes, then b's that a does not have (by id).
func union(a, b []frame.Node) []frame.Node {
	out := append([]frame.Node(nil), a...)
	for _, n := range b {
		if !slices.ContainsFunc(a, func(x frame.Node) bool { return x.ID == n.ID }) {
			out = append(out, n)
		}
	}
	return out
}

func decodeSpec(clusterID string, raw json.RawMessage) (*spec.Cluster, error) {
	if len(raw) == 0 {
		return nil, providers.Permanent(fmt.Errorf("cluster %s has no rendered spec", clusterID))
	}
	var c spec.Cluster
	if err := json.Unmarshal(raw, &c); err != nil {
		return nil, providers.Permanent(fmt.Errorf("rendered spec of cluster %s: %w", clusterID, err))
	}
	return &c, nil
}

// frameNodes turns the cluster's nodes into the frame's, reading each node's index from the
// end of its id (cln-<suffix>-<role>-<index>).
func frameNodes(ns []providers.Node) []frame.Node {
	out := make([]frame.Node, 0, len(ns))
	for _, n := range ns {
		idx := 0
		if i := strings.LastIndexByte(n.ID, '-'); i >= 0 {
			idx, _ = strconv.Atoi(n.ID[i+1:])
		}
		out = append(out, frame.Node{ID: n.ID, InstanceID: n.InstanceID, Role: n.Role, Index: idx})
	}
	return out
}
