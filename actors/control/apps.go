package control

import (
	"context"
	"errors"

	"github.com/pitrix/pitrix/actors/catalog"
	"github.com/pitrix/pitrix/actors/entity"
	"github.com/pitrix/pitrix/actors/fault"
	"github.com/pitrix/pitrix/actors/identity"
	"github.com/pitrix/pitrix/actors/store"
)

// viewer decides which apps and versions a caller sees: an admin everything, an owner their
// own, everyone else the active apps and versions of public repos (and of the store's uploads).
type viewer struct {
	p      identity.Principal
	repos  map[string]*catalog.Repo // loaded on first use
	groups map[string]bool          // the caller's groups, loaded on first use
	plane  *Plane
	ctx    context.Context
	failed bool // a read failed: what it decided is not to be remembered
}

func (p *Plane) viewer(ctx context.Context, pr identity.Principal) *viewer {
	return &viewer{p: pr, plane: p, ctx: ctx}
}

func (v *viewer) repo(id string) *catalog.Repo {
	if v.repos == nil {
		v.repos = map[string]*catalog.Repo{}
	}
	if r, ok := v.repos[id]; ok {
		return r
	}
	r, _, err := entity.GetCached(v.ctx, v.plane.st, catalog.RepoKey(id), v.plane.repos)
	if err != nil {
		if !errors.Is(err, store.ErrNotFound) {
			v.failed = true
		}
		v.repos[id] = nil
		return nil
	}
	v.repos[id] = &r
	return &r
}

// repoLive reports whether the app's repo exists and is not deleted (uploads have none).
func (v *viewer) repoLive(repoID string) bool {
	if repoID == "" {
		return true
	}
	r := v.repo(repoID)
	return r != nil && r.Status != catalog.StatusDeleted
}

func (v *viewer) public(repoID string) bool {
	if repoID == "" {
		return true
	}
	r := v.repo(repoID)
	return r != nil && r.Visibility == catalog.VisibilityPublic
}

// shared reports whether the repo is shared with a group the caller owns or belongs to.
func (v *viewer) shared(repoID string) bool {
	if repoID == "" || v.p.IsAdmin() {
		return false
	}
	r := v.repo(repoID)
	if r == nil || len(r.GroupIDs) == 0 {
		return false
	}
	if v.groups == nil {
		g, err := v.plane.ident.GroupsOf(v.ctx, v.p.UserID)
		if err != nil {
			v.plane.log.Warn("read the caller's groups", "user", v.p.UserID, "err", err)
			v.failed = true
			return false
		}
		v.groups = g
	}
	return sharedWith(r, v.groups)
}

// published reports whether the repo's active, reviewed apps reach the caller: a public repo,
// or one shared with a group of the caller's.
func (v *viewer) published(repoID string) bool { return v.public(repoID) || v.shared(repoID) }

func (v *viewer) app(a *catalog.App) bool {
	if v.p.IsAdmin() {
		return true
	}
	if !v.repoLive(a.RepoID) || a.Status == catalog.StatusDeleted {
		return false
	}
	return a.Owner == v.p.UserID || (v.published(a.RepoID) && a.Status == catalog.StatusActive)
}

func (v *viewer) version(ver *catalog.Version) bool {
	if v.p.IsAdmin() {
		return true
	}
	if !v.repoLive(ver.RepoID) || ver.Status == catalog.StatusDeleted {
		return false
	}
	return ver.Owner == v.p.UserID || ver.Visible(v.published(ver.RepoID))
}

// needsReview reports whether versions of an app need an admin's pass: those of public repos,
// of repos shared with a group and of the store's uploads do; a private repo's do not.
func (v *viewer) needsReview(repoID string) bool {
	if v.public(repoID) {
		return true
	}
	r := v.repo(repoID)
	return r != nil && len(r.GroupIDs) > 0
}

func (p *Plane) readApp(ctx context.Context, vw *viewer, id string) (catalog.App, uint64, error) {
	a, ver, err := entity.GetCached(ctx, p.st, catalog.AppKey(id), p.apps)
	if errors.Is(err, store.ErrNotFound) {
		return a, 0, fault.NotFound("app", id)
	}
	if err != nil {
		return a, 0, fault.Unavailable(err, "read app %s", id)
	}
	if !vw.app(&a) {
		return a, 0, fault.NotFound("app", id)
	}
	return a, ver, nil
}

// ListApps lists the apps the caller may see, with the contract's filters.
func (p *Plane) ListApps(ctx context.Context, pr identity.Principal, q catalog.ListQuery) (catalog.Page[catalog.App], error) {
	key, idx, cacheable := p.appPages.key(p.st, pr, q)
	if cacheable {
		if pg, ok := p.appPages.get(key, idx); ok {
			return pg, nil
		}
	}
	pg, failed, err := p.listApps(ctx, pr, q)
	if err == nil && cacheable && !failed {
		p.appPages.put(key, idx, pg)
	}
	return pg, err
}

