package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/pitrix/pitrix/actors/seal"
	"github.com/pitrix/pitrix/actors/store"
	"github.com/pitrix/pitrix/cluster/trust"
)

// Files of a node's data dir that tie it to its cluster.
const (
	joinTokenFile = "join.token" // the cluster's secret, mode 0600 (written by the first node)
	clusterIDFile = "cluster.id" // which cluster this data belongs to
	nodeNameFile  = "node.name"  // this node's name: its raft id, stable across restarts
	peerAddrFile  = "peer.addr"  // the peer address of the last run, reused when free
)

// stickyPort returns the address a listener given as HOST:0 had last time (recorded in file)
// when it is free again, so a restarted node keeps its address; otherwise listen itself.
func stickyPort(listen, file string) string {
	if !strings.HasSuffix(listen, ":0") {
		return listen
	}
	b, err := os.ReadFile(file)
	if err != nil {
		return listen
	}
	last := strings.TrimSpace(string(b))
	host, _, err := net.SplitHostPort(last)
	if err != nil || host != strings.TrimSuffix(listen, ":0") {
		return listen
	}
	ln, err := net.Listen("tcp", last)
	if err != nil {
		return listen
	}
	ln.Close()
	return last
}

// clusterIdentity resolves the cluster's secret and this node's name from the flags and the
// data dir, refusing a data dir of another cluster or of another node. A first node (no
// --join, no token yet) makes the secret and writes join.token.
func clusterIdentity(dataDir, joinToken, nodeName string, joining bool) (trust.Secret, string, error) {
	var secret trust.Secret
	tokenPath := filepath.Join(dataDir, joinTokenFile)
	switch b, err := os.ReadFile(tokenPath); {
	case joinToken != "":
		if secret, err = trust.ParseToken(joinToken); err != nil {
			return secret, "", fmt.Errorf("--join-token: %w", err)
		}
	case err == nil:
		if secret, err = trust.ParseToken(string(b)); err != nil {
			return secret, "", fmt.Errorf("%s: %w", tokenPath, err)
		}
	case !errors.Is(err, os.ErrNotExist):
		return secret, "", fmt.Errorf("read %s: %w", tokenPath, err)
	case joining:
		return secret, "", errors.New("--join needs --join-token: the cluster's first node wrote it to <its data dir>/join.token")
	default:
		if secret, err = trust.NewSecret(); err != nil {
			return secret, "", err
		}
	}
	if _, err := os.Stat(tokenPath); errors.Is(err, os.ErrNotExist) {
		if err := writeFile0600(tokenPath, secret.Token()+"\n"); err != nil {
			return secret, "", err
		}
	}
	idPath := filepath.Join(dataDir, clusterIDFile)
	if b, err := os.ReadFile(idPath); err == nil {
		if have := strings.TrimSpace(string(b)); have != secret.ClusterID() {
			return secret, "", fmt.Errorf("data dir %s belongs to cluster %s, but the join token is of cluster %s: use that cluster's token or another data dir",
				dataDir, have, secret.ClusterID())
		}
	} else if err := writeFile0600(idPath, secret.ClusterID()+"\n"); err != nil {
		return secret, "", err
	}
	namePath := filepath.Join(dataDir, nodeNameFile)
	if b, err := os.ReadFile(namePath); err == nil {
		have := strings.TrimSpace(string(b))
		if nodeName != "" && nodeName != have {
			return secret, "", fmt.Errorf("data dir %s is node %q's, not %q: drop --node-name or use another data dir", dataDir, have, nodeName)
		}
		return secret, have, nil
	}
	if nodeName == "" {
		var b [4]byte
		if _, err := rand.Read(b[:]); err != nil {
			return secret, "", fmt.Errorf("node name: %w", err)
		}
		nodeName = "node-" + hex.EncodeToString(b[:])
	}
	if err := validNodeName(nodeName); err != nil {
		return secret, "", err
	}
	return secret, nodeName, writeFile0600(namePath, nodeName+"\n")
}

func validNodeName(name string) error {
	if len(name) > 64 {
		return fmt.Errorf("--node-name %.64q: longer than 64 bytes", name)
	}
	for _, r := range name {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' || r == '.') {
			return fmt.Errorf("--node-name %q: only letters, digits, '-', '_' and '.'", name)
		}
	}
	return nil
}

func writeFile0600(path, content string) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("create %s: %w", path, err)
	}
	_, err = f.WriteString(content)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

// sealKeyRecord holds the cluster's credential sealing key (see clusterSecret).
const sealKeyRecord = "sys/seal-key"

