package rest

import (
	"bytes"

	"github.com/pitrix/pitrix/actors/fault"
	"github.com/pitrix/pitrix/http/web"
)

// webPage serves the dashboard's embedded files (http/web): the hashed bundle under
// /ui/assets/, and index.html for / and every other /ui path (client routes). Public: the files
// hold no data; the page reads everything through the API with the user's token.
func (s *Server) webPage(r *request) error {
	gz := bytes.Contains(r.fc.Request.Header.Peek("Accept-Encoding"), []byte("gzip"))
	a, ok := web.Lookup(string(r.fc.Path()), gz)
	if !ok {
		return fault.NotFound("file", string(r.fc.Path()))
	}
	h := &r.fc.Response.Header
	h.Set("Cache-Control", a.CacheControl)
	h.Set("Vary", "Accept-Encoding")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Security-Policy", web.CSP)
	h.Set("Referrer-Policy", "no-referrer")
	if a.Encoding != "" {
		h.Set("Content-Encoding", a.Encoding)
	}
	r.fc.SetStatusCode(200)
	r.fc.SetContentType(a.ContentType)
	r.fc.SetBody(a.Body)
	return nil
}
