package identity

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pitrix/pitrix/actors/catalog"
	"github.com/pitrix/pitrix/actors/fault"
	"github.com/pitrix/pitrix/actors/idgen"
	"github.com/pitrix/pitrix/actors/store"
)

func TestBootstrapAuthenticateAndTokens(t *testing.T) {
	dir := t.TempDir()
	db, err := store.Open(filepath.Join(dir, "store"), store.Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ctx := t.Context()
	now := time.Date(2026, 11, 21, 0, 0, 0, 0, time.UTC)
	s := New(db, idgen.New(nil), func() time.Time { return now })

	path, created, err := s.Bootstrap(ctx, dir)
	if err != nil || !created {
		t.Fatalf("Bootstrap = %q, %v, %v", path, created, err)
	}
	fi, err := os.Stat(path)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("token file %v mode %v", err, fi.Mode())
	}
	b, _ := os.ReadFile(path)
	admin := strings.TrimSpace(string(b))
	p, err := s.Authenticate(ctx, admin)
	if err != nil || !p.IsAdmin() || p.UserID != AdminID {
		t.Fatalf("Authenticate(admin) = %+v, %v", p, err)
	}
	// A second bootstrap keeps the token.
	if _, created, err := s.Bootstrap(ctx, dir); err != nil || created {
		t.Fatalf("second Bootstrap created=%v err=%v", created, err)
	}
	for _, bad := range []string{"", "nope", "ptx_unknown", admin + "x"} {
		if _, err := s.Authenticate(ctx, bad); fault.Code(err) != fault.CodeUnauthenticated {
			t.Fatalf("Authenticate(%q) = %v, want unauthenticated", bad, err)
		}
	}

	u, err := s.CreateUser(ctx, p, UserInput{Name: "isv-1", Email: "isv@example.com", Role: RoleISV})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateUser(ctx, p, UserInput{Name: "", Email: "bad", Role: "root"}); fault.Code(err) != fault.CodeInvalid {
		t.Fatalf("bad user: %v", err)
	} else if fe := err.(*fault.Error); len(fe.Details) != 3 {
		t.Fatalf("bad user details = %v, want name, email and role", fe.Details)
	}
	for _, name := range []string{"a\x00b", "ops\u202enimda", "x\u2066y", "bell\x07", "\xff"} {
		_, err := s.CreateUser(ctx, p, UserInput{Name: name})
		var fe *fault.Error
		if !errors.As(err, &fe) || fe.Code != fault.CodeInvalid || fe.Details["name"] == "" {
			t.Fatalf("CreateUser(name %q) = %v, want invalid_argument naming the field name", name, err)
		}
	}
	tok, err := s.CreateToken(ctx, p, u.ID, TokenInput{Name: "ci", TTLDays: 1})
	if err != nil || tok.Secret == "" {
		t.Fatalf("CreateToken = %+v, %v", tok, err)
	}
	isv, err := s.Authenticate(ctx, tok.Secret)
	if err != nil || isv.Role != RoleISV || isv.UserID != u.ID {
		t.Fatalf("Authenticate(isv) = %+v, %v", isv, err)
	}
	if _, err := s.CreateUser(ctx, isv, UserInput{Name: "x"}); fault.Code(err) != fault.CodePermission {
		t.Fatalf("isv CreateUser: %v, want permission_denied", err)
	}
	if _, err := s.CreateToken(ctx, isv, AdminID, TokenInput{}); fault.Code(err) != fault.CodePermission {
		t.Fatalf("isv token for admin: %v", err)
	}
	page, err := s.ListUsers(ctx, p, catalog.ListQuery{Limit: 10})
	if err != nil || page.TotalCount != 2 {
		t.Fatalf("ListUsers = %+v, %v", page, err)
	}
	// Expiry.
	now = now.Add(48 * time.Hour)
	if _, err := s.Authenticate(ctx, tok.Secret); fault.Code(err) != fault.CodeUnauthenticated {
		t.Fatalf("expired token: %v", err)
	}
}

// TestAuthenticateCache: a resolved token is served from memory for CacheTTL, never past the
// token's own expiry.
func TestAuthenticateCache(t *testing.T) {
	dir := t.TempDir()
	db, err := store.Open(filepath.Join(dir, "store"), store.Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ctx := t.Context()
	now := time.Date(2026, 11, 21, 0, 0, 0, 0, time.UTC)
	s := New(db, idgen.New(nil), func() time.Time { return now })
	path, _, err := s.Bootstrap(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(path)
	admin, _ := s.Authenticate(ctx, strings.TrimSpace(string(b)))
	tok, err := s.CreateToken(ctx, admin, AdminID, TokenInput{Name: "short", TTLDays: 1})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Authenticate(ctx, tok.Secret); err != nil {
		t.Fatal(err)
	}
	// The record goes away behind the cache's back: still trusted within the TTL only.
	if _, err := db.Apply(ctx, store.Op{Key: tokenKey(tok.Secret), Delete: true, Expect: store.Any}); err != nil {
		t.Fatal(err)
	}
	now = now.Add(CacheTTL / 2)
	if _, err := s.Authenticate(ctx, tok.Secret); err != nil {
		t.Fatalf("within the TTL: %v", err)
	}
	now = now.Add(CacheTTL)
	if _, err := s.Authenticate(ctx, tok.Secret); fault.Code(err) != fault.CodeUnauthenticated {
		t.Fatalf("after the TTL: %v, want unauthenticated", err)
	}
	// A token about to expire is cached only until its expiry.
	c := newPrincipalCache(time.Hour, 2)
	exp := now.Add(time.Second)
	c.put("k", admin, now, &exp)
	if _, ok := c.get("k", now.Add(2*time.Second)); ok {
		t.Fatal("a cached token outlived its expiry")
	}
	c.put("a", admin, now, nil)
	c.put("b", admin, now, nil)
	c.put("c", admin, now, nil)
	if len(c.entries) > 2 {
		t.Fatalf("the cache holds %d entries, max 2", len(c.entries))
	}
}
