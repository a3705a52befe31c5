package metadata

import (
	"context"
	"errors"
	"maps"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func openStore(t *testing.T, dir string) *Store {
	t.Helper()
	s, err := OpenStore(dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// next receives the next view from ch or fails after a generous deadline.
func next(t *testing.T, ch <-chan View) View {
	t.Helper()
	select {
	case v, ok := <-ch:
		if !ok {
			t.Fatal("watch channel closed")
		}
		return v
	case <-time.After(10 * time.Second):
		t.Fatal("no view delivered within 10s")
		return nil
	}
}

func TestStorePutViewReopen(t *testing.T) {
	dir := t.TempDir()
	s := openStore(t, dir)
	if err := s.Put("cl-redis1", redisCluster()); err != nil {
		t.Fatal(err)
	}
	want, err := s.View("i-r2")
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Put("cl-redis1", redisCluster()); !errors.Is(err, ErrClosed) {
		t.Errorf("Put after Close = %v, want ErrClosed", err)
	}
	// A leftover temp file of an interrupted write is cleaned up on open.
	leftover := filepath.Join(dir, tempPrefix+"cl-x.json-123")
	if err := os.WriteFile(leftover, []byte("{"), 0o600); err != nil {
		t.Fatal(err)
	}
	s2 := openStore(t, dir)
	got, err := s2.View("i-r2")
	if err != nil {
		t.Fatalf("after reopen: %v", err)
	}
	if !maps.Equal(got, want) {
		t.Error("view changed across reopen")
	}
	if _, err := os.Stat(leftover); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("leftover temp file still there: %v", err)
	}
	if err := s2.Delete("cl-redis1"); err != nil {
		t.Fatal(err)
	}
	s2.Close()
	s3 := openStore(t, dir)
	if _, err := s3.View("i-r2"); !errors.Is(err, ErrUnknownInstance) {
		t.Errorf("deleted cluster came back: %v", err)
	}
	if err := s3.Delete("cl-redis1"); !errors.Is(err, ErrNotFound) {
		t.Errorf("Delete twice = %v, want ErrNotFound", err)
	}
}

func TestStoreRejects(t *testing.T) {
	s := openStore(t, t.TempDir())
	if err := s.Put("cl-redis1", redisCluster()); err != nil {
		t.Fatal(err)
	}
	other := redisCluster()
	other.ClusterID = "cl-other"
	if err := s.Put("cl-other", other); !errors.Is(err, ErrInstanceConflict) {
		t.Errorf("Put with another cluster's instances = %v, want ErrInstanceConflict", err)
	}
	if err := s.Put("cl-x", redisCluster()); !errors.Is(err, ErrInvalid) {
		t.Errorf("Put with mismatched id = %v, want ErrInvalid", err)
	}
	dot := Cluster{ClusterID: ".hidden"}
	if err := s.Put(".hidden", dot); !errors.Is(err, ErrInvalid) {
		t.Errorf("Put(.hidden) = %v, want ErrInvalid", err)
	}
	if _, ok := s.Cluster("cl-other"); ok {
		t.Error("a refused Put was stored")
	}
}

func TestOpenStoreCorruptFile(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "cl-bad.json"), []byte(`{"version":1,`), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := OpenStore(dir)
	if err == nil || !strings.Contains(err.Error(), "cl-bad.json") {
		t.Fatalf("OpenStore = %v, want an error naming cl-bad.json", err)
	}
}

func TestWatchScaleOut(t *testing.T) {
	s := openStore(t, t.TempDir())
	c := redisCluster()
	if err := s.Put(c.ClusterID, c); err != nil {
		t.Fatal(err)
	}
	ch := s.Watch(t.Context(), "i-r1")
	v := next(t, ch)
	if got := v.ListDir("/hosts/replica"); len(got) != 2 {
		t.Fatalf("initial replicas = %v", got)
	}

	// An unrelated cluster changes: i-r1's watcher must not fire. The next
	// delivery must be the scale-out below, not this change.
	unrelated := Cluster{ClusterID: "cl-web", SingleRole: true, Hosts: []Host{{InstanceID: "i-w1", IP: "127.1.0.20"}}}
	if err := s.Put(unrelated.ClusterID, unrelated); err != nil {
		t.Fatal(err)
	}

	// Scale-out, step 1: the new replica is being added.
	newHost := Host{InstanceID: "i-r3", NodeID: "cln-r3", Role: "replica", IP: "127.1.0.5", SID: 4}
	c.Adding = []Host{newHost}
	if err := s.Put(c.ClusterID, c); err != nil {
		t.Fatal(err)
	}
	v = next(t, ch)
	if ip, _ := v.Get("/adding-hosts/replica/i-r3/ip"); ip != "127.1.0.5" {
		t.Fatalf("after adding: /adding-hosts/replica/i-r3/ip = %q; view has %d keys", ip, len(v))
	}
	if v.Exists("/hosts/replica/i-r3") {
		t.Fatal("i-r3 already in /hosts")
	}

	// Step 2: the new replica joins /hosts and leaves /adding-hosts.
	c.Adding = nil
	c.Hosts = append(c.Hosts, newHost)
	if err := s.Put(c.ClusterID, c); err != nil {
		t.Fatal(err)
	}
	v = next(t, ch)
	if got := v.ListDir("/hosts/replica"); len(got) != 3 || v.Exists("/adding-hosts") {
		t.Fatalf("after join: replicas %v, adding-hosts present %v", got, v.Exists("/adding-hosts"))
	}

	// The same description again changes nothing; the next delivery is the
	// delete, as an empty view.
	if err := s.Put(c.ClusterID, c); err != nil {
		t.Fatal(err)
	}
	if err := s.Delete(c.ClusterID); err != nil {
		t.Fatal(err)
	}
	if v = next(t, ch); len(v) != 0 {
		t.Fatalf("after delete: view has %d keys, want 0", len(v))
	}
}

func TestWatchUnknownThenRegistered(t *testing.T) {
	s := openStore(t, t.TempDir())
	ch := s.Watch(t.Context(), "i-m1")
	c := redisCluster()
	if err := s.Put(c.ClusterID, c); err != nil {
		t.Fatal(err)
	}
	if role, _ := next(t, ch).Get("/host/role"); role != "master" {
		t.Fatalf("/host/role = %q", role)
	}
}

func TestWatchCoalesces(t *testing.T) {
	s := openStore(t, t.TempDir())
	c := redisCluster()
	if err := s.Put(c.ClusterID, c); err != nil {
		t.Fatal(err)
	}
	ch := s.Watch(t.Context(), "i-m1")
	next(t, ch)
	// Nobody receives while ten changes land; the receiver then sees the
	// last one and at most one stale view before it.
	for i := range 10 {
		c.Env[""]["maxmemory"] = strings.Repeat("x", i+1)
		if err := s.Put(c.ClusterID, c); err != nil {
			t.Fatal(err)
		}
	}
	want := strings.Repeat("x", 10)
	for n := 1; ; n++ {
		got, _ := next(t, ch).Get("/env/maxmemory")
		if got == want {
			break
		}
		if n == 2 {
			t.Fatalf("second delivery is %q, want the latest %q", got, want)
		}
	}
}

func TestWatchEndsWithContextAndClose(t *testing.T) {
	s := openStore(t, t.TempDir())
	ctx, cancel := context.WithCancel(t.Context())
	ch := s.Watch(ctx, "i-m1")
	cancel()
	if _, ok := <-ch; ok {
		t.Fatal("received a view for an unknown instance")
	}
	ch2 := s.Watch(t.Context(), "i-m1")
	s.Close()
	if _, ok := <-ch2; ok {
		t.Fatal("received a view after Close")
	}
	if _, ok := <-s.Watch(t.Context(), "i-m1"); ok {
		t.Fatal("Watch on a closed store delivered")
	}
}
