package rest

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"path"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/pitrix/pitrix/actors/audit"
	"github.com/pitrix/pitrix/actors/catalog"
	"github.com/pitrix/pitrix/actors/catalog/form"
	"github.com/pitrix/pitrix/actors/fault"
	"github.com/pitrix/pitrix/actors/identity"
	"github.com/pitrix/pitrix/actors/inspect"
	"github.com/pitrix/pitrix/actors/runtimes"
)

// memBackend is a Backend that keeps its state in maps, for the front's tests. It answers with
// real pagination, conflicts and not-founds, and can fail or block a method on request.
type memBackend struct {
	*memClusters // the clusters, jobs and events part, with its own lock

	mu    sync.Mutex
	seq   int
	epoch time.Time

	tokens      map[string]identity.Principal
	users       map[string]*identity.User
	categories  map[string]*catalog.Category
	repos       map[string]*catalog.Repo
	events      map[string]*catalog.RepoEvent
	apps        map[string]*catalog.App
	versions    map[string]*catalog.Version
	packages    map[string][]byte
	audits      map[string]*catalog.Audit
	credentials map[string]*runtimes.Credential
	runtimes    map[string]*runtimes.Runtime
	created     map[string]int // id -> creation sequence, for newest-first order

	fail    map[string]error // method name -> error of its next call
	panics  map[string]bool  // method name -> panic on its next call
	gate    chan struct{}    // when set, GetCategory waits for it to close
	entered chan struct{}    // GetCategory sends here before waiting on gate
	ready   error
	authN   int // Authenticate calls

	auditLog []audit.Entry // oldest first
}

const adminToken = "admin-secret-token"

var _ Backend = (*memBackend)(nil)

func newMemBackend() *memBackend {
	b := &memBackend{
		memClusters: newMemClusters(),
		epoch:       time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC),
		tokens:      map[string]identity.Principal{},
		users:       map[string]*identity.User{},
		categories:  map[string]*catalog.Category{},
		repos:       map[string]*catalog.Repo{},
		events:      map[string]*catalog.RepoEvent{},
		apps:        map[string]*catalog.App{},
		versions:    map[string]*catalog.Version{},
		packages:    map[string][]byte{},
		audits:      map[string]*catalog.Audit{},
		credentials: map[string]*runtimes.Credential{},
		runtimes:    map[string]*runtimes.Runtime{},
		created:     map[string]int{},
		fail:        map[string]error{},
		panics:      map[string]bool{},
	}
	admin := &identity.User{ID: "usr-admin", Name: "admin", Role: identity.RoleAdmin, Status: "active"}
	b.users[admin.ID] = admin
	b.created[admin.ID] = 0
	b.tokens[adminToken] = identity.Principal{UserID: admin.ID, Role: identity.RoleAdmin}
	return b
}

// failNext makes the next call of method return err.
func (b *memBackend) failNext(method string, err error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.fail[method] = err
}

// enter takes the injected failure of method, if any; the caller holds b.mu.
func (b *memBackend) enter(method string) error {
	if b.panics[method] {
		delete(b.panics, method)
		panic("memBackend: injected panic in " + method)
	}
	if err, ok := b.fail[method]; ok {
		delete(b.fail, method)
		return err
	}
	return nil
}

// newID makes an id with the kind prefix and records its creation order; the caller holds b.mu.
func (b *memBackend) newID(prefix string) (string, time.Time) {
	b.seq++
	id := fmt.Sprintf("%s-%04d", prefix, b.seq)
	b.created[id] = b.seq
	return id, b.epoch.Add(time.Duration(b.seq) * time.Second)
}

// list filters, orders (newest first, or by name) and pages the items of a map.
func list[T any](b *memBackend, m map[string]*T, q catalog.ListQuery, id, name func(*T) string, field func(*T, string) string) catalog.Page[T] {
	return memList(b.created, m, q, id, name, field)
}

