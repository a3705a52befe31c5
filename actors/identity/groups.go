package identity

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/pitrix/pitrix/actors/catalog"
	"github.com/pitrix/pitrix/actors/entity"
	"github.com/pitrix/pitrix/actors/fault"
	"github.com/pitrix/pitrix/actors/safetext"
	"github.com/pitrix/pitrix/actors/store"
)

// MaxGroupMembers bounds one group's member list (it is one record).
const MaxGroupMembers = 1000

const groupPrefix = "group/"

// Group is a set of users a repo owner can share a private repo with (a private market). It is
// stored at group/<id> with the index terms owner=<user> and member=<user> for each member.
type Group struct {
	ID          string    `json:"id"`
	Name        string    `json:"name"`
	Description string    `json:"description"`
	Owner       string    `json:"owner"`
	Members     []string  `json:"members"`
	CreatedAt   time.Time `json:"created_at"`
	UpdatedAt   time.Time `json:"updated_at"`
}

// GroupInput is the body of POST /v1/groups.
type GroupInput struct {
	Name        string   `json:"name"`
	Description string   `json:"description"`
	Members     []string `json:"members"`
}

// MemberInput is the body of POST /v1/groups/{id}/members.
type MemberInput struct {
	UserID string `json:"user_id"`
}

func (g *Group) terms() []string {
	t := []string{"owner=" + g.Owner}
	for _, m := range g.Members {
		t = append(t, "member="+m)
	}
	return t
}

// Has reports whether user owns or belongs to g.
func (g *Group) Has(user string) bool { return g.Owner == user || slices.Contains(g.Members, user) }

// CreateGroup adds a group owned by the caller.
func (s *Service) CreateGroup(ctx context.Context, p Principal, in GroupInput) (*Group, error) {
	bad := map[string]string{}
	if strings.TrimSpace(in.Name) == "" || len(in.Name) > 64 {
		bad["name"] = "required, at most 64 characters"
	} else if pr := safetext.NameProblem(in.Name); pr != "" {
		bad["name"] = pr
	}
	if len(in.Description) > 1024 {
		bad["description"] = "at most 1024 characters"
	}
	members, err := s.checkMembers(ctx, in.Members)
	if err != nil {
		return nil, err
	}
	if members == nil {
		bad["members"] = fmt.Sprintf("at most %d existing user ids, each once", MaxGroupMembers)
	}
	if len(bad) > 0 {
		return nil, fault.Invalid("invalid group", bad)
	}
	now := s.now().UTC()
	g := Group{ID: s.ids.Next("grp"), Name: in.Name, Description: in.Description, Owner: p.UserID, Members: members, CreatedAt: now, UpdatedAt: now}
	if _, err := s.st.Apply(ctx, entity.MustPut(groupPrefix+g.ID, g, store.Absent, g.terms()...)); err != nil {
		return nil, fault.Internal(err, "create group")
	}
	return &g, nil
}

// checkMembers returns ids sorted and checked to name existing users, or nil when they do not.
func (s *Service) checkMembers(ctx context.Context, ids []string) ([]string, error) {
	if len(ids) > MaxGroupMembers {
		return nil, nil
	}
	out := make([]string, 0, len(ids))
	for _, id := range ids {
		if slices.Contains(out, id) || id == "" || len(id) > 64 {
			return nil, nil
		}
		if _, _, err := entity.Get[User](ctx, s.st, userPrefix+id); errors.Is(err, store.ErrNotFound) {
			return nil, fault.InvalidField("members", fmt.Sprintf("user %q does not exist", id))
		} else if err != nil {
			return nil, fault.Unavailable(err, "read user %s", id)
		}
		out = append(out, id)
	}
	slices.Sort(out)
	return out, nil
}

// ListGroups lists the groups the caller owns or belongs to (all, for an admin).
func (s *Service) ListGroups(ctx context.Context, p Principal, q catalog.ListQuery) (catalog.Page[Group], error) {
	items, total, err := entity.List(ctx, s.st, entity.Query[Group]{
		Prefix: groupPrefix, Limit: q.Limit, Offset: q.Offset,
		Keep: func(g Group) bool {
			return (p.IsAdmin() || g.Has(p.UserID)) && entity.Contains(q.Q, g.Name, g.Description) &&
				(q.Filters["owner"] == "" || q.Filters["owner"] == g.Owner) &&
				(q.Filters["member"] == "" || slices.Contains(g.Members, q.Filters["member"]))
		},
	})
	if err != nil {
		return catalog.Page[Group]{}, fault.Unavailable(err, "list groups")
	}
	return catalog.Page[Group]{TotalCount: total, Items: items}, nil
}

