package rest

import "github.com/pitrix/pitrix/actors/identity"

func (s *Server) createGroup(r *request) error {
	var in identity.GroupInput
	if err := s.decode(r, &in); err != nil {
		return err
	}
	g, err := s.be.CreateGroup(r.ctx, r.principal, in)
	if err != nil {
		return err
	}
	writeCreated(r.fc, g)
	return nil
}

func (s *Server) listGroups(r *request) error {
	q, err := listQuery(r, groupFilters)
	if err != nil {
		return err
	}
	p, err := s.be.ListGroups(r.ctx, r.principal, q)
	if err != nil {
		return err
	}
	writeOK(r.fc, page(p))
	return nil
}

func (s *Server) getGroup(r *request) error {
	if err := noQuery(r); err != nil {
		return err
	}
	g, err := s.be.GetGroup(r.ctx, r.principal, r.param("id"))
	if err != nil {
		return err
	}
	writeOK(r.fc, g)
	return nil
}

func (s *Server) deleteGroup(r *request) error {
	if err := noQuery(r); err != nil {
		return err
	}
	if err := s.be.DeleteGroup(r.ctx, r.principal, r.param("id")); err != nil {
		return err
	}
	writeNoContent(r.fc)
	return nil
}

func (s *Server) addGroupMember(r *request) error {
	var in identity.MemberInput
	if err := s.decode(r, &in); err != nil {
		return err
	}
	g, err := s.be.AddGroupMember(r.ctx, r.principal, r.param("id"), in)
	if err != nil {
		return err
	}
	writeOK(r.fc, g)
	return nil
}

func (s *Server) removeGroupMember(r *request) error {
	if err := noQuery(r); err != nil {
		return err
	}
	g, err := s.be.RemoveGroupMember(r.ctx, r.principal, r.param("id"), r.param("user_id"))
	if err != nil {
		return err
	}
	writeOK(r.fc, g)
	return nil
}
