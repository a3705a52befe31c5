package repo

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"time"

	"github.com/Masterminds/semver/v3"

	"github.com/pitrix/pitrix/actors/catalog"
	"github.com/pitrix/pitrix/actors/entity"
	"github.com/pitrix/pitrix/actors/idgen"
	"github.com/pitrix/pitrix/actors/repo/index"
	"github.com/pitrix/pitrix/actors/repo/source"
	"github.com/pitrix/pitrix/actors/seal"
	"github.com/pitrix/pitrix/actors/store"
)

// Indexer turns a repo's index into catalog records. It is safe for concurrent use on
// different repos; the repo actor makes sure one repo has one run at a time.
type Indexer struct {
	Store  store.Store
	Source *source.Source
	Sealer *seal.Sealer
	IDs    *idgen.Generator
	Now    func() time.Time
	Logger *slog.Logger
	Limits index.Limits
	// BatchOps bounds the ops of one store write; default 256.
	BatchOps int
}

// entry is the compact form of one index version kept during a run.
type entry struct {
	name, version, appVersion, description, home, icon, url, digest string
	keywords                                                        []string
	maintainers                                                     []catalog.Maintainer
	created                                                         time.Time
	deprecated                                                      bool
}

// Credential opens a stored repo's credential for the source.
func Credential(s *seal.Sealer, r catalog.StoredRepo) (source.Credential, error) {
	if len(r.SealedCredential) == 0 {
		return source.Credential{}, nil
	}
	b, err := s.Unseal(r.SealedCredential, catalog.RepoKey(r.ID))
	if err != nil {
		return source.Credential{}, fmt.Errorf("open credential of repo %s: %w", r.ID, err)
	}
	var c catalog.RepoCredential
	if err := json.Unmarshal(b, &c); err != nil {
		return source.Credential{}, fmt.Errorf("decode credential of repo %s: %w", r.ID, err)
	}
	return source.Credential{Username: c.Username, Password: c.Password, BearerToken: c.BearerToken, InsecureSkipVerify: c.InsecureSkipVerify}, nil
}

// Source returns the source description of a stored repo.
func Source(s *seal.Sealer, r catalog.StoredRepo) (source.Repo, error) {
	cred, err := Credential(s, r)
	if err != nil {
		return source.Repo{}, err
	}
	return source.Repo{Type: r.Type, URL: r.URL, Credential: cred}, nil
}

