package helm_test

import (
	"encoding/json"
	"fmt"

	"github.com/pitrix/pitrix/providers"
	"github.com/pitrix/pitrix/providers/helm"
)

// Plans are pure: an upgrade to a new chart version with new values is a recover layer, the
// upgrade, and a readiness wait.
func ExampleProvider_Plan() {
	p, err := helm.New(helm.Config{KeepKlog: true})
	if err != nil {
		panic(err)
	}
	plan, err := p.Plan(providers.PlanRequest{
		Action:  providers.ActionUpgrade,
		Cluster: providers.ClusterSpec{ID: "cl-0k3h5", VersionID: "appv-1"},
		Runtime: providers.RuntimeSpec{Zone: "shop"},
		Params:  json.RawMessage(`{"version_id": "appv-2", "conf": {"replicas": 3}}`),
	})
	if err != nil {
		panic(err)
	}
	for i, layer := range plan.Layers {
		for _, t := range layer {
			fmt.Println(i, t.Action, t.Target, string(t.Params))
		}
	}
	// Output:
	// 0 helm.recover shop/cl-0k3h5 {"release":"cl-0k3h5","namespace":"shop","version_id":"appv-1"}
	// 1 helm.upgrade shop/cl-0k3h5 {"release":"cl-0k3h5","namespace":"shop","version_id":"appv-2","values":{"replicas":3}}
	// 2 helm.wait shop/cl-0k3h5 {"release":"cl-0k3h5","namespace":"shop","version_id":"appv-1"}
}
