package rest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"runtime/debug"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/pitrix/pitrix/actors/fault"
	"github.com/pitrix/pitrix/actors/identity"
)

// Server is the REST front. Build it with New; serve with Serve (once), or drive Handler directly
// in benchmarks. Its methods are safe for concurrent use.
type Server struct {
	cfg Config
	log *slog.Logger
	be  Backend
	rt  router
	m   *metrics

	idPrefix string
	idSeq    atomic.Uint64

	// base is the root of every request context. It is canceled when Serve's shutdown grace
	// period ends, so backends still running then are told to stop.
	base       context.Context
	cancelBase context.CancelFunc
	// streams is the root of event stream contexts: canceled as soon as Serve's context ends,
	// before the grace period, since a stream never finishes by itself.
	streams     context.Context
	stopStreams context.CancelFunc
	active      tracker
	serving     atomic.Bool
	// slots holds one token per request being handled (MaxInFlight); see admit.
	slots   chan struct{}
	uploads *uploadSlots
	perIP   atomic.Pointer[perIPListener] // set by Serve
	auditW  *auditWriter                  // run by Serve
}

// New builds a Server answering with backend. It validates cfg after applying defaults.
func New(cfg Config, backend Backend) (*Server, error) {
	cfg = cfg.withDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if backend == nil {
		return nil, errors.New("rest: nil Backend")
	}
	var rnd [4]byte
	_, _ = rand.Read(rnd[:]) // never fails (crypto/rand panics instead)
	s := &Server{
		cfg:      cfg,
		log:      cfg.Logger.With("component", "rest"),
		be:       backend,
		idPrefix: hex.EncodeToString(rnd[:]),
		slots:    make(chan struct{}, cfg.MaxInFlight),
		// A slot outlives a request that fasthttp dropped by at most the time its body and its
		// handler could take.
		uploads: newUploadSlots(cfg.MaxUploads, cfg.ReadTimeout+cfg.RequestTimeout+cfg.WriteTimeout),
	}
	s.auditW = newAuditWriter(s.log, backend, cfg.AuditBuffer)
	// Requests enter the process here: their contexts have no caller to derive from, as with
	// net/http's default BaseContext.
	s.base, s.cancelBase = context.WithCancel(context.Background())
	s.streams, s.stopStreams = context.WithCancel(s.base)
	s.active.zero = sync.NewCond(&s.active.mu)
	err := s.routes()
	if err != nil {
		return nil, err
	}
	if s.m, err = newMetrics(backend.Metrics(), cfg.Collectors...); err != nil {
		return nil, err
	}
	if err := s.auditW.register(s.m.reg); err != nil {
		return nil, err
	}
	return s, nil
}

// Handler returns the request handler Serve runs, for benchmarks and in-process tests.
func (s *Server) Handler() fasthttp.RequestHandler { return s.serveHTTP }

// Serve answers requests on ln until ctx is done, then stops accepting, lets in-flight requests
// finish (for at most Config.ShutdownTimeout, after which their contexts are canceled) and
// returns once every handler has returned. It closes ln. It returns nil after a shutdown asked
// for by ctx, or the error that made the listener fail. Serve may be called once.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	if !s.serving.CompareAndSwap(false, true) {
		return errors.New("rest: Serve called twice")
	}
	srv := &fasthttp.Server{
		Handler:                      s.serveHTTP,
		ErrorHandler:                 s.serveParseError,
		Name:                         s.cfg.ServerName,
		ReadTimeout:                  s.cfg.HeaderTimeout, // admitHeaders extends it for admitted bodies
		WriteTimeout:                 s.cfg.WriteTimeout,
		IdleTimeout:                  s.cfg.IdleTimeout,
		ReadBufferSize:               s.cfg.MaxHeaderBytes,
		Concurrency:                  s.cfg.MaxConns + concurrencySlack, // a backstop: limitConns refuses first
		HeaderReceived:               s.admitHeaders,
		MaxRequestBodySize:           preAuthBodyBytes, // admitHeaders sets every request's own
		DisablePreParseMultipartForm: true,             // multipart uploads are parsed in memory by readPackage
		CloseOnShutdown:              true,
		Logger:                       fasthttpLogger{s.log},
	}
	pl := limitConns(ln, s.cfg.MaxConns, s.cfg.MaxConnsPerIP, &s.m.refused)
	s.perIP.Store(pl)
	ln = pl
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	stopAudit, auditDone := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(auditDone)
		s.auditW.run(context.WithoutCancel(ctx), stopAudit)
	}()
	s.log.Info("serving", "addr", ln.Addr().String())

	var serveErr error
	served := false
	select {
	case <-ctx.Done():
	case err := <-errc:
		served = true
		if err != nil {
			serveErr = fmt.Errorf("rest: serve on %s: %w", ln.Addr(), err)
		}
	}
	s.log.Info("shutting down", "in_flight", s.m.inFlight.Load())
	s.stopStreams()
	grace, cancel := context.WithTimeout(context.WithoutCancel(ctx), s.cfg.ShutdownTimeout)
	err := srv.ShutdownWithContext(grace)
	cancel()
	if err != nil {
		s.log.Warn("shutdown grace period over; canceling in-flight requests",
			"in_flight", s.m.inFlight.Load(), "err", err)
	}
	s.cancelBase()
	s.active.wait()
	close(stopAudit) // every handler has queued its entry: flush them all
	<-auditDone
	if !served {
		if err := <-errc; err != nil && serveErr == nil {
			serveErr = fmt.Errorf("rest: serve on %s: %w", ln.Addr(), err)
		}
	}
	s.log.Info("stopped")
	return serveErr
}

