package control

import (
	"context"
	"encoding/json"
	"errors"
	"net/url"
	"path/filepath"
	"strings"

	"github.com/pitrix/pitrix/actors/actorpb"
	"github.com/pitrix/pitrix/actors/catalog"
	"github.com/pitrix/pitrix/actors/entity"
	"github.com/pitrix/pitrix/actors/fault"
	"github.com/pitrix/pitrix/actors/identity"
	"github.com/pitrix/pitrix/actors/repo"
	"github.com/pitrix/pitrix/actors/repo/source"
	"github.com/pitrix/pitrix/actors/store"
)

// knownProviders are the provider words a repo may name, registered here or not yet.
var knownProviders = []string{"local", "kubernetes", "openstack", "aws", "qingcloud", "aliyun", "gcp", "azure"}

// DefaultIndexInterval is a new repo's schedule when its input names none (seconds).
const DefaultIndexInterval = 3600

// repoCanRead reports whether p may see repo r; groups are the groups p owns or belongs to.
func repoCanRead(p identity.Principal, r *catalog.Repo, groups map[string]bool) bool {
	return p.IsAdmin() || r.Owner == p.UserID || (r.Status != catalog.StatusDeleted && (r.Visibility == catalog.VisibilityPublic || sharedWith(r, groups)))
}

// sharedWith reports whether r is shared with one of groups.
func sharedWith(r *catalog.Repo, groups map[string]bool) bool {
	for _, g := range r.GroupIDs {
		if groups[g] {
			return true
		}
	}
	return false
}

// groupsOf returns the groups the caller owns or belongs to (none needed for an admin).
func (p *Plane) groupsOf(ctx context.Context, pr identity.Principal) (map[string]bool, error) {
	if pr.IsAdmin() {
		return nil, nil
	}
	g, err := p.ident.GroupsOf(ctx, pr.UserID)
	if err != nil {
		return nil, fault.Unavailable(err, "read the caller's groups")
	}
	return g, nil
}

func repoCanWrite(p identity.Principal, r *catalog.Repo) bool {
	return p.IsAdmin() || r.Owner == p.UserID
}

func (p *Plane) loadRepo(ctx context.Context, id string) (catalog.StoredRepo, uint64, error) {
	r, v, err := entity.Get[catalog.StoredRepo](ctx, p.st, catalog.RepoKey(id))
	if errors.Is(err, store.ErrNotFound) || (err == nil && r.Status == catalog.StatusDeleted) {
		return r, v, fault.NotFound("repo", id)
	}
	if err != nil {
		return r, v, fault.Unavailable(err, "read repo %s", id)
	}
	return r, v, nil
}

// readRepo loads a repo the caller may see; a repo it may not see is "not found".
func (p *Plane) readRepo(ctx context.Context, pr identity.Principal, id string) (catalog.StoredRepo, uint64, error) {
	r, v, err := p.loadRepo(ctx, id)
	if err != nil {
		return r, v, err
	}
	groups, err := p.groupsOf(ctx, pr)
	if err != nil {
		return r, v, err
	}
	if !repoCanRead(pr, &r.Repo, groups) {
		return r, v, fault.NotFound("repo", id)
	}
	return r, v, nil
}

// withState adds the index state to a repo view.
func (p *Plane) withState(ctx context.Context, r catalog.Repo) catalog.Repo {
	st, _, err := entity.Get[catalog.RepoState](ctx, p.st, catalog.RepoStateKey(r.ID))
	if err == nil {
		r.LastIndexedAt, r.LastEventID = st.IndexedAt, st.LastEventID
	}
	return r
}

