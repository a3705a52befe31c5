package main

import (
	"context"
	"errors"
	"fmt"

	"github.com/pitrix/pitrix/actors/seal"
	"github.com/pitrix/pitrix/actors/store"
	"github.com/pitrix/pitrix/cluster/trust"
)

// clusterSecret returns the secret stored under key, sealed with the key the join token
// derives, so the store (its snapshots and backups too) never holds it in clear. When the
// store has none yet, it stores what local returns (this node's, or a new one); the first
// node to store wins and every node returns that one.
func clusterSecret(ctx context.Context, st store.Store, secret trust.Secret, key, what string, local func() ([]byte, error)) ([]byte, error) {
	wrap, err := seal.New(secret.WrapKey())
	if err != nil {
		return nil, err
	}
	for range 3 {
		rec, err := st.Get(ctx, key)
		if err == nil {
			plain, err := wrap.Unseal(rec.Value, key)
			if err != nil {
				return nil, fmt.Errorf("open the cluster's %s: %w (was the store made with another join token?)", what, err)
			}
			return plain, nil
		}
		if !errors.Is(err, store.ErrNotFound) {
			return nil, fmt.Errorf("read the cluster's %s: %w", what, err)
		}
		plain, err := local()
		if err != nil {
			return nil, err
		}
		_, err = st.Apply(ctx, store.Op{Key: key, Value: wrap.Seal(plain, key), Expect: store.Absent})
		if err != nil && !errors.Is(err, store.ErrConflict) {
			return nil, fmt.Errorf("store the cluster's %s: %w", what, err)
		}
		// Stored, or another node stored one first: read back whichever won.
	}
	return nil, fmt.Errorf("store the cluster's %s: conflicting writers", what)
}
