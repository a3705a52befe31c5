package rest

import (
	"context"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/pitrix/pitrix/actors/appcluster"
	"github.com/pitrix/pitrix/actors/audit"
	"github.com/pitrix/pitrix/actors/catalog"
	"github.com/pitrix/pitrix/actors/catalog/form"
	"github.com/pitrix/pitrix/actors/identity"
	"github.com/pitrix/pitrix/actors/inspect"
	"github.com/pitrix/pitrix/actors/runtimes"
)

// Backend is what the REST front needs from the control plane. Every method is called from a
// request handler's goroutine with a context carrying the request deadline; it may block on the
// store or an actor. Errors are classified with actors/fault (the front maps codes to statuses).
// Slices and maps passed in are owned by the callee after the call.
type Backend interface {
	Authenticator
	Repos
	Apps
	Categories
	Runtimes
	Clusters
	Admin
	Groups
	AuditLog
}

// Groups is the groups part of the API: sets of users a private repo is shared with.
type Groups interface {
	CreateGroup(ctx context.Context, p identity.Principal, in identity.GroupInput) (*identity.Group, error)
	ListGroups(ctx context.Context, p identity.Principal, q catalog.ListQuery) (catalog.Page[identity.Group], error)
	GetGroup(ctx context.Context, p identity.Principal, id string) (*identity.Group, error)
	DeleteGroup(ctx context.Context, p identity.Principal, id string) error
	AddGroupMember(ctx context.Context, p identity.Principal, id string, in identity.MemberInput) (*identity.Group, error)
	RemoveGroupMember(ctx context.Context, p identity.Principal, id, userID string) (*identity.Group, error)
}

// Authenticator resolves a bearer token to the caller.
type Authenticator interface {
	Authenticate(ctx context.Context, token string) (identity.Principal, error)
}

// Repos is the repo part of the API.
type Repos interface {
	CreateRepo(ctx context.Context, p identity.Principal, in catalog.RepoInput) (*catalog.Repo, error)
	ListRepos(ctx context.Context, p identity.Principal, q catalog.ListQuery) (catalog.Page[catalog.Repo], error)
	GetRepo(ctx context.Context, p identity.Principal, id string) (*catalog.Repo, error)
	UpdateRepo(ctx context.Context, p identity.Principal, id string, in catalog.RepoPatch) (*catalog.Repo, error)
	DeleteRepo(ctx context.Context, p identity.Principal, id string) error
	IndexRepo(ctx context.Context, p identity.Principal, id string) (*catalog.RepoEvent, error)
	ListRepoEvents(ctx context.Context, p identity.Principal, id string, q catalog.ListQuery) (catalog.Page[catalog.RepoEvent], error)
	ValidateRepo(ctx context.Context, p identity.Principal, in catalog.RepoSource) catalog.ValidateResult
}

// Apps is the apps, versions and review part of the API.
type Apps interface {
	ListApps(ctx context.Context, p identity.Principal, q catalog.ListQuery) (catalog.Page[catalog.App], error)
	GetApp(ctx context.Context, p identity.Principal, id string) (*catalog.App, error)
	UpdateApp(ctx context.Context, p identity.Principal, id string, in catalog.AppPatch) (*catalog.App, error)
	DeleteApp(ctx context.Context, p identity.Principal, id string) error
	// UploadApp creates an app and its first version (appID "") or adds a version to appID,
	// from a package .tgz of the given type (vm|helm).
	UploadApp(ctx context.Context, p identity.Principal, appID, appType string, pkg []byte, po catalog.PackageOrigin) (*catalog.App, *catalog.Version, error)
	ValidatePackage(ctx context.Context, p identity.Principal, appType string, pkg []byte, po catalog.PackageOrigin) catalog.ValidateResult
	ListVersions(ctx context.Context, p identity.Principal, appID string, q catalog.ListQuery) (catalog.Page[catalog.Version], error)
	GetVersion(ctx context.Context, p identity.Principal, id string) (*catalog.Version, error)
	// VersionPackage returns the version's .tgz (fetched from its repo if not stored).
	VersionPackage(ctx context.Context, p identity.Principal, id string) ([]byte, error)
	// VersionFiles lists the files of the version's package, by path inside the top folder.
	VersionFiles(ctx context.Context, p identity.Principal, id string) (catalog.Page[catalog.FileInfo], error)
	// VersionFile returns one file of the version's package, by its path inside the top folder.
	VersionFile(ctx context.Context, p identity.Principal, id, path string) ([]byte, error)
	// ReviewVersion applies a review action: submit|cancel|pass|reject|release|suspend|recover.
	ReviewVersion(ctx context.Context, p identity.Principal, id, action, message string) (*catalog.Version, error)
	ListAudits(ctx context.Context, p identity.Principal, versionID string, q catalog.ListQuery) (catalog.Page[catalog.Audit], error)
	VersionRuntimes(ctx context.Context, p identity.Principal, versionID string) (catalog.Page[runtimes.Runtime], error)
	// VersionForm is the version's deploy form in lang (en|zh-CN; "" is en).
	VersionForm(ctx context.Context, p identity.Principal, versionID, lang string) (*form.Form, error)
	// VersionReadme is the version's README as sanitized HTML ("" when it has none).
	VersionReadme(ctx context.Context, p identity.Principal, versionID string) (string, error)
}

// Categories is the category part of the API.
type Categories interface {
	ListCategories(ctx context.Context, p identity.Principal, q catalog.ListQuery) (catalog.Page[catalog.Category], error)
	GetCategory(ctx context.Context, p identity.Principal, id string) (*catalog.Category, error)
	CreateCategory(ctx context.Context, p identity.Principal, in catalog.CategoryInput) (*catalog.Category, error)
	UpdateCategory(ctx context.Context, p identity.Principal, id string, in catalog.CategoryInput) (*catalog.Category, error)
	DeleteCategory(ctx context.Context, p identity.Principal, id string) error
}

