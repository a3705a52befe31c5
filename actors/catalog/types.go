package catalog

import "time"

// Visibility and review words of the REST contract (../shared/API.md).
const (
	VisibilityPublic  = "public"
	VisibilityPrivate = "private"

	StatusDraft     = "draft"
	StatusSubmitted = "submitted"
	StatusPassed    = "passed"
	StatusRejected  = "rejected"
	StatusActive    = "active"
	StatusSuspended = "suspended"
	StatusDeleted   = "deleted"

	AppTypeVM   = "vm"
	AppTypeHelm = "helm"
)

// Repo is a place that holds app packages. Credential is write-only: it is stored sealed and never
// returned; HasCredential tells a reader that one is set.
type Repo struct {
	ID               string              `json:"id"`
	Name             string              `json:"name"`
	Description      string              `json:"description"`
	Type             string              `json:"type"`
	URL              string              `json:"url"`
	Visibility       string              `json:"visibility"`
	Providers        []string            `json:"providers"`
	Labels           map[string]string   `json:"labels"`
	Selectors        map[string][]string `json:"selectors"`
	CategoryIDs      []string            `json:"category_ids"`
	GroupIDs         []string            `json:"group_ids"` // groups whose members see its active, reviewed apps
	AppDefaultStatus string              `json:"app_default_status"`
	IndexInterval    int                 `json:"index_interval"` // seconds; 0 = no schedule
	Owner            string              `json:"owner"`
	HasCredential    bool                `json:"has_credential"`
	Status           string              `json:"status"` // active | deleted
	LastIndexedAt    *time.Time          `json:"last_indexed_at,omitempty"`
	LastEventID      string              `json:"last_event_id,omitempty"`
	CreatedAt        time.Time           `json:"created_at"`
	UpdatedAt        time.Time           `json:"updated_at"`
}

// RepoCredential is what a caller may send to read a private repo.
type RepoCredential struct {
	Username           string `json:"username,omitempty"`
	Password           string `json:"password,omitempty"`
	BearerToken        string `json:"bearer_token,omitempty"`
	InsecureSkipVerify bool   `json:"insecure_skip_verify,omitempty"`
}

// RepoInput is the body of POST /v1/repos.
type RepoInput struct {
	Name             string              `json:"name"`
	Description      string              `json:"description"`
	Type             string              `json:"type"`
	URL              string              `json:"url"`
	Credential       *RepoCredential     `json:"credential"`
	Visibility       string              `json:"visibility"`
	Providers        []string            `json:"providers"`
	Labels           map[string]string   `json:"labels"`
	Selectors        map[string][]string `json:"selectors"`
	CategoryIDs      []string            `json:"category_ids"`
	GroupIDs         []string            `json:"group_ids"`
	AppDefaultStatus string              `json:"app_default_status"`
	IndexInterval    *int                `json:"index_interval"`
}

// RepoPatch is the body of PATCH /v1/repos/{id}: nil fields are left as they are.
type RepoPatch struct {
	Name             *string              `json:"name"`
	Description      *string              `json:"description"`
	URL              *string              `json:"url"`
	Credential       *RepoCredential      `json:"credential"`
	Visibility       *string              `json:"visibility"`
	Providers        *[]string            `json:"providers"`
	Labels           *map[string]string   `json:"labels"`
	Selectors        *map[string][]string `json:"selectors"`
	CategoryIDs      *[]string            `json:"category_ids"`
	GroupIDs         *[]string            `json:"group_ids"`
	AppDefaultStatus *string              `json:"app_default_status"`
	IndexInterval    *int                 `json:"index_interval"`
}

// RepoSource is the body of POST /v1/repos/validate.
type RepoSource struct {
	Type       string          `json:"type"`
	URL        string          `json:"url"`
	Credential *RepoCredential `json:"credential"`
}

// PackageOrigin is what an upload request says of its package besides the bytes: the name and
// version (form fields or query) and the file name. A VM package without package.json (an
// AppCenter package) takes its name and version from them (see spec.Origin).
type PackageOrigin struct {
	Name     string `json:"name,omitempty"`
	Version  string `json:"version,omitempty"`
	FileName string `json:"file_name,omitempty"`
}

// ValidateResult answers a validate call.
type ValidateResult struct {
	OK     bool              `json:"ok"`
	Error  string            `json:"error,omitempty"`
	Errors map[string]string `json:"errors,omitempty"`
}

// Repo event status words.
const (
	EventPending    = "pending"
	EventWorking    = "working"
	EventSuccessful = "successful"
	EventFailed     = "failed"
)

// RepoEvent records one index run of a repo.
type RepoEvent struct {
	ID              string `json:"id"`
	RepoID          string `json:"repo_id"`
	Trigger         string `json:"trigger"` // manual | schedule | create
	Status          string `json:"status"`
	Result          string `json:"result"`
	AppsAdded       int    `json:"apps_added"`
	VersionsAdded   int    `json:"versions_added"`
	VersionsUpdated int    `json:"versions_updated"`
	VersionsRemoved int    `json:"versions_removed"`
	Skipped         bool   `json:"skipped"` // the index was unchanged (ETag or digest)
	// Refused are the index's versions that were not listed because their package fails the
	// checks of upload and create (or could not be fetched), each with every problem; at most
	// 100 are listed (the result counts them all).
	Refused    []RefusedPackage `json:"refused,omitempty"`
	CreatedAt  time.Time        `json:"created_at"`
	StartedAt  *time.Time       `json:"started_at,omitempty"`
	FinishedAt *time.Time       `json:"finished_at,omitempty"`
}