// readGroup loads a group the caller may see (owner, member or admin); others get not found.
func (s *Service) readGroup(ctx context.Context, p Principal, id string) (Group, uint64, error) {
	if id == "" || len(id) > 64 {
		return Group{}, 0, fault.NotFound("group", id)
	}
	g, ver, err := entity.Get[Group](ctx, s.st, groupPrefix+id)
	if errors.Is(err, store.ErrNotFound) {
		return g, 0, fault.NotFound("group", id)
	}
	if err != nil {
		return g, 0, fault.Unavailable(err, "read group %s", id)
	}
	if !p.IsAdmin() && !g.Has(p.UserID) {
		return g, 0, fault.NotFound("group", id)
	}
	return g, ver, nil
}

// GetGroup returns a group the caller owns or belongs to.
func (s *Service) GetGroup(ctx context.Context, p Principal, id string) (*Group, error) {
	g, _, err := s.readGroup(ctx, p, id)
	if err != nil {
		return nil, err
	}
	return &g, nil
}

// writableGroup loads a group the caller may change: its owner or an admin.
func (s *Service) writableGroup(ctx context.Context, p Principal, id string) (Group, uint64, error) {
	g, ver, err := s.readGroup(ctx, p, id)
	if err != nil {
		return g, ver, err
	}
	if !p.IsAdmin() && g.Owner != p.UserID {
		return g, ver, fault.Forbidden("only the group's owner or an admin may change group %s", id)
	}
	return g, ver, nil
}

// DeleteGroup removes a group; repos shared with it are no longer shared with anyone through it.
func (s *Service) DeleteGroup(ctx context.Context, p Principal, id string) error {
	_, ver, err := s.writableGroup(ctx, p, id)
	if err != nil {
		return err
	}
	return s.groupWrite(ctx, id, entity.Delete(groupPrefix+id, ver))
}

// AddMember adds a user to a group (its owner or an admin).
func (s *Service) AddMember(ctx context.Context, p Principal, id string, in MemberInput) (*Group, error) {
	g, ver, err := s.writableGroup(ctx, p, id)
	if err != nil {
		return nil, err
	}
	if slices.Contains(g.Members, in.UserID) {
		return &g, nil
	}
	if in.UserID == "" {
		return nil, fault.InvalidField("user_id", "required")
	}
	if len(g.Members) >= MaxGroupMembers {
		return nil, fault.InvalidField("user_id", fmt.Sprintf("group %s has the most members a group may have (%d)", id, MaxGroupMembers))
	}
	if _, err := s.checkMembers(ctx, []string{in.UserID}); err != nil {
		return nil, fault.InvalidField("user_id", fmt.Sprintf("user %q does not exist", in.UserID))
	}
	g.Members = append(g.Members, in.UserID)
	slices.Sort(g.Members)
	g.UpdatedAt = s.now().UTC()
	if err := s.groupWrite(ctx, id, entity.MustPut(groupPrefix+id, g, ver, g.terms()...)); err != nil {
		return nil, err
	}
	return &g, nil
}

// RemoveMember takes a user out of a group (its owner or an admin).
func (s *Service) RemoveMember(ctx context.Context, p Principal, id, userID string) (*Group, error) {
	g, ver, err := s.writableGroup(ctx, p, id)
	if err != nil {
		return nil, err
	}
	i := slices.Index(g.Members, userID)
	if i < 0 {
		return nil, fault.NotFound("group member", userID)
	}
	g.Members = slices.Delete(g.Members, i, i+1)
	g.UpdatedAt = s.now().UTC()
	if err := s.groupWrite(ctx, id, entity.MustPut(groupPrefix+id, g, ver, g.terms()...)); err != nil {
		return nil, err
	}
	return &g, nil
}

func (s *Service) groupWrite(ctx context.Context, id string, op store.Op) error {
	if _, err := s.st.Apply(ctx, op); err != nil {
		if errors.Is(err, store.ErrConflict) {
			return fault.Conflict("group %s was changed concurrently; retry", id)
		}
		return fault.Unavailable(err, "store group %s", id)
	}
	return nil
}

// GroupsOf returns the ids of the groups user owns or belongs to.
func (s *Service) GroupsOf(ctx context.Context, user string) (map[string]bool, error) {
	out := map[string]bool{}
	for _, term := range []string{"owner=" + user, "member=" + user} {
		err := s.st.Lookup(ctx, term, store.ScanOptions{Prefix: groupPrefix}, func(key string) error {
			out[strings.TrimPrefix(key, groupPrefix)] = true
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("identity: groups of %s: %w", user, err)
		}
	}
	return out, nil
}
