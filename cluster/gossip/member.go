package gossip

import (
	"cmp"
	"fmt"
	"net"
	"slices"
	"strconv"
	"time"

	"github.com/asynkron/protoactor-go/cluster"
)

// State is a member's liveness as this node last saw it.
type State int

// Member states. Only Alive and Suspect members are placed in the protoactor
// topology; Dead and Left members are kept for a while for inspection.
const (
	// Alive: memberlist reports the member up.
	Alive State = iota
	// Suspect: our own probes of the member failed and memberlist is waiting
	// for it to refute before declaring it dead. It stays in the topology:
	// protoactor blocks a removed member for good, so a false suspicion
	// must not evict it.
	Suspect
	// Dead: memberlist declared the member failed.
	Dead
	// Left: the member announced that it was leaving and then left.
	Left
)

var stateNames = [...]string{Alive: "alive", Suspect: "suspect", Dead: "dead", Left: "left"}

// String returns "alive", "suspect", "dead" or "left".
func (s State) String() string {
	if s >= 0 && int(s) < len(stateNames) {
		return stateNames[s]
	}
	return "state(" + strconv.Itoa(int(s)) + ")"
}

// MarshalText encodes the state as its name, so JSON shows "alive".
func (s State) MarshalText() ([]byte, error) {
	if s < 0 || int(s) >= len(stateNames) {
		return nil, fmt.Errorf("gossip: unknown state %d", int(s))
	}
	return []byte(stateNames[s]), nil
}

// placed reports whether members in this state belong in the topology.
func (s State) placed() bool { return s == Alive || s == Suspect }

// Member is one control-plane member as seen by this node.
type Member struct {
	// ID is the memberlist node name, which is the protoactor actor system ID.
	ID string
	// Name is the member's human label (Meta.Name).
	Name string
	// Host and Port are the member's protoactor remote address; empty and
	// zero when its metadata could not be decoded.
	Host string
	Port int
	// GossipAddr is the member's memberlist address, "host:port".
	GossipAddr string
	// Kinds are the actor kinds the member hosts.
	Kinds []string
	State State
	// Self is true for the local member.
	Self bool
	// Since is when this node saw the member enter State.
	Since time.Time
	// MetaErr is set when the member's metadata did not decode; such a
	// member is never placed.
	MetaErr error
}

// Address returns the member's protoactor remote address, "host:port".
func (m Member) Address() string {
	if m.Host == "" {
		return ""
	}
	return net.JoinHostPort(m.Host, strconv.Itoa(m.Port))
}

// maxDeparted bounds how many dead or left members a table remembers.
const maxDeparted = 64

// table is the membership as the event delegate reports it. It is pure
// bookkeeping: no locks and no network, callers serialise access.
type table struct {
	self    string
	members map[string]*Member
}

func newTable(self string) *table {
	return &table{self: self, members: make(map[string]*Member)}
}

// upsert records a join or a metadata update of a member. A member whose
// metadata says it is leaving is recorded as Left at once, so it leaves the
// topology before it stops serving.
func (t *table) upsert(id, gossipAddr string, rawMeta []byte, now time.Time) {
	meta, err := DecodeMeta(rawMeta)
	m := &Member{ID: id, GossipAddr: gossipAddr, Self: id == t.self, MetaErr: err}
	if err == nil {
		m.Name, m.Host, m.Port, m.Kinds = meta.Name, meta.Host, meta.Port, slices.Clone(meta.Kinds)
	}
	state := Alive
	if err == nil && meta.Leaving {
		state = Left
	}
	old := t.members[id]
	m.State, m.Since = state, now
	if old != nil && old.State == state {
		m.Since = old.Since
	}
	t.members[id] = m
	t.prune()
}

// leave records memberlist's notice that a member is gone: Left if it had
// announced leaving, Dead otherwise.
func (t *table) leave(id, gossipAddr string, now time.Time) {
	m := t.members[id]
	if m == nil {
		m = &Member{ID: id, GossipAddr: gossipAddr, Self: id == t.self}
		t.members[id] = m
	}
	if m.State != Left {
		m.State, m.Since = Dead, now
	}
	t.prune()
}

// suspect marks an alive member suspect. It reports whether anything changed.
func (t *table) suspect(id string, now time.Time) bool {
	m := t.members[id]
	if m == nil || m.State != Alive {
		return false
	}
	m.State, m.Since = Suspect, now
	return true
}

// acked marks a suspect member alive again after a successful probe.
func (t *table) acked(id string, now time.Time) bool {
	m := t.members[id]
	if m == nil || m.State != Suspect {
		return false
	}
	m.State, m.Since = Alive, now
	return true
}

// prune drops the oldest departed members beyond maxDeparted.
func (t *table) prune() {
	var departed []*Member
	for _, m := range t.members {
		if !m.State.placed() {
			departed = append(departed, m)
		}
	}
	if len(departed) <= maxDeparted {
		return
	}
	slices.SortFunc(departed, func(a, b *Member) int { return a.Since.Compare(b.Since) })
	for _, m := range departed[:len(departed)-maxDeparted] {
		delete(t.members, m.ID)
	}
}

// list returns a copy of every member, sorted by ID.
func (t *table) list() []Member {
	out := make([]Member, 0, len(t.members))
	for _, m := range t.members {
		c := *m
		c.Kinds = slices.Clone(m.Kinds)
		out = append(out, c)
	}
	slices.SortFunc(out, func(a, b Member) int { return cmp.Compare(a.ID, b.ID) })
	return out
}

// topology returns the members protoactor should place actors on: alive or
// suspect, with valid metadata, sorted by ID. The result is freshly
// allocated and owned by the caller.
func (t *table) topology() cluster.Members {
	out := make(cluster.Members, 0, len(t.members))
	for _, m := range t.list() {
		if !m.State.placed() || m.MetaErr != nil {
			continue
		}
		out = append(out, &cluster.Member{Id: m.ID, Host: m.Host, Port: int32(m.Port), Kinds: m.Kinds})
	}
	return out
}
