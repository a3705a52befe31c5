package fault

import (
	"errors"

	"github.com/pitrix/pitrix/actors/actorpb"
)

// ToProto turns an error into the fault an actor sends back; nil for nil. The cause of an
// internal error stays on this node (it is logged here), only its message travels.
func ToProto(err error) *actorpb.Fault {
	if err == nil {
		return nil
	}
	var fe *Error
	if errors.As(err, &fe) {
		msg := fe.Message
		if fe.Err != nil && fe.Code != CodeInternal {
			msg += ": " + fe.Err.Error()
		}
		return &actorpb.Fault{Code: fe.Code, Message: msg, Details: fe.Details}
	}
	return &actorpb.Fault{Code: CodeInternal, Message: "internal error"}
}

// FromProto turns a fault received from an actor back into an error; nil for nil.
func FromProto(f *actorpb.Fault) error {
	if f == nil {
		return nil
	}
	return &Error{Code: f.Code, Message: f.Message, Details: f.Details}
}
