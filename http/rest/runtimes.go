package rest

import "github.com/pitrix/pitrix/actors/runtimes"

func (s *Server) listProviders(r *request) error {
	if err := noQuery(r); err != nil {
		return err
	}
	writeOK(r.fc, listOf(s.be.ListProviders(r.ctx)))
	return nil
}

func (s *Server) listFrontgates(r *request) error {
	if err := noQuery(r); err != nil {
		return err
	}
	fgs, err := s.be.Frontgates(r.ctx, r.principal)
	if err != nil {
		return err
	}
	writeOK(r.fc, listOf(fgs))
	return nil
}

func (s *Server) createCredential(r *request) error {
	var in runtimes.CredentialInput
	if err := s.decode(r, &in); err != nil {
		return err
	}
	c, err := s.be.CreateCredential(r.ctx, r.principal, in)
	if err != nil {
		return err
	}
	writeCreated(r.fc, c)
	return nil
}

func (s *Server) listCredentials(r *request) error {
	q, err := listQuery(r, credentialFilters)
	if err != nil {
		return err
	}
	p, err := s.be.ListCredentials(r.ctx, r.principal, q)
	if err != nil {
		return err
	}
	writeOK(r.fc, page(p))
	return nil
}

func (s *Server) getCredential(r *request) error {
	if err := noQuery(r); err != nil {
		return err
	}
	c, err := s.be.GetCredential(r.ctx, r.principal, r.param("id"))
	if err != nil {
		return err
	}
	writeOK(r.fc, c)
	return nil
}

func (s *Server) deleteCredential(r *request) error {
	if err := noQuery(r); err != nil {
		return err
	}
	if err := s.be.DeleteCredential(r.ctx, r.principal, r.param("id")); err != nil {
		return err
	}
	writeNoContent(r.fc)
	return nil
}

func (s *Server) validateCredential(r *request) error {
	var in struct{}
	if err := s.decodeOptional(r, &in); err != nil {
		return err
	}
	// A credential the caller may not see is "not found" (404), as on GET, not a failed check.
	if _, err := s.be.GetCredential(r.ctx, r.principal, r.param("id")); err != nil {
		return err
	}
	writeOK(r.fc, s.be.ValidateCredential(r.ctx, r.principal, r.param("id")))
	return nil
}

func (s *Server) createRuntime(r *request) error {
	var in runtimes.RuntimeInput
	if err := s.decode(r, &in); err != nil {
		return err
	}
	rt, err := s.be.CreateRuntime(r.ctx, r.principal, in)
	if err != nil {
		return err
	}
	writeCreated(r.fc, rt)
	return nil
}

func (s *Server) listRuntimes(r *request) error {
	q, err := listQuery(r, runtimeFilters)
	if err != nil {
		return err
	}
	p, err := s.be.ListRuntimes(r.ctx, r.principal, q)
	if err != nil {
		return err
	}
	writeOK(r.fc, page(p))
	return nil
}

func (s *Server) getRuntime(r *request) error {
	if err := noQuery(r); err != nil {
		return err
	}
	rt, err := s.be.GetRuntime(r.ctx, r.principal, r.param("id"))
	if err != nil {
		return err
	}
	writeOK(r.fc, rt)
	return nil
}

func (s *Server) updateRuntime(r *request) error {
	var in runtimes.RuntimePatch
	if err := s.decode(r, &in); err != nil {
		return err
	}
	rt, err := s.be.UpdateRuntime(r.ctx, r.principal, r.param("id"), in)
	if err != nil {
		return err
	}
	writeOK(r.fc, rt)
	return nil
}

func (s *Server) deleteRuntime(r *request) error {
	if err := noQuery(r); err != nil {
		return err
	}
	if err := s.be.DeleteRuntime(r.ctx, r.principal, r.param("id")); err != nil {
		return err
	}
	writeNoContent(r.fc)
	return nil
}
