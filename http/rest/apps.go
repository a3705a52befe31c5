package rest

import (
	"mime"
	"path"
	"strings"

	"github.com/pitrix/pitrix/actors/catalog"
	"github.com/pitrix/pitrix/actors/fault"
)

// uploadResult is the answer of a package upload: the app and the version it created.
type uploadResult struct {
	App     *catalog.App     `json:"app"`
	Version *catalog.Version `json:"version"`
}

// reviewInput is the body of a review action.
type reviewInput struct {
	Message string `json:"message"`
}

func (s *Server) listApps(r *request) error {
	q, err := listQuery(r, appFilters)
	if err != nil {
		return err
	}
	p, err := s.be.ListApps(r.ctx, r.principal, q)
	if err != nil {
		return err
	}
	writeOK(r.fc, page(p))
	return nil
}

func (s *Server) getApp(r *request) error {
	if err := noQuery(r); err != nil {
		return err
	}
	app, err := s.be.GetApp(r.ctx, r.principal, r.param("id"))
	if err != nil {
		return err
	}
	writeOK(r.fc, app)
	return nil
}

func (s *Server) updateApp(r *request) error {
	var in catalog.AppPatch
	if err := s.decode(r, &in); err != nil {
		return err
	}
	app, err := s.be.UpdateApp(r.ctx, r.principal, r.param("id"), in)
	if err != nil {
		return err
	}
	writeOK(r.fc, app)
	return nil
}

func (s *Server) deleteApp(r *request) error {
	if err := noQuery(r); err != nil {
		return err
	}
	if err := s.be.DeleteApp(r.ctx, r.principal, r.param("id")); err != nil {
		return err
	}
	writeNoContent(r.fc)
	return nil
}

// upload reads ?type=vm|helm and the package of an upload request, with what the request says
// of it: ?name=, ?version= and ?filename= (or the multipart fields "name" and "version" and
// the file name of the "package" part; the form wins), for packages without package.json.
func (s *Server) upload(r *request) (appType string, pkg []byte, po catalog.PackageOrigin, err error) {
	params, err := parseParams(r.fc.QueryArgs(), "type", "name", "version", "filename")
	if err != nil {
		return "", nil, po, err
	}
	switch appType = params["type"]; appType {
	case catalog.AppTypeVM, catalog.AppTypeHelm:
	case "":
		return "", nil, po, fault.InvalidField("type", "required: vm or helm")
	default:
		return "", nil, po, fault.InvalidField("type", "must be vm or helm")
	}
	pkg, po, err = readUpload(string(r.fc.Request.Header.ContentType()), r.fc.PostBody(), s.cfg.MaxPackageBytes)
	po.Name = firstNonEmpty(po.Name, params["name"])
	po.Version = firstNonEmpty(po.Version, params["version"])
	po.FileName = firstNonEmpty(po.FileName, params["filename"])
	return appType, pkg, po, err
}

func firstNonEmpty(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

func (s *Server) createApp(r *request) error     { return s.uploadVersion(r, "") }
func (s *Server) createVersion(r *request) error { return s.uploadVersion(r, r.param("id")) }

func (s *Server) uploadVersion(r *request, appID string) error {
	appType, pkg, po, err := s.upload(r)
	if err != nil {
		return err
	}
	app, v, err := s.be.UploadApp(r.ctx, r.principal, appID, appType, pkg, po)
	if err != nil {
		return err
	}
	writeCreated(r.fc, uploadResult{App: app, Version: v})
	return nil
}

func (s *Server) validatePackage(r *request) error {
	appType, pkg, po, err := s.upload(r)
	if err != nil {
		return err
	}
	writeOK(r.fc, s.be.ValidatePackage(r.ctx, r.principal, appType, pkg, po))
	return nil
}

func (s *Server) listVersions(r *request) error {
	q, err := listQuery(r, versionFilters)
	if err != nil {
		return err
	}
	p, err := s.be.ListVersions(r.ctx, r.principal, r.param("id"), q)
	if err != nil {
		return err
	}
	writeOK(r.fc, page(p))
	return nil
}

func (s *Server) getVersion(r *request) error {
	if err := noQuery(r); err != nil {
		return err
	}
	v, err := s.be.GetVersion(r.ctx, r.principal, r.param("id"))
	if err != nil {
		return err
	}
	writeOK(r.fc, v)
	return nil
}

func (s *Server) versionPackage(r *request) error {
	if err := noQuery(r); err != nil {
		return err
	}
	id := r.param("id")
	b, err := s.be.VersionPackage(r.ctx, r.principal, id)
	if err != nil {
		return err
	}
	r.fc.SetStatusCode(200)
	r.fc.SetContentType("application/gzip")
	r.fc.Response.Header.Set("Content-Disposition",
		mime.FormatMediaType("attachment", map[string]string{"filename": id + ".tgz"}))
	r.fc.SetBody(b)
	return nil
}

// fileTypes are the Content-Types of package files by extension; others are octet-stream.
var fileTypes = map[string]string{
	".json": "application/json",
	".yaml": "application/yaml",
	".yml":  "application/yaml",
	".md":   "text/markdown; charset=utf-8",
	".txt":  "text/plain; charset=utf-8",
}

func (s *Server) versionFiles(r *request) error {
	if err := noQuery(r); err != nil {
		return err
	}
	p, err := s.be.VersionFiles(r.ctx, r.principal, r.param("id"))
	if err != nil {
		return err
	}
	writeOK(r.fc, page(p))
	return nil
}

func (s *Server) versionFile(r *request) error {
	if err := noQuery(r); err != nil {
		return err
	}
	p := r.param("path")
	for seg := range strings.SplitSeq(p, "/") {
		if seg == "." || seg == ".." || seg == "" {
			return fault.InvalidField("path", "must be a relative path inside the package")
		}
	}
	b, err := s.be.VersionFile(r.ctx, r.principal, r.param("id"), p)
	if err != nil {
		return err
	}
	ct, ok := fileTypes[strings.ToLower(path.Ext(p))]
	if !ok {
		ct = "application/octet-stream"
	}
	r.fc.SetStatusCode(200)
	r.fc.SetContentType(ct)
	// Package files are the uploader's bytes: never let a browser sniff them into HTML.
	r.fc.Response.Header.Set("X-Content-Type-Options", "nosniff")
	r.fc.SetBody(b)
	return nil
}

// reviewHandler serves POST /v1/app_versions/{id}/{action} for one review action.
func reviewHandler(action string) handlerFunc {
	return func(s *Server, r *request) error {
		var in reviewInput
		if err := s.decodeOptional(r, &in); err != nil {
			return err
		}
		v, err := s.be.ReviewVersion(r.ctx, r.principal, r.param("id"), action, in.Message)
		if err != nil {
			return err
		}
		writeOK(r.fc, v)
		return nil
	}
}

func (s *Server) listAudits(r *request) error {
	q, err := listQuery(r, auditFilters)
	if err != nil {
		return err
	}
	p, err := s.be.ListAudits(r.ctx, r.principal, r.param("id"), q)
	if err != nil {
		return err
	}
	writeOK(r.fc, page(p))
	return nil
}

func (s *Server) versionRuntimes(r *request) error {
	if err := noQuery(r); err != nil {
		return err
	}
	p, err := s.be.VersionRuntimes(r.ctx, r.principal, r.param("id"))
	if err != nil {
		return err
	}
	writeOK(r.fc, page(p))
	return nil
}
