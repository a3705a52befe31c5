package rest

import "github.com/pitrix/pitrix/actors/catalog"

func (s *Server) createCategory(r *request) error {
	var in catalog.CategoryInput
	if err := s.decode(r, &in); err != nil {
		return err
	}
	c, err := s.be.CreateCategory(r.ctx, r.principal, in)
	if err != nil {
		return err
	}
	writeCreated(r.fc, c)
	return nil
}

func (s *Server) listCategories(r *request) error {
	q, err := listQuery(r, categoryFilters)
	if err != nil {
		return err
	}
	p, err := s.be.ListCategories(r.ctx, r.principal, q)
	if err != nil {
		return err
	}
	writeOK(r.fc, page(p))
	return nil
}

func (s *Server) getCategory(r *request) error {
	if err := noQuery(r); err != nil {
		return err
	}
	c, err := s.be.GetCategory(r.ctx, r.principal, r.param("id"))
	if err != nil {
		return err
	}
	writeOK(r.fc, c)
	return nil
}

func (s *Server) updateCategory(r *request) error {
	var in catalog.CategoryInput
	if err := s.decode(r, &in); err != nil {
		return err
	}
	c, err := s.be.UpdateCategory(r.ctx, r.principal, r.param("id"), in)
	if err != nil {
		return err
	}
	writeOK(r.fc, c)
	return nil
}

func (s *Server) deleteCategory(r *request) error {
	if err := noQuery(r); err != nil {
		return err
	}
	if err := s.be.DeleteCategory(r.ctx, r.principal, r.param("id")); err != nil {
		return err
	}
	writeNoContent(r.fc)
	return nil
}
