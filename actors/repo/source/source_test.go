package source

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pitrix/pitrix/internal/netguard"
)

const indexYAML = `apiVersion: v1
entries:
  nginx:
  - name: nginx
    version: 1.0.0
    urls:
    - nginx-1.0.0.tgz
`

// newSource builds a Source; without a Guard or Client it gets a guard allowing
// 127.0.0.0/8 only, where the tests' servers listen.
func newSource(t *testing.T, cfg Config) *Source {
	t.Helper()
	if cfg.Guard == nil && cfg.Client == nil {
		cfg.Guard = loopbackGuard(t, "127.0.0.0/8")
	}
	s, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func loopbackGuard(t *testing.T, allow string) *netguard.Guard {
	t.Helper()
	prefixes, err := netguard.ParseAllow(allow)
	if err != nil {
		t.Fatal(err)
	}
	g, err := netguard.New(netguard.Config{Allow: prefixes})
	if err != nil {
		t.Fatal(err)
	}
	return g
}

// repoServer serves index.yaml with an ETag and packages under /charts/, requiring the
// given basic-auth user when user is not empty.
type repoServer struct {
	*httptest.Server
	user, pass string
	gotAuth    atomic.Value // last Authorization header seen
}

func newRepoServer(t *testing.T, user, pass string) *repoServer {
	rs := &repoServer{user: user, pass: pass}
	rs.Server = httptest.NewServer(http.HandlerFunc(rs.serve))
	t.Cleanup(rs.Close)
	return rs
}

func (rs *repoServer) serve(w http.ResponseWriter, r *http.Request) {
	rs.gotAuth.Store(r.Header.Get("Authorization"))
	if rs.user != "" {
		if u, p, ok := r.BasicAuth(); !ok || u != rs.user || p != rs.pass {
			http.Error(w, "no", http.StatusUnauthorized)
			return
		}
	}
	switch r.URL.Path {
	case "/charts/index.yaml":
		const etag = `"v1"`
		if r.Header.Get("If-None-Match") == etag {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		w.Header().Set("ETag", etag)
		io.WriteString(w, indexYAML)
	case "/charts/nginx-1.0.0.tgz":
		io.WriteString(w, "package-bytes")
	case "/charts/big.tgz":
		w.Header().Set("Content-Length", "4096")
		w.Write(make([]byte, 4096))
	case "/charts/stream.tgz": // no Content-Length
		for range 8 {
			w.Write(make([]byte, 1024))
			w.(http.Flusher).Flush()
		}
	default:
		http.NotFound(w, r)
	}
}

func readAll(t *testing.T, rc io.ReadCloser) string {
	t.Helper()
	defer rc.Close()
	b, err := io.ReadAll(rc)
	if err != nil {
		t.Fatalf("read body: %v", err)
	}
	return string(b)
}

func TestCheckRepo(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	file := filepath.Join(dir, "f")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	escape := filepath.Join(dir, "escape")
	if err := os.Symlink("/", escape); err != nil {
		t.Fatal(err)
	}
	allowed := []string{dir}
	const noFolder = "does not exist or is not allowed"
	tests := []struct {
		name  string
		repo  Repo
		allow []string
		kind  error
		msg   string
	}{
		{"https ok", Repo{Type: "https", URL: "https://charts.example.com/stable"}, nil, nil, ""},
		{"scheme mismatch", Repo{Type: "https", URL: "http://charts.example.com"}, nil, ErrInvalidRepo, "scheme must be https"},
		{"no host", Repo{Type: "http", URL: "http:///x"}, nil, ErrInvalidRepo, "no host"},
		{"password redacted", Repo{Type: "https", URL: "http://u:secret@h/"}, nil, ErrInvalidRepo, "u:xxxxx@h"},
		{"user and password refused", Repo{Type: "https", URL: "https://u:secret@h/"}, nil, ErrInvalidRepo, "give them as the repo's credential"},
		{"local ok", Repo{Type: "local", URL: dir}, allowed, nil, ""},
		{"local file url ok", Repo{Type: "local", URL: "file://" + dir}, []string{filepath.Dir(dir)}, nil, ""},
		{"local relative", Repo{Type: "local", URL: "repo"}, allowed, ErrInvalidRepo, "not absolute"},
		{"local missing", Repo{Type: "local", URL: filepath.Join(dir, "nope")}, allowed, ErrInvalidRepo, noFolder},
		{"local not a folder", Repo{Type: "local", URL: file}, allowed, ErrInvalidRepo, noFolder},
		{"local outside allowed", Repo{Type: "local", URL: dir}, []string{"/srv/repos"}, ErrInvalidRepo, noFolder},
		{"local none allowed", Repo{Type: "local", URL: "/etc"}, nil, ErrInvalidRepo, noFolder},
		{"local symlink out of allowed", Repo{Type: "local", URL: filepath.Join(escape, "etc")}, allowed, ErrInvalidRepo, noFolder},
		{"s3", Repo{Type: "s3", URL: "s3://bucket/x"}, nil, ErrUnsupported, "s3 repos are not supported yet"},
		{"no type", Repo{URL: "https://x"}, nil, ErrInvalidRepo, "type is missing"},
		{"unknown type", Repo{Type: "git", URL: "https://x"}, nil, ErrInvalidRepo, `unknown type "git"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := check(tt.repo, tt.allow)
			if tt.kind == nil {
				if err != nil {
					t.Fatalf("check: %v", err)
				}
				return
			}
			if !errors.Is(err, tt.kind) || !strings.Contains(fmt.Sprint(err), tt.msg) {
				t.Fatalf("error = %v, want %v containing %q", err, tt.kind, tt.msg)
			}
			if strings.Contains(err.Error(), "secret") {
				t.Errorf("error leaks the password: %v", err)
			}
		})
	}
}

func TestFetchIndexETag(t *testing.T) {
	t.Parallel()
	rs := newRepoServer(t, "", "")
	s := newSource(t, Config{})
	repo := Repo{Type: "http", URL: rs.URL + "/charts/"}
	body, etag, notModified, err := s.FetchIndex(t.Context(), repo, "")
	if err != nil || notModified {
		t.Fatalf("FetchIndex = notModified %v, err %v", notModified, err)
	}
	if got := readAll(t, body); got != indexYAML || etag != `"v1"` {
		t.Fatalf("body %q etag %q", got, etag)
	}
	body, etag2, notModified, err := s.FetchIndex(t.Context(), repo, etag)
	if err != nil || !notModified || body != nil || etag2 != etag {
		t.Fatalf("second FetchIndex = body %v etag %q notModified %v err %v, want not modified", body, etag2, notModified, err)
	}
}

func TestFetchIndexErrors(t *testing.T) {
	t.Parallel()
	rs := newRepoServer(t, "", "")
	auth := newRepoServer(t, "alice", "pw")
	tlsSrv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, indexYAML) }))
	tlsSrv.Config.ErrorLog = log.New(t.Output(), "tls server: ", 0) // the refused handshake
	tlsSrv.StartTLS()
	t.Cleanup(tlsSrv.Close)
	hang := make(chan struct{})
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-hang:
		}
	}))
	t.Cleanup(func() { close(hang); slow.Close() })

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	refused := "http://" + ln.Addr().String()
	ln.Close()

	noDNS := &http.Client{Transport: &http.Transport{DialContext: (&net.Dialer{Resolver: &net.Resolver{
		PreferGo: true,
		Dial: func(ctx context.Context, network, address string) (net.Conn, error) {
			return nil, errors.New("no DNS server in tests")
		},
	}}).DialContext}}

	tests := []struct {
		name string
		cfg  Config
		repo Repo
		kind error
		msg  []string
	}{
		{"not found", Config{}, Repo{Type: "http", URL: rs.URL + "/missing"}, ErrNotFound,
			[]string{rs.URL + "/missing/index.yaml", "HTTP 404"}},
		{"credentials required", Config{}, Repo{Type: "http", URL: auth.URL + "/charts"}, ErrUnauthorized,
			[]string{"HTTP 401", "credentials required"}},
		{"credentials rejected", Config{}, Repo{Type: "http", URL: auth.URL + "/charts", Credential: Credential{Username: "alice", Password: "wrong"}},
			ErrUnauthorized, []string{"credentials rejected"}},
		{"refused", Config{}, Repo{Type: "http", URL: refused}, ErrUnavailable, []string{refused + "/index.yaml", "connection refused"}},
		{"dns", Config{Client: noDNS}, Repo{Type: "http", URL: "http://repo.example.invalid/charts"}, ErrUnavailable,
			[]string{"repo.example.invalid", "DNS"}},
		{"tls untrusted", Config{}, Repo{Type: "https", URL: tlsSrv.URL}, ErrUnavailable, []string{"TLS certificate not trusted"}},
		{"timeout", Config{Timeout: 50 * time.Millisecond}, Repo{Type: "http", URL: slow.URL}, ErrUnavailable, []string{"timed out"}},
		{"oversize with length", Config{MaxIndexBytes: 10}, Repo{Type: "http", URL: rs.URL + "/charts"}, ErrTooLarge,
			[]string{"over the limit of 10 bytes"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s := newSource(t, tt.cfg)
			body, _, _, err := s.FetchIndex(t.Context(), tt.repo, "")
			if err == nil {
				body.Close()
				t.Fatalf("FetchIndex succeeded, want %v", tt.kind)
			}
			if !errors.Is(err, tt.kind) {
				t.Errorf("error %q is not %v", err, tt.kind)
			}
			for _, m := range tt.msg {
				if !strings.Contains(err.Error(), m) {
					t.Errorf("error %q does not contain %q", err, m)
				}
			}
		})
	}
}

func TestFetchIndexCredentials(t *testing.T) {
	t.Parallel()
	auth := newRepoServer(t, "alice", "pw")
	s := newSource(t, Config{})
	body, _, _, err := s.FetchIndex(t.Context(), Repo{Type: "http", URL: auth.URL + "/charts",
		Credential: Credential{Username: "alice", Password: "pw"}}, "")
	if err != nil {
		t.Fatal(err)
	}
	if got := readAll(t, body); got != indexYAML {
		t.Fatalf("body = %q", got)
	}

	var gotBearer atomic.Value
	bearer := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		gotBearer.Store(r.Header.Get("Authorization"))
		if r.Header.Get("Authorization") != "Bearer tok" {
			w.WriteHeader(http.StatusForbidden)
			return
		}
		io.WriteString(w, indexYAML)
	}))
	t.Cleanup(bearer.Close)
	if err := s.Validate(t.Context(), Repo{Type: "http", URL: bearer.URL, Credential: Credential{BearerToken: "tok"}}); err != nil {
		t.Fatalf("Validate with bearer token: %v (server saw %v)", err, gotBearer.Load())
	}
}

func TestInsecureSkipVerify(t *testing.T) {
	t.Parallel()
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, indexYAML) }))
	t.Cleanup(srv.Close)
	s := newSource(t, Config{})
	if err := s.Validate(t.Context(), Repo{Type: "https", URL: srv.URL, Credential: Credential{InsecureSkipVerify: true}}); err != nil {
		t.Fatalf("Validate with insecure_skip_verify: %v", err)
	}
}

func TestFetchIndexOversizeStream(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, indexYAML)
		for range 10 {
			io.WriteString(w, "# "+strings.Repeat("x", 40)+"\n")
			w.(http.Flusher).Flush() // chunked: no Content-Length
		}
	}))
	t.Cleanup(srv.Close)
	s := newSource(t, Config{MaxIndexBytes: 200})
	body, _, _, err := s.FetchIndex(t.Context(), Repo{Type: "http", URL: srv.URL}, "")
	if err != nil {
		t.Fatal(err)
	}
	defer body.Close()
	_, err = io.ReadAll(body)
	if !errors.Is(err, ErrTooLarge) || !strings.Contains(err.Error(), srv.URL) {
		t.Fatalf("reading an oversize body: %v, want ErrTooLarge naming the URL", err)
	}
	if err := s.Validate(t.Context(), Repo{Type: "http", URL: srv.URL}); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("Validate of an oversize index: %v, want ErrTooLarge", err)
	}
}

func TestFetchPackageHTTP(t *testing.T) {
	t.Parallel()
	rs := newRepoServer(t, "alice", "pw")
	other := newRepoServer(t, "", "")
	s := newSource(t, Config{MaxPackageBytes: 2048})
	repo := Repo{Type: "http", URL: rs.URL + "/charts", Credential: Credential{Username: "alice", Password: "pw"}}

	got, err := s.FetchPackage(t.Context(), repo, "nginx-1.0.0.tgz")
	if err != nil || string(got) != "package-bytes" {
		t.Fatalf("relative package = %q, %v", got, err)
	}
	got, err = s.FetchPackage(t.Context(), repo, other.URL+"/charts/nginx-1.0.0.tgz")
	if err != nil || string(got) != "package-bytes" {
		t.Fatalf("package on another host = %q, %v", got, err)
	}
	if a := other.gotAuth.Load(); a != "" {
		t.Errorf("credential sent to another host: %q", a)
	}

	tests := []struct {
		name, url string
		kind      error
		msg       string
	}{
		{"missing", "nope.tgz", ErrNotFound, rs.URL + "/charts/nope.tgz"},
		{"oversize with length", "big.tgz", ErrTooLarge, "over the limit of 2048 bytes"},
		{"oversize streamed", "stream.tgz", ErrTooLarge, "more than the limit of 2048 bytes"},
		{"file scheme", "file:///etc/passwd", ErrInvalidRepo, "scheme must be http or https"},
		{"empty", " ", ErrInvalidRepo, "empty url"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := s.FetchPackage(t.Context(), repo, tt.url)
			if !errors.Is(err, tt.kind) || !strings.Contains(fmt.Sprint(err), tt.msg) {
				t.Fatalf("error = %v, want %v containing %q", err, tt.kind, tt.msg)
			}
		})
	}
}

func TestLocalRepo(t *testing.T) {
	t.Parallel()
	parent := t.TempDir()
	dir := filepath.Join(parent, "repo")
	must(t, os.MkdirAll(filepath.Join(dir, "sub"), 0o755))
	must(t, os.WriteFile(filepath.Join(dir, "index.yaml"), []byte(indexYAML), 0o644))
	must(t, os.WriteFile(filepath.Join(dir, "nginx-1.0.0.tgz"), []byte("local-package"), 0o644))
	must(t, os.WriteFile(filepath.Join(dir, "sub", "x.tgz"), []byte("sub-package"), 0o644))
	must(t, os.WriteFile(filepath.Join(dir, "big.tgz"), make([]byte, 4096), 0o644))
	must(t, os.WriteFile(filepath.Join(parent, "secret"), []byte("secret"), 0o644))
	must(t, os.Symlink(filepath.Join(parent, "secret"), filepath.Join(dir, "link.tgz")))

	s := newSource(t, Config{AllowDirs: []string{parent}, MaxPackageBytes: 1024})
	repo := Repo{Type: "local", URL: dir}

	body, etag, notModified, err := s.FetchIndex(t.Context(), repo, "")
	if err != nil || notModified || etag == "" {
		t.Fatalf("FetchIndex = etag %q notModified %v err %v", etag, notModified, err)
	}
	if got := readAll(t, body); got != indexYAML {
		t.Fatalf("body = %q", got)
	}
	if _, _, notModified, err := s.FetchIndex(t.Context(), repo, etag); err != nil || !notModified {
		t.Fatalf("unchanged index: notModified %v err %v", notModified, err)
	}
	must(t, os.WriteFile(filepath.Join(dir, "index.yaml"), []byte(indexYAML+"# changed\n"), 0o644))
	body, etag2, notModified, err := s.FetchIndex(t.Context(), repo, etag)
	if err != nil || notModified || etag2 == etag {
		t.Fatalf("changed index: etag %q -> %q notModified %v err %v", etag, etag2, notModified, err)
	}
	body.Close()
	if err := s.Validate(t.Context(), repo); err != nil {
		t.Fatalf("Validate: %v", err)
	}

	if base, err := s.BaseURL(Repo{Type: "local", URL: "file://" + dir}); err != nil || base.String() != "file://"+dir {
		t.Errorf("BaseURL of a local repo = %v, %v; want file://%s", base, err, dir)
	}
	for _, u := range []string{"nginx-1.0.0.tgz", "file://" + dir + "/nginx-1.0.0.tgz", "sub/../nginx-1.0.0.tgz"} {
		if got, err := s.FetchPackage(t.Context(), repo, u); err != nil || string(got) != "local-package" {
			t.Errorf("FetchPackage(%q) = %q, %v", u, got, err)
		}
	}
	tests := []struct {
		name, url string
		kind      error
		msg       string
	}{
		{"dot-dot", "../secret", ErrInvalidRepo, "outside the repo folder"},
		{"absolute path", "/etc/passwd", ErrInvalidRepo, "outside the repo folder"},
		{"http url", "https://example.com/x.tgz", ErrInvalidRepo, "must be a file in the repo folder"},
		{"symlink out", "link.tgz", ErrUnavailable, filepath.Join(dir, "link.tgz")},
		{"missing", "nope.tgz", ErrNotFound, "no such file"},
		{"folder", "sub", ErrNotFound, "not a regular file"},
		{"oversize", "big.tgz", ErrTooLarge, "over the limit of 1024 bytes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := s.FetchPackage(t.Context(), repo, tt.url)
			if !errors.Is(err, tt.kind) || !strings.Contains(fmt.Sprint(err), tt.msg) {
				t.Fatalf("FetchPackage(%q) = %q, %v; want %v containing %q", tt.url, got, err, tt.kind, tt.msg)
			}
		})
	}

	empty := t.TempDir()
	if err := newSource(t, Config{AllowDirs: []string{empty}}).Validate(t.Context(), Repo{Type: "local", URL: empty}); !errors.Is(err, ErrNotFound) ||
		!strings.Contains(err.Error(), filepath.Join(empty, "index.yaml")) {
		t.Errorf("Validate of a folder without index.yaml: %v", err)
	}
}

func TestValidateNotAnIndex(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "<html><body>welcome</body></html>\n")
	}))
	t.Cleanup(srv.Close)
	err := newSource(t, Config{}).Validate(t.Context(), Repo{Type: "http", URL: srv.URL})
	if err == nil || !strings.Contains(err.Error(), srv.URL+"/index.yaml") || !strings.Contains(err.Error(), "not an index") {
		t.Fatalf("Validate of an HTML page: %v", err)
	}
	if err := newSource(t, Config{}).Validate(t.Context(), Repo{Type: "s3", URL: "s3://b"}); !errors.Is(err, ErrUnsupported) {
		t.Fatalf("Validate of s3 repo: %v", err)
	}
}

func TestConfigValidate(t *testing.T) {
	t.Parallel()
	for _, cfg := range []Config{{MaxIndexBytes: -1}, {MaxPackageBytes: -1}, {Timeout: -1}, {AllowDirs: []string{"rel"}}} {
		if _, err := New(cfg); err == nil {
			t.Errorf("New(%+v) succeeded", cfg)
		}
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// TestLocalRepoSameErrorMissingOrNotAllowed: a user cannot tell from the error whether a
// host path exists.
func TestLocalRepoSameErrorMissingOrNotAllowed(t *testing.T) {
	t.Parallel()
	allowed, outside := t.TempDir(), t.TempDir()
	s := newSource(t, Config{AllowDirs: []string{allowed}})
	msg := func(dir string) string {
		err := s.Validate(t.Context(), Repo{Type: "local", URL: dir})
		if !errors.Is(err, ErrInvalidRepo) {
			t.Fatalf("Validate(%s) = %v, want ErrInvalidRepo", dir, err)
		}
		return strings.ReplaceAll(err.Error(), dir, "DIR")
	}
	existing, missing := msg(outside), msg(filepath.Join(outside, "missing"))
	if existing != missing {
		t.Errorf("errors differ for an existing and a missing folder outside the allowed ones:\n%s\n%s", existing, missing)
	}
	if inAllowed := msg(filepath.Join(allowed, "missing")); inAllowed != existing {
		t.Errorf("errors differ for a missing allowed folder and an existing refused one:\n%s\n%s", inAllowed, existing)
	}
}

// TestRefusedAddresses: without an allow-list entry, a loopback repo is refused before any
// connection, and an index's package url or a redirect cannot lead into a refused range.
// Every target is on loopback, where a listener records that no connection came.
func TestRefusedAddresses(t *testing.T) {
	t.Parallel()
	var hits atomic.Int32
	target, err := net.Listen("tcp", "127.0.0.3:0")
	if err != nil {
		t.Skipf("listen on 127.0.0.3: %v", err)
	}
	t.Cleanup(func() { target.Close() })
	go func() {
		for {
			c, err := target.Accept()
			if err != nil {
				return
			}
			hits.Add(1)
			c.Close()
		}
	}()
	secret := "http://" + target.Addr().String() + "/secret.tgz"

	frontLn, err := net.Listen("tcp", "127.0.0.2:0")
	if err != nil {
		t.Skipf("listen on 127.0.0.2: %v", err)
	}
	front := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/index.yaml":
			io.WriteString(w, indexYAML)
		default:
			http.Redirect(w, r, secret, http.StatusFound)
		}
	}), ReadHeaderTimeout: 5 * time.Second}
	go front.Serve(frontLn)
	t.Cleanup(func() { front.Close() })
	frontURL := "http://" + frontLn.Addr().String()

	strict := newSource(t, Config{Guard: loopbackGuard(t, "")})
	narrow := newSource(t, Config{Guard: loopbackGuard(t, "127.0.0.2/32")})
	repo := Repo{Type: "http", URL: frontURL}

	err = strict.Validate(t.Context(), repo)
	if !errors.Is(err, ErrRefused) || !strings.Contains(err.Error(), "loopback address") || !strings.Contains(err.Error(), "127.0.0.2") {
		t.Fatalf("loopback repo without allow-list: %v, want ErrRefused naming the address", err)
	}
	if err := narrow.Validate(t.Context(), repo); err != nil {
		t.Fatalf("allowed repo: %v", err)
	}
	for name, u := range map[string]string{"absolute package url": secret, "redirect": "redirect-me.tgz", "localhost": strings.Replace(secret, "127.0.0.3", "localhost", 1)} {
		got, err := narrow.FetchPackage(t.Context(), repo, u)
		if !errors.Is(err, ErrRefused) || len(got) != 0 {
			t.Errorf("%s: FetchPackage = %q, %v; want ErrRefused", name, got, err)
		}
	}
	if _, err := narrow.FetchPackage(t.Context(), repo, "http://u:pw@"+frontLn.Addr().String()+"/x.tgz"); !errors.Is(err, ErrInvalidRepo) || strings.Contains(err.Error(), "pw") {
		t.Errorf("package url with a password: %v, want ErrInvalidRepo without the password", err)
	}
	if n := hits.Load(); n != 0 {
		t.Fatalf("the refused address saw %d connections, want 0", n)
	}
}
