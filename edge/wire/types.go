package wire

import (
	"fmt"

	"github.com/pitrix/pitrix/edge/edgepb"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"

	// The well-known types accepted on the wire, linked so the registry knows them.
	_ "google.golang.org/protobuf/types/known/anypb"
	_ "google.golang.org/protobuf/types/known/durationpb"
	_ "google.golang.org/protobuf/types/known/emptypb"
	_ "google.golang.org/protobuf/types/known/fieldmaskpb"
	_ "google.golang.org/protobuf/types/known/structpb"
	_ "google.golang.org/protobuf/types/known/timestamppb"
	_ "google.golang.org/protobuf/types/known/wrapperspb"
)

// wellKnown lists the google.protobuf messages accepted as payloads. Other google.protobuf
// messages are registered too (descriptors), but are not part of any protocol.
var wellKnown = map[protoreflect.FullName]bool{
	"google.protobuf.Any": true, "google.protobuf.Duration": true, "google.protobuf.Empty": true,
	"google.protobuf.FieldMask": true, "google.protobuf.Struct": true, "google.protobuf.Value": true,
	"google.protobuf.ListValue": true, "google.protobuf.Timestamp": true,
	"google.protobuf.DoubleValue": true, "google.protobuf.FloatValue": true,
	"google.protobuf.Int64Value": true, "google.protobuf.UInt64Value": true,
	"google.protobuf.Int32Value": true, "google.protobuf.UInt32Value": true,
	"google.protobuf.BoolValue": true, "google.protobuf.StringValue": true,
	"google.protobuf.BytesValue": true,
}

const envelopeName = protoreflect.FullName("pitrix.edge.Envelope")

// accepted reports whether a message type may travel as a payload: a message of edgepb's file
// (except Envelope itself) or a well-known type.
func accepted(d protoreflect.MessageDescriptor) bool {
	if d.FullName() == envelopeName {
		return false
	}
	if d.ParentFile().Path() == edgepb.File_edge_edgepb_edge_proto.Path() {
		return true
	}
	return wellKnown[d.FullName()]
}

// resolve finds the Go type of an accepted payload type name.
func resolve(name string) (protoreflect.MessageType, error) {
	fn := protoreflect.FullName(name)
	if !fn.IsValid() {
		return nil, fmt.Errorf("%w: %q", ErrUnknownType, name)
	}
	mt, err := protoregistry.GlobalTypes.FindMessageByName(fn)
	if err != nil || !accepted(mt.Descriptor()) {
		return nil, fmt.Errorf("%w: %q", ErrUnknownType, name)
	}
	return mt, nil
}

// decodePayload decodes a payload by its type name.
func decodePayload(name string, b []byte) (proto.Message, error) {
	mt, err := resolve(name)
	if err != nil {
		return nil, err
	}
	msg := mt.New().Interface()
	if err := proto.Unmarshal(b, msg); err != nil {
		return nil, fmt.Errorf("%w: %s: %w", errBadPayload, name, err)
	}
	return msg, nil
}

// encodePayload checks that msg may travel and marshals it.
func encodePayload(msg proto.Message) (string, []byte, error) {
	if msg == nil {
		return "", nil, fmt.Errorf("%w: nil message", ErrUnknownType)
	}
	d := msg.ProtoReflect().Descriptor()
	if !accepted(d) {
		return "", nil, fmt.Errorf("%w: %q", ErrUnknownType, d.FullName())
	}
	b, err := proto.Marshal(msg)
	if err != nil {
		return "", nil, fmt.Errorf("wire: marshal %s: %w", d.FullName(), err)
	}
	return string(d.FullName()), b, nil
}

// typeName is the wire name of a message, for errors and logs.
func typeName(msg proto.Message) string {
	if msg == nil {
		return "<nil>"
	}
	return string(msg.ProtoReflect().Descriptor().FullName())
}

// mustMarshalNonce encodes a message whose only field is a uint64 at field number num (Ping
// and Pong) without reflection; it cannot fail.
func mustMarshalNonce(num protowire.Number, v uint64) []byte {
	if v == 0 {
		return nil
	}
	b := protowire.AppendTag(nil, num, protowire.VarintType)
	return protowire.AppendVarint(b, v)
}

// decodePayloadInto unmarshals b into msg.
func decodePayloadInto(b []byte, msg proto.Message) (proto.Message, error) {
	if err := proto.Unmarshal(b, msg); err != nil {
		return nil, fmt.Errorf("%w: %s: %w", errBadPayload, typeName(msg), err)
	}
	return msg, nil
}
