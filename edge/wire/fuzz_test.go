package wire

import (
	"bytes"
	"encoding/binary"
	"testing"

	"github.com/pitrix/pitrix/edge/edgepb"
	"google.golang.org/protobuf/proto"
)

// FuzzFrame feeds arbitrary bytes to the frame reader, the envelope decoder and the payload
// decoder, as a hostile peer would: they must never panic, and whatever they accept must
// re-encode into a frame that decodes to the same envelope.
func FuzzFrame(f *testing.F) {
	frame := func(env *edgepb.Envelope) []byte {
		b, err := appendFrame(nil, env, DefaultMaxFrame)
		if err != nil {
			f.Fatal(err)
		}
		return b
	}
	payload := func(m proto.Message) []byte { b, _ := proto.Marshal(m); return b }
	f.Add(frame(&edgepb.Envelope{Id: 1, Type: "pitrix.edge.Ping", Payload: payload(&edgepb.Ping{Nonce: 7})}))
	f.Add(frame(&edgepb.Envelope{ReplyTo: 1, ErrorCode: "unknown_type", ErrorMessage: "x"}))
	f.Add(frame(&edgepb.Envelope{Type: "pitrix.edge.RunCommand", Payload: payload(&edgepb.RunCommand{CommandId: "c", Env: map[string]string{"A": "b"}})}))
	f.Add(frame(&edgepb.Envelope{Id: 2, Type: "google.protobuf.Struct", Payload: []byte{0x0a, 0x03, 0x0a, 0x01, 0x61}}))
	f.Add(frame(&edgepb.Envelope{Id: 3, Type: "pitrix.edge.Envelope", Payload: []byte{0x1a, 0x01, 0x78}}))
	f.Add([]byte{0, 0, 0, 0})
	f.Add([]byte{0xff, 0xff, 0xff, 0xff})
	f.Add([]byte{0, 0, 0, 3, 0x1a, 0x05, 'a'})
	f.Add(binary.BigEndian.AppendUint32(nil, 2))
	f.Fuzz(func(t *testing.T, data []byte) {
		r := bytes.NewReader(data)
		for {
			body, err := readFrame(r, 1<<16)
			if err != nil {
				return
			}
			env, err := decodeEnvelope(body)
			if err != nil {
				continue
			}
			if env.ErrorCode == "" {
				_, _ = decodePayload(env.Type, env.Payload)
			}
			again, err := appendFrame(nil, env, DefaultMaxFrame)
			if err != nil {
				t.Fatalf("accepted envelope does not re-encode: %v", err)
			}
			back, err := readFrame(bytes.NewReader(again), DefaultMaxFrame)
			if err != nil {
				t.Fatal(err)
			}
			env2, err := decodeEnvelope(back)
			if err != nil || !proto.Equal(env, env2) {
				t.Fatalf("round trip changed %v into %v (%v)", env, env2, err)
			}
		}
	})
}
