package frontgate

import "time"

// KindName is the actor kind of Frontgate sessions.
const KindName = "frontgate"

// Prefix is where session records live.
const Prefix = "fg/"

// Key is the store key of a session.
func Key(id string) string { return Prefix + id }

// Ops of actorpb.FrontgateCommand.
const (
	OpConnected    = "connected"
	OpDisconnected = "disconnected"
	OpRegister     = "register"
	OpGet          = "get"
)

// Session is what the control plane knows of one Frontgate.
type Session struct {
	ID        string `json:"id"`
	VPC       string `json:"vpc"`
	RuntimeID string `json:"runtime_id"`
	Owner     string `json:"owner"`
	// Node and NodeAddress name the control-plane node that holds (or last held) the stream:
	// its id and its actor-system address, where its edge-relay actor listens.
	Node        string    `json:"node"`
	NodeAddress string    `json:"node_address"`
	Connected   bool      `json:"connected"`
	LastSeen    time.Time `json:"last_seen"`
	UpdatedAt   time.Time `json:"updated_at"`
}

// StreamEvent is a node's report that its gateway gained (Connected) or lost a stream.
type StreamEvent struct {
	Node        string    `json:"node"`
	NodeAddress string    `json:"node_address"`
	VPC         string    `json:"vpc"`
	Connected   bool      `json:"connected"`
	At          time.Time `json:"at"`
}

// Placement says which runtime and owner a Frontgate's VPC serves.
type Placement struct {
	VPC       string `json:"vpc"`
	RuntimeID string `json:"runtime_id"`
	Owner     string `json:"owner"`
}