// memList is list over any creation-order table.
func memList[T any](created map[string]int, m map[string]*T, q catalog.ListQuery, id, name func(*T) string, field func(*T, string) string) catalog.Page[T] {
	var all []*T
	for _, v := range m {
		if q.Q != "" && !strings.Contains(strings.ToLower(name(v)), strings.ToLower(q.Q)) {
			continue
		}
		ok := true
		for k, want := range q.Filters {
			if field == nil || field(v, k) != want {
				ok = false
			}
		}
		if ok {
			all = append(all, v)
		}
	}
	slices.SortFunc(all, func(x, y *T) int {
		if q.Sort == "name" {
			return strings.Compare(name(x), name(y))
		}
		return created[id(y)] - created[id(x)]
	})
	p := catalog.Page[T]{TotalCount: len(all)}
	for i := q.Offset; i < len(all) && i < q.Offset+q.Limit; i++ {
		p.Items = append(p.Items, *all[i])
	}
	return p
}

func (b *memBackend) Authenticate(_ context.Context, token string) (identity.Principal, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.authN++
	if err := b.enter("Authenticate"); err != nil {
		return identity.Principal{}, err
	}
	p, ok := b.tokens[token]
	if !ok {
		return identity.Principal{}, fault.Unauthenticated("unknown token")
	}
	return p, nil
}

// Categories.

func (b *memBackend) ListCategories(_ context.Context, _ identity.Principal, q catalog.ListQuery) (catalog.Page[catalog.Category], error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if err := b.enter("ListCategories"); err != nil {
		return catalog.Page[catalog.Category]{}, err
	}
	return list(b, b.categories, q, func(c *catalog.Category) string { return c.ID },
		func(c *catalog.Category) string { return c.Name },
		func(c *catalog.Category, k string) string {
			switch k {
			case "owner":
				return c.Owner
			case "locale":
				return c.Locale
			}
			return ""
		}), nil
}