// request is one routed request while its handler runs. Nothing in it refers to fasthttp's
// buffers except fc, which must not outlive the handler.
type request struct {
	fc        *fasthttp.RequestCtx
	ctx       context.Context
	id        string
	method    string
	route     *route
	params    []param
	principal identity.Principal
}

// param returns the value of the {name} path segment.
func (r *request) param(name string) string {
	for _, p := range r.params {
		if p.name == name {
			return p.value
		}
	}
	return ""
}

func (r *request) pattern() string {
	if r.route == nil {
		return unmatchedRoute
	}
	return r.route.pattern
}

// routeMethod is the method label of a request's metrics: the route's method, or "" for an
// unmatched request, whose method could be anything a client sends.
func routeMethod(rt *route) string {
	if rt == nil {
		return ""
	}
	return rt.method
}

// serveHTTP is the root handler: request id, routing, auth, the handler, errors, metrics, logs.
func (s *Server) serveHTTP(fc *fasthttp.RequestCtx) {
	start := time.Now()
	s.active.add()
	defer s.active.done()
	s.m.inFlight.Add(1)
	defer s.m.inFlight.Add(-1)

	ctx, cancel := context.WithTimeout(s.base, s.cfg.RequestTimeout)
	defer cancel()
	r := request{fc: fc, ctx: ctx, id: s.requestID(fc), method: string(fc.Method())}
	fc.Response.Header.Set("X-Request-Id", r.id)
	fc.Response.Header.Set("Cache-Control", "no-store")

	var ps [4]param
	var allow []string
	r.route, r.params, allow = s.rt.lookup(r.method, string(fc.Path()), ps[:0])
	if r.route != nil && r.route.body == bodyPackage {
		defer s.giveUpload(&fc.Request.Header)
	}
	if s.admit(&r) {
		if err := s.dispatch(&r, allow); err != nil {
			s.writeError(fc, &r, err)
		}
		s.release(&r)
		s.audit(&r, start)
	}

	status := fc.Response.StatusCode()
	elapsed := time.Since(start)
	s.m.observe(r.pattern(), routeMethod(r.route), status, elapsed.Seconds())
	if s.log.Enabled(ctx, slog.LevelDebug) {
		s.log.LogAttrs(ctx, slog.LevelDebug, "request",
			slog.String("request_id", r.id), slog.String("method", r.method),
			slog.String("route", r.pattern()), slog.Int("status", status),
			slog.Duration("duration", elapsed))
	}
}

// dispatch answers unrouted paths, checks the token and runs the route's handler, turning a
// panic into an internal error.
func (s *Server) dispatch(r *request, allow []string) (err error) {
	defer func() {
		if v := recover(); v != nil {
			r.fc.Response.Reset()
			r.fc.Response.Header.Set("X-Request-Id", r.id)
			r.fc.Response.Header.Set("Cache-Control", "no-store")
			err = fault.Internal(fmt.Errorf("panic: %v\n%s", v, debug.Stack()), "handler panicked")
		}
	}()
	if r.route == nil {
		path := string(r.fc.Path())
		if len(path) > 200 {
			path = path[:200] + "..."
		}
		if allow != nil {
			r.fc.Response.Header.Set("Allow", strings.Join(allow, ", "))
			writeJSON(r.fc, fasthttp.StatusMethodNotAllowed, errorBody{errorDetail{
				Code:    fault.CodeInvalid,
				Message: fmt.Sprintf("method not allowed: %s %s (allowed: %s)", safeKey(r.method), path, strings.Join(allow, ", ")),
				Details: map[string]string{"method": "not allowed"},
			}})
			return nil
		}
		return &fault.Error{Code: fault.CodeNotFound, Message: "no such path: " + path}
	}
	if !r.route.public {
		if err := s.authenticate(r); err != nil {
			return err
		}
		if r.principal.ReadOnly() && r.route.method != "GET" {
			return fault.Forbidden("a read-only token may only call GET and HEAD routes")
		}
		if err := authorize(r.route.rule, r.principal, r.param("id")); err != nil {
			return err
		}
	}
	return r.route.handle(s, r)
}

