package helm

import (
	"context"
	"errors"
	"net"
	"strings"
	"syscall"

	apierrors "k8s.io/apimachinery/pkg/api/errors"

	"github.com/pitrix/pitrix/providers"
)

// permanentText are fragments of Helm errors that carry no type but mean the chart or its
// values are wrong: rendering and manifest-building failures, and objects Helm may not
// adopt. Helm formats these with %s, so string matching is the only way to tell.
var permanentText = []string{
	"parse error",
	"template: ",
	"execution error",
	"YAML parse error",
	"unable to build kubernetes objects",
	"error validating data",
	"chart requires kubeVersion",
	"invalid ownership metadata",
	"exists and cannot be imported",
	" is invalid: ",
	" is forbidden: ",
	"admission webhook",
}

// classify marks err permanent when retrying cannot fix it. Already-permanent errors,
// cancellations and deadlines keep their class.
func classify(err error) error {
	if err == nil || errors.Is(err, providers.ErrPermanent) {
		return err
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	var se apierrors.APIStatus
	if errors.As(err, &se) {
		switch {
		case apierrors.IsUnauthorized(err):
			return providers.Permanent(errors.Join(providers.ErrInvalidCredential, err))
		case apierrors.IsForbidden(err), apierrors.IsInvalid(err), apierrors.IsBadRequest(err),
			apierrors.IsMethodNotSupported(err), apierrors.IsNotAcceptable(err),
			apierrors.IsUnsupportedMediaType(err), apierrors.IsRequestEntityTooLargeError(err):
			return providers.Permanent(err)
		default:
			return err // conflicts, timeouts, throttling, 5xx
		}
	}
	var ne net.Error
	if errors.As(err, &ne) || errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET) {
		return err
	}
	msg := err.Error()
	if strings.Contains(msg, "connection refused") || strings.Contains(msg, "i/o timeout") ||
		strings.Contains(msg, "Operation cannot be fulfilled") || strings.Contains(msg, "another operation") {
		return err
	}
	for _, t := range permanentText {
		if strings.Contains(msg, t) {
			return providers.Permanent(err)
		}
	}
	return err
}
