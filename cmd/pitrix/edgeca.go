package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/pitrix/pitrix/actors/store"
	"github.com/pitrix/pitrix/cluster/trust"
	"github.com/pitrix/pitrix/edge/pki"
)

// edgeCARecord holds the cluster's edge CA, certificate and key (see clusterSecret). Every
// node writes the same CA into its <data-dir>/edge-ca, so a Frontgate certified by one node
// is accepted by all, and trusts all.
const edgeCARecord = "sys/edge-ca"

type storedCA struct {
	Cert []byte `json:"cert"`
	Key  []byte `json:"key"`
}

// clusterEdgeCA makes dataDir/edge-ca the cluster's edge CA: the stored one, or, when the
// store has none yet, this node's (made now if it has none: a single-node data dir keeps
// the CA its Frontgates already trust).
func clusterEdgeCA(ctx context.Context, st store.Store, secret trust.Secret, dataDir string) error {
	dir := filepath.Join(dataDir, "edge-ca")
	b, err := clusterSecret(ctx, st, secret, edgeCARecord, "edge CA", func() ([]byte, error) {
		if _, err := pki.Open(dir); err != nil {
			return nil, err
		}
		cert, err1 := os.ReadFile(filepath.Join(dir, pki.CertFile))
		key, err2 := os.ReadFile(filepath.Join(dir, pki.KeyFile))
		if err := errors.Join(err1, err2); err != nil {
			return nil, fmt.Errorf("read the edge CA in %s: %w", dir, err)
		}
		return json.Marshal(storedCA{Cert: cert, Key: key})
	})
	if err != nil {
		return err
	}
	var ca storedCA
	if err := json.Unmarshal(b, &ca); err != nil {
		return fmt.Errorf("read the cluster's edge CA: %w", err)
	}
	return writeCA(dir, ca.Cert, ca.Key)
}

// writeCA puts cert and key in dir unless they are there already; each file is replaced
// atomically (the key first: pki.Open reads a key only with its certificate).
func writeCA(dir string, cert, key []byte) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("edge CA dir %s: %w", dir, err)
	}
	for _, f := range []struct {
		name string
		data []byte
	}{{pki.KeyFile, key}, {pki.CertFile, cert}} {
		path := filepath.Join(dir, f.name)
		if have, err := os.ReadFile(path); err == nil && bytes.Equal(have, f.data) {
			continue
		}
		tmp := path + ".tmp"
		if err := os.WriteFile(tmp, f.data, 0o600); err != nil {
			return fmt.Errorf("write %s: %w", tmp, err)
		}
		if err := os.Rename(tmp, path); err != nil {
			return fmt.Errorf("install %s: %w", path, err)
		}
	}
	return nil
}
