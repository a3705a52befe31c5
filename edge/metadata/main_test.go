package metadata

import (
	"flag"
	"testing"

	"github.com/pitrix/pitrix/internal/testutil"
)

// TestMain fails the run if a goroutine (a store's watch) outlives the tests: every test must
// Close the stores it opens.
func TestMain(m *testing.M) { testutil.VerifyTestMain(m) }

var update = flag.Bool("update", false, "rewrite golden files")

// redisCluster is a Redis app with one master and two replicas.
func redisCluster() Cluster {
	return Cluster{
		ClusterID: "cl-redis1",
		AppID:     "app-redis",
		Name:      "cache",
		Zone:      "local",
		Provider:  "local",
		Endpoints: map[string]Endpoint{"client": {Port: 6379, Protocol: "tcp"}},
		Hosts: []Host{
			{InstanceID: "i-m1", NodeID: "cln-m1", Role: "master", IP: "127.1.0.2", SID: 1, GID: 1, CPU: 1, Memory: 1024, VolumeSize: 10},
			{InstanceID: "i-r1", NodeID: "cln-r1", Role: "replica", IP: "127.1.0.3", SID: 2, GID: 1, CPU: 1, Memory: 1024, VolumeSize: 10},
			{InstanceID: "i-r2", NodeID: "cln-r2", Role: "replica", IP: "127.1.0.4", SID: 3, GID: 1, CPU: 1, Memory: 1024, VolumeSize: 10, PubKey: "ssh-ed25519 AAAA r2"},
		},
		Env: map[string]map[string]string{
			"":        {"port": "6379", "maxmemory": "256mb"},
			"replica": {"maxmemory": "128mb", "replica-read-only": "yes"},
		},
		Links: map[string][]Host{"monitor": {{InstanceID: "i-mon1", IP: "127.1.0.9"}}},
	}
}
