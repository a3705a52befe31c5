package identity

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/pitrix/pitrix/actors/catalog"
	"github.com/pitrix/pitrix/actors/entity"
	"github.com/pitrix/pitrix/actors/fault"
	"github.com/pitrix/pitrix/actors/store"
)

// LastUsedEvery is how stale a token's last_used_at may get: a use records the time only when
// the stored one is older, so a busy token costs one store write a minute, not one a request.
const LastUsedEvery = time.Minute

// bootstrapName is the name of the admin token Bootstrap writes to <data-dir>/admin.token.
const bootstrapName = "bootstrap"

// CreateToken issues a token for userID: an admin for anyone, a user for themself. The secret
// is in the result only this once. A read token cannot mint a token (the REST front refuses
// every non-GET for it before this runs; the check here keeps the rule for other callers).
func (s *Service) CreateToken(ctx context.Context, p Principal, userID string, in TokenInput) (*Token, error) {
	if !p.IsAdmin() && p.UserID != userID {
		return nil, fault.Forbidden("a user may only create tokens for themself")
	}
	if p.ReadOnly() {
		return nil, fault.Forbidden("a read-only token cannot create tokens")
	}
	if _, _, err := entity.Get[User](ctx, s.st, userPrefix+userID); errors.Is(err, store.ErrNotFound) {
		return nil, fault.NotFound("user", userID)
	} else if err != nil {
		return nil, fault.Internal(err, "read user")
	}
	bad := map[string]string{}
	var ttl time.Duration
	switch {
	case in.TTLDays < 0 || in.TTLDays > 3650:
		bad["ttl_days"] = "must be between 0 (no expiry) and 3650"
	case in.TTLDays > 0 && in.TTL != "":
		bad["ttl"] = "give ttl or ttl_days, not both"
	case in.TTLDays > 0:
		ttl = time.Duration(in.TTLDays) * 24 * time.Hour
	case in.TTL != "":
		d, err := time.ParseDuration(in.TTL)
		if err != nil || d < time.Minute || d > 3650*24*time.Hour {
			bad["ttl"] = "must be a duration such as 90m or 12h, from 1m to 87600h"
		}
		ttl = d
	}
	if len(in.Scopes) > 0 {
		switch {
		case in.Scope != "":
			bad["scopes"] = "give scope or scopes, not both"
		case len(in.Scopes) > 2:
			bad["scopes"] = "at most read and write"
		case slices.Contains(in.Scopes, ScopeWrite):
			in.Scope = ScopeWrite
		default:
			in.Scope = in.Scopes[0]
		}
	}
	switch in.Scope {
	case "":
		in.Scope = ScopeWrite
	case ScopeRead, ScopeWrite:
	default:
		bad["scope"] = fmt.Sprintf("%.32q is not one of read, write", in.Scope)
	}
	if len(in.Name) > 64 {
		bad["name"] = "at most 64 characters"
	}
	if len(bad) > 0 {
		return nil, fault.Invalid("invalid token", bad)
	}
	var exp *time.Time
	if ttl > 0 {
		e := s.now().UTC().Add(ttl)
		exp = &e
	}
	secret := newSecret()
	if err := s.storeToken(ctx, secret, userID, in.Name, in.Scope, exp); err != nil {
		return nil, err
	}
	rec, _, err := entity.Get[tokenRecord](ctx, s.st, tokenKey(secret))
	if err != nil {
		return nil, fault.Internal(err, "read token")
	}
	t := rec.view()
	t.Secret = secret
	return &t, nil
}

// ListTokens lists the tokens of userID, newest first, without their secrets: an admin's for
// anyone, a user's own.
func (s *Service) ListTokens(ctx context.Context, p Principal, userID string) (catalog.Page[Token], error) {
	if !p.IsAdmin() && p.UserID != userID {
		return catalog.Page[Token]{}, fault.Forbidden("a user may only list their own tokens")
	}
	recs, _, err := entity.List(ctx, s.st, entity.Query[tokenRecord]{Prefix: tokenPrefix, Term: "user_id=" + userID})
	if err != nil {
		return catalog.Page[Token]{}, fault.Internal(err, "list tokens of %s", userID)
	}
	sort.Slice(recs, func(i, j int) bool { return recs[i].ID > recs[j].ID })
	out := make([]Token, 0, len(recs))
	for _, r := range recs {
		out = append(out, r.view())
	}
	return catalog.Page[Token]{TotalCount: len(out), Items: out}, nil
}

