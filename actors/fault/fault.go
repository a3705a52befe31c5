package fault

import (
	"errors"
	"fmt"
	"sort"
	"strings"
)

// Codes of the REST contract.
const (
	CodeInvalid            = "invalid_argument"
	CodeUnauthenticated    = "unauthenticated"
	CodePermission         = "permission_denied"
	CodeNotFound           = "not_found"
	CodeConflict           = "conflict"
	CodeFailedPrecondition = "failed_precondition"
	CodeTooLarge           = "too_large"
	CodeOverloaded         = "overloaded"
	CodeInternal           = "internal"
	CodeUnavailable        = "unavailable"
)

// Error is a classified failure. Details name each bad field or file for CodeInvalid.
type Error struct {
	Code    string
	Message string
	Details map[string]string
	Err     error // the cause, if any; not shown to callers for CodeInternal
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.Message)
	if len(e.Details) > 0 {
		keys := make([]string, 0, len(e.Details))
		for k := range e.Details {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for i, k := range keys {
			if i == 0 {
				b.WriteString(": ")
			} else {
				b.WriteString("; ")
			}
			fmt.Fprintf(&b, "%s: %s", k, e.Details[k])
		}
	}
	if e.Err != nil {
		b.WriteString(": ")
		b.WriteString(e.Err.Error())
	}
	return b.String()
}

func (e *Error) Unwrap() error { return e.Err }

// Code returns the contract code of err: the code of the first *Error in its chain, or
// CodeInternal.
func Code(err error) string {
	var fe *Error
	if errors.As(err, &fe) {
		return fe.Code
	}
	return CodeInternal
}

// Is reports whether err carries the given code.
func Is(err error, code string) bool { return err != nil && Code(err) == code }

// Invalid reports bad input; fields maps each bad field (or package file) to what is wrong.
func Invalid(msg string, fields map[string]string) *Error {
	return &Error{Code: CodeInvalid, Message: msg, Details: fields}
}

// InvalidField reports one bad field.
func InvalidField(field, problem string) *Error {
	return &Error{Code: CodeInvalid, Message: "invalid " + field, Details: map[string]string{field: problem}}
}

// NotFound reports a missing entity of a kind ("repo", "app") by id.
func NotFound(kind, id string) *Error {
	return &Error{Code: CodeNotFound, Message: fmt.Sprintf("%s %q not found", kind, id)}
}

// Conflict reports a write that lost a race or would duplicate something.
func Conflict(format string, args ...any) *Error {
	return &Error{Code: CodeConflict, Message: fmt.Sprintf(format, args...)}
}

// Precondition reports an act that is not allowed in the entity's current state.
func Precondition(format string, args ...any) *Error {
	return &Error{Code: CodeFailedPrecondition, Message: fmt.Sprintf(format, args...)}
}

// Forbidden reports an act the caller may not do.
func Forbidden(format string, args ...any) *Error {
	return &Error{Code: CodePermission, Message: fmt.Sprintf(format, args...)}
}

// Unauthenticated reports a missing or unknown token.
func Unauthenticated(msg string) *Error { return &Error{Code: CodeUnauthenticated, Message: msg} }

// TooLarge reports a body or package over a limit.
func TooLarge(format string, args ...any) *Error {
	return &Error{Code: CodeTooLarge, Message: fmt.Sprintf(format, args...)}
}

// Unavailable reports a dependency that cannot answer now (store, membership, a remote repo).
func Unavailable(err error, format string, args ...any) *Error {
	return &Error{Code: CodeUnavailable, Message: fmt.Sprintf(format, args...), Err: err}
}

// Internal wraps an unexpected failure.
func Internal(err error, format string, args ...any) *Error {
	return &Error{Code: CodeInternal, Message: fmt.Sprintf(format, args...), Err: err}
}
