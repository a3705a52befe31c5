package rest

import (
	"github.com/pitrix/pitrix/actors/appcluster"
	"github.com/pitrix/pitrix/actors/fault"
)

// clusterActions are the POST /v1/clusters/{id}/{action} lifecycle actions. bodyRequired says
// whether the action's ActionInput fields are needed (the rest accept an absent body).
var clusterActions = []struct {
	name         string
	bodyRequired bool
}{
	{"start", false},
	{"stop", false},
	{"resize", true},
	{"add_nodes", true},
	{"delete_nodes", true},
	{"upgrade", true},
	{"rollback", false},
	{"update_env", true},
	{"recover", false},
	{"restart", false},
	{"service", true},
	{"cease", false},
}

// actionDelete is the action DELETE /v1/clusters/{id} starts.
const actionDelete = "delete"

func (s *Server) createCluster(r *request) error {
	var in appcluster.CreateInput
	if err := s.decode(r, &in); err != nil {
		return err
	}
	// conf is passed through as sent (an object, or a YAML string of Helm values): the backend
	// validates it against the version's schema.
	acc, err := s.be.CreateCluster(r.ctx, r.principal, in)
	if err != nil {
		return err
	}
	writeAccepted(r.fc, acc)
	return nil
}

func (s *Server) listClusters(r *request) error {
	q, err := listQuery(r, clusterFilters)
	if err != nil {
		return err
	}
	p, err := s.be.ListClusters(r.ctx, r.principal, q)
	if err != nil {
		return err
	}
	writeOK(r.fc, page(p))
	return nil
}

func (s *Server) getCluster(r *request) error {
	if err := noQuery(r); err != nil {
		return err
	}
	c, err := s.be.GetCluster(r.ctx, r.principal, r.param("id"))
	if err != nil {
		return err
	}
	writeOK(r.fc, c)
	return nil
}

func (s *Server) clusterNodes(r *request) error {
	if err := noQuery(r); err != nil {
		return err
	}
	p, err := s.be.ClusterNodes(r.ctx, r.principal, r.param("id"))
	if err != nil {
		return err
	}
	writeOK(r.fc, page(p))
	return nil
}

func (s *Server) deleteCluster(r *request) error {
	var in struct {
		Force bool `json:"force"`
	}
	force, err := forceParam(r)
	if err != nil {
		return err
	}
	if err := decodeOptionalJSON(r.fc.PostBody(), s.cfg.MaxJSONBytes, &in); err != nil {
		return err
	}
	acc, err := s.be.ClusterAction(r.ctx, r.principal, r.param("id"), actionDelete, appcluster.ActionInput{Force: in.Force || force})
	if err != nil {
		return err
	}
	writeAccepted(r.fc, acc)
	return nil
}

// clusterActionHandler serves POST /v1/clusters/{id}/{action} for one lifecycle action. Which
// fields the action needs is the backend's to check; the front only decodes strictly.
func clusterActionHandler(action string, bodyRequired bool) handlerFunc {
	return func(s *Server, r *request) error {
		var in appcluster.ActionInput
		decode := s.decodeOptional
		if bodyRequired {
			decode = s.decode
		}
		if action == "cease" {
			// cease takes ?force=true besides its optional body.
			force, err := forceParam(r)
			if err != nil {
				return err
			}
			if err := decodeOptionalJSON(r.fc.PostBody(), s.cfg.MaxJSONBytes, &in); err != nil {
				return err
			}
			in.Force = in.Force || force
		} else if err := decode(r, &in); err != nil {
			return err
		} else if in.Force {
			return fault.InvalidField("force", "only delete and cease take force")
		}
		acc, err := s.be.ClusterAction(r.ctx, r.principal, r.param("id"), action, in)
		if err != nil {
			return err
		}
		writeAccepted(r.fc, acc)
		return nil
	}
}

// forceParam reads ?force=true|false of DELETE /v1/clusters/{id} and POST .../cease: skip the
// app's failing stop and destroy commands and remove the instances anyway.
func forceParam(r *request) (bool, error) {
	params, err := parseParams(r.fc.QueryArgs(), "force")
	if err != nil {
		return false, err
	}
	switch params["force"] {
	case "", "false":
		return false, nil
	case "true":
		return true, nil
	}
	return false, fault.InvalidField("force", "must be true or false")
}

func (s *Server) listJobs(r *request) error {
	q, err := listQuery(r, jobFilters)
	if err != nil {
		return err
	}
	p, err := s.be.ListJobs(r.ctx, r.principal, q)
	if err != nil {
		return err
	}
	writeOK(r.fc, page(p))
	return nil
}

func (s *Server) getJob(r *request) error {
	if err := noQuery(r); err != nil {
		return err
	}
	j, err := s.be.GetJob(r.ctx, r.principal, r.param("id"))
	if err != nil {
		return err
	}
	writeOK(r.fc, j)
	return nil
}

func (s *Server) listTasks(r *request) error {
	if err := noQuery(r); err != nil {
		return err
	}
	p, err := s.be.ListTasks(r.ctx, r.principal, r.param("id"))
	if err != nil {
		return err
	}
	writeOK(r.fc, page(p))
	return nil
}

func (s *Server) retryJob(r *request) error {
	var in struct{}
	if err := s.decodeOptional(r, &in); err != nil {
		return err
	}
	acc, err := s.be.RetryJob(r.ctx, r.principal, r.param("id"))
	if err != nil {
		return err
	}
	writeAccepted(r.fc, acc)
	return nil
}
