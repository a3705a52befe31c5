package source

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/pitrix/pitrix/actors/repo/index"
	"github.com/pitrix/pitrix/internal/netguard"
)

// Config configures a Source. Zero fields mean defaults.
type Config struct {
	// Guard decides which addresses requests may connect to, at dial time and for every
	// redirect. Default: a netguard.Guard with no allow-list, which refuses loopback,
	// link-local, private, multicast and reserved ranges. Ignored when Client is set.
	Guard *netguard.Guard
	// Client makes the http(s) requests. Default: Guard.Client(), which uses no proxy. Set
	// it only to a client built on a netguard.Guard (tests inject resolvers through it):
	// every request a user's repo causes goes through it. Repos with InsecureSkipVerify
	// need its Transport to be an *http.Transport, which is cloned.
	Client *http.Client
	// MaxIndexBytes caps an index.yaml. Default 256 MiB (package index's default).
	MaxIndexBytes int64
	// MaxPackageBytes caps one package, which FetchPackage holds in memory. Default 64 MiB.
	MaxPackageBytes int64
	// Timeout bounds one request, reading its body included; the caller's ctx may end it
	// sooner. Larger values suit big indexes on slow links. Default 2 minutes.
	Timeout time.Duration
	// AllowDirs are the only folders (and their subfolders) local repos may read, opened
	// through os.Root so symlinks cannot leave them. Empty allows no local repo at all.
	AllowDirs []string
}

// Defaults for zero Config fields.
const (
	DefaultMaxIndexBytes   = index.DefaultMaxBytes
	DefaultMaxPackageBytes = 64 << 20
	DefaultTimeout         = 2 * time.Minute
)

func (c Config) withDefaults() (Config, error) {
	if c.Client == nil {
		if c.Guard == nil {
			g, err := netguard.New(netguard.Config{})
			if err != nil {
				return c, fmt.Errorf("source: config: %w", err)
			}
			c.Guard = g
		}
		c.Client = c.Guard.Client()
	}
	if c.MaxIndexBytes == 0 {
		c.MaxIndexBytes = DefaultMaxIndexBytes
	}
	if c.MaxPackageBytes == 0 {
		c.MaxPackageBytes = DefaultMaxPackageBytes
	}
	if c.Timeout == 0 {
		c.Timeout = DefaultTimeout
	}
	return c, nil
}

// Validate reports bad settings.
func (c Config) Validate() error {
	switch {
	case c.MaxIndexBytes < 0:
		return fmt.Errorf("source: config: max index bytes %d is negative", c.MaxIndexBytes)
	case c.MaxPackageBytes < 0:
		return fmt.Errorf("source: config: max package bytes %d is negative", c.MaxPackageBytes)
	case c.Timeout < 0:
		return fmt.Errorf("source: config: timeout %s is negative", c.Timeout)
	}
	for _, d := range c.AllowDirs {
		if !filepath.IsAbs(d) {
			return fmt.Errorf("source: config: allowed folder %q is not absolute", d)
		}
	}
	return nil
}

// Source fetches repo indexes and packages. It is safe for concurrent use.
type Source struct {
	cfg      Config
	client   *http.Client
	insecure *http.Client // nil when cfg.Client's transport cannot be cloned
}

// New returns a Source for cfg.
func New(cfg Config) (*Source, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	s := &Source{cfg: cfg, client: cfg.Client}
	tr := cfg.Client.Transport
	if tr == nil {
		tr = http.DefaultTransport
	}
	if t, ok := tr.(*http.Transport); ok {
		t = t.Clone()
		if t.TLSClientConfig == nil {
			t.TLSClientConfig = &tls.Config{}
		}
		t.TLSClientConfig.InsecureSkipVerify = true
		c := *cfg.Client
		c.Transport = t
		s.insecure = &c
	}
	return s, nil
}

func (s *Source) clientFor(r Repo) (*http.Client, error) {
	if !r.Credential.InsecureSkipVerify {
		return s.client, nil
	}
	if s.insecure == nil {
		return nil, fmt.Errorf("%w: insecure_skip_verify needs an *http.Transport in the source's client", ErrInvalidRepo)
	}
	return s.insecure, nil
}

// BaseURL returns the checked URL that relative package urls of r's index resolve against
// (see index.ResolveURL): the repo URL for http(s), a file:// URL of the folder for local.
func (s *Source) BaseURL(r Repo) (*url.URL, error) {
	loc, err := check(r, s.cfg.AllowDirs)
	if err != nil {
		return nil, err
	}
	u := *loc.base
	return &u, nil
}