// Runtimes is the runtimes, credentials and providers part of the API.
type Runtimes interface {
	ListProviders(ctx context.Context) []runtimes.ProviderInfo
	CreateCredential(ctx context.Context, p identity.Principal, in runtimes.CredentialInput) (*runtimes.Credential, error)
	ListCredentials(ctx context.Context, p identity.Principal, q catalog.ListQuery) (catalog.Page[runtimes.Credential], error)
	GetCredential(ctx context.Context, p identity.Principal, id string) (*runtimes.Credential, error)
	DeleteCredential(ctx context.Context, p identity.Principal, id string) error
	ValidateCredential(ctx context.Context, p identity.Principal, id string) catalog.ValidateResult
	CreateRuntime(ctx context.Context, p identity.Principal, in runtimes.RuntimeInput) (*runtimes.Runtime, error)
	ListRuntimes(ctx context.Context, p identity.Principal, q catalog.ListQuery) (catalog.Page[runtimes.Runtime], error)
	GetRuntime(ctx context.Context, p identity.Principal, id string) (*runtimes.Runtime, error)
	UpdateRuntime(ctx context.Context, p identity.Principal, id string, in runtimes.RuntimePatch) (*runtimes.Runtime, error)
	DeleteRuntime(ctx context.Context, p identity.Principal, id string) error
}

// Clusters is the app clusters, jobs and events part of the API. Mutations are asynchronous:
// they return the job that carries them out.
type Clusters interface {
	CreateCluster(ctx context.Context, p identity.Principal, in appcluster.CreateInput) (*appcluster.Accepted, error)
	ListClusters(ctx context.Context, p identity.Principal, q catalog.ListQuery) (catalog.Page[appcluster.Cluster], error)
	GetCluster(ctx context.Context, p identity.Principal, id string) (*appcluster.Cluster, error)
	ClusterNodes(ctx context.Context, p identity.Principal, id string) (catalog.Page[appcluster.Node], error)
	// ClusterAction starts an action: start, stop, resize, add_nodes, delete_nodes, upgrade,
	// rollback, update_env, recover, cease, and delete (for DELETE /v1/clusters/{id}).
	ClusterAction(ctx context.Context, p identity.Principal, id, action string, in appcluster.ActionInput) (*appcluster.Accepted, error)
	ListJobs(ctx context.Context, p identity.Principal, q catalog.ListQuery) (catalog.Page[appcluster.Job], error)
	GetJob(ctx context.Context, p identity.Principal, id string) (*appcluster.Job, error)
	ListTasks(ctx context.Context, p identity.Principal, jobID string) (catalog.Page[appcluster.Task], error)
	RetryJob(ctx context.Context, p identity.Principal, id string) (*appcluster.Accepted, error)
	// Subscribe returns the events the caller may see from now on; the channel is closed when
	// ctx ends (or the subscriber falls too far behind: then it ends with no error event).
	Subscribe(ctx context.Context, p identity.Principal) (<-chan appcluster.Event, error)
}

// Admin is the operations part of the API (users, nodes, the actor inspector, health).
type Admin interface {
	CreateUser(ctx context.Context, p identity.Principal, in identity.UserInput) (*identity.User, error)
	ListUsers(ctx context.Context, p identity.Principal, q catalog.ListQuery) (catalog.Page[identity.User], error)
	CreateToken(ctx context.Context, p identity.Principal, userID string, in identity.TokenInput) (*identity.Token, error)
	// ListTokens lists userID's tokens without their secrets.
	ListTokens(ctx context.Context, p identity.Principal, userID string) (catalog.Page[identity.Token], error)
	// RevokeToken deletes a token; it fails on every node within identity.CacheTTL.
	RevokeToken(ctx context.Context, p identity.Principal, tokenID string) error
	Nodes(ctx context.Context, p identity.Principal) ([]NodeInfo, error)
	// DrainNode asks the node named name to move its actors to the others (admin only).
	DrainNode(ctx context.Context, p identity.Principal, name string) error
	// Frontgates lists the edge proxies with a stream to the control plane.
	Frontgates(ctx context.Context, p identity.Principal) ([]inspect.FrontgateInfo, error)
	Actors(ctx context.Context, p identity.Principal, kind, node string) ([]ActorInfo, error)
	// ActorState returns one live actor's state as a JSON document.
	ActorState(ctx context.Context, p identity.Principal, kind, id string) ([]byte, error)
	// Ready reports whether the store and membership are ready; the error says what is not.
	Ready(ctx context.Context) error
	// Metrics returns the collector of the control plane's own metrics. New calls it once and
	// registers it in the Server's registry next to the request, Go runtime and process
	// metrics; it may return nil when the backend has no metrics.
	Metrics() prometheus.Collector
}

// AuditLog stores and answers the audit log of mutations.
type AuditLog interface {
	// RecordAudit stores a batch of at most audit.MaxBatch entries with one write. Only the
	// Server's audit writer goroutine calls it, never a request handler; the slice is the
	// callee's.
	RecordAudit(ctx context.Context, entries []audit.Entry) error
	// ListAudit answers GET /v1/audit (admins only).
	ListAudit(ctx context.Context, p identity.Principal, q audit.Query) (catalog.Page[audit.Entry], error)
}

// NodeInfo is one control-plane member.
type NodeInfo = inspect.NodeInfo

// ActorInfo is one live activation.
type ActorInfo = inspect.ActorInfo