func (b *memBackend) GetCategory(ctx context.Context, _ identity.Principal, id string) (*catalog.Category, error) {
	b.mu.Lock()
	gate, entered := b.gate, b.entered
	b.mu.Unlock()
	if gate != nil {
		entered <- struct{}{}
		select {
		case <-gate:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if err := b.enter("GetCategory"); err != nil {
		return nil, err
	}
	c, ok := b.categories[id]
	if !ok {
		return nil, fault.NotFound("category", id)
	}
	cp := *c
	return &cp, nil
}

func (b *memBackend) CreateCategory(_ context.Context, p identity.Principal, in catalog.CategoryInput) (*catalog.Category, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if err := b.enter("CreateCategory"); err != nil {
		return nil, err
	}
	if in.Name == nil || *in.Name == "" {
		return nil, fault.InvalidField("name", "required")
	}
	for _, c := range b.categories {
		if c.Name == *in.Name {
			return nil, fault.Conflict("category %q exists", *in.Name)
		}
	}
	id, now := b.newID("ctg")
	c := &catalog.Category{ID: id, Name: *in.Name, Owner: p.UserID, CreatedAt: now, UpdatedAt: now}
	applyCategory(c, in)
	b.categories[id] = c
	cp := *c
	return &cp, nil
}

func applyCategory(c *catalog.Category, in catalog.CategoryInput) {
	if in.Name != nil {
		c.Name = *in.Name
	}
	if in.Description != nil {
		c.Description = *in.Description
	}
	if in.Icon != nil {
		c.Icon = *in.Icon
	}
	if in.Locale != nil {
		c.Locale = *in.Locale
	}
}

func (b *memBackend) UpdateCategory(_ context.Context, _ identity.Principal, id string, in catalog.CategoryInput) (*catalog.Category, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if err := b.enter("UpdateCategory"); err != nil {
		return nil, err
	}
	c, ok := b.categories[id]
	if !ok {
		return nil, fault.NotFound("category", id)
	}
	if in.Name != nil && *in.Name == "" {
		return nil, fault.InvalidField("name", "must not be empty")
	}
	applyCategory(c, in)
	c.UpdatedAt = c.UpdatedAt.Add(time.Second)
	cp := *c
	return &cp, nil
}

func (b *memBackend) DeleteCategory(_ context.Context, _ identity.Principal, id string) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if err := b.enter("DeleteCategory"); err != nil {
		return err
	}
	if _, ok := b.categories[id]; !ok {
		return fault.NotFound("category", id)
	}
	delete(b.categories, id)
	return nil
}

// Repos.

var repoTypes = []string{"http", "https", "s3", "local"}

func (b *memBackend) CreateRepo(_ context.Context, p identity.Principal, in catalog.RepoInput) (*catalog.Repo, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if err := b.enter("CreateRepo"); err != nil {
		return nil, err
	}
	bad := map[string]string{}
	if in.Name == "" {
		bad["name"] = "required"
	}
	if !slices.Contains(repoTypes, in.Type) {
		bad["type"] = "must be one of http, https, s3, local"
	}
	if in.URL == "" {
		bad["url"] = "required"
	}
	if len(bad) > 0 {
		return nil, fault.Invalid("invalid repo", bad)
	}
	for _, r := range b.repos {
		if r.Name == in.Name {
			return nil, fault.Conflict("repo %q exists", in.Name)
		}
	}
	id, now := b.newID("repo")
	r := &catalog.Repo{ID: id, Name: in.Name, Description: in.Description, Type: in.Type, URL: in.URL,
		Visibility: cmpOr(in.Visibility, catalog.VisibilityPrivate), Providers: in.Providers, Labels: in.Labels,
		Selectors: in.Selectors, CategoryIDs: in.CategoryIDs, AppDefaultStatus: cmpOr(in.AppDefaultStatus, catalog.StatusDraft),
		Owner: p.UserID, HasCredential: in.Credential != nil, Status: "active", CreatedAt: now, UpdatedAt: now}
	b.repos[id] = r
	cp := *r
	return &cp, nil
}

func cmpOr(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

func (b *memBackend) ListRepos(_ context.Context, _ identity.Principal, q catalog.ListQuery) (catalog.Page[catalog.Repo], error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return list(b, b.repos, q, func(r *catalog.Repo) string { return r.ID }, func(r *catalog.Repo) string { return r.Name },
		func(r *catalog.Repo, k string) string {
			switch k {
			case "type":
				return r.Type
			case "visibility":
				return r.Visibility
			}
			return ""
		}), nil
}

func (b *memBackend) GetRepo(_ context.Context, _ identity.Principal, id string) (*catalog.Repo, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	r, ok := b.repos[id]
	if !ok {
		return nil, fault.NotFound("repo", id)
	}
	cp := *r
	return &cp, nil
}

func (b *memBackend) UpdateRepo(_ context.Context, _ identity.Principal, id string, in catalog.RepoPatch) (*catalog.Repo, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	r, ok := b.repos[id]
	if !ok {
		return nil, fault.NotFound("repo", id)
	}
	if in.Name != nil {
		r.Name = *in.Name
	}
	if in.Description != nil {
		r.Description = *in.Description
	}
	if in.Visibility != nil {
		r.Visibility = *in.Visibility
	}
	if in.Labels != nil {
		r.Labels = *in.Labels
	}
	cp := *r
	return &cp, nil
}

func (b *memBackend) DeleteRepo(_ context.Context, _ identity.Principal, id string) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if _, ok := b.repos[id]; !ok {
		return fault.NotFound("repo", id)
	}
	delete(b.repos, id)
	return nil
}

func (b *memBackend) IndexRepo(_ context.Context, _ identity.Principal, id string) (*catalog.RepoEvent, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if _, ok := b.repos[id]; !ok {
		return nil, fault.NotFound("repo", id)
	}
	eid, now := b.newID("repoe")
	ev := &catalog.RepoEvent{ID: eid, RepoID: id, Trigger: "manual", Status: catalog.EventPending, CreatedAt: now}
	b.events[eid] = ev
	cp := *ev
	return &cp, nil
}

func (b *memBackend) ListRepoEvents(_ context.Context, _ identity.Principal, id string, q catalog.ListQuery) (catalog.Page[catalog.RepoEvent], error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if _, ok := b.repos[id]; !ok {
		return catalog.Page[catalog.RepoEvent]{}, fault.NotFound("repo", id)
	}
	mine := map[string]*catalog.RepoEvent{}
	for k, ev := range b.events {
		if ev.RepoID == id {
			mine[k] = ev
		}
	}
	return list(b, mine, q, func(e *catalog.RepoEvent) string { return e.ID }, func(e *catalog.RepoEvent) string { return e.ID },
		func(e *catalog.RepoEvent, k string) string {
			if k == "status" {
				return e.Status
			}
			return ""
		}), nil
}

func (b *memBackend) ValidateRepo(_ context.Context, _ identity.Principal, in catalog.RepoSource) catalog.ValidateResult {
	if !slices.Contains(repoTypes, in.Type) {
		return catalog.ValidateResult{Error: "unknown repo type " + in.Type}
	}
	return catalog.ValidateResult{OK: true}
}

// Apps and versions.

// packageFiles reads a package .tgz: its files by path inside the top folder.
func packageFiles(pkg []byte) (map[string][]byte, error) {
	zr, err := gzip.NewReader(bytes.NewReader(pkg))
	if err != nil {
		return nil, err
	}
	tr := tar.NewReader(zr)
	files := map[string][]byte{}
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return files, nil
		}
		if err != nil {
			return nil, err
		}
		_, rest, ok := strings.Cut(path.Clean(h.Name), "/")
		if !ok || h.Typeflag != tar.TypeReg {
			continue
		}
		b, err := io.ReadAll(tr)
		if err != nil {
			return nil, err
		}
		files[rest] = b
	}
}

