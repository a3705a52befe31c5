package client

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"unicode/utf8"
)

// ErrResponseTooLarge is returned when a JSON response exceeds Config.MaxResponseBytes.
var ErrResponseTooLarge = errors.New("client: response too large")

// APIError is an error answer of the API: the HTTP status and the decoded error body
// {"error": {"code", "message", "details"}}. When the body is not that envelope (a proxy's
// HTML page, a truncated answer) Code is derived from the status and Message holds the start
// of the body or the status text, so callers can always switch on Code.
type APIError struct {
	Status  int
	Code    string
	Message string
	// Details name what was wrong, e.g. each bad field of an invalid_argument. Nil when the
	// server sent none. A non-object details value is kept under the key "details".
	Details map[string]any
}

// Error returns "<code>: <message> (HTTP <status>)".
func (e *APIError) Error() string {
	return fmt.Sprintf("%s: %s (HTTP %d)", e.Code, e.Message, e.Status)
}

// CodeOf returns the API error code carried by err ("not_found", "conflict", ...), or "" when
// err is nil or not an API error.
func CodeOf(err error) string {
	var ae *APIError
	if errors.As(err, &ae) {
		return ae.Code
	}
	return ""
}

// maxErrorBody caps how much of an error body is read; error envelopes are small.
const maxErrorBody = 1 << 20

// maxErrorText caps the fallback message taken from a body that is not an error envelope.
const maxErrorText = 200

// decodeError builds an *APIError from a status and an error response body. It never fails:
// whatever the body holds, the result has a Code and a Message.
func decodeError(status int, body []byte) *APIError {
	e := &APIError{Status: status}
	var env struct {
		Error *struct {
			Code    string          `json:"code"`
			Message string          `json:"message"`
			Details json.RawMessage `json:"details"`
		} `json:"error"`
	}
	if json.Unmarshal(body, &env) == nil && env.Error != nil {
		e.Code = env.Error.Code
		e.Message = env.Error.Message
		e.Details = decodeDetails(env.Error.Details)
	}
	if e.Code == "" {
		e.Code = codeForStatus(status)
	}
	if e.Message == "" {
		e.Message = fallbackMessage(status, body)
	}
	return e
}

func decodeDetails(raw json.RawMessage) map[string]any {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || bytes.Equal(raw, []byte("null")) {
		return nil
	}
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err == nil {
		return m
	}
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		return nil
	}
	return map[string]any{"details": v}
}

// codeForStatus maps a status to the API's code words (API.md "Errors") for answers that carry
// no envelope.
func codeForStatus(status int) string {
	switch status {
	case http.StatusBadRequest:
		return "invalid_argument"
	case http.StatusUnauthorized:
		return "unauthenticated"
	case http.StatusForbidden:
		return "permission_denied"
	case http.StatusNotFound:
		return "not_found"
	case http.StatusConflict:
		return "conflict"
	case http.StatusRequestEntityTooLarge:
		return "too_large"
	case http.StatusTooManyRequests:
		return "overloaded"
	case http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		return "unavailable"
	}
	if status >= 500 {
		return "internal"
	}
	return fmt.Sprintf("http_%d", status)
}

func fallbackMessage(status int, body []byte) string {
	text := strings.TrimSpace(strings.ToValidUTF8(string(body), "?"))
	if text == "" || text[0] == '<' || text[0] == '{' {
		// No body, an HTML page or JSON of some other shape: the status says more.
		if t := http.StatusText(status); t != "" {
			return strings.ToLower(t)
		}
		return fmt.Sprintf("HTTP status %d", status)
	}
	if i := strings.IndexAny(text, "\r\n"); i >= 0 {
		text = text[:i]
	}
	if len(text) > maxErrorText {
		cut := maxErrorText
		for cut > 0 && !utf8.RuneStart(text[cut]) {
			cut--
		}
		text = text[:cut] + "..."
	}
	return text
}