// checkRepoFields validates a repo's fields after defaults, collecting every problem.
func (p *Plane) checkRepoFields(ctx context.Context, pr identity.Principal, r *catalog.Repo, cred *catalog.RepoCredential) problems {
	bad := problems{}
	bad.name("name", r.Name, true)
	bad.text("description", r.Description, 1024)
	switch r.Type {
	case "http", "https", "local":
		checkRepoURL(bad, r.Type, r.URL)
	case "s3":
		bad.add("type", "s3 repos are not supported yet; use http, https or local")
	default:
		bad.add("type", "%q is not one of http, https, local, s3", r.Type)
	}
	bad.oneOf("visibility", r.Visibility, catalog.VisibilityPublic, catalog.VisibilityPrivate)
	if len(r.Providers) == 0 {
		bad.add("providers", "name at least one provider (%s)", strings.Join(knownProviders, ", "))
	}
	for _, pv := range r.Providers {
		if _, ok := p.provs.Get(pv); !ok && !contains(knownProviders, pv) {
			bad.add("providers", "%q is not a known provider (%s)", pv, strings.Join(knownProviders, ", "))
		}
	}
	if catalog.AppTypeOf(r.Providers) == catalog.AppTypeHelm && len(r.Providers) > 1 {
		bad.add("providers", "a kubernetes repo holds Helm charts and cannot also serve VM providers")
	}
	bad.labels("labels", r.Labels)
	bad.selectors("selectors", r.Selectors)
	bad.oneOf("app_default_status", r.AppDefaultStatus, catalog.StatusDraft, catalog.StatusActive)
	if r.IndexInterval != 0 && (r.IndexInterval < 10 || r.IndexInterval > 7*24*3600) {
		bad.add("index_interval", "0 (no schedule) or 10 to 604800 seconds")
	}
	for _, c := range r.CategoryIDs {
		if _, _, err := entity.Get[catalog.Category](ctx, p.st, catalog.CategoryKey(c)); err != nil {
			bad.add("category_ids", "category %q does not exist", c)
		}
	}
	if len(r.GroupIDs) > 32 {
		bad.add("group_ids", "at most 32 groups")
	}
	for i, g := range r.GroupIDs {
		if contains(r.GroupIDs[:i], g) {
			bad.add("group_ids", "group %q is named twice", g)
		} else if _, err := p.ident.GetGroup(ctx, pr, g); err != nil {
			// Share only with groups the caller owns or belongs to.
			bad.add("group_ids", "group %q does not exist or is not one of yours", g)
		}
	}
	if cred != nil && cred.Password != "" && cred.Username == "" {
		bad.add("credential.username", "required with a password")
	}
	return bad
}

func checkRepoURL(bad problems, typ, raw string) {
	if raw == "" {
		bad.add("url", "required")
		return
	}
	if typ == "local" {
		path := strings.TrimPrefix(raw, "file://")
		if !filepath.IsAbs(path) {
			bad.add("url", "a local repo's url is an absolute folder path (or file:///path)")
		}
		return
	}
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		if strings.Contains(raw, "@") {
			bad.add("url", "not an absolute URL")
		} else {
			bad.add("url", "not an absolute URL: %q", raw)
		}
		return
	}
	if u.User != nil {
		bad.add("url", "must not hold a user or password (%s): give them as the repo's credential", u.Redacted())
		return
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		bad.add("url", "scheme %q: want http or https", u.Scheme)
	} else if typ == "https" && u.Scheme != "https" {
		bad.add("url", "a repo of type https needs an https URL")
	}
}

func (p *Plane) checkPublishRights(pr identity.Principal, r *catalog.Repo) error {
	if r.Visibility == catalog.VisibilityPublic {
		if pr.Role != identity.RoleAdmin && pr.Role != identity.RoleISV {
			return fault.Forbidden("only an admin or an isv may own a public repo")
		}
		if r.AppDefaultStatus == catalog.StatusActive && !pr.IsAdmin() {
			return fault.Forbidden("only an admin may publish a public repo's apps without review (app_default_status: active)")
		}
	}
	if len(r.GroupIDs) > 0 && r.AppDefaultStatus == catalog.StatusActive && !pr.IsAdmin() {
		return fault.Forbidden("only an admin may publish the apps of a repo shared with groups without review (app_default_status: active)")
	}
	return nil
}

