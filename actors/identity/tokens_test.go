package identity

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pitrix/pitrix/actors/entity"
	"github.com/pitrix/pitrix/actors/fault"
	"github.com/pitrix/pitrix/actors/idgen"
	"github.com/pitrix/pitrix/actors/store"
)

// tokenEnv is two Services (two nodes, each with its own cache) over one store, on one clock.
type tokenEnv struct {
	db     *store.DB
	a, b   *Service
	now    *time.Time
	admin  Principal
	writes func() int
}

func newTokenEnv(t *testing.T) *tokenEnv {
	t.Helper()
	dir := t.TempDir()
	db, err := store.Open(filepath.Join(dir, "store"), store.Config{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	now := time.Date(2026, 12, 3, 0, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	e := &tokenEnv{db: db, now: &now}
	e.a = New(db, idgen.New(nil), clock)
	e.b = New(db, idgen.New(nil), clock)
	path, _, err := e.a.Bootstrap(t.Context(), dir)
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := os.ReadFile(path)
	if e.admin, err = e.a.Authenticate(t.Context(), strings.TrimSpace(string(raw))); err != nil {
		t.Fatal(err)
	}
	return e
}

func TestTokenTTLAndScope(t *testing.T) {
	e := newTokenEnv(t)
	ctx := t.Context()
	u, err := e.a.CreateUser(ctx, e.admin, UserInput{Name: "ann"})
	if err != nil {
		t.Fatal(err)
	}
	ro, err := e.a.CreateToken(ctx, e.admin, u.ID, TokenInput{Name: "ro", TTL: "90m", Scope: ScopeRead})
	if err != nil {
		t.Fatal(err)
	}
	if ro.Scope != ScopeRead || ro.ExpiresAt == nil || !ro.ExpiresAt.Equal(e.now.Add(90*time.Minute)) {
		t.Fatalf("token = %+v, want read, expiring in 90m", ro)
	}
	p, err := e.a.Authenticate(ctx, ro.Secret)
	if err != nil || !p.ReadOnly() || p.TokenID != ro.ID || p.UserID != u.ID {
		t.Fatalf("Authenticate(read token) = %+v, %v", p, err)
	}
	if _, err := e.a.CreateToken(ctx, p, u.ID, TokenInput{}); fault.Code(err) != fault.CodePermission {
		t.Fatalf("a read token made a token: %v", err)
	}
	if rw, err := e.a.CreateToken(ctx, e.admin, u.ID, TokenInput{Scopes: []string{"read", "write"}}); err != nil || rw.Scope != ScopeWrite {
		t.Fatalf("scopes [read write] = %+v, %v; want a write token", rw, err)
	}
	if r, err := e.a.CreateToken(ctx, e.admin, u.ID, TokenInput{Scopes: []string{"read"}}); err != nil || r.Scope != ScopeRead {
		t.Fatalf("scopes [read] = %+v, %v; want a read token", r, err)
	}
	for _, in := range []TokenInput{{Scopes: []string{"root"}}, {Scope: "read", Scopes: []string{"read"}}, {TTL: "soon"}, {TTL: "10s"}, {TTL: "1h", TTLDays: 1}, {Scope: "admin"}, {TTLDays: -1}} {
		if _, err := e.a.CreateToken(ctx, e.admin, u.ID, in); fault.Code(err) != fault.CodeInvalid {
			t.Errorf("CreateToken(%+v) = %v, want invalid_argument", in, err)
		}
	}
	// Expired: refused on the node that cached it (the cache ends at the expiry) and elsewhere.
	*e.now = e.now.Add(90 * time.Minute)
	for _, s := range []*Service{e.a, e.b} {
		if _, err := s.Authenticate(ctx, ro.Secret); fault.Code(err) != fault.CodeUnauthenticated {
			t.Fatalf("expired token: %v, want unauthenticated", err)
		}
	}
}

func TestRevokeAndList(t *testing.T) {
	e := newTokenEnv(t)
	ctx := t.Context()
	ann, _ := e.a.CreateUser(ctx, e.admin, UserInput{Name: "ann"})
	bob, _ := e.a.CreateUser(ctx, e.admin, UserInput{Name: "bob"})
	annP := Principal{UserID: ann.ID, Role: RoleUser}
	bobP := Principal{UserID: bob.ID, Role: RoleUser}
	t1, err := e.a.CreateToken(ctx, annP, ann.ID, TokenInput{Name: "one"})
	if err != nil {
		t.Fatal(err)
	}
	t2, _ := e.a.CreateToken(ctx, annP, ann.ID, TokenInput{Name: "two"})

	page, err := e.a.ListTokens(ctx, annP, ann.ID)
	if err != nil || page.TotalCount != 2 || page.Items[0].ID != t2.ID || page.Items[0].Secret != "" || page.Items[1].Secret != "" {
		t.Fatalf("ListTokens = %+v, %v; want two, newest first, no secrets", page, err)
	}
	if _, err := e.a.ListTokens(ctx, bobP, ann.ID); fault.Code(err) != fault.CodePermission {
		t.Fatalf("bob lists ann's tokens: %v", err)
	}
	if err := e.a.RevokeToken(ctx, bobP, t1.ID); fault.Code(err) != fault.CodeNotFound {
		t.Fatalf("bob revokes ann's token: %v, want not_found", err)
	}

	// Both nodes have the token cached; node a revokes it.
	for _, s := range []*Service{e.a, e.b} {
		if _, err := s.Authenticate(ctx, t1.Secret); err != nil {
			t.Fatal(err)
		}
	}
	if err := e.a.RevokeToken(ctx, annP, t1.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := e.a.Authenticate(ctx, t1.Secret); fault.Code(err) != fault.CodeUnauthenticated {
		t.Fatalf("revoking node: %v, want unauthenticated at once", err)
	}
	*e.now = e.now.Add(CacheTTL)
	if _, err := e.b.Authenticate(ctx, t1.Secret); fault.Code(err) != fault.CodeUnauthenticated {
		t.Fatalf("other node after CacheTTL: %v, want unauthenticated", err)
	}
	if _, err := e.a.Authenticate(ctx, t2.Secret); err != nil {
		t.Fatalf("the other token: %v", err)
	}
	if err := e.a.RevokeToken(ctx, e.admin, t1.ID); fault.Code(err) != fault.CodeNotFound {
		t.Fatalf("revoke twice: %v", err)
	}
	if err := e.a.RevokeToken(ctx, e.admin, t2.ID); err != nil {
		t.Fatalf("admin revokes ann's token: %v", err)
	}
	boot, _ := e.a.ListTokens(ctx, e.admin, AdminID)
	if boot.TotalCount != 1 {
		t.Fatalf("admin tokens = %+v", boot)
	}
	if err := e.a.RevokeToken(ctx, e.admin, boot.Items[0].ID); fault.Code(err) != fault.CodeFailedPrecondition {
		t.Fatalf("revoke the bootstrap token: %v, want failed_precondition", err)
	}
}

// TestLastUsed: a use is recorded at most once per LastUsedEvery, not on every request.
func TestLastUsed(t *testing.T) {
	e := newTokenEnv(t)
	ctx := t.Context()
	tok, err := e.a.CreateToken(ctx, e.admin, AdminID, TokenInput{Name: "ci"})
	if err != nil {
		t.Fatal(err)
	}
	version := func() (uint64, *time.Time) {
		rec, ver, err := entity.Get[tokenRecord](ctx, e.db, tokenKey(tok.Secret))
		if err != nil {
			t.Fatal(err)
		}
		return ver, rec.LastUsedAt
	}
	start := *e.now
	if _, err := e.a.Authenticate(ctx, tok.Secret); err != nil {
		t.Fatal(err)
	}
	v1, used := version()
	if used == nil || !used.Equal(start) {
		t.Fatalf("last_used_at = %v, want %v", used, start)
	}
	// Cache misses within the minute read but do not write.
	for i := 0; i < 5; i++ {
		*e.now = e.now.Add(CacheTTL + time.Second)
		if _, err := e.b.Authenticate(ctx, tok.Secret); err != nil {
			t.Fatal(err)
		}
	}
	if v2, _ := version(); v2 != v1 {
		t.Fatalf("token rewritten within a minute: version %d -> %d", v1, v2)
	}
	*e.now = start.Add(LastUsedEvery + CacheTTL)
	if _, err := e.a.Authenticate(ctx, tok.Secret); err != nil {
		t.Fatal(err)
	}
	if v3, used := version(); v3 == v1 || !used.Equal(*e.now) {
		t.Fatalf("after a minute: version %d (was %d), last_used_at %v", v3, v1, used)
	}
	list, _ := e.a.ListTokens(ctx, e.admin, AdminID)
	for _, it := range list.Items {
		if it.ID == tok.ID && (it.LastUsedAt == nil || !it.LastUsedAt.Equal(*e.now)) {
			t.Fatalf("listed last_used_at = %v", it.LastUsedAt)
		}
	}
}
