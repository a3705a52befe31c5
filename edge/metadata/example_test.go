package metadata_test

import (
	"fmt"

	"github.com/pitrix/pitrix/edge/metadata"
)

// A replica of a Redis cluster sees its own address under /host, every host
// under /hosts and its role's env merged over the cluster's.
func ExampleSelfView() {
	c := metadata.Cluster{
		ClusterID: "cl-1",
		Hosts: []metadata.Host{
			{InstanceID: "i-m", Role: "master", IP: "127.1.0.2", SID: 1},
			{InstanceID: "i-r", Role: "replica", IP: "127.1.0.3", SID: 2},
		},
		Env: map[string]map[string]string{
			"":        {"port": "6379", "maxmemory": "256mb"},
			"replica": {"maxmemory": "128mb"},
		},
	}
	v, err := metadata.SelfView(metadata.Build(c), "i-r")
	if err != nil {
		fmt.Println(err)
		return
	}
	ip, _ := v.Get("/host/ip")
	mem, _ := v.Get("/env/maxmemory")
	for _, id := range v.ListDir("/hosts/master") {
		master, _ := v.Get("/hosts/master/" + id + "/ip")
		fmt.Println("replicaof", master)
	}
	fmt.Println(ip, mem)
	// Output:
	// replicaof 127.1.0.2
	// 127.1.0.3 128mb
}
