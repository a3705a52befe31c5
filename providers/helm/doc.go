// Package helm is the "kubernetes" runtime provider: it runs Helm charts on Kubernetes
// clusters through the Helm v3 SDK (helm.sh/helm/v3/pkg/action), as a providers.Operator.
//
// A runtime's credential is a kubeconfig (providers.Credential.Content); the credential's URL,
// when set, names the kubeconfig context to use, otherwise its current-context applies. Only
// self-contained kubeconfigs are accepted: exec and auth-provider plugins and file paths
// (certificate-authority, client-certificate, client-key, tokenFile) are refused, because
// the kubeconfig comes from a user and the control plane must not run programs or read its
// own files for it. A runtime's zone is a namespace; ValidateRuntime creates it when absent
// and allowed, and checks the rights Helm needs there with SelfSubjectAccessReviews.
//
// A cluster is a Helm release named after the cluster id in the runtime's namespace, stored
// by Helm's "secret" driver in that namespace. Plan turns a lifecycle action into task
// layers (see Provider.Plan); each layer that changes the release is preceded by
// helm.recover, which heals a release left pending-install, pending-upgrade or
// pending-rollback by a crash (rolling back to the last deployed revision, purging a
// never-deployed install, or marking it failed), so a release is never wedged. Install,
// upgrade and rollback tasks also recover before they act, since a retried task does not
// re-run the recover layer. A delete or cease with force (params {"force": true}) passes
// over a recover or uninstall that fails: the task result is Skipped with the error, so the
// job succeeds and the cluster goes; without force such an error says that force exists.
//
// Execute is idempotent by task id: the revision a task makes carries "[pitrix task <id>]"
// in its Helm description, and a re-run returns that revision instead of acting again. The
// app version id is kept as the release label pitrix.io/version-id, so rollbacks report the
// version they went back to. Charts come from Task.Package and are loaded through
// providers/helm/chart (archive safety limits, template checks); values are checked against
// values.schema.json by that package rather than by Helm's validator, which would follow
// remote $refs. Helm's own wait is not used: helm.wait polls the release's Deployments,
// StatefulSets and DaemonSets (named by its manifest) until rolled out and ready, and on
// deadline returns a *NotReadyError naming each unready workload with ready/desired and its
// latest Warning events. Observed reports roles (one per workload) and endpoints (Services
// as <name>.<namespace>.svc, Ingress hosts; never IP addresses).
//
// Helm's debug log and API server warnings go to Config.Logger; New also routes client-go's
// process-global klog there unless Config.KeepKlog is set.
//
// The package does not fetch charts from repositories (the caller hands package bytes, already
// verified), does not merge YAML conf strings (the caller converts them to JSON objects),
// does not keep clients between calls (each call builds them from its credential), and does
// not support start, stop, resize or node actions for Helm apps.
package helm
