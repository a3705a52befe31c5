// Package actorpb holds the protobuf messages of the control plane's virtual actors (generated
// from actor.proto by `make proto`; the generated file is committed). It has no behaviour.
package actorpb
