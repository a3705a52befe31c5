package rest

import (
	"context"
	"log/slog"
	"sync"
	"testing"

	"github.com/pitrix/pitrix/actors/audit"
	"github.com/pitrix/pitrix/actors/catalog"
	"github.com/pitrix/pitrix/actors/identity"
)

// blockingLog records the size of each RecordAudit batch; the first call waits for release.
type blockingLog struct {
	mu      sync.Mutex
	sizes   []int
	entered chan struct{}
	release chan struct{}
}

func (b *blockingLog) RecordAudit(_ context.Context, entries []audit.Entry) error {
	b.mu.Lock()
	first := len(b.sizes) == 0
	b.sizes = append(b.sizes, len(entries))
	b.mu.Unlock()
	if first {
		b.entered <- struct{}{}
		<-b.release
	}
	return nil
}

func (b *blockingLog) ListAudit(context.Context, identity.Principal, audit.Query) (catalog.Page[audit.Entry], error) {
	return catalog.Page[audit.Entry]{}, nil
}

// TestAuditWriterGroups: entries queued while a write is in flight go out together in the next
// one; a full buffer drops instead of blocking; stop flushes what is left.
func TestAuditWriterGroups(t *testing.T) {
	bl := &blockingLog{entered: make(chan struct{}), release: make(chan struct{})}
	w := newAuditWriter(slog.New(slog.DiscardHandler), bl, 8)
	stop, done := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(done)
		w.run(context.Background(), stop)
	}()
	w.add(audit.Entry{Action: "POST /v1/repos"})
	<-bl.entered // the first write is in flight
	for i := 0; i < 10; i++ {
		w.add(audit.Entry{Action: "POST /v1/apps"}) // 8 fit, 2 are dropped; none blocks
	}
	if got := w.dropped.Load(); got != 2 {
		t.Fatalf("dropped %d entries, want 2", got)
	}
	close(bl.release)
	close(stop)
	<-done
	bl.mu.Lock()
	defer bl.mu.Unlock()
	if len(bl.sizes) != 2 || bl.sizes[0] != 1 || bl.sizes[1] != 8 {
		t.Fatalf("batches %v, want [1 8]", bl.sizes)
	}
}

func TestCreatedIDAndResourceKind(t *testing.T) {
	for body, want := range map[string][2]string{
		`{"id":"tok-1","token":"ptx_secret"}`:    {"tok-1", ""},
		`{"cluster_id":"cl-1","job_id":"job-1"}`: {"", "cl-1"},
		`not json`:                               {"", ""},
		``:                                       {"", ""},
	} {
		if id, cl := createdID([]byte(body)); id != want[0] || cl != want[1] {
			t.Errorf("createdID(%s) = %q, %q; want %q, %q", body, id, cl, want[0], want[1])
		}
	}
	for pattern, want := range map[string]string{
		"/v1/repos/{id}":               "repos",
		"/v1/users/{id}/tokens":        "tokens",
		"/v1/users":                    "users",
		"/v1/jobs/{id}/retry":          "jobs",
		"/v1/app_versions/{id}/submit": "app_versions",
	} {
		if got := resourceKind(pattern); got != want {
			t.Errorf("resourceKind(%s) = %q, want %q", pattern, got, want)
		}
	}
}