// FetchIndex opens the repo's index.yaml. With a non-empty etag from an earlier fetch,
// an unchanged index gives notModified and no body. Otherwise the caller must close body,
// which fails with ErrTooLarge past Config.MaxIndexBytes and ends with the request's
// timeout. newETag is the server's ETag (empty if it sends none); for a local repo it is
// derived from the file's size and modification time. See FetchIndexIf for Last-Modified.
func (s *Source) FetchIndex(ctx context.Context, r Repo, etag string) (body io.ReadCloser, newETag string, notModified bool, err error) {
	f, err := s.FetchIndexIf(ctx, r, Validators{ETag: etag})
	return f.Body, f.ETag, f.NotModified, err
}

// Validators are what an earlier fetch of an index told about its version: its ETag and
// Last-Modified header values as the server sent them.
type Validators struct {
	ETag         string
	LastModified string
}

// Fetched is the result of FetchIndexIf.
type Fetched struct {
	// Body is the index, nil when NotModified; the caller must close it. It fails with
	// ErrTooLarge past Config.MaxIndexBytes and ends with the request's timeout.
	Body io.ReadCloser
	// Validators of this version of the index (kept from the request when the server
	// answered 304 without them), to send next time.
	Validators
	// NotModified: the server answered 304 to a conditional request.
	NotModified bool
}

// FetchIndexIf opens the repo's index.yaml, conditionally: a non-empty v.ETag is sent as
// If-None-Match and a non-empty v.LastModified as If-Modified-Since, and a 304 answer gives
// NotModified and no body. A local repo's ETag is derived from the file's size and
// modification time; it has no Last-Modified.
func (s *Source) FetchIndexIf(ctx context.Context, r Repo, v Validators) (Fetched, error) {
	loc, err := check(r, s.cfg.AllowDirs)
	if err != nil {
		return Fetched{}, err
	}
	if err := ctx.Err(); err != nil {
		return Fetched{}, requestErr("get", indexWhere(loc), err)
	}
	if loc.typ == TypeLocal {
		body, tag, notModified, err := s.localIndex(ctx, loc, v.ETag)
		return Fetched{Body: body, Validators: Validators{ETag: tag}, NotModified: notModified}, err
	}
	u := indexURL(loc.base)
	where := u.Redacted()
	ctx, cancel := context.WithTimeout(ctx, s.cfg.Timeout)
	resp, err := s.getIf(ctx, r, u, v, true)
	if err != nil {
		cancel()
		return Fetched{}, requestErr("get", where, err)
	}
	got := Validators{ETag: resp.Header.Get("ETag"), LastModified: resp.Header.Get("Last-Modified")}
	switch {
	case resp.StatusCode == http.StatusNotModified && (v.ETag != "" || v.LastModified != ""):
		resp.Body.Close()
		cancel()
		if got.ETag == "" {
			got.ETag = v.ETag
		}
		if got.LastModified == "" {
			got.LastModified = v.LastModified
		}
		return Fetched{Validators: got, NotModified: true}, nil
	case resp.StatusCode != http.StatusOK:
		resp.Body.Close()
		cancel()
		return Fetched{}, statusErr(where, resp.StatusCode, hasCredential(r.Credential))
	case resp.ContentLength > s.cfg.MaxIndexBytes:
		resp.Body.Close()
		cancel()
		return Fetched{}, tooLarge("get", where, resp.ContentLength, s.cfg.MaxIndexBytes)
	}
	return Fetched{Body: &capped{rc: resp.Body, max: s.cfg.MaxIndexBytes, op: "get", where: where, done: cancel}, Validators: got}, nil
}

func (s *Source) localIndex(ctx context.Context, loc location, etag string) (io.ReadCloser, string, bool, error) {
	p := filepath.Join(loc.dir, "index.yaml")
	d, err := loc.openDir()
	if err != nil {
		return nil, "", false, err
	}
	defer d.Close()
	f, err := d.Open("index.yaml") // refuses a symlink that leaves the folder
	if err != nil {
		return nil, "", false, openErr(p, err)
	}
	fi, err := f.Stat()
	switch {
	case err != nil:
		f.Close()
		return nil, "", false, openErr(p, err)
	case !fi.Mode().IsRegular():
		f.Close()
		return nil, "", false, &FetchError{Op: "open", Where: p, Cause: "not a regular file", Kind: ErrNotFound}
	}
	tag := fmt.Sprintf(`"%x-%x"`, fi.Size(), fi.ModTime().UnixNano())
	if etag != "" && etag == tag {
		f.Close()
		return nil, tag, true, nil
	}
	if fi.Size() > s.cfg.MaxIndexBytes {
		f.Close()
		return nil, "", false, tooLarge("open", p, fi.Size(), s.cfg.MaxIndexBytes)
	}
	return &capped{rc: f, ctx: ctx, max: s.cfg.MaxIndexBytes, op: "read", where: p}, tag, false, nil
}