func (b *memBackend) UploadApp(_ context.Context, p identity.Principal, appID, appType string, pkg []byte, _ catalog.PackageOrigin) (*catalog.App, *catalog.Version, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if err := b.enter("UploadApp"); err != nil {
		return nil, nil, err
	}
	files, err := packageFiles(pkg)
	if err != nil {
		return nil, nil, fault.Invalid("package is not a .tgz", map[string]string{"package": err.Error()})
	}
	name := strings.TrimSpace(string(files["NAME"]))
	if name == "" {
		return nil, nil, fault.Invalid("invalid package", map[string]string{"NAME": "missing"})
	}
	var app *catalog.App
	if appID == "" {
		id, now := b.newID("app")
		app = &catalog.App{ID: id, Name: name, Type: appType, Status: catalog.StatusDraft, Owner: p.UserID, CreatedAt: now, UpdatedAt: now}
		b.apps[id] = app
	} else if app = b.apps[appID]; app == nil {
		return nil, nil, fault.NotFound("app", appID)
	}
	vid, now := b.newID("appv")
	v := &catalog.Version{ID: vid, AppID: app.ID, Name: strings.TrimSpace(string(files["VERSION"])), Type: appType,
		Status: catalog.StatusDraft, HasPackage: true, PackageSize: int64(len(pkg)), Owner: p.UserID, CreatedAt: now, UpdatedAt: now}
	b.versions[vid] = v
	b.packages[vid] = pkg
	app.LatestVersionID = vid
	ac, vc := *app, *v
	return &ac, &vc, nil
}

func (b *memBackend) ValidatePackage(_ context.Context, _ identity.Principal, _ string, pkg []byte, _ catalog.PackageOrigin) catalog.ValidateResult {
	files, err := packageFiles(pkg)
	if err != nil {
		return catalog.ValidateResult{Errors: map[string]string{"package": err.Error()}}
	}
	if len(files["NAME"]) == 0 {
		return catalog.ValidateResult{Errors: map[string]string{"NAME": "missing"}}
	}
	return catalog.ValidateResult{OK: true}
}

func (b *memBackend) ListApps(_ context.Context, _ identity.Principal, q catalog.ListQuery) (catalog.Page[catalog.App], error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return list(b, b.apps, q, func(a *catalog.App) string { return a.ID }, func(a *catalog.App) string { return a.Name },
		func(a *catalog.App, k string) string {
			switch k {
			case "status":
				return a.Status
			case "type":
				return a.Type
			}
			return ""
		}), nil
}

func (b *memBackend) GetApp(_ context.Context, _ identity.Principal, id string) (*catalog.App, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	a, ok := b.apps[id]
	if !ok {
		return nil, fault.NotFound("app", id)
	}
	cp := *a
	return &cp, nil
}

func (b *memBackend) UpdateApp(_ context.Context, _ identity.Principal, id string, in catalog.AppPatch) (*catalog.App, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	a, ok := b.apps[id]
	if !ok {
		return nil, fault.NotFound("app", id)
	}
	if in.Description != nil {
		a.Description = *in.Description
	}
	cp := *a
	return &cp, nil
}

func (b *memBackend) DeleteApp(_ context.Context, _ identity.Principal, id string) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if _, ok := b.apps[id]; !ok {
		return fault.NotFound("app", id)
	}
	delete(b.apps, id)
	return nil
}