// clusterSealer returns the cluster-wide sealer: a credential sealed on one node opens on
// every other. A node upgraded from a single-node data dir contributes the key its
// credentials were sealed with.
func clusterSealer(ctx context.Context, st store.Store, secret trust.Secret, dataDir string) (*seal.Sealer, error) {
	key, err := clusterSecret(ctx, st, secret, sealKeyRecord, "sealing key", func() ([]byte, error) {
		if key, err := os.ReadFile(filepath.Join(dataDir, seal.KeyFile)); err == nil && len(key) == 32 {
			return key, nil
		}
		key := make([]byte, 32)
		if _, err := rand.Read(key); err != nil {
			return nil, fmt.Errorf("make the sealing key: %w", err)
		}
		return key, nil
	})
	if err != nil {
		return nil, err
	}
	return seal.New(key)
}

// nodeRecord is what a node tells the others about itself through the store: where its
// gossip, peer, API and edge listeners are. A restarting node finds its peers here.
type nodeRecord struct {
	Name   string `json:"name"`
	Gossip string `json:"gossip"`
	Peer   string `json:"peer"`
	API    string `json:"api,omitempty"`
	Edge   string `json:"edge,omitempty"`
	// DataDir is the node's absolute data dir: sandboxes of other nodes on the same host hide it.
	DataDir string    `json:"data_dir,omitempty"`
	Started time.Time `json:"started"`
}

const nodeRecordPrefix = "sys/node/"

// gossipSeeds returns the gossip addresses the store knows of nodes other than self.
func gossipSeeds(ctx context.Context, st store.Store, self string) ([]string, error) {
	var seeds []string
	err := st.Scan(ctx, store.ScanOptions{Prefix: nodeRecordPrefix}, func(r store.Record) error {
		var n nodeRecord
		if json.Unmarshal(r.Value, &n) == nil && n.Name != self && n.Gossip != "" {
			seeds = append(seeds, n.Gossip)
		}
		return nil
	})
	return seeds, err
}

// otherDataDirs returns what lists the data dirs the store knows of the other nodes: a cluster
// whose nodes share a host (the README's three nodes) must not show one node's keys and tokens
// to the sandboxes of another. Nodes on other hosts name paths that do not exist here.
func otherDataDirs(st store.Store, self string, log *slog.Logger) func() []string {
	return func() []string {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		var dirs []string
		err := st.Scan(ctx, store.ScanOptions{Prefix: nodeRecordPrefix}, func(r store.Record) error {
			var n nodeRecord
			if json.Unmarshal(r.Value, &n) == nil && n.Name != self && n.DataDir != "" {
				dirs = append(dirs, n.DataDir)
			}
			return nil
		})
		if err != nil {
			log.Warn("sandbox: the other nodes' data dirs are not known; only this node's is hidden", "err", err)
		}
		return dirs
	}
}

func putNodeRecord(ctx context.Context, st store.Store, n nodeRecord) error {
	b, err := json.Marshal(n)
	if err != nil {
		return fmt.Errorf("encode node record: %w", err)
	}
	if _, err := st.Apply(ctx, store.Op{Key: nodeRecordPrefix + n.Name, Value: b, Expect: store.Any}); err != nil {
		return fmt.Errorf("record node %s: %w", n.Name, err)
	}
	return nil
}

// controlAddrs returns the local driver's Config.Control: every node's edge address, from the
// node records, this node's (self()) first and the others by name, so that a Frontgate redials
// another node when this one dies. A store that cannot be read gives this node's alone.
func controlAddrs(st store.Store, name string, self func() string, log *slog.Logger) func() string {
	return func() string {
		own := self()
		if own == "" {
			return ""
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		addrs := []string{own}
		var others []nodeRecord
		err := st.Scan(ctx, store.ScanOptions{Prefix: nodeRecordPrefix}, func(r store.Record) error {
			var n nodeRecord
			if json.Unmarshal(r.Value, &n) == nil && n.Name != name && n.Edge != "" {
				others = append(others, n)
			}
			return nil
		})
		if err != nil {
			log.Warn("read the node records for the frontgates' control addresses; giving this node's only", "err", err)
			return own
		}
		sort.Slice(others, func(i, j int) bool { return others[i].Name < others[j].Name })
		for _, n := range others {
			if !slices.Contains(addrs, n.Edge) {
				addrs = append(addrs, n.Edge)
			}
		}
		return strings.Join(addrs, ",")
	}
}

// loneNode reports whether the store records no node but one (this one).
func loneNode(ctx context.Context, st store.Store) bool {
	count := 0
	err := st.Scan(ctx, store.ScanOptions{Prefix: nodeRecordPrefix}, func(store.Record) error {
		count++
		return nil
	})
	return err == nil && count <= 1
}
