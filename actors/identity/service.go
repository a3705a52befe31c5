package identity

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync/atomic"
	"time"

	"github.com/pitrix/pitrix/actors/catalog"
	"github.com/pitrix/pitrix/actors/entity"
	"github.com/pitrix/pitrix/actors/fault"
	"github.com/pitrix/pitrix/actors/idgen"
	"github.com/pitrix/pitrix/actors/safetext"
	"github.com/pitrix/pitrix/actors/store"
)

// AdminTokenFile is the bootstrap token's file name in the data directory.
const AdminTokenFile = "admin.token"

// AdminID is the id of the bootstrap admin.
const AdminID = "usr-admin"

const (
	userPrefix  = "user/"
	tokenPrefix = "token/"
	tokenMarker = "ptx_"
)

// tokenRecord is a token as stored at token/<sha256 of the secret>, with the index terms
// user_id=<user> and token_id=<id>. Records written before scopes have no Scope: write.
type tokenRecord struct {
	ID         string     `json:"id"`
	UserID     string     `json:"user_id"`
	Name       string     `json:"name"`
	Scope      string     `json:"scope,omitempty"`
	CreatedAt  time.Time  `json:"created_at"`
	ExpiresAt  *time.Time `json:"expires_at,omitempty"`
	LastUsedAt *time.Time `json:"last_used_at,omitempty"`
}

// Service stores users and tokens. It is safe for concurrent use.
type Service struct {
	st    store.Store
	ids   *idgen.Generator
	now   func() time.Time
	cache *principalCache
	log   atomic.Pointer[slog.Logger]
}

// New returns a Service over st.
func New(st store.Store, ids *idgen.Generator, now func() time.Time) *Service {
	if now == nil {
		now = time.Now
	}
	s := &Service{st: st, ids: ids, now: now, cache: newPrincipalCache(CacheTTL, 4096)}
	s.log.Store(slog.Default())
	return s
}

// SetLogger sets where the service logs what it does not return as an error (a failed write of
// a token's last use). It may be called at any time; the default is slog.Default().
func (s *Service) SetLogger(l *slog.Logger) {
	if l != nil {
		s.log.Store(l)
	}
}

// Bootstrap makes sure the admin exists and that <dataDir>/admin.token holds a token that
// works. It returns the token file's path and whether a new token was written.
func (s *Service) Bootstrap(ctx context.Context, dataDir string) (string, bool, error) {
	path := filepath.Join(dataDir, AdminTokenFile)
	if _, _, err := entity.Get[User](ctx, s.st, userPrefix+AdminID); errors.Is(err, store.ErrNotFound) {
		now := s.now().UTC()
		u := User{ID: AdminID, Name: "admin", Role: RoleAdmin, Status: "active", CreatedAt: now, UpdatedAt: now}
		if _, err := s.st.Apply(ctx, entity.MustPut(userPrefix+u.ID, u, store.Absent)); err != nil && !errors.Is(err, store.ErrConflict) {
			return "", false, fmt.Errorf("identity: create admin: %w", err)
		}
	} else if err != nil {
		return "", false, fmt.Errorf("identity: read admin: %w", err)
	}
	if b, err := os.ReadFile(path); err == nil {
		tok := strings.TrimSpace(string(b))
		if _, err := s.Authenticate(ctx, tok); err == nil {
			return path, false, nil
		}
		// The file is there but the store does not know it (a wiped store): register it again.
		if strings.HasPrefix(tok, tokenMarker) {
			if err := s.storeToken(ctx, tok, AdminID, "bootstrap", ScopeWrite, nil); err != nil {
				return "", false, err
			}
			return path, false, nil
		}
	} else if !errors.Is(err, os.ErrNotExist) {
		return "", false, fmt.Errorf("identity: read %s: %w", path, err)
	}
	tok := newSecret()
	if err := s.storeToken(ctx, tok, AdminID, "bootstrap", ScopeWrite, nil); err != nil {
		return "", false, err
	}
	if err := writeFileAtomic(path, []byte(tok+"\n"), 0o600); err != nil {
		return "", false, err
	}
	return path, true, nil
}