func (b *memBackend) ListVersions(_ context.Context, _ identity.Principal, appID string, q catalog.ListQuery) (catalog.Page[catalog.Version], error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if _, ok := b.apps[appID]; !ok {
		return catalog.Page[catalog.Version]{}, fault.NotFound("app", appID)
	}
	mine := map[string]*catalog.Version{}
	for k, v := range b.versions {
		if v.AppID == appID {
			mine[k] = v
		}
	}
	return list(b, mine, q, func(v *catalog.Version) string { return v.ID }, func(v *catalog.Version) string { return v.Name }, nil), nil
}

func (b *memBackend) GetVersion(_ context.Context, _ identity.Principal, id string) (*catalog.Version, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	v, ok := b.versions[id]
	if !ok {
		return nil, fault.NotFound("version", id)
	}
	cp := *v
	return &cp, nil
}

func (b *memBackend) VersionPackage(_ context.Context, _ identity.Principal, id string) ([]byte, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	pkg, ok := b.packages[id]
	if !ok {
		return nil, fault.NotFound("version", id)
	}
	return pkg, nil
}

func (b *memBackend) VersionFiles(_ context.Context, _ identity.Principal, id string) (catalog.Page[catalog.FileInfo], error) {
	b.mu.Lock()
	pkg, ok := b.packages[id]
	b.mu.Unlock()
	if !ok {
		return catalog.Page[catalog.FileInfo]{}, fault.NotFound("version", id)
	}
	files, err := packageFiles(pkg)
	if err != nil {
		return catalog.Page[catalog.FileInfo]{}, fault.Internal(err, "read package of %s", id)
	}
	out := catalog.Page[catalog.FileInfo]{Items: []catalog.FileInfo{}}
	for name, f := range files {
		out.Items = append(out.Items, catalog.FileInfo{Path: name, Size: len(f)})
	}
	out.TotalCount = len(out.Items)
	return out, nil
}

func (b *memBackend) VersionFile(_ context.Context, _ identity.Principal, id, name string) ([]byte, error) {
	b.mu.Lock()
	pkg, ok := b.packages[id]
	b.mu.Unlock()
	if !ok {
		return nil, fault.NotFound("version", id)
	}
	files, err := packageFiles(pkg)
	if err != nil {
		return nil, fault.Internal(err, "read package of %s", id)
	}
	f, ok := files[name]
	if !ok {
		return nil, fault.NotFound("file", name)
	}
	return f, nil
}

// reviewMoves is the memBackend's small review machine: action -> from statuses -> to status.
var reviewMoves = map[string]struct {
	from []string
	to   string
}{
	"submit":  {[]string{catalog.StatusDraft, catalog.StatusRejected}, catalog.StatusSubmitted},
	"cancel":  {[]string{catalog.StatusSubmitted}, catalog.StatusDraft},
	"pass":    {[]string{catalog.StatusSubmitted}, catalog.StatusPassed},
	"reject":  {[]string{catalog.StatusSubmitted}, catalog.StatusRejected},
	"release": {[]string{catalog.StatusPassed}, catalog.StatusActive},
	"suspend": {[]string{catalog.StatusActive}, catalog.StatusSuspended},
	"recover": {[]string{catalog.StatusSuspended}, catalog.StatusActive},
}

func (b *memBackend) ReviewVersion(_ context.Context, p identity.Principal, id, action, message string) (*catalog.Version, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	v, ok := b.versions[id]
	if !ok {
		return nil, fault.NotFound("version", id)
	}
	mv, ok := reviewMoves[action]
	if !ok {
		return nil, fault.InvalidField("action", "unknown")
	}
	if !slices.Contains(mv.from, v.Status) {
		return nil, fault.Precondition("cannot %s a version in status %s", action, v.Status)
	}
	aid, now := b.newID("aud")
	b.audits[aid] = &catalog.Audit{ID: aid, VersionID: id, Action: action, FromStatus: v.Status, Status: mv.to,
		Operator: p.UserID, Role: p.Role, Message: message, CreatedAt: now}
	v.Status, v.Message = mv.to, message
	cp := *v
	return &cp, nil
}