// Run indexes repo r, filling ev's counts and result. A read or parse failure returns an error
// before anything is written.
func (ix *Indexer) Run(ctx context.Context, r catalog.StoredRepo, ev *catalog.RepoEvent) error {
	now := ix.now()
	state, stateVer, err := entity.Get[catalog.RepoState](ctx, ix.Store, catalog.RepoStateKey(r.ID))
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("read index state of repo %s: %w", r.ID, err)
	}
	state.RepoID = r.ID
	src, err := Source(ix.Sealer, r)
	if err != nil {
		return err
	}
	fetched, err := ix.Source.FetchIndexIf(ctx, src, source.Validators{ETag: state.ETag, LastModified: state.LastModified})
	if err != nil {
		return err
	}
	if fetched.NotModified {
		state.ETag, state.LastModified = fetched.ETag, fetched.LastModified
		ev.Skipped, ev.Result = true, "index unchanged (ETag)"
		if state.ETag == "" {
			ev.Result = "index unchanged (Last-Modified)"
		}
		return ix.saveState(ctx, state, stateVer, ev, now)
	}
	// Hash the raw bytes before parsing: an unchanged index is not parsed at all.
	body, digest, err := spool(fetched.Body)
	if err != nil {
		return fmt.Errorf("read index of repo %s (%s): %w", r.ID, r.URL, err)
	}
	defer body.Close()
	if digest == state.Digest {
		state.ETag, state.LastModified = fetched.ETag, fetched.LastModified
		ev.Skipped, ev.Result = true, "index unchanged (digest)"
		return ix.saveState(ctx, state, stateVer, ev, now)
	}
	base, err := ix.Source.BaseURL(src)
	if err != nil {
		body.Close()
		return fmt.Errorf("repo url %q: %w", r.URL, err)
	}
	charts := map[string][]entry{}
	stats, err := index.Read(body, ix.Limits, func(v index.Version) error {
		if len(v.URLs) == 0 {
			return fmt.Errorf("chart %s %s has no urls", v.Name, v.Version)
		}
		u, err := index.ResolveURL(base, v.URLs[0])
		if err != nil {
			return fmt.Errorf("chart %s %s: %w", v.Name, v.Version, err)
		}
		e := entry{name: v.Name, version: v.Version, appVersion: v.AppVersion, description: v.Description,
			home: v.Home, icon: v.Icon, url: u, digest: v.Digest, keywords: v.Keywords, created: v.Created, deprecated: v.Deprecated}
		for _, m := range v.Maintainers {
			e.maintainers = append(e.maintainers, catalog.Maintainer{Name: m.Name, Email: m.Email, URL: m.URL})
		}
		charts[v.Name] = append(charts[v.Name], e)
		return nil
	})
	body.Close()
	if err != nil {
		return fmt.Errorf("read index of repo %s (%s): %w", r.ID, r.URL, err)
	}
	prev := source.Validators{ETag: state.ETag, LastModified: state.LastModified}
	state.ETag, state.LastModified = fetched.ETag, fetched.LastModified
	retry, err := ix.apply(ctx, r, charts, ev, now)
	if err != nil {
		return err
	}
	ev.Result = fmt.Sprintf("%d charts, %d versions read", stats.Charts, stats.Versions)
	if len(ev.Refused) > 0 {
		ev.Result += fmt.Sprintf("; %d refused: %s", len(ev.Refused), refusedSummary(ev.Refused))
		if len(ev.Refused) > maxRefusedListed {
			ev.Refused = ev.Refused[:maxRefusedListed] // the event stays small; the count is in the result
		}
	}
	if retry {
		// A package could not be fetched: read the index again next time.
		state.ETag, state.LastModified = prev.ETag, prev.LastModified
	} else {
		state.Digest = stats.Digest
	}
	return ix.saveState(ctx, state, stateVer, ev, now)
}

func (ix *Indexer) saveState(ctx context.Context, st catalog.RepoState, ver uint64, ev *catalog.RepoEvent, now time.Time) error {
	st.IndexedAt = &now
	st.LastEventID = ev.ID
	if _, err := ix.Store.Apply(ctx, entity.MustPut(catalog.RepoStateKey(st.RepoID), st, ver)); err != nil {
		return fmt.Errorf("save index state of repo %s: %w", st.RepoID, err)
	}
	return nil
}

type storedApp struct {
	app      catalog.App
	version  uint64
	changed  bool
	versions map[string]*storedVersion // by version name
}

type storedVersion struct {
	v       catalog.Version
	version uint64
	changed bool
}

