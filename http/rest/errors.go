package rest

import (
	"context"
	"errors"
	"log/slog"

	"github.com/valyala/fasthttp"

	"github.com/pitrix/pitrix/actors/fault"
)

// statusOf is the one table from the contract's error codes to HTTP statuses. A code missing
// here is answered as internal.
var statusOf = map[string]int{
	fault.CodeInvalid:            fasthttp.StatusBadRequest,
	fault.CodeUnauthenticated:    fasthttp.StatusUnauthorized,
	fault.CodePermission:         fasthttp.StatusForbidden,
	fault.CodeNotFound:           fasthttp.StatusNotFound,
	fault.CodeConflict:           fasthttp.StatusConflict,
	fault.CodeFailedPrecondition: fasthttp.StatusConflict,
	fault.CodeTooLarge:           fasthttp.StatusRequestEntityTooLarge,
	fault.CodeOverloaded:         fasthttp.StatusTooManyRequests,
	fault.CodeInternal:           fasthttp.StatusInternalServerError,
	fault.CodeUnavailable:        fasthttp.StatusServiceUnavailable,
}

// errorBody is the wire shape of every error answer.
type errorBody struct {
	Error errorDetail `json:"error"`
}

type errorDetail struct {
	Code    string            `json:"code"`
	Message string            `json:"message"`
	Details map[string]string `json:"details"`
}

// classify turns any error into what the caller may see: its status and body. Internal causes
// never leave this function; the caller logs them (internal reports whether it must).
func classify(err error, requestID string) (status int, body errorBody, internal bool) {
	var fe *fault.Error
	if errors.As(err, &fe) && fe.Code != fault.CodeInternal {
		if st, ok := statusOf[fe.Code]; ok {
			details := fe.Details
			if details == nil {
				details = map[string]string{}
			}
			return st, errorBody{errorDetail{Code: fe.Code, Message: fe.Message, Details: details}}, false
		}
	}
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		return statusOf[fault.CodeUnavailable], errorBody{errorDetail{
			Code: fault.CodeUnavailable, Message: "the request timed out", Details: map[string]string{},
		}}, false
	case errors.Is(err, context.Canceled):
		return statusOf[fault.CodeUnavailable], errorBody{errorDetail{
			Code: fault.CodeUnavailable, Message: "the request was canceled", Details: map[string]string{},
		}}, false
	}
	return statusOf[fault.CodeInternal], errorBody{errorDetail{
		Code:    fault.CodeInternal,
		Message: "internal error; the server logged it with request id " + requestID,
		Details: map[string]string{},
	}}, true
}

// writeError answers err on ctx through the error table, logging internal causes.
func (s *Server) writeError(ctx *fasthttp.RequestCtx, r *request, err error) {
	status, body, internal := classify(err, r.id)
	if internal {
		s.log.LogAttrs(r.ctx, slog.LevelError, "request failed",
			slog.String("request_id", r.id), slog.String("method", r.method),
			slog.String("route", r.pattern()), slog.Any("err", err))
	}
	if status == fasthttp.StatusUnauthorized {
		ctx.Response.Header.Set("WWW-Authenticate", `Bearer realm="pitrix"`)
	}
	writeJSON(ctx, status, body)
}