// authenticate resolves the bearer token of r to its principal with one Backend call.
func (s *Server) authenticate(r *request) error {
	p, err := s.principal(r.ctx, r.fc.Request.Header.Peek("Authorization"))
	if err != nil {
		return err
	}
	r.principal = p
	return nil
}

// principal resolves an Authorization header value to its principal with one Backend call.
func (s *Server) principal(ctx context.Context, authorization []byte) (identity.Principal, error) {
	token, ok := bearerToken(authorization)
	if !ok {
		return identity.Principal{}, fault.Unauthenticated("missing or malformed bearer token: send Authorization: Bearer <token>")
	}
	p, err := s.be.Authenticate(ctx, token)
	if err != nil {
		switch fault.Code(err) {
		case fault.CodeUnauthenticated, fault.CodeNotFound, fault.CodeInvalid, fault.CodePermission:
			return identity.Principal{}, fault.Unauthenticated("invalid or expired token")
		}
		return identity.Principal{}, err
	}
	return p, nil
}

// bearerToken returns the token of an "Authorization: Bearer <token>" header value.
func bearerToken(h []byte) (string, bool) {
	const scheme = "bearer "
	if len(h) <= len(scheme) || len(h) > 4096 || !strings.EqualFold(string(h[:len(scheme)]), scheme) {
		return "", false
	}
	tok := strings.TrimSpace(string(h[len(scheme):]))
	if tok == "" || strings.ContainsAny(tok, " \t") {
		return "", false
	}
	return tok, true
}

// requestID keeps a well-formed X-Request-Id of the caller or makes one.
func (s *Server) requestID(fc *fasthttp.RequestCtx) string {
	if in := fc.Request.Header.Peek("X-Request-Id"); len(in) > 0 && len(in) <= 128 && validRequestID(in) {
		return string(in)
	}
	return fmt.Sprintf("%s-%08x", s.idPrefix, s.idSeq.Add(1))
}

func validRequestID(b []byte) bool {
	for _, c := range b {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.' || c == ':') {
			return false
		}
	}
	return true
}

// serveParseError answers requests fasthttp could not read (a body refused by admitHeaders,
// malformed, too slow) with the contract's JSON error body. fasthttp closes the connection after.
func (s *Server) serveParseError(fc *fasthttp.RequestCtx, err error) {
	defer s.giveUpload(&fc.Request.Header)
	r := request{fc: fc, ctx: s.base, id: s.requestID(fc), method: string(fc.Method())}
	fc.Response.Header.Set("X-Request-Id", r.id)
	fc.Response.Header.Set("Cache-Control", "no-store")
	status, code, msg := fasthttp.StatusBadRequest, fault.CodeInvalid, "malformed HTTP request"
	var small *fasthttp.ErrSmallBuffer
	var ne net.Error
	switch {
	case errors.Is(err, fasthttp.ErrBodyTooLarge):
		s.writeError(fc, &r, s.bodyRefused(fc))
		status = fc.Response.StatusCode()
	case errors.As(err, &small):
		status, msg = fasthttp.StatusRequestHeaderFieldsTooLarge,
			fmt.Sprintf("request headers over the limit of %d bytes", s.cfg.MaxHeaderBytes)
	case errors.As(err, &ne) && ne.Timeout():
		status, code, msg = fasthttp.StatusRequestTimeout, fault.CodeUnavailable, "request read timed out"
	}
	if !errors.Is(err, fasthttp.ErrBodyTooLarge) {
		writeJSON(fc, status, errorBody{errorDetail{Code: code, Message: msg, Details: map[string]string{}}})
	}
	s.m.observe(unmatchedRoute, "", status, 0)
	s.log.LogAttrs(s.base, slog.LevelDebug, "unreadable request",
		slog.String("request_id", r.id), slog.Int("status", status), slog.Any("err", err))
}

// tracker counts running handlers so Serve can wait for all of them. Unlike a WaitGroup it
// allows add after a wait has begun (a connection accepted just before shutdown).
type tracker struct {
	mu   sync.Mutex
	n    int
	zero *sync.Cond
}

func (t *tracker) add() {
	t.mu.Lock()
	t.n++
	t.mu.Unlock()
}

func (t *tracker) done() {
	t.mu.Lock()
	t.n--
	if t.n == 0 {
		t.zero.Broadcast()
	}
	t.mu.Unlock()
}

func (t *tracker) wait() {
	t.mu.Lock()
	for t.n > 0 {
		t.zero.Wait()
	}
	t.mu.Unlock()
}

// fasthttpLogger puts fasthttp's own messages (mostly broken client connections) on our logger
// at Debug.
type fasthttpLogger struct{ log *slog.Logger }

func (l fasthttpLogger) Printf(format string, args ...any) {
	l.log.Debug("fasthttp: " + fmt.Sprintf(format, args...))
}
