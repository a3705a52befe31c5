package control

import (
	"context"

	"github.com/pitrix/pitrix/actors/catalog"
	"github.com/pitrix/pitrix/actors/identity"
)

// CreateGroup adds a group owned by the caller.
func (p *Plane) CreateGroup(ctx context.Context, pr identity.Principal, in identity.GroupInput) (*identity.Group, error) {
	return p.ident.CreateGroup(ctx, pr, in)
}

// ListGroups lists the groups the caller owns or belongs to (all, for an admin).
func (p *Plane) ListGroups(ctx context.Context, pr identity.Principal, q catalog.ListQuery) (catalog.Page[identity.Group], error) {
	return p.ident.ListGroups(ctx, pr, q)
}

// GetGroup returns a group the caller owns or belongs to.
func (p *Plane) GetGroup(ctx context.Context, pr identity.Principal, id string) (*identity.Group, error) {
	return p.ident.GetGroup(ctx, pr, id)
}

// DeleteGroup removes a group (its owner or an admin).
func (p *Plane) DeleteGroup(ctx context.Context, pr identity.Principal, id string) error {
	return p.ident.DeleteGroup(ctx, pr, id)
}

// AddGroupMember adds a user to a group (its owner or an admin).
func (p *Plane) AddGroupMember(ctx context.Context, pr identity.Principal, id string, in identity.MemberInput) (*identity.Group, error) {
	return p.ident.AddMember(ctx, pr, id, in)
}

// RemoveGroupMember takes a user out of a group (its owner or an admin).
func (p *Plane) RemoveGroupMember(ctx context.Context, pr identity.Principal, id, userID string) (*identity.Group, error) {
	return p.ident.RemoveMember(ctx, pr, id, userID)
}