func (p *Plane) listApps(ctx context.Context, pr identity.Principal, q catalog.ListQuery) (_ catalog.Page[catalog.App], failed bool, _ error) {
	vw := p.viewer(ctx, pr)
	f := q.Filters
	term := ""
	switch {
	case f["repo_id"] != "":
		term = catalog.TermRepo(f["repo_id"])
	case f["category_id"] != "":
		term = catalog.TermCategory(f["category_id"])
	case f["status"] != "":
		term = catalog.TermStatus(f["status"])
	case f["owner"] != "":
		term = catalog.TermOwner(f["owner"])
	}
	items, total, err := entity.List(ctx, p.st, entity.Query[catalog.App]{
		Prefix: catalog.AppPrefix, Term: term, Limit: q.Limit, Offset: q.Offset,
		Less:  lessByName(q.Sort, func(a catalog.App) string { return a.Name }),
		Cache: p.apps,
		Keep: func(a catalog.App) bool {
			return match(f["repo_id"], a.RepoID) && (f["category_id"] == "" || contains(a.CategoryIDs, f["category_id"])) &&
				match(f["status"], a.Status) && match(f["owner"], a.Owner) && match(f["type"], a.Type) &&
				(f["status"] == catalog.StatusDeleted || a.Status != catalog.StatusDeleted) &&
				(q.Q == "" || entity.Contains(q.Q, append([]string{a.Name, a.Description}, a.Keywords...)...)) && vw.app(&a)
		},
	})
	if err != nil {
		return catalog.Page[catalog.App]{}, true, fault.Unavailable(err, "list apps")
	}
	return catalog.Page[catalog.App]{TotalCount: total, Items: items}, vw.failed, nil
}

// GetApp returns one app the caller may see.
func (p *Plane) GetApp(ctx context.Context, pr identity.Principal, id string) (*catalog.App, error) {
	a, _, err := p.readApp(ctx, p.viewer(ctx, pr), id)
	if err != nil {
		return nil, err
	}
	return &a, nil
}

// UpdateApp changes an app's store metadata; the owner or an admin may.
func (p *Plane) UpdateApp(ctx context.Context, pr identity.Principal, id string, in catalog.AppPatch) (*catalog.App, error) {
	a, ver, err := p.readApp(ctx, p.viewer(ctx, pr), id)
	if err != nil {
		return nil, err
	}
	if !pr.IsAdmin() && a.Owner != pr.UserID {
		return nil, fault.Forbidden("only the app's owner or an admin may change it")
	}
	set(&a.Name, in.Name)
	set(&a.Description, in.Description)
	set(&a.Icon, in.Icon)
	set(&a.Home, in.Home)
	set(&a.Keywords, in.Keywords)
	set(&a.Maintainers, in.Maintainers)
	set(&a.CategoryIDs, in.CategoryIDs)
	bad := problems{}
	bad.name("name", a.Name, true)
	bad.text("description", a.Description, 4096)
	bad.text("icon", a.Icon, 2048)
	bad.text("home", a.Home, 2048)
	if len(a.Keywords) > 32 {
		bad.add("keywords", "at most 32 keywords")
	}
	for _, c := range a.CategoryIDs {
		if _, _, err := entity.Get[catalog.Category](ctx, p.st, catalog.CategoryKey(c)); err != nil {
			bad.add("category_ids", "category %q does not exist", c)
		}
	}
	if len(bad) > 0 {
		return nil, fault.Invalid("invalid app", bad)
	}
	a.UpdatedAt = p.now()
	if _, err := p.st.Apply(ctx, entity.MustPut(catalog.AppKey(id), a, ver, a.Terms()...)); err != nil {
		return nil, writeFault(err, "app", id)
	}
	return &a, nil
}

// DeleteApp marks an app and its versions deleted.
func (p *Plane) DeleteApp(ctx context.Context, pr identity.Principal, id string) error {
	a, ver, err := p.readApp(ctx, p.viewer(ctx, pr), id)
	if err != nil {
		return err
	}
	if !pr.IsAdmin() && a.Owner != pr.UserID {
		return fault.Forbidden("only the app's owner or an admin may delete it")
	}
	now := p.now()
	a.Status, a.UpdatedAt = catalog.StatusDeleted, now
	ops := []store.Op{entity.MustPut(catalog.AppKey(id), a, ver, a.Terms()...)}
	err = entity.Each(ctx, p.st, catalog.VersionPrefix, catalog.TermApp(id), func(v catalog.Version, vv uint64) error {
		if v.Status != catalog.StatusDeleted {
			v.Status, v.UpdatedAt = catalog.StatusDeleted, now
			ops = append(ops, entity.MustPut(catalog.VersionKey(v.ID), v, vv, v.Terms()...))
		}
		return nil
	})
	if err != nil {
		return fault.Unavailable(err, "list versions of app %s", id)
	}
	if _, err := p.st.Apply(ctx, ops...); err != nil {
		return writeFault(err, "app", id)
	}
	return nil
}

func writeFault(err error, kind, id string) error {
	if errors.Is(err, store.ErrConflict) {
		return fault.Conflict("%s %s was changed concurrently; retry", kind, id)
	}
	return fault.Unavailable(err, "write %s %s", kind, id)
}
