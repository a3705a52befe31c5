// Package edgepb holds the protobuf messages of the edge protocol (edge.proto): the Envelope
// that frames every message on an edge stream, and the messages exchanged between control-plane
// nodes, Frontgates and Drones (Hello, Ping/Pong, RunCommand/CommandResult, PutMetadata,
// DeleteMetadata, SelfView, Health, Ack).
//
// The Go code is generated; edit edge.proto and regenerate from the repository root with
//
//	protoc --plugin=protoc-gen-go=$(go env GOPATH)/bin/protoc-gen-go --go_out=. \
//	  --go_opt=paths=source_relative edge/edgepb/edge.proto
//
// The package owns only the schema. Framing, correlation and type checking are edge/wire's;
// what each message means to a Frontgate or a Drone is theirs. Field numbers are never reused:
// remove a field by reserving its number.
package edgepb
