package control

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/pitrix/pitrix/actors/catalog"
	"github.com/pitrix/pitrix/actors/entity"
	"github.com/pitrix/pitrix/actors/fault"
	"github.com/pitrix/pitrix/actors/identity"
	"github.com/pitrix/pitrix/actors/repo"
	"github.com/pitrix/pitrix/actors/repo/source"
	"github.com/pitrix/pitrix/actors/runtimes"
	"github.com/pitrix/pitrix/actors/store"
	"github.com/pitrix/pitrix/providers/vm/spec"
)

func (p *Plane) readVersion(ctx context.Context, vw *viewer, id string) (catalog.Version, uint64, error) {
	v, ver, err := entity.Get[catalog.Version](ctx, p.st, catalog.VersionKey(id))
	if errors.Is(err, store.ErrNotFound) {
		return v, 0, fault.NotFound("app version", id)
	}
	if err != nil {
		return v, 0, fault.Unavailable(err, "read app version %s", id)
	}
	if !vw.version(&v) {
		return v, 0, fault.NotFound("app version", id)
	}
	return v, ver, nil
}

// UploadApp creates an app with its first version from a package (appID ""), or adds a version
// to an app. Everything is written in one atomic batch, or nothing is.
func (p *Plane) UploadApp(ctx context.Context, pr identity.Principal, appID, appType string, pkg []byte, po catalog.PackageOrigin) (*catalog.App, *catalog.Version, error) {
	if pr.Role == identity.RoleUser {
		return nil, nil, fault.Forbidden("only an admin, an isv or a developer may upload apps")
	}
	if appType != catalog.AppTypeVM && appType != catalog.AppTypeHelm {
		return nil, nil, fault.InvalidField("type", fmt.Sprintf("%q is not vm or helm", appType))
	}
	origin := spec.Origin{Upload: spec.Ident{Name: po.Name, Version: po.Version}, FileName: po.FileName}
	if appID != "" && origin.Upload.Name == "" {
		// A new version of an app is of that app, whatever its file is called.
		if a, _, err := p.readApp(ctx, p.viewer(ctx, pr), appID); err == nil {
			origin.Upload.Name = a.Name
		}
	}
	info, err := inspectPackage(appType, pkg, origin)
	if err != nil {
		return nil, nil, err
	}
	now := p.now()
	sum := sha256.Sum256(pkg)
	var (
		app    catalog.App
		appVer uint64 = store.Absent
	)
	if appID == "" {
		var existing []string
		err := p.st.Lookup(ctx, catalog.TermAppName("", pr.UserID, info.Name), store.ScanOptions{Prefix: catalog.AppPrefix}, func(key string) error {
			existing = append(existing, strings.TrimPrefix(key, catalog.AppPrefix))
			return nil
		})
		if err != nil {
			return nil, nil, fault.Unavailable(err, "look up app %q", info.Name)
		}
		if len(existing) > 0 {
			return nil, nil, fault.Conflict("you already have an app called %q (%s): upload new versions with POST /v1/apps/%s/versions", info.Name, existing[0], existing[0])
		}
		app = catalog.App{ID: p.ids.Next("app"), Name: info.Name, Type: appType, Status: catalog.StatusDraft, Owner: pr.UserID,
			CategoryIDs: []string{}, CreatedAt: now}
	} else {
		a, ver, err := p.readApp(ctx, p.viewer(ctx, pr), appID)
		if err != nil {
			return nil, nil, err
		}
		if !pr.IsAdmin() && a.Owner != pr.UserID {
			return nil, nil, fault.Forbidden("only the app's owner or an admin may add versions")
		}
		if a.Type != appType {
			return nil, nil, fault.InvalidField("type", fmt.Sprintf("app %s is a %s app, the package was uploaded as %s", appID, a.Type, appType))
		}
		if a.Name != info.Name {
			return nil, nil, fault.Invalid("the package is of another app", map[string]string{"name": fmt.Sprintf("the package is %q, the app is %q", info.Name, a.Name)})
		}
		found := false
		_ = p.st.Lookup(ctx, catalog.TermVersionName(a.ID, info.Version), store.ScanOptions{Prefix: catalog.VersionPrefix}, func(string) error {
			found = true
			return store.ErrStop
		})
		if found {
			return nil, nil, fault.Conflict("app %s already has version %q", a.ID, info.Version)
		}
		app, appVer = a, ver
	}
	v := catalog.Version{ID: p.ids.Next("appv"), AppID: app.ID, RepoID: app.RepoID, Name: info.Version, AppVersion: info.AppVersion,
		Description: info.Description, Type: appType, Status: catalog.StatusDraft, Digest: hex.EncodeToString(sum[:]),
		PackageSize: int64(len(pkg)), HasPackage: true, Owner: app.Owner, CreatedAt: now, UpdatedAt: now}
	app.LatestVersionID = v.ID
	app.Description, app.Home, app.Icon = info.Description, info.Home, info.Icon
	app.Keywords, app.Maintainers = orEmpty(info.Keywords), maintainers(info.Maintainers)
	app.UpdatedAt = now
	ops := []store.Op{
		{Key: catalog.PackageKey(v.ID), Value: pkg, Expect: store.Absent},
		entity.MustPut(catalog.VersionKey(v.ID), v, store.Absent, v.Terms()...),
		entity.MustPut(catalog.AppKey(app.ID), app, appVer, app.Terms()...),
	}
	if _, err := p.st.Apply(ctx, ops...); err != nil {
		return nil, nil, writeFault(err, "app", app.ID)
	}
	return &app, &v, nil
}