func (b *memBackend) ListAudits(_ context.Context, _ identity.Principal, versionID string, q catalog.ListQuery) (catalog.Page[catalog.Audit], error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	mine := map[string]*catalog.Audit{}
	for k, a := range b.audits {
		if a.VersionID == versionID {
			mine[k] = a
		}
	}
	return list(b, mine, q, func(a *catalog.Audit) string { return a.ID }, func(a *catalog.Audit) string { return a.Action }, nil), nil
}

func (b *memBackend) VersionRuntimes(_ context.Context, _ identity.Principal, versionID string) (catalog.Page[runtimes.Runtime], error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	v, ok := b.versions[versionID]
	if !ok {
		return catalog.Page[runtimes.Runtime]{}, fault.NotFound("version", versionID)
	}
	var p catalog.Page[runtimes.Runtime]
	for _, rt := range b.runtimes {
		if (v.Type == catalog.AppTypeHelm) == (rt.Provider == "kubernetes") {
			p.Items = append(p.Items, *rt)
		}
	}
	p.TotalCount = len(p.Items)
	return p, nil
}

// Runtimes.

func (b *memBackend) ListProviders(context.Context) []runtimes.ProviderInfo {
	return []runtimes.ProviderInfo{{Name: "kubernetes", AppType: "helm", NeedsCredential: true}, {Name: "local", AppType: "vm"}}
}

func (b *memBackend) CreateCredential(_ context.Context, p identity.Principal, in runtimes.CredentialInput) (*runtimes.Credential, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if in.Name == "" || in.Content == "" {
		return nil, fault.Invalid("invalid credential", map[string]string{"name": "required", "content": "required"})
	}
	id, now := b.newID("rcred")
	c := &runtimes.Credential{ID: id, Name: in.Name, Provider: in.Provider, URL: in.URL, Owner: p.UserID, Status: "active", CreatedAt: now, UpdatedAt: now}
	b.credentials[id] = c
	cp := *c
	return &cp, nil
}

func (b *memBackend) ListCredentials(_ context.Context, _ identity.Principal, q catalog.ListQuery) (catalog.Page[runtimes.Credential], error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return list(b, b.credentials, q, func(c *runtimes.Credential) string { return c.ID }, func(c *runtimes.Credential) string { return c.Name }, nil), nil
}

func (b *memBackend) GetCredential(_ context.Context, _ identity.Principal, id string) (*runtimes.Credential, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	c, ok := b.credentials[id]
	if !ok {
		return nil, fault.NotFound("runtime credential", id)
	}
	cp := *c
	return &cp, nil
}

func (b *memBackend) DeleteCredential(_ context.Context, _ identity.Principal, id string) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if _, ok := b.credentials[id]; !ok {
		return fault.NotFound("runtime credential", id)
	}
	delete(b.credentials, id)
	return nil
}

func (b *memBackend) ValidateCredential(_ context.Context, _ identity.Principal, id string) catalog.ValidateResult {
	b.mu.Lock()
	defer b.mu.Unlock()
	if _, ok := b.credentials[id]; !ok {
		return catalog.ValidateResult{Error: "no such credential"}
	}
	return catalog.ValidateResult{OK: true}
}

func (b *memBackend) CreateRuntime(_ context.Context, p identity.Principal, in runtimes.RuntimeInput) (*runtimes.Runtime, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if in.CredentialID != "" && b.credentials[in.CredentialID] == nil {
		return nil, fault.InvalidField("credential_id", "no such credential")
	}
	id, now := b.newID("runtime")
	rt := &runtimes.Runtime{ID: id, Name: in.Name, Provider: in.Provider, Zone: in.Zone, CredentialID: in.CredentialID,
		Labels: in.Labels, Owner: p.UserID, Status: "active", CreatedAt: now, UpdatedAt: now}
	b.runtimes[id] = rt
	cp := *rt
	return &cp, nil
}

func (b *memBackend) ListRuntimes(_ context.Context, _ identity.Principal, q catalog.ListQuery) (catalog.Page[runtimes.Runtime], error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return list(b, b.runtimes, q, func(r *runtimes.Runtime) string { return r.ID }, func(r *runtimes.Runtime) string { return r.Name },
		func(r *runtimes.Runtime, k string) string {
			if k == "provider" {
				return r.Provider
			}
			return ""
		}), nil
}

