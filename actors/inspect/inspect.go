package inspect

import "time"

// NodeInfo is one control-plane member.
type NodeInfo struct {
	ID      string `json:"id"`
	Name    string `json:"name"`
	Address string `json:"address"`
	Gossip  string `json:"gossip_address"`
	Status  string `json:"status"`
	// RaftRole is leader, follower or candidate as the node says, or none when it is not in
	// the replicated log's configuration; RaftError says why its figures are missing.
	RaftRole     string `json:"raft_role"`
	RaftVoter    bool   `json:"raft_voter"`
	RaftAddress  string `json:"raft_address,omitempty"`
	Term         uint64 `json:"raft_term"`
	CommitIndex  uint64 `json:"raft_commit_index"`
	AppliedIndex uint64 `json:"raft_applied_index"`
	RaftError    string `json:"raft_error,omitempty"`
	Actors       int    `json:"actors"`
	Self         bool   `json:"self"`
}

// RaftInfo is one server of the replicated log as it reports itself.
type RaftInfo struct {
	Address, Role, Err              string
	Voter                           bool
	Term, CommitIndex, AppliedIndex uint64
}

// ActorInfo is one live activation.
type ActorInfo struct {
	Kind          string    `json:"kind"`
	ID            string    `json:"id"`
	Node          string    `json:"node"`
	NodeName      string    `json:"node_name"`
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
	Node      string    `json:"node"`                // the control-plane node holding its stream (its id)
	NodeName  string    `json:"node_name,omitempty"` // that node's name, while it is a member
	Connected bool      `json:"connected"`
	LastSeen  time.Time `json:"last_seen"`
	Drones    []string  `json:"drones"`
}
