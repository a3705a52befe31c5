package rest

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/pitrix/pitrix/actors/fault"
)

// Admission: what a request may cost before anyone knows who sent it.
//
// fasthttp reads a request's headers, calls Server.HeaderReceived, and only then reads the body
// (into memory, up to the limit that hook returns; a declared Content-Length over the limit is
// refused before a byte of body is read or allocated). admitHeaders is that hook:
//
//   - bodies up to preAuthBodyBytes are read as before and the handler checks the token;
//   - a bigger (or chunked) body on an authenticated route is admitted only after the token in
//     the headers is checked, and then up to the route's limit (MaxJSONBytes for JSON routes,
//     MaxPackageBytes plus the multipart envelope for uploads);
//   - public and unknown routes never get more than preAuthBodyBytes.
//
// A refused body makes fasthttp call serveParseError with ErrBodyTooLarge and close the
// connection; serveParseError asks admitBody again (the headers are still there) to answer 401
// or 413 naming the limit. An admitted upload also takes one of MaxUploads slots from the
// headers (429 when none is free), since its whole body is held in memory. Admitted requests
// then pass the in-flight limit (admit) before their handler runs: over MaxInFlight they are
// answered 429 at once. /healthz and /readyz skip it.
//
// Connections themselves are bounded at accept (perIPListener): MaxConns in total,
// MaxConnsPerIP per client address; and MaxHeaderBytes of headers (431 over it) must be read
// within HeaderTimeout.

// jsonDrainBytes is how far past its JSON limit an authenticated body is still read, to be
// answered 413 on a healthy connection.
const jsonDrainBytes = 4 << 20

// bodyKind says which body limit a route has.
type bodyKind int

const (
	bodyJSON    bodyKind = iota // JSON or no body: Config.MaxJSONBytes
	bodyPackage                 // a package upload: Config.MaxPackageBytes plus the envelope
)

// bodyAdmission is the decision on one request's body, taken from its headers alone.
type bodyAdmission struct {
	method, path string
	route        *route
	declared     int   // Content-Length; -1 chunked, -2 none
	limit        int   // the most body bytes read
	err          error // why the body is refused before reading; nil when admitted up to limit
}

// routeBodyLimit is the most body bytes an authenticated request to rt may send.
func (s *Server) routeBodyLimit(rt *route) int {
	if rt.body == bodyPackage {
		return s.cfg.packageBodyLimit()
	}
	return s.cfg.MaxJSONBytes
}

// admitBody decides from h how much body the request may send. It may call
// Backend.Authenticate; it keeps nothing of h.
func (s *Server) admitBody(h *fasthttp.RequestHeader) bodyAdmission {
	a := bodyAdmission{method: string(h.Method()), declared: h.ContentLength(), limit: preAuthBodyBytes}
	u := fasthttp.AcquireURI()
	err := u.Parse(nil, h.RequestURI())
	a.path = string(u.Path())
	fasthttp.ReleaseURI(u)
	if err != nil {
		return a
	}
	var ps [4]param
	a.route, _, _ = s.rt.lookup(a.method, a.path, ps[:0])
	if a.route == nil || a.route.public {
		return a
	}
	if a.declared == -1 || a.declared > preAuthBodyBytes {
		ctx, cancel := context.WithTimeout(s.base, s.cfg.RequestTimeout)
		p, err := s.principal(ctx, h.Peek("Authorization"))
		cancel()
		if err == nil {
			// A role the route refuses sends no body either (the id of ScopeSelf is checked
			// once the request is routed).
			err = authorize(a.route.rule, p, p.UserID)
		}
		if err != nil {
			a.err = err
			return a
		}
	}
	a.limit = s.routeBodyLimit(a.route)
	return a
}

// admitHeaders is fasthttp's HeaderReceived hook: the body limit and read timeout of one
// request, decided before its body is read.
func (s *Server) admitHeaders(h *fasthttp.RequestHeader) fasthttp.RequestConfig {
	if len(h.Peek(admissionHeader)) > 0 {
		h.Del(admissionHeader) // ours alone
	}
	if n := h.ContentLength(); n != -1 && n <= preAuthBodyBytes {
		// No body or a small one (most requests): nothing to decide, no second routing. The
		// handlers still hold a body to its route's limit.
		return fasthttp.RequestConfig{MaxRequestBodySize: preAuthBodyBytes}
	}
	a := s.admitBody(h)
	if a.err != nil {
		// The declared body is over preAuthBodyBytes, so fasthttp refuses it unread.
		return fasthttp.RequestConfig{MaxRequestBodySize: 1}
	}
	if a.route != nil && a.route.body == bodyPackage && a.declared <= a.limit && !s.takeUpload(h) {
		// (An upload over its limit takes no slot: fasthttp refuses it unread, 413.)
		return fasthttp.RequestConfig{MaxRequestBodySize: 1}
	}
	rc := fasthttp.RequestConfig{MaxRequestBodySize: a.limit}
	if a.route != nil && a.route.body == bodyJSON && a.declared > a.limit && a.declared <= a.limit+jsonDrainBytes {
		// An authenticated caller a little over the JSON limit: read the body (bounded) and let
		// the handler answer 413, so the answer reaches a client still writing. Refused unread,
		// the connection would close on unread bytes and the client would see a reset instead.
		rc.MaxRequestBodySize = a.declared
	}
	if a.declared != -2 && a.route != nil && !a.route.public {
		// Only an admitted body gets the longer body timeout; others must arrive within
		// HeaderTimeout of the request's start.
		rc.ReadTimeout = s.cfg.ReadTimeout
	}
	return rc
}