func (p *Plane) sealCredential(r *catalog.StoredRepo, cred *catalog.RepoCredential) {
	if cred == nil {
		return
	}
	if *cred == (catalog.RepoCredential{}) {
		r.SealedCredential, r.HasCredential = nil, false
		return
	}
	b, _ := json.Marshal(cred)
	r.SealedCredential, r.HasCredential = p.seal.Seal(b, catalog.RepoKey(r.ID)), true
}

func toSource(typ, url string, cred *catalog.RepoCredential) source.Repo {
	s := source.Repo{Type: typ, URL: url}
	if cred != nil {
		s.Credential = source.Credential{Username: cred.Username, Password: cred.Password, BearerToken: cred.BearerToken, InsecureSkipVerify: cred.InsecureSkipVerify}
	}
	return s
}

// CreateRepo checks the input and that the repo's index can be read, stores the repo, and
// starts its first index.
func (p *Plane) CreateRepo(ctx context.Context, pr identity.Principal, in catalog.RepoInput) (*catalog.Repo, error) {
	if pr.Role == identity.RoleUser {
		return nil, fault.Forbidden("only an admin, an isv or a developer may create repos")
	}
	now := p.now()
	r := catalog.StoredRepo{Repo: catalog.Repo{
		ID: p.ids.Next("repo"), Name: in.Name, Description: in.Description, Type: in.Type, URL: in.URL,
		Visibility: in.Visibility, Providers: in.Providers, Labels: in.Labels, Selectors: in.Selectors,
		CategoryIDs: in.CategoryIDs, GroupIDs: in.GroupIDs, AppDefaultStatus: in.AppDefaultStatus, IndexInterval: DefaultIndexInterval,
		Owner: pr.UserID, Status: catalog.StatusActive, CreatedAt: now, UpdatedAt: now,
	}}
	if in.IndexInterval != nil {
		r.IndexInterval = *in.IndexInterval
	}
	if r.Visibility == "" {
		r.Visibility = catalog.VisibilityPrivate
	}
	if r.AppDefaultStatus == "" {
		r.AppDefaultStatus = catalog.StatusDraft
	}
	normalizeRepo(&r.Repo)
	if bad := p.checkRepoFields(ctx, pr, &r.Repo, in.Credential); len(bad) > 0 {
		return nil, fault.Invalid("invalid repo", bad)
	}
	if err := p.checkPublishRights(pr, &r.Repo); err != nil {
		return nil, err
	}
	if err := p.src.Validate(ctx, toSource(r.Type, r.URL, in.Credential)); err != nil {
		return nil, fault.Invalid("cannot read the repo's index", map[string]string{"url": err.Error()})
	}
	p.sealCredential(&r, in.Credential)
	if _, err := p.st.Apply(ctx, entity.MustPut(catalog.RepoKey(r.ID), r, store.Absent, r.Terms()...)); err != nil {
		return nil, fault.Unavailable(err, "store repo")
	}
	if _, err := p.indexRepo(ctx, r.ID, repo.TriggerCreate); err != nil {
		p.log.Warn("first index did not start", "repo_id", r.ID, "err", err)
	}
	out := r.Repo
	return &out, nil
}

func normalizeRepo(r *catalog.Repo) {
	if r.Providers == nil {
		r.Providers = []string{}
	}
	if r.Labels == nil {
		r.Labels = map[string]string{}
	}
	if r.Selectors == nil {
		r.Selectors = map[string][]string{}
	}
	if r.CategoryIDs == nil {
		r.CategoryIDs = []string{}
	}
	if r.GroupIDs == nil {
		r.GroupIDs = []string{}
	}
	if r.Type == "local" {
		r.URL = strings.TrimPrefix(r.URL, "file://")
	}
}

