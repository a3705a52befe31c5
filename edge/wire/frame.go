package wire

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"

	"github.com/pitrix/pitrix/edge/edgepb"
	"google.golang.org/protobuf/proto"
)

// A frame is a 4-byte big-endian length followed by that many bytes of marshaled Envelope.
const headerLen = 4

// maxTypeLen bounds Envelope.type; real names are far shorter.
const maxTypeLen = 256

// readFrame reads one frame body from r, refusing bodies over max before reading them.
func readFrame(r io.Reader, max int) ([]byte, error) {
	var hdr [headerLen]byte
	if _, err := io.ReadFull(r, hdr[:]); err != nil {
		if errors.Is(err, io.ErrUnexpectedEOF) {
			return nil, fmt.Errorf("%w: truncated header", ErrMalformed)
		}
		return nil, err
	}
	n := binary.BigEndian.Uint32(hdr[:])
	if uint64(n) > uint64(max) {
		return nil, fmt.Errorf("%w: %d bytes, limit %d", ErrFrameTooLarge, n, max)
	}
	body := make([]byte, n)
	if _, err := io.ReadFull(r, body); err != nil {
		if errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("%w: truncated body (%d bytes announced)", ErrMalformed, n)
		}
		return nil, err
	}
	return body, nil
}

// decodeEnvelope unmarshals and checks a frame body. It does not look at the payload.
func decodeEnvelope(body []byte) (*edgepb.Envelope, error) {
	env := &edgepb.Envelope{}
	if err := proto.Unmarshal(body, env); err != nil {
		return nil, fmt.Errorf("%w: envelope: %w", ErrMalformed, err)
	}
	if len(env.Type) > maxTypeLen {
		return nil, fmt.Errorf("%w: type name of %d bytes", ErrMalformed, len(env.Type))
	}
	switch {
	case env.ReplyTo != 0 && env.ErrorCode != "":
		// An error reply: code and message only.
	case env.ReplyTo != 0:
		if env.Type == "" {
			return nil, fmt.Errorf("%w: reply to %d without type", ErrMalformed, env.ReplyTo)
		}
	default:
		if env.Type == "" {
			return nil, fmt.Errorf("%w: message %d without type", ErrMalformed, env.Id)
		}
		if env.ErrorCode != "" {
			return nil, fmt.Errorf("%w: error code on a message that is not a reply", ErrMalformed)
		}
	}
	return env, nil
}

// appendFrame appends env as one frame to dst, refusing bodies over max.
func appendFrame(dst []byte, env *edgepb.Envelope, max int) ([]byte, error) {
	size := proto.Size(env)
	if size > max {
		return nil, fmt.Errorf("%w: %s of %d bytes, limit %d", ErrFrameTooLarge, env.Type, size, max)
	}
	dst = binary.BigEndian.AppendUint32(dst, uint32(size))
	out, err := proto.MarshalOptions{UseCachedSize: true}.MarshalAppend(dst, env)
	if err != nil {
		return nil, fmt.Errorf("wire: marshal envelope %s: %w", env.Type, err)
	}
	return out, nil
}