// bodyRefused is the answer to a request whose body fasthttp refused unread (ErrBodyTooLarge).
func (s *Server) bodyRefused(fc *fasthttp.RequestCtx) error {
	h := &fc.Request.Header
	if h.ContentLength() <= 0 {
		// A chunked body over its limit: fasthttp has reset the headers by now.
		return fault.TooLarge("request body is over its limit (%d bytes for JSON, %d for packages)",
			s.cfg.MaxJSONBytes, s.cfg.MaxPackageBytes)
	}
	if string(h.Peek(admissionHeader)) == admissionNoSlot {
		return s.uploadsBusy(fc)
	}
	a := s.admitBody(h)
	if a.err != nil {
		return a.err
	}
	route := a.method + " " + a.path
	if a.route != nil {
		route = a.method + " " + a.route.pattern
	}
	fe := fault.TooLarge("request body of %d bytes is over the limit of %d bytes for %s",
		a.declared, a.limit, safeKey(route))
	fe.Details = map[string]string{"body": "limit " + strconv.Itoa(a.limit) + " bytes"}
	return fe
}

// errOverloaded marks a request shed by the in-flight limit.
var errOverloaded = errors.New("rest: overloaded")

// admit takes an in-flight slot for r, or answers 429 with Retry-After and returns false.
// A true return must be paired with release.
func (s *Server) admit(r *request) bool {
	if r.route == nil || r.route.ops {
		return true
	}
	select {
	case s.slots <- struct{}{}:
		return true
	default:
	}
	r.fc.Response.Header.Set("Retry-After", strconv.Itoa(retryAfterSeconds))
	s.writeError(r.fc, r, &fault.Error{
		Code: fault.CodeOverloaded,
		Message: fmt.Sprintf("server overloaded: %d requests in flight; retry after %ds",
			s.cfg.MaxInFlight, retryAfterSeconds),
		Details: map[string]string{"retry_after_seconds": strconv.Itoa(retryAfterSeconds)},
		Err:     errOverloaded,
	})
	return false
}

// release gives back the slot admit took for r.
func (s *Server) release(r *request) {
	if r.route != nil && !r.route.ops {
		<-s.slots
	}
}

// admissionHeader carries admitHeaders' decision on an upload to the handler or to
// serveParseError, on the request's own headers (the one thing the hook and they share). Any
// value a client sends is deleted before the decision is taken.
const admissionHeader = "X-Pitrix-Admission"

// admissionNoSlot marks an upload refused because MaxUploads are being read or handled.
const admissionNoSlot = "no-upload-slot"

// uploadSlots bounds the package uploads between their headers and their answer, since each
// may hold MaxPackageBytes in memory. A slot is taken in the header hook and given back when the
// handler or the error handler ends; should fasthttp drop a request between the two (a client
// that leaves during "100 Continue"), the slot expires after ttl instead of leaking.
type uploadSlots struct {
	max int
	ttl time.Duration

	mu   sync.Mutex
	seq  uint64
	held map[uint64]time.Time // slot -> expiry
}

func newUploadSlots(maxSlots int, ttl time.Duration) *uploadSlots {
	return &uploadSlots{max: maxSlots, ttl: ttl, held: map[uint64]time.Time{}}
}

// take returns a slot, or false when all are held at now.
func (u *uploadSlots) take(now time.Time) (uint64, bool) {
	u.mu.Lock()
	defer u.mu.Unlock()
	if len(u.held) >= u.max {
		for id, exp := range u.held {
			if now.After(exp) {
				delete(u.held, id)
			}
		}
		if len(u.held) >= u.max {
			return 0, false
		}
	}
	u.seq++
	u.held[u.seq] = now.Add(u.ttl)
	return u.seq, true
}

// give returns slot id; giving one back twice or an expired one is harmless.
func (u *uploadSlots) give(id uint64) {
	u.mu.Lock()
	delete(u.held, id)
	u.mu.Unlock()
}

// takeUpload reserves an upload slot for the admitted request h, noting it on h; false when none
// is free (h then says so for serveParseError).
func (s *Server) takeUpload(h *fasthttp.RequestHeader) bool {
	id, ok := s.uploads.take(time.Now())
	if !ok {
		h.Set(admissionHeader, admissionNoSlot)
		return false
	}
	h.Set(admissionHeader, "slot:"+strconv.FormatUint(id, 10))
	return true
}

// giveUpload releases the upload slot noted on h, if any.
func (s *Server) giveUpload(h *fasthttp.RequestHeader) {
	v, ok := strings.CutPrefix(string(h.Peek(admissionHeader)), "slot:")
	if !ok {
		return
	}
	if id, err := strconv.ParseUint(v, 10, 64); err == nil {
		s.uploads.give(id)
	}
}

// uploadsBusy is the answer to an upload refused for want of a slot.
func (s *Server) uploadsBusy(fc *fasthttp.RequestCtx) error {
	fc.Response.Header.Set("Retry-After", strconv.Itoa(retryAfterSeconds))
	return &fault.Error{
		Code: fault.CodeOverloaded,
		Message: fmt.Sprintf("server busy: %d package uploads in progress; retry after %ds",
			s.cfg.MaxUploads, retryAfterSeconds),
		Details: map[string]string{"retry_after_seconds": strconv.Itoa(retryAfterSeconds)},
		Err:     errOverloaded,
	}
}

// busy is the slots held now, expired ones included until the next take purges them.
func (u *uploadSlots) busy() int {
	u.mu.Lock()
	defer u.mu.Unlock()
	return len(u.held)
}
