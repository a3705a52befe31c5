package main

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// vmRSS is the resident set of process pid in bytes, from /proc.
func vmRSS(t *testing.T, pid int) int64 {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Skipf("no /proc here: %v", err)
	}
	for line := range strings.SplitSeq(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			if err != nil {
				t.Fatalf("VmRSS %q: %v", v, err)
			}
			return kb << 10
		}
	}
	t.Fatalf("no VmRSS in /proc/%d/status", pid)
	return 0
}

// TestUnauthenticatedBodiesE2E is chain 2 of issue 7 through the real binary: connections that
// declare a 60 MB body without a valid token are answered 401 at once and the server's RSS stays
// flat. Budget: 48 MiB of RSS growth for 40 of them (before admission, 20 added 1.3 GB).
func TestUnauthenticatedBodiesE2E(t *testing.T) {
	s := startServer(t, t.TempDir(), "--local-runtime=false")
	addr := strings.TrimPrefix(s.url, "http://")
	heads := []string{
		"POST /v1/categories HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 60000000\r\n\r\n",
		"POST /v1/apps?type=vm HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ptx_forged\r\nContent-Type: application/gzip\r\nContent-Length: 60000000\r\n\r\n",
	}
	// Warm the process up first so the baseline is not its cold start.
	if resp, err := http.Get(s.url + "/healthz"); err == nil {
		resp.Body.Close()
	}
	before := vmRSS(t, s.cmd.Process.Pid)
	var wg sync.WaitGroup
	statuses := make(chan string, 40)
	for i := range 40 {
		wg.Go(func() {
			conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
			if err != nil {
				statuses <- err.Error()
				return
			}
			defer conn.Close()
			_ = conn.SetDeadline(time.Now().Add(20 * time.Second))
			io.WriteString(conn, heads[i%2])
			resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
			if err != nil {
				statuses <- err.Error()
				return
			}
			resp.Body.Close()
			statuses <- strconv.Itoa(resp.StatusCode)
		})
	}
	wg.Wait()
	close(statuses)
	for st := range statuses {
		if st != "401" {
			t.Errorf("a connection declaring 60 MB without a valid token got %s, want 401", st)
		}
	}
	after := vmRSS(t, s.cmd.Process.Pid)
	const budget = 48 << 20
	if grew := after - before; grew > budget {
		t.Errorf("RSS grew %d bytes (from %d to %d), over the budget of %d", grew, before, after, budget)
	} else {
		t.Logf("RSS %d -> %d bytes (grew %d) for 40 refused 60 MB bodies", before, after, grew)
	}
}

// TestAdminTokenNotPrinted: the welcome text names the token file, never the token.
func TestAdminTokenNotPrinted(t *testing.T) {
	dir := t.TempDir()
	s := startServer(t, dir, "--local-runtime=false")
	eventually(t, "the welcome text", func() (bool, string) {
		return strings.Contains(s.logText(), "Pitrix is up at"), s.logText()
	})
	log := s.logText()
	if tok := s.token(); strings.Contains(log, tok) {
		t.Fatalf("the server printed its admin token:\n%s", log)
	}
	path := filepath.Join(dir, "admin.token")
	if !strings.Contains(log, path) || !strings.Contains(log, "PITRIX_TOKEN=$(cat "+path+")") {
		t.Fatalf("the welcome text does not say where the token is (%s):\n%s", path, log)
	}
}

// TestUnsafeNamesE2E: a name with a bidi override, NUL or a control character is refused with
// 400 naming the field, for every kind of thing that has a name.
func TestUnsafeNamesE2E(t *testing.T) {
	s := startServer(t, t.TempDir(), "--local-runtime=false")
	admin := s.client(s.token())
	for _, name := range []string{"invoice\u202efdp.exe", "a\x00b", "x\u2066y", "bell\x07"} {
		for _, c := range []struct {
			path string
			body obj
		}{
			{"/v1/categories", obj{"name": name}},
			{"/v1/users", obj{"name": name, "role": "user"}},
			{"/v1/repos", obj{"name": name, "type": "http", "url": "http://127.0.0.1:1/", "providers": []string{"local"}}},
			{"/v1/runtime_credentials", obj{"name": name, "provider": "local", "content": "x"}},
			{"/v1/runtimes", obj{"name": name, "provider": "local", "zone": "local"}},
			{"/v1/clusters", obj{"name": name, "runtime_id": "rt-none", "version_id": "appv-none"}},
		} {
			err := admin.Do(ctxT(t), http.MethodPost, c.path, nil, c.body, nil)
			ae := apiErr(t, err, 400, "invalid_argument")
			if msg, _ := ae.Details["name"].(string); msg == "" {
				t.Errorf("POST %s with name %q: details %v do not name the field name", c.path, name, ae.Details)
			}
		}
	}
}