func orEmpty(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// ValidatePackage checks a package without storing it.
func (p *Plane) ValidatePackage(_ context.Context, _ identity.Principal, appType string, pkg []byte, po catalog.PackageOrigin) catalog.ValidateResult {
	if appType != catalog.AppTypeVM && appType != catalog.AppTypeHelm {
		return catalog.ValidateResult{OK: false, Error: fmt.Sprintf("type %q is not vm or helm", appType)}
	}
	if _, err := inspectPackage(appType, pkg, spec.Origin{Upload: spec.Ident{Name: po.Name, Version: po.Version}, FileName: po.FileName}); err != nil {
		var fe *fault.Error
		if errors.As(err, &fe) {
			return catalog.ValidateResult{OK: false, Error: fe.Message, Errors: fe.Details}
		}
		return catalog.ValidateResult{OK: false, Error: err.Error()}
	}
	return catalog.ValidateResult{OK: true}
}

// ListVersions lists an app's versions the caller may see.
func (p *Plane) ListVersions(ctx context.Context, pr identity.Principal, appID string, q catalog.ListQuery) (catalog.Page[catalog.Version], error) {
	vw := p.viewer(ctx, pr)
	if _, _, err := p.readApp(ctx, vw, appID); err != nil {
		return catalog.Page[catalog.Version]{}, err
	}
	items, total, err := entity.List(ctx, p.st, entity.Query[catalog.Version]{
		Prefix: catalog.VersionPrefix, Term: catalog.TermApp(appID), Limit: q.Limit, Offset: q.Offset,
		Less: lessByName(q.Sort, func(v catalog.Version) string { return v.Name }),
		Keep: func(v catalog.Version) bool {
			return match(q.Filters["status"], v.Status) && entity.Contains(q.Q, v.Name, v.Description) && vw.version(&v)
		},
	})
	if err != nil {
		return catalog.Page[catalog.Version]{}, fault.Unavailable(err, "list versions of app %s", appID)
	}
	return catalog.Page[catalog.Version]{TotalCount: total, Items: items}, nil
}

// GetVersion returns one version the caller may see.
func (p *Plane) GetVersion(ctx context.Context, pr identity.Principal, id string) (*catalog.Version, error) {
	v, _, err := p.readVersion(ctx, p.viewer(ctx, pr), id)
	if err != nil {
		return nil, err
	}
	return &v, nil
}

// VersionPackage returns the version's package: stored on upload, or fetched from its repo,
// checked against the index digest, and cached.
func (p *Plane) VersionPackage(ctx context.Context, pr identity.Principal, id string) ([]byte, error) {
	v, _, err := p.readVersion(ctx, p.viewer(ctx, pr), id)
	if err != nil {
		return nil, err
	}
	return p.packageOf(ctx, &v)
}

func (p *Plane) packageOf(ctx context.Context, v *catalog.Version) ([]byte, error) {
	rec, err := p.st.Get(ctx, catalog.PackageKey(v.ID))
	if err == nil {
		return rec.Value, nil
	}
	if !errors.Is(err, store.ErrNotFound) {
		return nil, fault.Unavailable(err, "read package of %s", v.ID)
	}
	if v.RepoID == "" || v.PackageURL == "" {
		return nil, fault.NotFound("package of app version", v.ID)
	}
	r, _, err := p.loadRepo(ctx, v.RepoID)
	if err != nil {
		return nil, err
	}
	src, err := repo.Source(p.seal, r)
	if err != nil {
		return nil, fault.Internal(err, "open repo credential")
	}
	pkg, err := p.src.FetchPackage(ctx, src, v.PackageURL)
	if errors.Is(err, source.ErrRefused) || errors.Is(err, source.ErrInvalidRepo) {
		// Not transient: the server will not fetch from there (see --allow-fetch).
		return nil, &fault.Error{Code: fault.CodeFailedPrecondition, Err: err,
			Message: fmt.Sprintf("package of %s cannot be fetched: %v", v.ID, err)}
	}
	if err != nil {
		return nil, fault.Unavailable(err, "fetch package of %s from %s", v.ID, v.PackageURL)
	}
	if v.Digest != "" {
		sum := sha256.Sum256(pkg)
		if got := hex.EncodeToString(sum[:]); !strings.EqualFold(got, v.Digest) {
			return nil, fault.Precondition("package of %s from %s has digest %s, the index says %s", v.ID, v.PackageURL, got, v.Digest)
		}
	}
	// Cache by version; a concurrent fetch of the same version writes the same bytes.
	if _, err := p.st.Apply(ctx, store.Op{Key: catalog.PackageKey(v.ID), Value: pkg, Expect: store.Any}); err != nil {
		p.log.Warn("package not cached", "version_id", v.ID, "err", err)
	}
	return pkg, nil
}

// VersionFiles lists the files of a version's package, sorted by path.
func (p *Plane) VersionFiles(ctx context.Context, pr identity.Principal, id string) (catalog.Page[catalog.FileInfo], error) {
	v, _, err := p.readVersion(ctx, p.viewer(ctx, pr), id)
	if err != nil {
		return catalog.Page[catalog.FileInfo]{}, err
	}
	pkg, err := p.packageOf(ctx, &v)
	if err != nil {
		return catalog.Page[catalog.FileInfo]{}, err
	}
	files, err := packageFiles(pkg)
	if err != nil {
		return catalog.Page[catalog.FileInfo]{}, fault.Precondition("package of %s does not open: %v", id, err)
	}
	out := make([]catalog.FileInfo, 0, len(files))
	for path, b := range files {
		out = append(out, catalog.FileInfo{Path: path, Size: len(b)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Path < out[j].Path })
	return catalog.Page[catalog.FileInfo]{TotalCount: len(out), Items: out}, nil
}

// VersionFile returns one file of a version's package.
func (p *Plane) VersionFile(ctx context.Context, pr identity.Principal, id, path string) ([]byte, error) {
	v, _, err := p.readVersion(ctx, p.viewer(ctx, pr), id)
	if err != nil {
		return nil, err
	}
	pkg, err := p.packageOf(ctx, &v)
	if err != nil {
		return nil, err
	}
	files, err := packageFiles(pkg)
	if err != nil {
		return nil, fault.Precondition("package of %s does not open: %v", id, err)
	}
	b, ok := files[strings.TrimPrefix(path, "/")]
	if !ok {
		return nil, fault.NotFound("file", path)
	}
	return b, nil
}

// ReviewVersion moves a version through the review state machine and keeps an audit.
func (p *Plane) ReviewVersion(ctx context.Context, pr identity.Principal, id, action, message string) (*catalog.Version, error) {
	vw := p.viewer(ctx, pr)
	v, ver, err := p.readVersion(ctx, vw, id)
	if err != nil {
		return nil, err
	}
	if len(message) > 4096 {
		return nil, fault.InvalidField("message", "at most 4096 characters")
	}
	if !contains(catalog.ReviewActions(), action) {
		return nil, fault.InvalidField("action", fmt.Sprintf("%q is not one of %s", action, strings.Join(catalog.ReviewActions(), ", ")))
	}
	step, err := catalog.Review(v.Status, action)
	if err != nil {
		return nil, fault.Precondition("%s", err.Error())
	}
	owner := v.Owner == pr.UserID
	review := vw.needsReview(v.RepoID)
	switch {
	case pr.IsAdmin():
	case step.By == catalog.ByOwner && owner:
	case step.By == catalog.ByAdmin && owner && !review && pr.Role != identity.RoleDeveloper:
		// A private repo's owner reviews their own versions; a developer never reviews.
	default:
		return nil, fault.Forbidden("only %s may %s this version", map[string]string{catalog.ByOwner: "its owner or an admin", catalog.ByAdmin: "an admin"}[step.By], action)
	}
	now := p.now()
	from := v.Status
	to := step.To
	if action == catalog.ActionSubmit && !review && pr.Role != identity.RoleDeveloper {
		to = catalog.StatusPassed // private repos need no admin's pass
		if message == "" {
			message = "private repo: passed without review"
		}
	}
	if to == catalog.StatusPassed {
		// Only an admin's pass is a review; the private-repo shortcut stays private.
		v.Unreviewed = !pr.IsAdmin()
	}
	v.Status, v.Message, v.UpdatedAt = to, message, now
	audit := catalog.Audit{ID: p.ids.Next("audit"), VersionID: v.ID, Action: action, FromStatus: from, Status: to,
		Operator: pr.UserID, Role: pr.Role, Message: message, CreatedAt: now}
	ops := []store.Op{
		entity.MustPut(catalog.VersionKey(v.ID), v, ver, v.Terms()...),
		entity.MustPut(catalog.AuditKey(v.ID, audit.ID), audit, store.Absent),
	}
	if appOp, ok, err := p.appStatusOp(ctx, v); err != nil {
		return nil, err
	} else if ok {
		ops = append(ops, appOp)
	}
	if _, err := p.st.Apply(ctx, ops...); err != nil {
		return nil, writeFault(err, "app version", id)
	}
	return &v, nil
}

// appStatusOp recomputes the app's status with changed standing in for its stored copy: an app
// is active while one of its versions is.
func (p *Plane) appStatusOp(ctx context.Context, changed catalog.Version) (store.Op, bool, error) {
	a, ver, err := entity.Get[catalog.App](ctx, p.st, catalog.AppKey(changed.AppID))
	if err != nil {
		return store.Op{}, false, fault.Unavailable(err, "read app %s", changed.AppID)
	}
	if a.Status == catalog.StatusDeleted {
		return store.Op{}, false, nil
	}
	active := false
	err = entity.Each(ctx, p.st, catalog.VersionPrefix, catalog.TermApp(a.ID), func(v catalog.Version, _ uint64) error {
		if v.ID == changed.ID {
			v = changed
		}
		if v.Status == catalog.StatusActive && !v.Removed {
			active = true
			return store.ErrStop
		}
		return nil
	})
	if err != nil && !errors.Is(err, store.ErrStop) {
		return store.Op{}, false, fault.Unavailable(err, "list versions of app %s", a.ID)
	}
	want := catalog.StatusDraft
	if active {
		want = catalog.StatusActive
	}
	if a.Status == want {
		return store.Op{}, false, nil
	}
	a.Status, a.UpdatedAt = want, p.now()
	return entity.MustPut(catalog.AppKey(a.ID), a, ver, a.Terms()...), true, nil
}

// ListAudits lists a version's review steps, newest first.
func (p *Plane) ListAudits(ctx context.Context, pr identity.Principal, versionID string, q catalog.ListQuery) (catalog.Page[catalog.Audit], error) {
	if _, _, err := p.readVersion(ctx, p.viewer(ctx, pr), versionID); err != nil {
		return catalog.Page[catalog.Audit]{}, err
	}
	items, total, err := entity.List(ctx, p.st, entity.Query[catalog.Audit]{Prefix: catalog.AuditPrefix + versionID + "/", Limit: q.Limit, Offset: q.Offset})
	if err != nil {
		return catalog.Page[catalog.Audit]{}, fault.Unavailable(err, "list audits of %s", versionID)
	}
	return catalog.Page[catalog.Audit]{TotalCount: total, Items: items}, nil
}

// VersionRuntimes lists the caller's runtimes the version can be deployed to.
func (p *Plane) VersionRuntimes(ctx context.Context, pr identity.Principal, versionID string) (catalog.Page[runtimes.Runtime], error) {
	vw := p.viewer(ctx, pr)
	v, _, err := p.readVersion(ctx, vw, versionID)
	if err != nil {
		return catalog.Page[runtimes.Runtime]{}, err
	}
	var allowed func(provider string) bool
	var selectors map[string][]string
	if r := vw.repo(v.RepoID); v.RepoID != "" && r != nil {
		allowed = func(pv string) bool { return catalog.ProviderAllowed(r.Providers, pv) }
		selectors = r.Selectors
	} else {
		allowed = func(pv string) bool {
			prov, ok := p.provs.Get(pv)
			return ok && prov.AppType() == v.Type
		}
	}
	items, total, err := entity.List(ctx, p.st, entity.Query[runtimes.Runtime]{
		Prefix: runtimes.RuntimePrefix, Limit: 200,
		Keep: func(rt runtimes.Runtime) bool {
			return (pr.IsAdmin() || rt.Owner == pr.UserID || granted(pr, &rt)) && allowed(rt.Provider) && catalog.SelectorsMatch(selectors, rt.Labels) &&
				checkRuntimeUse(pr, &rt) == nil && checkDeployable(pr, &v, &rt, "version_id") == nil
		},
	})
	if err != nil {
		return catalog.Page[runtimes.Runtime]{}, fault.Unavailable(err, "list runtimes")
	}
	return catalog.Page[runtimes.Runtime]{TotalCount: total, Items: items}, nil
}
