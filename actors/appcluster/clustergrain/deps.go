package clustergrain

import (
	"context"
	"log/slog"
	"time"

	"github.com/asynkron/protoactor-go/actor"

	"github.com/pitrix/pitrix/actors/appcluster"
	"github.com/pitrix/pitrix/actors/idgen"
	"github.com/pitrix/pitrix/actors/store"
	"github.com/pitrix/pitrix/cluster/node"
	"github.com/pitrix/pitrix/providers"
)

// Deps are what an app-cluster actor needs.
type Deps struct {
	Store store.Store
	IDs   *idgen.Generator
	// Operator returns the operator of a provider by name.
	Operator func(provider string) (providers.Operator, bool)
	// Runtime opens a runtime for a job: its zone and credential.
	Runtime func(ctx context.Context, runtimeID string) (providers.RuntimeSpec, error)
	// Secrets, when set, returns the password values of a cluster's conf by reference
	// (actors/control: ClusterSecrets); tasks get them resolved, their output masked.
	Secrets func(ctx context.Context, clusterID string) (map[string]string, error)
	// Package returns a version's package .tgz (digest-checked, cached).
	Package func(ctx context.Context, versionID string) ([]byte, error)
	// Publish pushes a change to event subscribers; it must not block.
	Publish func(appcluster.Event)
	Now     func() time.Time
	Logger  *slog.Logger
	// TaskTimeout is a task's attempt timeout when its spec names none; default 10 minutes.
	TaskTimeout time.Duration
	// TaskAttempts is a task's attempts when its spec names none; default 3.
	TaskAttempts int
	// Backoff is the first retry delay, doubled each retry up to 30 s; default 1 s.
	Backoff time.Duration
	// StoreTimeout bounds one store call from the actor; default 10 s.
	StoreTimeout time.Duration
}

func (d Deps) withDefaults() Deps {
	if d.Now == nil {
		d.Now = time.Now
	}
	if d.Logger == nil {
		d.Logger = slog.New(slog.DiscardHandler)
	}
	if d.Publish == nil {
		d.Publish = func(appcluster.Event) {}
	}
	if d.TaskTimeout <= 0 {
		d.TaskTimeout = 10 * time.Minute
	}
	if d.TaskAttempts <= 0 {
		d.TaskAttempts = 3
	}
	if d.Backoff <= 0 {
		d.Backoff = time.Second
	}
	if d.StoreTimeout <= 0 {
		d.StoreTimeout = 10 * time.Second
	}
	return d
}

// Kind returns the actor kind to host on a node.
func Kind(d Deps) node.Kind {
	d = d.withDefaults()
	return node.Kind{Name: appcluster.KindName, Producer: func() actor.Actor { return &Actor{deps: d} }}
}