// FetchPackage reads one package of the repo. pkgURL is as written in the index: relative
// to the repo URL or absolute. For an http(s) repo it must resolve to an http or https URL,
// and the repo's credential is sent only to the repo's own host. For a local repo it must
// resolve to a file inside the repo folder. The package is capped at
// Config.MaxPackageBytes.
func (s *Source) FetchPackage(ctx context.Context, r Repo, pkgURL string) ([]byte, error) {
	loc, err := check(r, s.cfg.AllowDirs)
	if err != nil {
		return nil, err
	}
	abs, err := index.ResolveURL(loc.base, pkgURL)
	if err != nil {
		return nil, fmt.Errorf("%w: package url of repo %s: %w", ErrInvalidRepo, loc.where(), err)
	}
	u, err := url.Parse(abs)
	if err != nil {
		return nil, fmt.Errorf("%w: package url %q: %w", ErrInvalidRepo, pkgURL, err)
	}
	if loc.typ == TypeLocal {
		return s.localPackage(ctx, loc, u, pkgURL)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return nil, fmt.Errorf("%w: package url %s of repo %s: scheme must be http or https", ErrInvalidRepo, u.Redacted(), loc.where())
	}
	if u.User != nil {
		return nil, fmt.Errorf("%w: package url %s of repo %s holds a user or password", ErrInvalidRepo, u.Redacted(), loc.where())
	}
	where := u.Redacted()
	ctx, cancel := context.WithTimeout(ctx, s.cfg.Timeout)
	defer cancel()
	sameRepo := u.Host == loc.base.Host && (u.Scheme == loc.base.Scheme || u.Scheme == "https")
	resp, err := s.get(ctx, r, u, "", sameRepo)
	if err != nil {
		return nil, requestErr("get", where, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, statusErr(where, resp.StatusCode, hasCredential(r.Credential))
	}
	if resp.ContentLength > s.cfg.MaxPackageBytes {
		return nil, tooLarge("get", where, resp.ContentLength, s.cfg.MaxPackageBytes)
	}
	return readCapped(&capped{rc: resp.Body, max: s.cfg.MaxPackageBytes, op: "get", where: where})
}

func (s *Source) localPackage(ctx context.Context, loc location, u *url.URL, pkgURL string) ([]byte, error) {
	if u.Scheme != "file" || (u.Host != "" && u.Host != "localhost") {
		return nil, fmt.Errorf("%w: package url %q of local repo %s: must be a file in the repo folder", ErrInvalidRepo, pkgURL, loc.dir)
	}
	rel, err := filepath.Rel(loc.dir, filepath.Clean(u.Path))
	if err != nil || !filepath.IsLocal(rel) {
		return nil, fmt.Errorf("%w: package url %q of local repo %s: outside the repo folder", ErrInvalidRepo, pkgURL, loc.dir)
	}
	p := filepath.Join(loc.dir, rel)
	root, err := loc.openDir()
	if err != nil {
		return nil, err
	}
	defer root.Close()
	f, err := root.Open(rel) // refuses symlinks and ".." that leave the folder
	if err != nil {
		return nil, openErr(p, err)
	}
	defer f.Close()
	fi, err := f.Stat()
	switch {
	case err != nil:
		return nil, openErr(p, err)
	case !fi.Mode().IsRegular():
		return nil, &FetchError{Op: "open", Where: p, Cause: "not a regular file", Kind: ErrNotFound}
	case fi.Size() > s.cfg.MaxPackageBytes:
		return nil, tooLarge("open", p, fi.Size(), s.cfg.MaxPackageBytes)
	}
	return readCapped(&capped{rc: f, ctx: ctx, max: s.cfg.MaxPackageBytes, op: "read", where: p})
}

// Validate checks that the repo's index can be fetched and parsed, reading it whole
// (streamed, with bounded memory). The error names the URL or path and the cause.
func (s *Source) Validate(ctx context.Context, r Repo) error {
	body, _, _, err := s.FetchIndex(ctx, r, "")
	if err != nil {
		return err
	}
	defer body.Close()
	// The body enforces MaxIndexBytes itself, with an error naming the URL.
	_, err = index.Read(body, index.Limits{MaxBytes: s.cfg.MaxIndexBytes + 1}, func(index.Version) error { return nil })
	if err != nil {
		var fe *FetchError
		if errors.As(err, &fe) {
			return fe
		}
		loc, _ := check(r, s.cfg.AllowDirs)
		return fmt.Errorf("%s: %w", indexWhere(loc), err)
	}
	return nil
}

// get sends a GET for u with the repo's credential when withAuth.
func (s *Source) get(ctx context.Context, r Repo, u *url.URL, etag string, withAuth bool) (*http.Response, error) {
	return s.getIf(ctx, r, u, Validators{ETag: etag}, withAuth)
}

// getIf is get with conditional headers from v.
func (s *Source) getIf(ctx context.Context, r Repo, u *url.URL, v Validators, withAuth bool) (*http.Response, error) {
	client, err := s.clientFor(r)
	if err != nil {
		return nil, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("User-Agent", "pitrix-repo-source")
	if v.ETag != "" {
		req.Header.Set("If-None-Match", v.ETag)
	}
	if v.LastModified != "" {
		req.Header.Set("If-Modified-Since", v.LastModified)
	}
	if withAuth {
		c := r.Credential
		switch {
		case c.BearerToken != "":
			req.Header.Set("Authorization", "Bearer "+c.BearerToken)
		case c.Username != "" || c.Password != "":
			req.SetBasicAuth(c.Username, c.Password)
		}
	}
	return client.Do(req)
}

func hasCredential(c Credential) bool {
	return c.BearerToken != "" || c.Username != "" || c.Password != ""
}

// indexURL is <base>/index.yaml, keeping base's query.
func indexURL(base *url.URL) *url.URL {
	u := *base
	u.Path = strings.TrimSuffix(u.Path, "/") + "/index.yaml"
	if u.RawPath != "" {
		u.RawPath = strings.TrimSuffix(u.RawPath, "/") + "/index.yaml"
	}
	return &u
}

func indexWhere(loc location) string {
	if loc.typ == TypeLocal {
		return filepath.Join(loc.dir, "index.yaml")
	}
	if loc.base == nil {
		return ""
	}
	return indexURL(loc.base).Redacted()
}

func openErr(p string, err error) error {
	switch {
	case errors.Is(err, os.ErrNotExist):
		return &FetchError{Op: "open", Where: p, Cause: "no such file", Kind: ErrNotFound, Err: err}
	case errors.Is(err, os.ErrPermission):
		return &FetchError{Op: "open", Where: p, Cause: "permission denied", Kind: ErrUnauthorized, Err: err}
	}
	return &FetchError{Op: "open", Where: p, Cause: "cannot read", Kind: ErrUnavailable, Err: err}
}

func tooLarge(op, where string, size, max int64) error {
	return &FetchError{Op: op, Where: where, Kind: ErrTooLarge,
		Cause: fmt.Sprintf("%d bytes is over the limit of %d bytes", size, max)}
}

// capped reads at most max bytes of rc, failing with ErrTooLarge past them, names the
// source in read errors, and runs done on Close.
type capped struct {
	rc    io.ReadCloser
	ctx   context.Context // checked between reads of local files; nil for http bodies
	max   int64
	n     int64
	op    string
	where string
	done  func()
}

func (c *capped) Read(p []byte) (int, error) {
	if c.ctx != nil {
		if err := c.ctx.Err(); err != nil {
			return 0, requestErr(c.op, c.where, err)
		}
	}
	if rest := c.max + 1 - c.n; int64(len(p)) > rest {
		p = p[:rest]
	}
	n, err := c.rc.Read(p)
	c.n += int64(n)
	if c.n > c.max {
		return n, &FetchError{Op: c.op, Where: c.where, Kind: ErrTooLarge,
			Cause: fmt.Sprintf("more than the limit of %d bytes", c.max)}
	}
	if err != nil && err != io.EOF {
		return n, requestErr(c.op, c.where, err)
	}
	return n, err
}

func (c *capped) Close() error {
	err := c.rc.Close()
	if c.done != nil {
		c.done()
	}
	return err
}

func readCapped(c *capped) ([]byte, error) {
	defer c.Close()
	return io.ReadAll(c)
}
