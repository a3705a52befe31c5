package source

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"syscall"

	"github.com/pitrix/pitrix/internal/netguard"
)

// FetchError says what could not be read, where, and why. Its message reads
// "get https://charts.example.com/index.yaml: HTTP 404 Not Found" or
// "get https://127.0.0.1:1/index.yaml: connection refused (dial tcp ...)".
type FetchError struct {
	Op     string // "get" or "open"
	Where  string // the URL (userinfo redacted) or file path
	Cause  string // a short, human cause
	Status int    // HTTP status, 0 when none
	Kind   error  // ErrNotFound, ErrUnauthorized, ErrTooLarge, ErrUnavailable, ...
	Err    error  // the underlying error, if any
}

func (e *FetchError) Error() string {
	msg := e.Op + " " + e.Where + ": " + e.Cause
	if e.Err != nil {
		msg += " (" + e.Err.Error() + ")"
	}
	return msg
}

// Unwrap returns the kind and the underlying error.
func (e *FetchError) Unwrap() []error {
	errs := []error{e.Kind}
	if e.Err != nil {
		errs = append(errs, e.Err)
	}
	return errs
}

// requestErr classifies an error from http.Client.Do or from reading a body.
func requestErr(op, where string, err error) error {
	var fe *FetchError
	if errors.As(err, &fe) {
		return err
	}
	if ue, ok := err.(*url.Error); ok {
		err = ue.Err // its text repeats the URL
	}
	cause, kind := describe(err)
	if kind == ErrRefused {
		err = nil // the cause already is the refusal's whole message
	}
	return &FetchError{Op: op, Where: where, Cause: cause, Kind: kind, Err: err}
}

func describe(err error) (string, error) {
	var (
		dnsErr   *net.DNSError
		certErr  *tls.CertificateVerificationError
		unknown  x509.UnknownAuthorityError
		hostErr  x509.HostnameError
		invalid  x509.CertificateInvalidError
		recErr   tls.RecordHeaderError
		netErr   net.Error
		opErr    *net.OpError
		refused  *netguard.RefusedError
		tooLarge = errors.Is(err, ErrTooLarge)
	)
	switch {
	case tooLarge:
		return "too large", ErrTooLarge
	case errors.As(err, &refused):
		return refused.Error(), ErrRefused
	case errors.Is(err, context.Canceled):
		return "canceled", ErrUnavailable
	case errors.Is(err, context.DeadlineExceeded):
		return "timed out", ErrUnavailable
	case errors.As(err, &dnsErr):
		if dnsErr.IsNotFound {
			return fmt.Sprintf("host %q not found (DNS)", dnsErr.Name), ErrUnavailable
		}
		return fmt.Sprintf("DNS lookup of %q failed", dnsErr.Name), ErrUnavailable
	case errors.Is(err, syscall.ECONNREFUSED):
		return "connection refused", ErrUnavailable
	case errors.Is(err, syscall.ECONNRESET):
		return "connection reset", ErrUnavailable
	case errors.As(err, &certErr), errors.As(err, &unknown), errors.As(err, &hostErr), errors.As(err, &invalid):
		return "TLS certificate not trusted", ErrUnavailable
	case errors.As(err, &recErr):
		return "server does not speak TLS", ErrUnavailable
	case errors.As(err, &netErr) && netErr.Timeout():
		return "timed out", ErrUnavailable
	case errors.As(err, &opErr):
		return "network error", ErrUnavailable
	}
	return "request failed", ErrUnavailable
}

// statusErr describes an unexpected HTTP status.
func statusErr(where string, code int, withCredential bool) error {
	e := &FetchError{Op: "get", Where: where, Status: code, Cause: fmt.Sprintf("HTTP %d %s", code, http.StatusText(code))}
	switch code {
	case http.StatusNotFound, http.StatusGone:
		e.Kind = ErrNotFound
	case http.StatusUnauthorized, http.StatusForbidden:
		e.Kind = ErrUnauthorized
		if withCredential {
			e.Cause += ": credentials rejected"
		} else {
			e.Cause += ": credentials required"
		}
	case http.StatusRequestEntityTooLarge:
		e.Kind = ErrTooLarge
	default:
		e.Kind = ErrUnavailable
	}
	return e
}