// ListRepos lists the repos the caller may see.
func (p *Plane) ListRepos(ctx context.Context, pr identity.Principal, q catalog.ListQuery) (catalog.Page[catalog.Repo], error) {
	term := ""
	if o := q.Filters["owner"]; o != "" {
		term = catalog.TermOwner(o)
	}
	groups, err := p.groupsOf(ctx, pr)
	if err != nil {
		return catalog.Page[catalog.Repo]{}, err
	}
	items, total, err := entity.List(ctx, p.st, entity.Query[catalog.Repo]{
		Prefix: catalog.RepoPrefix, Term: term, Limit: q.Limit, Offset: q.Offset, Less: lessByName(q.Sort, func(r catalog.Repo) string { return r.Name }),
		Keep: func(r catalog.Repo) bool {
			return r.Status != catalog.StatusDeleted && repoCanRead(pr, &r, groups) && entity.Contains(q.Q, r.Name, r.Description, r.URL) &&
				match(q.Filters["visibility"], r.Visibility) && match(q.Filters["type"], r.Type) &&
				(q.Filters["provider"] == "" || contains(r.Providers, q.Filters["provider"]))
		},
	})
	if err != nil {
		return catalog.Page[catalog.Repo]{}, fault.Unavailable(err, "list repos")
	}
	for i := range items {
		items[i] = p.withState(ctx, items[i])
	}
	return catalog.Page[catalog.Repo]{TotalCount: total, Items: items}, nil
}

// GetRepo returns one repo the caller may see.
func (p *Plane) GetRepo(ctx context.Context, pr identity.Principal, id string) (*catalog.Repo, error) {
	r, _, err := p.readRepo(ctx, pr, id)
	if err != nil {
		return nil, err
	}
	out := p.withState(ctx, r.Repo)
	return &out, nil
}

// UpdateRepo applies a patch; a new URL, type or credential is checked against the repo first.
func (p *Plane) UpdateRepo(ctx context.Context, pr identity.Principal, id string, in catalog.RepoPatch) (*catalog.Repo, error) {
	r, ver, err := p.readRepo(ctx, pr, id)
	if err != nil {
		return nil, err
	}
	if !repoCanWrite(pr, &r.Repo) {
		return nil, fault.Forbidden("only the repo's owner or an admin may change it")
	}
	wasPublic := r.Visibility == catalog.VisibilityPublic
	wasShared := len(r.GroupIDs) > 0
	set(&r.Name, in.Name)
	set(&r.Description, in.Description)
	set(&r.URL, in.URL)
	set(&r.Visibility, in.Visibility)
	set(&r.Providers, in.Providers)
	set(&r.Labels, in.Labels)
	set(&r.Selectors, in.Selectors)
	set(&r.CategoryIDs, in.CategoryIDs)
	set(&r.GroupIDs, in.GroupIDs)
	set(&r.AppDefaultStatus, in.AppDefaultStatus)
	set(&r.IndexInterval, in.IndexInterval)
	normalizeRepo(&r.Repo)
	if bad := p.checkRepoFields(ctx, pr, &r.Repo, in.Credential); len(bad) > 0 {
		return nil, fault.Invalid("invalid repo", bad)
	}
	if err := p.checkPublishRights(pr, &r.Repo); err != nil {
		return nil, err
	}
	if in.URL != nil || in.Credential != nil {
		src := toSource(r.Type, r.URL, in.Credential)
		if in.Credential == nil {
			old, err := repo.Source(p.seal, r)
			if err != nil {
				return nil, fault.Internal(err, "open repo credential")
			}
			src.Credential = old.Credential
		}
		if err := p.src.Validate(ctx, src); err != nil {
			return nil, fault.Invalid("cannot read the repo's index", map[string]string{"url": err.Error()})
		}
	}
	if (!wasPublic && r.Visibility == catalog.VisibilityPublic) || (!wasPublic && !wasShared && len(r.GroupIDs) > 0) {
		// Before the repo turns public: what its shortcuts made passed or active goes back
		// to draft, so publishing never skips review.
		if err := p.demoteUnreviewed(ctx, pr, id); err != nil {
			return nil, err
		}
	}
	p.sealCredential(&r, in.Credential)
	r.UpdatedAt = p.now()
	if _, err := p.st.Apply(ctx, entity.MustPut(catalog.RepoKey(id), r, ver, r.Terms()...)); err != nil {
		if errors.Is(err, store.ErrConflict) {
			return nil, fault.Conflict("repo %s was changed concurrently; retry", id)
		}
		return nil, fault.Unavailable(err, "store repo %s", id)
	}
	p.notifyRepo(ctx, id)
	out := p.withState(ctx, r.Repo)
	return &out, nil
}

