// Command helmbench measures how long a Helm chart takes from "create" to "deployed and ready"
// through the Pitrix API, against a direct Helm SDK install of the same chart bytes with the same
// values into the same namespace, in one run on the test Kubernetes API server
// (../shared/scripts/k8s-up.sh; pods become Running through kwok's fake nodes).
//
// It starts a real `pitrix server` process (-bin, or one built with `go build` into a temporary
// directory) on a loopback port, packs the demo chart demo/packages/helm/web as version 0.1.0
// into a chart repo served over HTTP on loopback, registers that repo, a kubernetes runtime
// credential (the kubeconfig flattened: certificates inline) and a runtime whose zone is a fresh
// namespace. Then, alternating sides (api, direct, direct, api, ...), it runs -n iterations each,
// after -warmup unmeasured ones:
//
//   - api: POST /v1/clusters {version_id, runtime_id, conf: {"replicaCount": R}}, then GET
//     /v1/jobs/{id} every 20 ms until the job is successful, then GET /v1/clusters/{id} until the
//     cluster is active. The headline figure is POST → job successful as seen by that polling.
//     Alongside, one GET /v1/events stream (opened before the first POST) notes when the job's
//     "successful" event arrives; and the job's tasks (helm.recover | helm.install | helm.wait)
//     with their started_at/finished_at give where the time went on the server.
//   - direct: a fresh action.Configuration over a minimal RESTClientGetter of the same
//     kubeconfig (same client-go QPS and burst as the provider), the chart loaded from the tgz
//     bytes the repo serves, action.Install with Wait: true; then the bench confirms every
//     Deployment of the release has ready replicas == desired (Helm's own check allows
//     maxUnavailable fewer, which for replicaCount < 4 is the same thing).
//
// A Deployment informer on the namespace notes, for both sides, when each release's Deployment
// first had all desired replicas ready and updated: how long Kubernetes itself took, so the rest
// is the cost of the path (request handling, job engine, readiness polling: the provider polls
// every second, Helm's Wait every two).
//
// After each iteration the bench cleans up: the cluster is deleted and ceased through the API,
// the direct release is uninstalled, and the bench waits until their pods are gone. At the end
// it deletes the namespace and stops the server with SIGTERM. It prints, per side, n and the
// min/median/max seconds, the API/direct ratio of the medians and the API job's step medians.
//
//	go run ./bench/helmbench -bin bin/pitrix -n 5 -replicas 2 -out /tmp/helmbench.json
//
// The kubeconfig is -kubeconfig, else $PITRIX_KUBECONFIG, else $KUBECONFIG, else
// /tmp/pitrix-k8s/kubeconfig. Only loopback addresses are dialled; pod IPs are never used.
package main
