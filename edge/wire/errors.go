package wire

import (
	"context"
	"errors"
)

var (
	// ErrBadConfig reports a Config that cannot work.
	ErrBadConfig = errors.New("wire: bad config")
	// ErrClosed reports a session closed by this side.
	ErrClosed = errors.New("wire: session closed")
	// ErrConnLost reports a session whose connection ended or failed (the peer closed it, a
	// reset, a write error).
	ErrConnLost = errors.New("wire: connection lost")
	// ErrPeerSilent reports a peer from which nothing arrived within Config.PingTimeout.
	ErrPeerSilent = errors.New("wire: peer silent")
	// ErrFrameTooLarge reports a frame over Config.MaxFrame, incoming (the session closes) or
	// outgoing (the call fails).
	ErrFrameTooLarge = errors.New("wire: frame too large")
	// ErrMalformed reports bytes that are not a valid frame or Envelope; the session closes.
	ErrMalformed = errors.New("wire: malformed frame")
	// ErrUnknownType reports a payload type that is not registered or not accepted on the wire
	// (only edgepb messages and the protobuf well-known types are).
	ErrUnknownType = errors.New("wire: unknown message type")
	// ErrHandshake reports a peer refused during Dial or Serve: bad Hello, identity mismatch,
	// wrong certificate kind, protocol mismatch.
	ErrHandshake = errors.New("wire: handshake refused")
	// ErrStopped reports a Redialer whose Run has returned.
	ErrStopped = errors.New("wire: redialer stopped")
)

// Error codes carried in Envelope.error_code.
const (
	CodeUnknownType = "unknown_type"      // the payload type is not accepted
	CodeBadPayload  = "bad_payload"       // the payload does not decode as its type
	CodeUnexpected  = "unexpected"        // a message not valid at this point (a late Hello)
	CodeHandler     = "handler_error"     // the handler failed
	CodeInternal    = "internal"          // the handler panicked or its reply could not be sent
	CodeCanceled    = "canceled"          // the handler gave up: the session is closing
	CodeDeadline    = "deadline_exceeded" // the handler ran out of time
	CodeRejected    = "rejected"          // the accepting side refused the stream
	CodeProtocol    = "protocol_mismatch" // the Hello announced another protocol version
)

// RemoteError is an error reply from the peer. A Handler may return one to choose the code
// its caller sees; any other error is sent as CodeHandler with the error's text.
type RemoteError struct {
	Peer    string // who replied (filled in on the receiving side)
	Code    string
	Message string
}

func (e *RemoteError) Error() string {
	s := "wire: "
	if e.Peer != "" {
		s += e.Peer + " replied "
	}
	s += e.Code
	if e.Message != "" {
		s += ": " + e.Message
	}
	return s
}

// SessionError is why a session ended; Session.Err returns one. It names the peer.
type SessionError struct {
	Peer string
	Err  error
}

func (e *SessionError) Error() string { return "wire: session with " + e.Peer + ": " + e.Err.Error() }
func (e *SessionError) Unwrap() error { return e.Err }

// remoteCode picks the code and message sent for a handler error.
func remoteCode(err error) (code, msg string) {
	var re *RemoteError
	switch {
	case errors.As(err, &re):
		return re.Code, re.Message
	case errors.Is(err, context.Canceled):
		return CodeCanceled, err.Error()
	case errors.Is(err, context.DeadlineExceeded):
		return CodeDeadline, err.Error()
	default:
		return CodeHandler, err.Error()
	}
}

// errBadPayload marks a payload that does not decode as its announced type.
var errBadPayload = errors.New("wire: bad payload")