// DeleteRepo marks a repo deleted; its apps leave the store.
func (p *Plane) DeleteRepo(ctx context.Context, pr identity.Principal, id string) error {
	r, ver, err := p.readRepo(ctx, pr, id)
	if err != nil {
		return err
	}
	if !repoCanWrite(pr, &r.Repo) {
		return fault.Forbidden("only the repo's owner or an admin may delete it")
	}
	r.Status, r.UpdatedAt = catalog.StatusDeleted, p.now()
	if _, err := p.st.Apply(ctx, entity.MustPut(catalog.RepoKey(id), r, ver, r.Terms()...)); err != nil {
		if errors.Is(err, store.ErrConflict) {
			return fault.Conflict("repo %s was changed concurrently; retry", id)
		}
		return fault.Unavailable(err, "delete repo %s", id)
	}
	p.notifyRepo(ctx, id)
	return nil
}

func (p *Plane) notifyRepo(ctx context.Context, id string) {
	if _, err := request[*actorpb.RepoChangedResult](ctx, p.node, repo.KindName, id, &actorpb.RepoChanged{}); err != nil {
		p.log.Warn("repo actor not told of a change; it reloads when next activated", "repo_id", id, "err", err)
	}
}

// IndexRepo starts an index run (or returns the running one).
func (p *Plane) IndexRepo(ctx context.Context, pr identity.Principal, id string) (*catalog.RepoEvent, error) {
	r, _, err := p.readRepo(ctx, pr, id)
	if err != nil {
		return nil, err
	}
	if !repoCanWrite(pr, &r.Repo) {
		return nil, fault.Forbidden("only the repo's owner or an admin may index it")
	}
	return p.indexRepo(ctx, id, repo.TriggerManual)
}

func (p *Plane) indexRepo(ctx context.Context, id, trigger string) (*catalog.RepoEvent, error) {
	res, err := request[*actorpb.IndexRepoResult](ctx, p.node, repo.KindName, id, &actorpb.IndexRepo{Trigger: trigger})
	if err != nil {
		return nil, fault.Unavailable(err, "repo %s did not answer", id)
	}
	if err := fault.FromProto(res.Fault); err != nil {
		return nil, err
	}
	var ev catalog.RepoEvent
	if err := json.Unmarshal(res.Event, &ev); err != nil {
		return nil, fault.Internal(err, "decode repo event")
	}
	return &ev, nil
}

// ListRepoEvents lists a repo's index runs, newest first.
func (p *Plane) ListRepoEvents(ctx context.Context, pr identity.Principal, id string, q catalog.ListQuery) (catalog.Page[catalog.RepoEvent], error) {
	if _, _, err := p.readRepo(ctx, pr, id); err != nil {
		return catalog.Page[catalog.RepoEvent]{}, err
	}
	items, total, err := entity.List(ctx, p.st, entity.Query[catalog.RepoEvent]{
		Prefix: catalog.EventPrefix + id + "/", Limit: q.Limit, Offset: q.Offset,
		Keep: func(e catalog.RepoEvent) bool { return match(q.Filters["status"], e.Status) },
	})
	if err != nil {
		return catalog.Page[catalog.RepoEvent]{}, fault.Unavailable(err, "list events of repo %s", id)
	}
	return catalog.Page[catalog.RepoEvent]{TotalCount: total, Items: items}, nil
}