func (b *memBackend) GetRuntime(_ context.Context, _ identity.Principal, id string) (*runtimes.Runtime, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	rt, ok := b.runtimes[id]
	if !ok {
		return nil, fault.NotFound("runtime", id)
	}
	cp := *rt
	return &cp, nil
}

func (b *memBackend) UpdateRuntime(_ context.Context, _ identity.Principal, id string, in runtimes.RuntimePatch) (*runtimes.Runtime, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	rt, ok := b.runtimes[id]
	if !ok {
		return nil, fault.NotFound("runtime", id)
	}
	if in.Name != nil {
		rt.Name = *in.Name
	}
	if in.Labels != nil {
		rt.Labels = *in.Labels
	}
	cp := *rt
	return &cp, nil
}

func (b *memBackend) DeleteRuntime(_ context.Context, _ identity.Principal, id string) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if _, ok := b.runtimes[id]; !ok {
		return fault.NotFound("runtime", id)
	}
	delete(b.runtimes, id)
	return nil
}

// Admin.

func (b *memBackend) CreateUser(_ context.Context, p identity.Principal, in identity.UserInput) (*identity.User, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if !p.IsAdmin() {
		return nil, fault.Forbidden("only admins create users")
	}
	if in.Name == "" {
		return nil, fault.InvalidField("name", "required")
	}
	id, now := b.newID("usr")
	u := &identity.User{ID: id, Name: in.Name, Email: in.Email, Role: cmpOr(in.Role, identity.RoleUser), Status: "active", CreatedAt: now, UpdatedAt: now}
	b.users[id] = u
	cp := *u
	return &cp, nil
}

func (b *memBackend) ListUsers(_ context.Context, _ identity.Principal, q catalog.ListQuery) (catalog.Page[identity.User], error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return list(b, b.users, q, func(u *identity.User) string { return u.ID }, func(u *identity.User) string { return u.Name },
		func(u *identity.User, k string) string {
			if k == "role" {
				return u.Role
			}
			return ""
		}), nil
}

func (b *memBackend) CreateToken(_ context.Context, p identity.Principal, userID string, in identity.TokenInput) (*identity.Token, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	u, ok := b.users[userID]
	if !ok {
		return nil, fault.NotFound("user", userID)
	}
	if !p.IsAdmin() && p.UserID != userID {
		return nil, fault.Forbidden("tokens of other users")
	}
	id, now := b.newID("tok")
	scope := in.Scope
	if scope == "" {
		scope = identity.ScopeWrite
	}
	t := &identity.Token{ID: id, UserID: userID, Name: in.Name, Scope: scope, Secret: "secret-" + id, CreatedAt: now}
	b.tokens[t.Secret] = identity.Principal{UserID: u.ID, Role: u.Role, TokenID: id, Scope: scope}
	return t, nil
}

func (b *memBackend) ListTokens(_ context.Context, p identity.Principal, userID string) (catalog.Page[identity.Token], error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if !p.IsAdmin() && p.UserID != userID {
		return catalog.Page[identity.Token]{}, fault.Forbidden("tokens of other users")
	}
	var out []identity.Token
	for _, tp := range b.tokens {
		if tp.UserID == userID && tp.TokenID != "" {
			out = append(out, identity.Token{ID: tp.TokenID, UserID: userID, Scope: tp.Scope})
		}
	}
	return catalog.Page[identity.Token]{TotalCount: len(out), Items: out}, nil
}

func (b *memBackend) RevokeToken(_ context.Context, p identity.Principal, tokenID string) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	for secret, tp := range b.tokens {
		if tp.TokenID == tokenID && tokenID != "" && (p.IsAdmin() || p.UserID == tp.UserID) {
			delete(b.tokens, secret)
			return nil
		}
	}
	return fault.NotFound("token", tokenID)
}

func (b *memBackend) RecordAudit(_ context.Context, entries []audit.Entry) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if err := b.enter("RecordAudit"); err != nil {
		return err
	}
	for i := range entries {
		id, _ := b.newID("aud")
		entries[i].ID = id
	}
	b.auditLog = append(b.auditLog, entries...)
	return nil
}

