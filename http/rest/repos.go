package rest

import "github.com/pitrix/pitrix/actors/catalog"

func (s *Server) createRepo(r *request) error {
	var in catalog.RepoInput
	if err := s.decode(r, &in); err != nil {
		return err
	}
	repo, err := s.be.CreateRepo(r.ctx, r.principal, in)
	if err != nil {
		return err
	}
	writeCreated(r.fc, repo)
	return nil
}

func (s *Server) listRepos(r *request) error {
	q, err := listQuery(r, repoFilters)
	if err != nil {
		return err
	}
	p, err := s.be.ListRepos(r.ctx, r.principal, q)
	if err != nil {
		return err
	}
	writeOK(r.fc, page(p))
	return nil
}

func (s *Server) getRepo(r *request) error {
	if err := noQuery(r); err != nil {
		return err
	}
	repo, err := s.be.GetRepo(r.ctx, r.principal, r.param("id"))
	if err != nil {
		return err
	}
	writeOK(r.fc, repo)
	return nil
}

func (s *Server) updateRepo(r *request) error {
	var in catalog.RepoPatch
	if err := s.decode(r, &in); err != nil {
		return err
	}
	repo, err := s.be.UpdateRepo(r.ctx, r.principal, r.param("id"), in)
	if err != nil {
		return err
	}
	writeOK(r.fc, repo)
	return nil
}

func (s *Server) deleteRepo(r *request) error {
	if err := noQuery(r); err != nil {
		return err
	}
	if err := s.be.DeleteRepo(r.ctx, r.principal, r.param("id")); err != nil {
		return err
	}
	writeNoContent(r.fc)
	return nil
}

func (s *Server) indexRepo(r *request) error {
	var in struct{}
	if err := s.decodeOptional(r, &in); err != nil {
		return err
	}
	ev, err := s.be.IndexRepo(r.ctx, r.principal, r.param("id"))
	if err != nil {
		return err
	}
	writeOK(r.fc, ev)
	return nil
}

func (s *Server) listRepoEvents(r *request) error {
	q, err := listQuery(r, repoEventFilters)
	if err != nil {
		return err
	}
	p, err := s.be.ListRepoEvents(r.ctx, r.principal, r.param("id"), q)
	if err != nil {
		return err
	}
	writeOK(r.fc, page(p))
	return nil
}

func (s *Server) validateRepo(r *request) error {
	var in catalog.RepoSource
	if err := s.decode(r, &in); err != nil {
		return err
	}
	writeOK(r.fc, s.be.ValidateRepo(r.ctx, r.principal, in))
	return nil
}