// ValidateRepo tells whether a repo's index can be read.
func (p *Plane) ValidateRepo(ctx context.Context, pr identity.Principal, in catalog.RepoSource) catalog.ValidateResult {
	if pr.Role == identity.RoleUser {
		// As actors/authz says: only those who may create repos check one (it reads a URL).
		return catalog.ValidateResult{OK: false, Error: "only an admin, an isv or a developer may check repos"}
	}
	bad := problems{}
	switch in.Type {
	case "http", "https", "local":
		checkRepoURL(bad, in.Type, in.URL)
	case "s3":
		bad.add("type", "s3 repos are not supported yet; use http, https or local")
	default:
		bad.add("type", "%q is not one of http, https, local, s3", in.Type)
	}
	if len(bad) > 0 {
		return catalog.ValidateResult{OK: false, Error: "invalid repo source", Errors: bad}
	}
	if err := p.src.Validate(ctx, toSource(in.Type, strings.TrimPrefix(in.URL, "file://"), in.Credential)); err != nil {
		return catalog.ValidateResult{OK: false, Error: err.Error()}
	}
	return catalog.ValidateResult{OK: true}
}

func set[T any](dst *T, v *T) {
	if v != nil {
		*dst = *v
	}
}

func contains(xs []string, x string) bool {
	for _, v := range xs {
		if v == x {
			return true
		}
	}
	return false
}

// match is an optional equality filter: an empty want matches everything.
func match(want, got string) bool { return want == "" || want == got }

// lessByName returns the "sort=name" order, or nil for the default (newest first).
func lessByName[T any](sort string, name func(T) string) func(a, b T) bool {
	if sort != "name" {
		return nil
	}
	return func(a, b T) bool { return strings.ToLower(name(a)) < strings.ToLower(name(b)) }
}

// demoteUnreviewed sends the repo's unreviewed versions back to draft, with an audit each,
// and recomputes their apps' status.
func (p *Plane) demoteUnreviewed(ctx context.Context, pr identity.Principal, repoID string) error {
	now := p.now()
	var ops []store.Op
	changed := map[string]catalog.Version{} // app id -> one demoted version of it
	err := entity.Each(ctx, p.st, catalog.VersionPrefix, catalog.TermRepo(repoID), func(v catalog.Version, ver uint64) error {
		from := v.Status
		if !catalog.DemoteUnreviewed(&v) {
			return nil
		}
		const msg = "repo made public or shared: versions that skipped review go back to draft"
		v.Message, v.UpdatedAt = msg, now
		audit := catalog.Audit{ID: p.ids.Next("audit"), VersionID: v.ID, Action: "publish_repo", FromStatus: from, Status: v.Status,
			Operator: pr.UserID, Role: pr.Role, Message: msg, CreatedAt: now}
		ops = append(ops, entity.MustPut(catalog.VersionKey(v.ID), v, ver, v.Terms()...),
			entity.MustPut(catalog.AuditKey(v.ID, audit.ID), audit, store.Absent))
		changed[v.AppID] = v
		return nil
	})
	if err != nil {
		return fault.Unavailable(err, "list versions of repo %s", repoID)
	}
	for len(ops) > 0 {
		n := min(len(ops), 256)
		if _, err := p.st.Apply(ctx, ops[:n]...); err != nil {
			return writeFault(err, "versions of repo", repoID)
		}
		ops = ops[n:]
	}
	for _, v := range changed {
		op, ok, err := p.appStatusOp(ctx, v)
		if err != nil {
			return err
		}
		if ok {
			if _, err := p.st.Apply(ctx, op); err != nil {
				return writeFault(err, "app", v.AppID)
			}
		}
	}
	if len(changed) > 0 {
		p.log.Info("repo made public or shared: unreviewed versions back to draft", "repo_id", repoID, "apps", len(changed))
	}
	return nil
}
