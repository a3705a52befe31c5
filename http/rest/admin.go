package rest

import (
	"encoding/json"
	"errors"

	"github.com/pitrix/pitrix/actors/fault"
	"github.com/pitrix/pitrix/actors/identity"
)

// principalView is the answer of GET /v1/whoami.
type principalView struct {
	UserID  string `json:"user_id"`
	Role    string `json:"role"`
	IsAdmin bool   `json:"is_admin"`
}

func (s *Server) whoami(r *request) error {
	if err := noQuery(r); err != nil {
		return err
	}
	writeOK(r.fc, principalView{UserID: r.principal.UserID, Role: r.principal.Role, IsAdmin: r.principal.IsAdmin()})
	return nil
}

func (s *Server) createUser(r *request) error {
	var in identity.UserInput
	if err := s.decode(r, &in); err != nil {
		return err
	}
	u, err := s.be.CreateUser(r.ctx, r.principal, in)
	if err != nil {
		return err
	}
	writeCreated(r.fc, u)
	return nil
}

func (s *Server) listUsers(r *request) error {
	q, err := listQuery(r, userFilters)
	if err != nil {
		return err
	}
	p, err := s.be.ListUsers(r.ctx, r.principal, q)
	if err != nil {
		return err
	}
	writeOK(r.fc, page(p))
	return nil
}

func (s *Server) createToken(r *request) error {
	var in identity.TokenInput
	if err := s.decode(r, &in); err != nil {
		return err
	}
	t, err := s.be.CreateToken(r.ctx, r.principal, r.param("id"), in)
	if err != nil {
		return err
	}
	writeCreated(r.fc, t)
	return nil
}

func (s *Server) adminNodes(r *request) error {
	if err := noQuery(r); err != nil {
		return err
	}
	nodes, err := s.be.Nodes(r.ctx, r.principal)
	if err != nil {
		return err
	}
	writeOK(r.fc, listOf(nodes))
	return nil
}

// adminDrainNode moves a node's actors to the others before it is stopped: 202, the drain
// goes on there.
func (s *Server) adminDrainNode(r *request) error {
	var in struct{}
	if err := s.decodeOptional(r, &in); err != nil {
		return err
	}
	name := r.param("name")
	if err := s.be.DrainNode(r.ctx, r.principal, name); err != nil {
		return err
	}
	writeAccepted(r.fc, map[string]string{"node": name, "status": "draining"})
	return nil
}

func (s *Server) adminActors(r *request) error {
	params, err := parseParams(r.fc.QueryArgs(), "kind", "node")
	if err != nil {
		return err
	}
	actors, err := s.be.Actors(r.ctx, r.principal, params["kind"], params["node"])
	if err != nil {
		return err
	}
	writeOK(r.fc, listOf(actors))
	return nil
}

func (s *Server) adminActorState(r *request) error {
	if err := noQuery(r); err != nil {
		return err
	}
	b, err := s.be.ActorState(r.ctx, r.principal, r.param("kind"), r.param("id"))
	if err != nil {
		return err
	}
	if !json.Valid(b) {
		return fault.Internal(errors.New("rest: actor state is not JSON"), "actor state of %s/%s", r.param("kind"), r.param("id"))
	}
	r.fc.SetStatusCode(200)
	r.fc.SetContentType("application/json")
	r.fc.SetBody(b)
	return nil
}

func (s *Server) listTokens(r *request) error {
	if err := noQuery(r); err != nil {
		return err
	}
	p, err := s.be.ListTokens(r.ctx, r.principal, r.param("id"))
	if err != nil {
		return err
	}
	writeOK(r.fc, page(p))
	return nil
}

func (s *Server) revokeToken(r *request) error {
	if err := noQuery(r); err != nil {
		return err
	}
	if err := s.be.RevokeToken(r.ctx, r.principal, r.param("id")); err != nil {
		return err
	}
	writeNoContent(r.fc)
	return nil
}

// listOwnTokens answers GET /v1/tokens: the caller's own tokens.
func (s *Server) listOwnTokens(r *request) error {
	if err := noQuery(r); err != nil {
		return err
	}
	p, err := s.be.ListTokens(r.ctx, r.principal, r.principal.UserID)
	if err != nil {
		return err
	}
	writeOK(r.fc, page(p))
	return nil
}
