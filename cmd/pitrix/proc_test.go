package main

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/pitrix/pitrix/http/client"
	"github.com/pitrix/pitrix/internal/testutil"
)

// binary is the pitrix binary the end-to-end tests run as real processes (built in TestMain).
var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "pitrix-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binary = filepath.Join(dir, "pitrix")
	build := exec.Command("go", "build", "-o", binary, ".")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "build pitrix:", err)
		os.RemoveAll(dir)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// server is one `pitrix server` process.
type server struct {
	t       *testing.T
	cmd     *exec.Cmd
	url     string
	dataDir string
	done    chan struct{}
	mu      sync.Mutex
	log     strings.Builder
}

// startServer runs `pitrix server` on a free loopback port with dataDir and waits for its
// "listening" line. The process is killed when the test ends. Through the environment it
// lets outbound requests reach loopback (the tests' repos listen there) and local repos
// read the temp folder; flags in args override both.
func startServer(t *testing.T, dataDir string, args ...string) *server {
	t.Helper()
	s := &server{t: t, dataDir: dataDir, done: make(chan struct{})}
	s.cmd = exec.Command(binary, append([]string{"server", "--data-dir", dataDir, "--listen", "127.0.0.1:0", "--log-level", "info"}, args...)...)
	s.cmd.Env = append(os.Environ(), "PITRIX_JOIN=", "PITRIX_ALLOW_FETCH=127.0.0.0/8", "PITRIX_ALLOW_LOCAL_REPO="+os.TempDir())
	stderr, err := s.cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := s.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	urls := make(chan string, 1)
	go func() {
		defer close(s.done)
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			line := sc.Text()
			s.mu.Lock()
			s.log.WriteString(line + "\n")
			s.mu.Unlock()
			if u, ok := strings.CutPrefix(line, "pitrix: listening on "); ok {
				urls <- u
			}
		}
		_ = s.cmd.Wait()
	}()
	t.Cleanup(func() {
		s.kill()
		if t.Failed() {
			t.Logf("server log:\n%s", s.logText())
		}
	})
	select {
	case s.url = <-urls:
	case <-s.done:
		t.Fatalf("server exited before listening:\n%s", s.logText())
	case <-time.After(60 * time.Second):
		t.Fatalf("server did not listen within 60s:\n%s", s.logText())
	}
	return s
}

func (s *server) logText() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.log.String()
}

// kill sends SIGKILL and waits for the process to be gone.
func (s *server) kill() {
	if s.cmd.Process != nil {
		_ = s.cmd.Process.Signal(syscall.SIGKILL)
	}
	<-s.done
}

// stop sends SIGTERM and waits for a clean exit.
func (s *server) stop() error {
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.done:
		if !s.cmd.ProcessState.Success() {
			return fmt.Errorf("server exited with %v", s.cmd.ProcessState)
		}
		return nil
	case <-time.After(30 * time.Second):
		return fmt.Errorf("server did not stop within 30s")
	}
}

func (s *server) token() string {
	b, err := os.ReadFile(filepath.Join(s.dataDir, "admin.token"))
	if err != nil {
		s.t.Fatal(err)
	}
	return strings.TrimSpace(string(b))
}

func (s *server) client(token string) *client.Client {
	c, err := client.New(client.Config{Server: s.url, Token: token})
	if err != nil {
		s.t.Fatal(err)
	}
	return c
}

// repoServer serves a folder over HTTP on loopback with strong ETags, as chart repos do.
func repoServer(t *testing.T, dir string) *httptest.Server {
	fs := http.FileServer(http.Dir(dir))
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, err := os.ReadFile(filepath.Join(dir, filepath.Clean("/"+r.URL.Path)))
		if err == nil {
			sum := sha256.Sum256(b)
			etag := `"` + hex.EncodeToString(sum[:8]) + `"`
			w.Header().Set("ETag", etag)
			if r.Header.Get("If-None-Match") == etag {
				w.WriteHeader(http.StatusNotModified)
				return
			}
		}
		fs.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv
}

// eventually polls cond until it holds or the deadline passes, then fails with its last word.
func eventually(t *testing.T, what string, cond func() (bool, string)) {
	t.Helper()
	testutil.Eventually(t, 30*time.Second, what, cond)
}

func ctxT(t *testing.T) context.Context { return t.Context() }

func projectRoot() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..")
}

var _ = io.Discard
