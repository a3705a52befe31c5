package control

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/pitrix/pitrix/actors/audit"
	"github.com/pitrix/pitrix/actors/catalog"
	"github.com/pitrix/pitrix/actors/entity"
	"github.com/pitrix/pitrix/actors/eventhub"
	"github.com/pitrix/pitrix/actors/identity"
	"github.com/pitrix/pitrix/actors/idgen"
	"github.com/pitrix/pitrix/actors/inspect"
	"github.com/pitrix/pitrix/actors/repo/source"
	"github.com/pitrix/pitrix/actors/seal"
	"github.com/pitrix/pitrix/actors/store"
	"github.com/pitrix/pitrix/providers"
)

// Cluster is what the plane needs from the node that hosts the virtual actors.
type Cluster interface {
	Request(ctx context.Context, kind, identity string, msg proto.Message) (proto.Message, error)
	ID() string
	Ready() bool
	Nodes() []inspect.NodeInfo
	Activations() []inspect.ActorInfo
}

// Deps are the plane's collaborators; all are required but Now and Logger.
type Deps struct {
	Store     store.Store
	Cluster   Cluster
	Identity  *identity.Service
	Providers *providers.Registry
	Source    *source.Source
	Sealer    *seal.Sealer
	IDs       *idgen.Generator
	Now       func() time.Time
	Logger    *slog.Logger
	// Stats, when set, adds the store's counters to the metrics (see Plane.Metrics).
	Stats func() store.Stats
	// Hub carries cluster, job and task changes to event subscribers.
	Hub *eventhub.Hub
	// Drones, when set, asks a connected Frontgate which Drones are connected to it (for
	// GET /v1/frontgates).
	Drones func(ctx context.Context, frontgateID string) ([]string, error)
	// Health, when set, returns the last health report of an instance (ok false: none).
	Health func(instanceID string) (healthy, ok bool)
	// NodeName is this node's name: a local runtime created through this node belongs to it
	// (runtimes.Runtime.Node). Empty: local runtimes record no node (a lone node's tests).
	NodeName string
}

// Plane implements the control plane's API. It is safe for concurrent use.
type Plane struct {
	st     store.Store
	node   Cluster
	ident  *identity.Service
	provs  *providers.Registry
	src    *source.Source
	seal   *seal.Sealer
	ids    *idgen.Generator
	now    func() time.Time
	log    *slog.Logger
	stats  func() store.Stats
	hub    *eventhub.Hub
	drones func(ctx context.Context, frontgateID string) ([]string, error)
	health func(instanceID string) (healthy, ok bool)
	audit  *audit.Log
	self   string // Deps.NodeName
	// Decoded app and repo records by version, for the store page's hot reads (appcache.go).
	apps  *entity.Cache[catalog.App]
	repos *entity.Cache[catalog.Repo]
	// Pages of the app list by caller and query (appcache.go).
	appPages pageCache
}

// New returns a Plane over d.
func New(d Deps) (*Plane, error) {
	if d.Store == nil || d.Cluster == nil || d.Identity == nil || d.Providers == nil || d.Source == nil || d.Sealer == nil || d.IDs == nil {
		return nil, errors.New("control: missing dependency (store, cluster, identity, providers, source, sealer and ids are required)")
	}
	if d.Now == nil {
		d.Now = time.Now
	}
	if d.Logger == nil {
		d.Logger = slog.New(slog.DiscardHandler)
	}
	d.Identity.SetLogger(d.Logger.With("component", "identity"))
	return &Plane{st: d.Store, node: d.Cluster, ident: d.Identity, provs: d.Providers, src: d.Source, seal: d.Sealer,
		ids: d.IDs, now: func() time.Time { return d.Now().UTC() }, log: d.Logger.With("component", "control"), stats: d.Stats, hub: d.Hub, drones: d.Drones, health: d.Health,
		audit: audit.New(d.Store, d.IDs), self: d.NodeName, apps: newAppCache(), repos: newRepoCache()}, nil
}

// Authenticate implements the REST front's Authenticator.
func (p *Plane) Authenticate(ctx context.Context, token string) (identity.Principal, error) {
	return p.ident.Authenticate(ctx, token)
}

// request sends msg to an actor and returns its typed reply.
func request[T proto.Message](ctx context.Context, c Cluster, kind, id string, msg proto.Message) (T, error) {
	var zero T
	res, err := c.Request(ctx, kind, id, msg)
	if err != nil {
		return zero, fmt.Errorf("ask %s %s: %w", kind, id, err)
	}
	out, ok := res.(T)
	if !ok {
		return zero, fmt.Errorf("ask %s %s: unexpected reply %T", kind, id, res)
	}
	return out, nil
}
