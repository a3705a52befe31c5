package inspect

import "time"

// NodeInfo is one control-plane member.
type NodeInfo struct {
	ID       string `json:"id"`
	Address  string `json:"address"`
	Gossip   string `json:"gossip_address"`
	Status   string `json:"status"`
	RaftRole string `json:"raft_role"`
	Actors   int    `json:"actors"`
	Self     bool   `json:"self"`
}

// ActorInfo is one live activation.
type ActorInfo struct {
	Kind          string    `json:"kind"`
	ID            string    `json:"id"`
	Node          string    `json:"node"`
	ActivatedAt   time.Time `json:"activated_at"`
	MailboxLen    int       `json:"mailbox_len"`
	LastMessageAt time.Time `json:"last_message_at"`
	Messages      uint64    `json:"messages"`
}

// FrontgateInfo is one Frontgate as the control plane sees it.
type FrontgateInfo struct {
	ID        string    `json:"id"`
	VPC       string    `json:"vpc"`
	RuntimeID string    `json:"runtime_id"`
	Node      string    `json:"node"` // the control-plane node holding its stream
	Connected bool      `json:"connected"`
	LastSeen  time.Time `json:"last_seen"`
	Drones    []string  `json:"drones"`
}