func (b *memBackend) ListAudit(_ context.Context, p identity.Principal, q audit.Query) (catalog.Page[audit.Entry], error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if !p.IsAdmin() {
		return catalog.Page[audit.Entry]{}, fault.Forbidden("only an admin may read the audit log")
	}
	var out []audit.Entry
	for i := len(b.auditLog) - 1; i >= 0; i-- {
		e := b.auditLog[i]
		if q.Match(e) {
			out = append(out, e)
		}
	}
	total := len(out)
	if q.Limit > 0 && len(out) > q.Offset+q.Limit {
		out = out[:q.Offset+q.Limit]
	}
	out = out[min(q.Offset, len(out)):]
	return catalog.Page[audit.Entry]{TotalCount: total, Items: out}, nil
}

func (b *memBackend) Nodes(context.Context, identity.Principal) ([]NodeInfo, error) {
	return []NodeInfo{{ID: "node-1", Address: "127.0.0.1:9080", Status: "alive", RaftRole: "leader", Self: true}}, nil
}

func (b *memBackend) DrainNode(_ context.Context, _ identity.Principal, name string) error {
	if name != "node-1" {
		return fault.NotFound("node", name)
	}
	return nil
}

func (b *memBackend) Frontgates(context.Context, identity.Principal) ([]inspect.FrontgateInfo, error) {
	return []inspect.FrontgateInfo{{ID: "fg-1", VPC: "vpc-1", Node: "node-1", Connected: true, Drones: []string{"i-1"}}}, nil
}

func (b *memBackend) Actors(_ context.Context, _ identity.Principal, kind, node string) ([]ActorInfo, error) {
	all := []ActorInfo{{Kind: "repo", ID: "repo-1", Node: "node-1"}, {Kind: "app", ID: "app-1", Node: "node-1"}}
	var out []ActorInfo
	for _, a := range all {
		if (kind == "" || a.Kind == kind) && (node == "" || a.Node == node) {
			out = append(out, a)
		}
	}
	return out, nil
}

func (b *memBackend) ActorState(_ context.Context, _ identity.Principal, kind, id string) ([]byte, error) {
	if kind == "repo" && id == "repo-1" {
		return []byte(`{"id":"repo-1","name":"main"}`), nil
	}
	return nil, fault.NotFound(kind, id)
}

func (b *memBackend) Ready(context.Context) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.ready
}

func (b *memBackend) Metrics() prometheus.Collector {
	return prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "pitrix_test_categories",
		Help: "Categories in the in-memory backend.",
	}, func() float64 {
		b.mu.Lock()
		defer b.mu.Unlock()
		return float64(len(b.categories))
	})
}

// Groups live in actors/identity; their REST behaviour is tested end to end in cmd/pitrix.
func (b *memBackend) CreateGroup(context.Context, identity.Principal, identity.GroupInput) (*identity.Group, error) {
	return nil, fault.Unavailable(errors.New("memBackend has no groups"), "create group")
}
func (b *memBackend) ListGroups(context.Context, identity.Principal, catalog.ListQuery) (catalog.Page[identity.Group], error) {
	return catalog.Page[identity.Group]{Items: []identity.Group{}}, nil
}
func (b *memBackend) GetGroup(_ context.Context, _ identity.Principal, id string) (*identity.Group, error) {
	return nil, fault.NotFound("group", id)
}
func (b *memBackend) DeleteGroup(_ context.Context, _ identity.Principal, id string) error {
	return fault.NotFound("group", id)
}
func (b *memBackend) AddGroupMember(_ context.Context, _ identity.Principal, id string, _ identity.MemberInput) (*identity.Group, error) {
	return nil, fault.NotFound("group", id)
}
func (b *memBackend) RemoveGroupMember(_ context.Context, _ identity.Principal, id, _ string) (*identity.Group, error) {
	return nil, fault.NotFound("group", id)
}

func (b *memBackend) VersionForm(_ context.Context, _ identity.Principal, versionID, lang string) (*form.Form, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	v, ok := b.versions[versionID]
	if !ok {
		return nil, fault.NotFound("version", versionID)
	}
	return &form.Form{AppType: v.Type, Lang: lang, Fields: []form.Field{}}, nil
}

func (b *memBackend) VersionReadme(_ context.Context, _ identity.Principal, versionID string) (string, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if _, ok := b.versions[versionID]; !ok {
		return "", fault.NotFound("version", versionID)
	}
	return "", nil
}
