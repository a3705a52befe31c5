package catalog

// Key prefixes of the catalog's records. Ids are time-ordered, so a reverse scan is newest first.
const (
	RepoPrefix      = "repo/"
	RepoStatePrefix = "repostate/"
	EventPrefix     = "repoev/"
	AppPrefix       = "app/"
	VersionPrefix   = "appv/"
	AuditPrefix     = "audit/"
	CategoryPrefix  = "ctg/"
	PackagePrefix   = "pkg/"
)

// RepoKey is the key of a repo record.
func RepoKey(id string) string { return RepoPrefix + id }

// RepoStateKey is the key of a repo's indexing state (ETag and digest of the last index read).
func RepoStateKey(id string) string { return RepoStatePrefix + id }

// EventKey is the key of a repo event; events of one repo share the prefix EventPrefix+repoID+"/".
func EventKey(repoID, id string) string { return EventPrefix + repoID + "/" + id }

// AppKey is the key of an app record.
func AppKey(id string) string { return AppPrefix + id }

// VersionKey is the key of a version record.
func VersionKey(id string) string { return VersionPrefix + id }

// AuditKey is the key of an audit; audits of one version share AuditPrefix+versionID+"/".
func AuditKey(versionID, id string) string { return AuditPrefix + versionID + "/" + id }

// CategoryKey is the key of a category record.
func CategoryKey(id string) string { return CategoryPrefix + id }

// PackageKey is the key of a version's stored package bytes.
func PackageKey(versionID string) string { return PackagePrefix + versionID }

// Index terms. A term is "field=value"; List walks a term instead of a whole prefix.
func term(field, value string) string { return field + "=" + value }

// TermRepo selects records of a repo.
func TermRepo(id string) string { return term("repo_id", id) }

// TermApp selects versions of an app.
func TermApp(id string) string { return term("app_id", id) }

// TermCategory selects apps of a category.
func TermCategory(id string) string { return term("category_id", id) }

// TermStatus selects records in a status.
func TermStatus(s string) string { return term("status", s) }

// TermOwner selects records of an owner.
func TermOwner(id string) string { return term("owner", id) }

// TermAppName selects the app called name in a repo ("" for uploads of an owner).
func TermAppName(repoID, owner, name string) string {
	if repoID == "" {
		return term("app_name", "upload/"+owner+"/"+name)
	}
	return term("app_name", repoID+"/"+name)
}

// TermVersionName selects the version called name of an app.
func TermVersionName(appID, name string) string { return term("version_name", appID+"/"+name) }

// Terms returns the index terms of a repo record.
func (r *Repo) Terms() []string {
	return []string{TermOwner(r.Owner), TermStatus(r.Status), term("visibility", r.Visibility)}
}

// Terms returns the index terms of an app record.
func (a *App) Terms() []string {
	t := []string{TermRepo(a.RepoID), TermStatus(a.Status), TermOwner(a.Owner), TermAppName(a.RepoID, a.Owner, a.Name)}
	for _, c := range a.CategoryIDs {
		t = append(t, TermCategory(c))
	}
	return t
}

// Terms returns the index terms of a version record.
func (v *Version) Terms() []string {
	return []string{TermApp(v.AppID), TermRepo(v.RepoID), TermStatus(v.Status), TermVersionName(v.AppID, v.Name)}
}