// apply diffs the index against the repo's catalog records and writes the difference. The
// packages of new and changed VM versions are fetched and checked first (pkgcheck, as upload and
// create do): a version that fails is not listed (one listed before is marked removed) and is
// named in ev.Refused with its problems. retry reports a package that could not be fetched.
func (ix *Indexer) apply(ctx context.Context, r catalog.StoredRepo, charts map[string][]entry, ev *catalog.RepoEvent, now time.Time) (retry bool, err error) {
	// The run's copy may be older than the fetch: visibility and default status decide
	// whether versions skip review, so take them as they are now.
	if cur, _, err := entity.Get[catalog.StoredRepo](ctx, ix.Store, catalog.RepoKey(r.ID)); err == nil {
		r.Visibility, r.AppDefaultStatus = cur.Visibility, cur.AppDefaultStatus
	} else if !errors.Is(err, store.ErrNotFound) {
		return false, fmt.Errorf("read repo %s: %w", r.ID, err)
	}
	apps := map[string]*storedApp{} // by app name
	byID := map[string]*storedApp{}
	err = entity.Each(ctx, ix.Store, catalog.AppPrefix, catalog.TermRepo(r.ID), func(a catalog.App, ver uint64) error {
		sa := &storedApp{app: a, version: ver, versions: map[string]*storedVersion{}}
		apps[a.Name], byID[a.ID] = sa, sa
		return nil
	})
	if err != nil {
		return false, fmt.Errorf("list apps of repo %s: %w", r.ID, err)
	}
	err = entity.Each(ctx, ix.Store, catalog.VersionPrefix, catalog.TermRepo(r.ID), func(v catalog.Version, ver uint64) error {
		if sa := byID[v.AppID]; sa != nil {
			sa.versions[v.Name] = &storedVersion{v: v, version: ver}
		}
		return nil
	})
	if err != nil {
		return false, fmt.Errorf("list versions of repo %s: %w", r.ID, err)
	}
	status := catalog.StatusDraft
	if r.AppDefaultStatus == catalog.StatusActive {
		status = catalog.StatusActive
	}
	appType := catalog.AppTypeOf(r.Providers)
	if appType == catalog.AppTypeVM {
		charts, retry = ix.checkNew(ctx, r, appType, apps, charts, ev)
	}
	names := make([]string, 0, len(charts))
	for n := range charts {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, name := range names {
		sa := apps[name]
		if sa == nil {
			sa = &storedApp{changed: true, versions: map[string]*storedVersion{}, app: catalog.App{
				ID: ix.IDs.Next("app"), Name: name, RepoID: r.ID, CategoryIDs: r.CategoryIDs, Type: appType,
				Status: catalog.StatusDraft, Owner: r.Owner, CreatedAt: now, UpdatedAt: now, Keywords: []string{}, Maintainers: []catalog.Maintainer{},
			}}
			apps[name] = sa
			ev.AppsAdded++
		}
		for _, e := range charts[name] {
			sv := sa.versions[e.version]
			if sv == nil {
				created := e.created
				sv = &storedVersion{changed: true, v: catalog.Version{
					ID: ix.IDs.Next("appv"), AppID: sa.app.ID, RepoID: r.ID, Name: e.version, Type: appType,
					Status: status, Owner: r.Owner, CreatedAt: now,
					// Public repos with app_default_status active are an admin's decision
					// (control checks it); a private repo's shortcut is not a review.
					Unreviewed: status == catalog.StatusActive && r.Visibility != catalog.VisibilityPublic,
				}}
				if !created.IsZero() {
					sv.v.Created = &created
				}
				sa.versions[e.version] = sv
				ev.VersionsAdded++
			} else if versionDiffers(&sv.v, e) {
				sv.changed = true
				ev.VersionsUpdated++
			}
			if r.Visibility == catalog.VisibilityPublic && catalog.DemoteUnreviewed(&sv.v) {
				// Made public while this run or an earlier one wrote it: back to review.
				sv.changed = true
				sv.v.UpdatedAt = now
			}
			if sv.changed {
				v := &sv.v
				v.AppVersion, v.Description, v.PackageURL, v.Digest, v.Deprecated, v.Removed = e.appVersion, e.description, e.url, e.digest, e.deprecated, false
				v.HasPackage = false
				v.UpdatedAt = now
			}
		}
	}
	// Versions gone from the index are marked removed; apps get their latest version again.
	for name, sa := range apps {
		inIndex := map[string]bool{}
		for _, e := range charts[name] {
			inIndex[e.version] = true
		}
		for vname, sv := range sa.versions {
			if !inIndex[vname] && !sv.v.Removed {
				sv.v.Removed, sv.v.UpdatedAt, sv.changed = true, now, true
				ev.VersionsRemoved++
			}
		}
		if refreshApp(&sa.app, sa.versions, charts[name]) {
			sa.changed = true
			sa.app.UpdatedAt = now
		}
	}
	return retry, ix.write(ctx, r.ID, apps)
}

// checkNew checks the packages of the entries that are new or changed against apps and returns
// charts without the refused ones (see apply).
func (ix *Indexer) checkNew(ctx context.Context, r catalog.StoredRepo, appType string, apps map[string]*storedApp, charts map[string][]entry, ev *catalog.RepoEvent) (map[string][]entry, bool) {
	var todo []entry
	for name, es := range charts {
		sa := apps[name]
		for _, e := range es {
			if sa == nil || sa.versions[e.version] == nil || versionDiffers(&sa.versions[e.version].v, e) {
				todo = append(todo, e)
			}
		}
	}
	rs, retry := ix.checkEntries(ctx, r, appType, todo)
	if len(rs) == 0 {
		return charts, retry
	}
	ev.Refused = rs
	bad := map[[2]string]bool{}
	for _, x := range rs {
		bad[[2]string{x.Name, x.Version}] = true
		ix.logger().Warn("package refused", "repo_id", r.ID, "name", x.Name, "version", x.Version, "problems", x.Problems)
	}
	out := make(map[string][]entry, len(charts))
	for name, es := range charts {
		kept := make([]entry, 0, len(es))
		for _, e := range es {
			if !bad[[2]string{e.name, e.version}] {
				kept = append(kept, e)
			}
		}
		if len(kept) > 0 || apps[name] != nil {
			out[name] = kept
		}
	}
	return out, retry
}

func versionDiffers(v *catalog.Version, e entry) bool {
	return v.Removed || v.Digest != e.digest || v.PackageURL != e.url || v.Description != e.description ||
		v.AppVersion != e.appVersion || v.Deprecated != e.deprecated
}

// refreshApp sets the app's latest version, status and metadata from its versions; it reports
// whether anything changed.
func refreshApp(a *catalog.App, versions map[string]*storedVersion, entries []entry) bool {
	before, _ := json.Marshal(a)
	var latest *storedVersion
	var latestSV *semver.Version
	anyActive := false
	for _, sv := range versions {
		if sv.v.Removed {
			continue
		}
		if sv.v.Status == catalog.StatusActive {
			anyActive = true
		}
		sem, err := semver.NewVersion(sv.v.Name)
		switch {
		case latest == nil:
			latest, latestSV = sv, sem
		case err == nil && (latestSV == nil || sem.GreaterThan(latestSV)):
			latest, latestSV = sv, sem
		case err != nil && latestSV == nil && sv.v.Name > latest.v.Name:
			latest = sv
		}
	}
	if latest != nil {
		a.LatestVersionID = latest.v.ID
		for _, e := range entries {
			if e.version == latest.v.Name {
				a.Description, a.Home, a.Icon = e.description, e.home, e.icon
				if e.keywords != nil {
					a.Keywords = e.keywords
				}
				if e.maintainers != nil {
					a.Maintainers = e.maintainers
				}
			}
		}
	}
	if anyActive {
		a.Status = catalog.StatusActive
	} else if a.Status == catalog.StatusActive {
		a.Status = catalog.StatusDraft
	}
	after, _ := json.Marshal(a)
	return string(before) != string(after)
}

func (ix *Indexer) write(ctx context.Context, repoID string, apps map[string]*storedApp) error {
	max := ix.BatchOps
	if max <= 0 {
		max = 256
	}
	var ops []store.Op
	flush := func() error {
		if len(ops) == 0 {
			return nil
		}
		if _, err := ix.Store.Apply(ctx, ops...); err != nil {
			return fmt.Errorf("write catalog of repo %s: %w", repoID, err)
		}
		ops = ops[:0]
		return nil
	}
	names := make([]string, 0, len(apps))
	for n := range apps {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		sa := apps[n]
		// Versions first, so an app never points at a version that is not written yet.
		for _, sv := range sa.versions {
			if !sv.changed {
				continue
			}
			ops = append(ops, entity.MustPut(catalog.VersionKey(sv.v.ID), sv.v, sv.version, sv.v.Terms()...))
			if len(ops) >= max {
				if err := flush(); err != nil {
					return err
				}
			}
		}
		if sa.changed {
			ops = append(ops, entity.MustPut(catalog.AppKey(sa.app.ID), sa.app, sa.version, sa.app.Terms()...))
			if len(ops) >= max {
				if err := flush(); err != nil {
					return err
				}
			}
		}
	}
	return flush()
}

func (ix *Indexer) logger() *slog.Logger {
	if ix.Logger != nil {
		return ix.Logger
	}
	return slog.New(slog.DiscardHandler)
}

func (ix *Indexer) now() time.Time {
	if ix.Now != nil {
		return ix.Now().UTC()
	}
	return time.Now().UTC()
}
