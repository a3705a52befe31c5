package source

import (
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
)

// Repo types.
const (
	TypeHTTP  = "http"
	TypeHTTPS = "https"
	TypeLocal = "local"
	TypeS3    = "s3"
)

// Sentinel errors; test with errors.Is.
var (
	// ErrInvalidRepo: the repo's type, URL or path is not acceptable.
	ErrInvalidRepo = errors.New("source: invalid repo")
	// ErrUnsupported: the repo type is known but not supported yet (s3).
	ErrUnsupported = errors.New("source: not supported")
	// ErrNotFound: the index or package does not exist (HTTP 404/410, missing file).
	ErrNotFound = errors.New("source: not found")
	// ErrUnauthorized: the repo refused the credentials (HTTP 401/403).
	ErrUnauthorized = errors.New("source: unauthorized")
	// ErrTooLarge: the index or package is over its size cap.
	ErrTooLarge = errors.New("source: too large")
	// ErrRefused: the server refuses to connect to the address a URL resolves to
	// (loopback, link-local, private and other special ranges not on the admin's
	// allow-list), directly or through a redirect.
	ErrRefused = errors.New("source: address refused")
	// ErrUnavailable: the repo could not be reached or answered with an error
	// (DNS, refused, timeout, TLS, 5xx, unexpected status).
	ErrUnavailable = errors.New("source: unavailable")
)

// Repo says where a repo is and how to authenticate.
type Repo struct {
	// Type is http, https, local or s3.
	Type string
	// URL is the repo's URL (the folder holding index.yaml) for http and https, and an
	// absolute folder path (or file:// URL) for local.
	URL string
	// Credential authenticates http(s) requests; ignored for local repos.
	Credential Credential
}

// Credential holds a repo's secrets. It is never printed: errors show only the URL,
// with any userinfo redacted.
type Credential struct {
	Username, Password string
	// BearerToken is sent as "Authorization: Bearer ..." and wins over Username/Password.
	BearerToken string
	// InsecureSkipVerify skips TLS certificate checks for this repo.
	InsecureSkipVerify bool
}

// String hides the secrets.
func (c Credential) String() string {
	switch {
	case c.BearerToken != "":
		return "bearer token"
	case c.Username != "":
		return "user " + c.Username
	}
	return "none"
}

// GoString hides the secrets from %#v too.
func (c Credential) GoString() string { return "source.Credential{" + c.String() + "}" }

// location is a checked repo: an http(s) base URL or a local folder.
type location struct {
	typ  string
	base *url.URL // http(s), and file:// for local
	dir  string   // local: absolute, cleaned folder
	root string   // local: the allowed folder dir is in
	rel  string   // local: dir relative to root ("." for root itself)
}

// openDir opens a local repo's folder as an os.Root, through its allowed folder so that
// no symlink on the way leaves it. The caller closes it.
func (l location) openDir() (*os.Root, error) {
	root, err := os.OpenRoot(l.root)
	if err != nil {
		return nil, errNoFolder(l.dir)
	}
	defer root.Close()
	if l.rel == "." {
		return os.OpenRoot(l.root)
	}
	d, err := root.OpenRoot(l.rel)
	if err != nil {
		return nil, errNoFolder(l.dir)
	}
	return d, nil
}

// errNoFolder is the one error for a local repo folder that is missing, unreadable, not a
// folder or outside the allowed folders: callers learn nothing about the host's files.
func errNoFolder(dir string) error {
	return fmt.Errorf("%w: folder %s does not exist or is not allowed for local repos (an admin allows folders with --allow-local-repo)", ErrInvalidRepo, dir)
}

// where names the repo in messages (never with userinfo).
func (l location) where() string {
	if l.typ == TypeLocal {
		return l.dir
	}
	return l.base.Redacted()
}

// check validates r without touching the network; allowDirs bounds local folders.
func check(r Repo, allowDirs []string) (location, error) {
	switch r.Type {
	case TypeHTTP, TypeHTTPS:
		u, err := url.Parse(strings.TrimSpace(r.URL))
		if err != nil {
			return location{}, fmt.Errorf("%w: url %q: %w", ErrInvalidRepo, redactRaw(r.URL), err)
		}
		if u.Scheme != r.Type {
			return location{}, fmt.Errorf("%w: url %s: scheme must be %s for a %s repo", ErrInvalidRepo, u.Redacted(), r.Type, r.Type)
		}
		if u.Host == "" {
			return location{}, fmt.Errorf("%w: url %s has no host", ErrInvalidRepo, u.Redacted())
		}
		if u.User != nil {
			return location{}, fmt.Errorf("%w: url %s holds a user or password: give them as the repo's credential", ErrInvalidRepo, u.Redacted())
		}
		u.Fragment, u.RawFragment = "", ""
		return location{typ: r.Type, base: u}, nil
	case TypeLocal:
		dir, err := localDir(r.URL)
		if err != nil {
			return location{}, err
		}
		root, rel, ok := under(dir, allowDirs)
		if !ok {
			return location{}, errNoFolder(dir)
		}
		loc := location{typ: TypeLocal, dir: dir, root: root, rel: rel, base: &url.URL{Scheme: "file", Path: dir}}
		d, err := loc.openDir()
		if err != nil {
			return location{}, err
		}
		d.Close()
		return loc, nil
	case TypeS3:
		return location{}, fmt.Errorf("%w: s3 repos are not supported yet (use an https URL to the bucket's website endpoint)", ErrUnsupported)
	case "":
		return location{}, fmt.Errorf("%w: type is missing (http, https, local or s3)", ErrInvalidRepo)
	}
	return location{}, fmt.Errorf("%w: unknown type %q (http, https, local or s3)", ErrInvalidRepo, r.Type)
}

// localDir turns a local repo's URL (a path or file:// URL) into an absolute clean path.
func localDir(raw string) (string, error) {
	p := strings.TrimSpace(raw)
	if strings.HasPrefix(p, "file:") {
		u, err := url.Parse(p)
		if err != nil {
			return "", fmt.Errorf("%w: url %q: %w", ErrInvalidRepo, p, err)
		}
		if u.Host != "" && u.Host != "localhost" {
			return "", fmt.Errorf("%w: url %q: a local repo's file URL cannot name a host", ErrInvalidRepo, p)
		}
		p = u.Path
	}
	if p == "" {
		return "", fmt.Errorf("%w: a local repo needs a folder path", ErrInvalidRepo)
	}
	if !filepath.IsAbs(p) {
		return "", fmt.Errorf("%w: path %q is not absolute", ErrInvalidRepo, p)
	}
	return filepath.Clean(p), nil
}

// under finds the allowed folder holding dir and dir's path relative to it.
func under(dir string, roots []string) (root, rel string, ok bool) {
	for _, root := range roots {
		root = filepath.Clean(root)
		rel, err := filepath.Rel(root, dir)
		if err == nil && (rel == "." || filepath.IsLocal(rel)) {
			return root, rel, true
		}
	}
	return "", "", false
}

// redactRaw hides a password in a URL that does not parse.
func redactRaw(raw string) string {
	if i := strings.Index(raw, "@"); i >= 0 {
		if j := strings.Index(raw, "://"); j >= 0 && j < i {
			return raw[:j+3] + "xxxxx" + raw[i:]
		}
	}
	return raw
}
