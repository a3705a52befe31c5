package control

import (
	"context"
	"errors"

	"github.com/pitrix/pitrix/actors/catalog"
	"github.com/pitrix/pitrix/actors/entity"
	"github.com/pitrix/pitrix/actors/fault"
	"github.com/pitrix/pitrix/actors/identity"
	"github.com/pitrix/pitrix/actors/store"
)

// ListCategories lists the store's categories; everyone may.
func (p *Plane) ListCategories(ctx context.Context, _ identity.Principal, q catalog.ListQuery) (catalog.Page[catalog.Category], error) {
	items, total, err := entity.List(ctx, p.st, entity.Query[catalog.Category]{
		Prefix: catalog.CategoryPrefix, Limit: q.Limit, Offset: q.Offset,
		Less: lessByName(q.Sort, func(c catalog.Category) string { return c.Name }),
		Keep: func(c catalog.Category) bool { return entity.Contains(q.Q, c.Name, c.Description) },
	})
	if err != nil {
		return catalog.Page[catalog.Category]{}, fault.Unavailable(err, "list categories")
	}
	return catalog.Page[catalog.Category]{TotalCount: total, Items: items}, nil
}

func (p *Plane) readCategory(ctx context.Context, id string) (catalog.Category, uint64, error) {
	c, v, err := entity.Get[catalog.Category](ctx, p.st, catalog.CategoryKey(id))
	if errors.Is(err, store.ErrNotFound) {
		return c, 0, fault.NotFound("category", id)
	}
	if err != nil {
		return c, 0, fault.Unavailable(err, "read category %s", id)
	}
	return c, v, nil
}

// GetCategory returns one category.
func (p *Plane) GetCategory(ctx context.Context, _ identity.Principal, id string) (*catalog.Category, error) {
	c, _, err := p.readCategory(ctx, id)
	if err != nil {
		return nil, err
	}
	return &c, nil
}

func checkCategory(c *catalog.Category) error {
	bad := problems{}
	bad.name("name", c.Name, true)
	bad.text("description", c.Description, 1024)
	bad.text("icon", c.Icon, 2048)
	bad.noUserinfo("icon", c.Icon)
	bad.text("locale", c.Locale, 16)
	if len(bad) > 0 {
		return fault.Invalid("invalid category", bad)
	}
	return nil
}

// CreateCategory adds a category; only an admin may.
func (p *Plane) CreateCategory(ctx context.Context, pr identity.Principal, in catalog.CategoryInput) (*catalog.Category, error) {
	if !pr.IsAdmin() {
		return nil, fault.Forbidden("only an admin may create categories")
	}
	now := p.now()
	c := catalog.Category{ID: p.ids.Next("ctg"), Owner: pr.UserID, CreatedAt: now, UpdatedAt: now}
	set(&c.Name, in.Name)
	set(&c.Description, in.Description)
	set(&c.Icon, in.Icon)
	set(&c.Locale, in.Locale)
	if err := checkCategory(&c); err != nil {
		return nil, err
	}
	if _, err := p.st.Apply(ctx, entity.MustPut(catalog.CategoryKey(c.ID), c, store.Absent)); err != nil {
		return nil, writeFault(err, "category", c.ID)
	}
	return &c, nil
}

// UpdateCategory changes a category; only an admin may.
func (p *Plane) UpdateCategory(ctx context.Context, pr identity.Principal, id string, in catalog.CategoryInput) (*catalog.Category, error) {
	if !pr.IsAdmin() {
		return nil, fault.Forbidden("only an admin may change categories")
	}
	c, ver, err := p.readCategory(ctx, id)
	if err != nil {
		return nil, err
	}
	set(&c.Name, in.Name)
	set(&c.Description, in.Description)
	set(&c.Icon, in.Icon)
	set(&c.Locale, in.Locale)
	if err := checkCategory(&c); err != nil {
		return nil, err
	}
	c.UpdatedAt = p.now()
	if _, err := p.st.Apply(ctx, entity.MustPut(catalog.CategoryKey(c.ID), c, ver)); err != nil {
		return nil, writeFault(err, "category", c.ID)
	}
	return &c, nil
}

// DeleteCategory removes a category no app uses; only an admin may.
func (p *Plane) DeleteCategory(ctx context.Context, pr identity.Principal, id string) error {
	if !pr.IsAdmin() {
		return fault.Forbidden("only an admin may delete categories")
	}
	_, ver, err := p.readCategory(ctx, id)
	if err != nil {
		return err
	}
	used := 0
	err = p.st.Lookup(ctx, catalog.TermCategory(id), store.ScanOptions{Prefix: catalog.AppPrefix}, func(string) error {
		used++
		return nil
	})
	if err != nil {
		return fault.Unavailable(err, "list apps of category %s", id)
	}
	if used > 0 {
		return fault.Precondition("category %s is used by %d apps: take it off them first", id, used)
	}
	if _, err := p.st.Apply(ctx, entity.Delete(catalog.CategoryKey(id), ver)); err != nil {
		return writeFault(err, "category", id)
	}
	return nil
}