// RevokeToken deletes the token with id tokenID: its owner or an admin may. Others get
// not_found, so token ids do not leak. The token stops working at once on this node and within
// CacheTTL on every other (their caches are not told; see cache.go). The bootstrap admin token
// is not revocable here: Bootstrap would register it again from <data-dir>/admin.token on the
// next start.
func (s *Service) RevokeToken(ctx context.Context, p Principal, tokenID string) error {
	if p.ReadOnly() {
		return fault.Forbidden("a read-only token cannot revoke tokens")
	}
	key, rec, ver, err := s.findToken(ctx, tokenID)
	if err != nil {
		return err
	}
	if !p.IsAdmin() && rec.UserID != p.UserID {
		return fault.NotFound("token", tokenID)
	}
	if rec.UserID == AdminID && rec.Name == bootstrapName {
		return fault.Precondition("the bootstrap admin token is not revocable through the API: delete %s from the data directory and restart", AdminTokenFile)
	}
	if _, err := s.st.Apply(ctx, entity.Delete(key, ver)); err != nil {
		if errors.Is(err, store.ErrConflict) {
			return fault.Conflict("token %s changed while being revoked; try again", tokenID)
		}
		return fault.Internal(err, "revoke token %s", tokenID)
	}
	s.cache.drop(key)
	return nil
}

// findToken finds a token record by its id: through the token_id index term, else (records
// stored before the term existed) by a scan of all tokens.
func (s *Service) findToken(ctx context.Context, tokenID string) (string, tokenRecord, uint64, error) {
	if tokenID == "" || len(tokenID) > 64 || strings.ContainsRune(tokenID, 0) {
		return "", tokenRecord{}, 0, fault.NotFound("token", tokenID)
	}
	var key string
	err := s.st.Lookup(ctx, "token_id="+tokenID, store.ScanOptions{Prefix: tokenPrefix}, func(k string) error {
		key = k
		return store.ErrStop
	})
	if err == nil && key == "" {
		err = s.st.Scan(ctx, store.ScanOptions{Prefix: tokenPrefix}, func(r store.Record) error {
			var rec tokenRecord
			if jerr := json.Unmarshal(r.Value, &rec); jerr == nil && rec.ID == tokenID {
				key = r.Key
				return store.ErrStop
			}
			return nil
		})
	}
	if err != nil {
		return "", tokenRecord{}, 0, fault.Internal(err, "find token %s", tokenID)
	}
	if key == "" {
		return "", tokenRecord{}, 0, fault.NotFound("token", tokenID)
	}
	rec, ver, err := entity.Get[tokenRecord](ctx, s.st, key)
	if errors.Is(err, store.ErrNotFound) {
		return "", tokenRecord{}, 0, fault.NotFound("token", tokenID)
	}
	if err != nil {
		return "", tokenRecord{}, 0, fault.Internal(err, "read token %s", tokenID)
	}
	return key, rec, ver, nil
}

func (s *Service) storeToken(ctx context.Context, secret, userID, name, scope string, exp *time.Time) error {
	rec := tokenRecord{ID: s.ids.Next("tok"), UserID: userID, Name: name, Scope: scope, CreatedAt: s.now().UTC(), ExpiresAt: exp}
	if _, err := s.st.Apply(ctx, entity.MustPut(tokenKey(secret), rec, store.Any, rec.terms()...)); err != nil {
		return fault.Internal(err, "store token")
	}
	return nil
}

// touch records a use of the token at key when the stored time is older than LastUsedEvery.
// It writes only if the record is still the version just read, so it never brings back a token
// revoked in between; a failure is logged and does not fail the request.
func (s *Service) touch(ctx context.Context, key string, rec tokenRecord, ver uint64, now time.Time) {
	if rec.LastUsedAt != nil && now.Sub(*rec.LastUsedAt) < LastUsedEvery {
		return
	}
	t := now.UTC()
	rec.LastUsedAt = &t
	if _, err := s.st.Apply(ctx, entity.MustPut(key, rec, ver, rec.terms()...)); err != nil && !errors.Is(err, store.ErrConflict) {
		s.log.Load().LogAttrs(ctx, slog.LevelWarn, "identity: record token use", slog.String("token_id", rec.ID), slog.Any("err", err))
	}
}

func (r tokenRecord) terms() []string {
	return []string{"user_id=" + r.UserID, "token_id=" + r.ID}
}

func (r tokenRecord) view() Token {
	return Token{ID: r.ID, UserID: r.UserID, Name: r.Name, Scope: scopeOf(r.Scope), CreatedAt: r.CreatedAt,
		ExpiresAt: r.ExpiresAt, LastUsedAt: r.LastUsedAt}
}

func scopeOf(s string) string {
	if s == "" {
		return ScopeWrite
	}
	return s
}