// Authenticate resolves a bearer token to its user, its token id and scope. A resolved token is
// cached for CacheTTL (see cache.go); a cache miss also records the token's last use, at most
// once per LastUsedEvery.
func (s *Service) Authenticate(ctx context.Context, token string) (Principal, error) {
	if !strings.HasPrefix(token, tokenMarker) || len(token) > 128 {
		return Principal{}, fault.Unauthenticated("unknown token")
	}
	key := tokenKey(token)
	now := s.now()
	if p, ok := s.cache.get(key, now); ok {
		return p, nil
	}
	rec, ver, err := entity.Get[tokenRecord](ctx, s.st, key)
	if errors.Is(err, store.ErrNotFound) {
		return Principal{}, fault.Unauthenticated("unknown token")
	}
	if err != nil {
		return Principal{}, fault.Unavailable(err, "read token")
	}
	if rec.ExpiresAt != nil && !now.Before(*rec.ExpiresAt) {
		return Principal{}, fault.Unauthenticated("token expired")
	}
	u, _, err := entity.Get[User](ctx, s.st, userPrefix+rec.UserID)
	if errors.Is(err, store.ErrNotFound) {
		return Principal{}, fault.Unauthenticated("the token's user no longer exists")
	}
	if err != nil {
		return Principal{}, fault.Unavailable(err, "read user")
	}
	if u.Status != "active" {
		return Principal{}, fault.Unauthenticated("user " + u.ID + " is " + u.Status)
	}
	s.touch(ctx, key, rec, ver, now)
	p := Principal{UserID: u.ID, Role: u.Role, TokenID: rec.ID, Scope: scopeOf(rec.Scope)}
	s.cache.put(key, p, now, rec.ExpiresAt)
	return p, nil
}

var emailRE = regexp.MustCompile(`^[^@\s]+@[^@\s]+$`)

// CreateUser adds a user; only an admin may.
// UserExists reports whether id names a user.
func (s *Service) UserExists(ctx context.Context, id string) (bool, error) {
	_, _, err := entity.Get[User](ctx, s.st, userPrefix+id)
	if errors.Is(err, store.ErrNotFound) {
		return false, nil
	}
	return err == nil, err
}

func (s *Service) CreateUser(ctx context.Context, p Principal, in UserInput) (*User, error) {
	if !p.IsAdmin() {
		return nil, fault.Forbidden("only an admin may create users")
	}
	bad := map[string]string{}
	if strings.TrimSpace(in.Name) == "" || len(in.Name) > 64 {
		bad["name"] = "required, at most 64 characters"
	} else if p := safetext.NameProblem(in.Name); p != "" {
		bad["name"] = p
	}
	if in.Email != "" && !emailRE.MatchString(in.Email) {
		bad["email"] = "not an email address"
	}
	switch in.Role {
	case "":
		in.Role = RoleUser
	case RoleAdmin, RoleISV, RoleDeveloper, RoleUser:
	default:
		bad["role"] = fmt.Sprintf("%q is not one of admin, isv, developer, user", in.Role)
	}
	if len(bad) > 0 {
		return nil, fault.Invalid("invalid user", bad)
	}
	now := s.now().UTC()
	u := User{ID: s.ids.Next("usr"), Name: in.Name, Email: in.Email, Role: in.Role, Status: "active", CreatedAt: now, UpdatedAt: now}
	if _, err := s.st.Apply(ctx, entity.MustPut(userPrefix+u.ID, u, store.Absent, "role="+u.Role)); err != nil {
		return nil, fault.Internal(err, "create user")
	}
	return &u, nil
}

// ListUsers lists users; only an admin may.
func (s *Service) ListUsers(ctx context.Context, p Principal, q catalog.ListQuery) (catalog.Page[User], error) {
	if !p.IsAdmin() {
		return catalog.Page[User]{}, fault.Forbidden("only an admin may list users")
	}
	items, total, err := entity.List(ctx, s.st, entity.Query[User]{
		Prefix: userPrefix, Limit: q.Limit, Offset: q.Offset,
		Keep: func(u User) bool {
			return entity.Contains(q.Q, u.Name, u.Email) && (q.Filters["role"] == "" || q.Filters["role"] == u.Role)
		},
	})
	if err != nil {
		return catalog.Page[User]{}, fault.Internal(err, "list users")
	}
	return catalog.Page[User]{TotalCount: total, Items: items}, nil
}

func tokenKey(secret string) string {
	h := sha256.Sum256([]byte(secret))
	return tokenPrefix + hex.EncodeToString(h[:])
}

func newSecret() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	return tokenMarker + base64.RawURLEncoding.EncodeToString(b)
}

func writeFileAtomic(path string, data []byte, mode os.FileMode) error {
	tmp := path + ".tmp"
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, mode)
	if err != nil {
		return fmt.Errorf("identity: write %s: %w", tmp, err)
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return fmt.Errorf("identity: write %s: %w", tmp, err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("identity: sync %s: %w", tmp, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("identity: close %s: %w", tmp, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("identity: rename %s: %w", path, err)
	}
	return nil
}