// RefusedPackage is one index version the indexer did not list, and why.
type RefusedPackage struct {
	Name     string            `json:"name"`
	Version  string            `json:"version"`
	URL      string            `json:"url"`
	Problems map[string]string `json:"problems"`
}

// Maintainer names a person responsible for an app.
type Maintainer struct {
	Name  string `json:"name"`
	Email string `json:"email,omitempty"`
	URL   string `json:"url,omitempty"`
}

// App is an application of a repo or an upload.
type App struct {
	ID              string       `json:"id"`
	Name            string       `json:"name"`
	Description     string       `json:"description"`
	Icon            string       `json:"icon"`
	Home            string       `json:"home"`
	Keywords        []string     `json:"keywords"`
	Maintainers     []Maintainer `json:"maintainers"`
	RepoID          string       `json:"repo_id"`
	CategoryIDs     []string     `json:"category_ids"`
	Type            string       `json:"type"`
	Status          string       `json:"status"`
	LatestVersionID string       `json:"latest_version_id"`
	Owner           string       `json:"owner"`
	CreatedAt       time.Time    `json:"created_at"`
	UpdatedAt       time.Time    `json:"updated_at"`
}

// AppPatch is the body of PATCH /v1/apps/{id}.
type AppPatch struct {
	Name        *string       `json:"name"`
	Description *string       `json:"description"`
	Icon        *string       `json:"icon"`
	Home        *string       `json:"home"`
	Keywords    *[]string     `json:"keywords"`
	Maintainers *[]Maintainer `json:"maintainers"`
	CategoryIDs *[]string     `json:"category_ids"`
}

// Version is one version of an app.
type Version struct {
	ID          string `json:"id"`
	AppID       string `json:"app_id"`
	RepoID      string `json:"repo_id"`
	Name        string `json:"name"` // the version string, e.g. "1.2.0"
	AppVersion  string `json:"app_version"`
	Description string `json:"description"`
	Type        string `json:"type"`
	Status      string `json:"status"`
	PackageURL  string `json:"package_url,omitempty"`
	Digest      string `json:"digest,omitempty"`
	PackageSize int64  `json:"package_size,omitempty"`
	HasPackage  bool   `json:"has_package"` // the .tgz is stored (upload) or cached
	Deprecated  bool   `json:"deprecated,omitempty"`
	Removed     bool   `json:"removed,omitempty"` // gone from the repo's index at the last run
	Owner       string `json:"owner"`
	Message     string `json:"message,omitempty"` // the last review message
	// Unreviewed marks a version made passed or active without an admin's review: by the
	// private-repo shortcuts (its owner's own pass, a private repo's app_default_status
	// active). Such a version is seen only by its owner and admins, and goes back to draft
	// when its repo becomes public (see DemoteUnreviewed).
	Unreviewed bool       `json:"unreviewed,omitempty"`
	Created    *time.Time `json:"created,omitempty"` // the index entry's created time
	CreatedAt  time.Time  `json:"created_at"`
	UpdatedAt  time.Time  `json:"updated_at"`
}

// Audit records one review step of a version.
type Audit struct {
	ID         string    `json:"id"`
	VersionID  string    `json:"version_id"`
	Action     string    `json:"action"`
	FromStatus string    `json:"from_status"`
	Status     string    `json:"status"`
	Operator   string    `json:"operator"`
	Role       string    `json:"role"`
	Message    string    `json:"message"`
	CreatedAt  time.Time `json:"created_at"`
}

// Category is a label of the store.
type Category struct {
	ID          string    `json:"id"`
	Name        string    `json:"name"`
	Description string    `json:"description"`
	Icon        string    `json:"icon"`
	Locale      string    `json:"locale,omitempty"`
	Owner       string    `json:"owner"`
	CreatedAt   time.Time `json:"created_at"`
	UpdatedAt   time.Time `json:"updated_at"`
}

// CategoryInput is the body of POST /v1/categories and PATCH (nil = unchanged).
type CategoryInput struct {
	Name        *string `json:"name"`
	Description *string `json:"description"`
	Icon        *string `json:"icon"`
	Locale      *string `json:"locale"`
}

// ListQuery is the common list query of the REST contract.
type ListQuery struct {
	Limit   int               // 1..200, default 20
	Offset  int               // >= 0
	Q       string            // case-insensitive substring of name/description
	Sort    string            // "" = newest first; "name" = by name
	Filters map[string]string // e.g. repo_id, category_id, status, app_id, provider
}

// Page is one page of a list.
type Page[T any] struct {
	TotalCount int `json:"total_count"`
	Items      []T `json:"items"`
}

// RepoState is what the repo actor remembers between index runs: the ETag and digest of the
// last index it read, so an unchanged index is skipped.
type RepoState struct {
	RepoID string `json:"repo_id"`
	ETag   string `json:"etag"`
	// LastModified is the server's Last-Modified for the indexed version, sent back as
	// If-Modified-Since.
	LastModified string     `json:"last_modified,omitempty"`
	Digest       string     `json:"digest"`
	IndexedAt    *time.Time `json:"indexed_at,omitempty"`
	LastEventID  string     `json:"last_event_id,omitempty"`
}

// StoredRepo is a repo record as stored: the public part and its sealed credential.
type StoredRepo struct {
	Repo
	SealedCredential []byte `json:"sealed_credential,omitempty"`
}

// FileInfo is one file of a version's package.
type FileInfo struct {
	Path string `json:"path"`
	Size int    `json:"size"`
}
