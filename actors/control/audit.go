package control

import (
	"context"
	"errors"

	"github.com/pitrix/pitrix/actors/audit"
	"github.com/pitrix/pitrix/actors/catalog"
	"github.com/pitrix/pitrix/actors/fault"
	"github.com/pitrix/pitrix/actors/identity"
)

// ListTokens lists a user's tokens without their secrets (the user or an admin).
func (p *Plane) ListTokens(ctx context.Context, pr identity.Principal, userID string) (catalog.Page[identity.Token], error) {
	return p.ident.ListTokens(ctx, pr, userID)
}

// RevokeToken revokes a token (its owner or an admin).
func (p *Plane) RevokeToken(ctx context.Context, pr identity.Principal, tokenID string) error {
	return p.ident.RevokeToken(ctx, pr, tokenID)
}

// RecordAudit appends a batch of audit entries with one store write. The REST front calls it
// from its audit writer, never on a request's path.
func (p *Plane) RecordAudit(ctx context.Context, entries []audit.Entry) error {
	return p.audit.Append(ctx, entries)
}

// ListAudit queries the audit log (admin only).
func (p *Plane) ListAudit(ctx context.Context, pr identity.Principal, q audit.Query) (catalog.Page[audit.Entry], error) {
	if !pr.IsAdmin() {
		return catalog.Page[audit.Entry]{}, fault.Forbidden("only an admin may read the audit log")
	}
	items, total, err := p.audit.List(ctx, q)
	if err != nil {
		if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
			return catalog.Page[audit.Entry]{}, err
		}
		return catalog.Page[audit.Entry]{}, fault.Internal(err, "list the audit log")
	}
	return catalog.Page[audit.Entry]{TotalCount: total, Items: items}, nil
}
