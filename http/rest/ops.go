package rest

import (
	_ "embed"

	"github.com/valyala/fasthttp"

	"github.com/pitrix/pitrix/actors/fault"
)

// openAPIDoc is the OpenAPI 3.1 document of every route in routes.go.
//
//go:embed openapi.json
var openAPIDoc []byte

// OpenAPI returns the OpenAPI document the front serves at /v1/openapi.json. The slice is shared:
// callers must not modify it.
func OpenAPI() []byte { return openAPIDoc }

type statusView struct {
	Status string `json:"status"`
}

func (s *Server) healthz(r *request) error {
	writeOK(r.fc, statusView{Status: "ok"})
	return nil
}

func (s *Server) readyz(r *request) error {
	if err := s.be.Ready(r.ctx); err != nil {
		writeJSON(r.fc, fasthttp.StatusServiceUnavailable, errorBody{errorDetail{
			Code: fault.CodeUnavailable, Message: err.Error(), Details: map[string]string{},
		}})
		return nil
	}
	writeOK(r.fc, statusView{Status: "ok"})
	return nil
}

func (s *Server) metrics(r *request) error { return s.writeMetrics(r) }

func (s *Server) openAPI(r *request) error {
	r.fc.SetStatusCode(200)
	r.fc.SetContentType("application/json")
	r.fc.SetBody(openAPIDoc)
	return nil
}
