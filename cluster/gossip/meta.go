package gossip

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/hashicorp/memberlist"
)

// metaVersion is the version of the Meta encoding. Decoders refuse other
// versions, so a change of layout must bump it.
const metaVersion = 1

// Limits on decoded metadata. They keep a hostile or corrupt peer from
// handing us huge kind lists, and they keep an encoded Meta well inside
// memberlist's MetaMaxSize (512 bytes).
const (
	maxHostLen  = 253
	maxNameLen  = 128
	maxKindLen  = 128
	maxKinds    = 32
	maxMetaSize = memberlist.MetaMaxSize
)

// ErrBadMeta is wrapped by every error DecodeMeta and EncodeMeta return.
var ErrBadMeta = errors.New("gossip: bad member metadata")

// Meta is what a member tells its peers about itself through memberlist's
// node metadata: where its protoactor remote listens and which actor kinds
// it hosts. It is gossiped with every alive message, so it stays small.
type Meta struct {
	// Name is the human label of the node (not its identity; the memberlist
	// node name is the actor system ID).
	Name string
	// Host and Port are the advertised protoactor remote address.
	Host string
	Port int
	// Kinds are the actor kinds the member hosts.
	Kinds []string
	// Leaving is set by a member that is shutting down gracefully, just
	// before it leaves, so peers can tell "left" from "dead".
	Leaving bool
}

// wireMeta is the compact JSON form of Meta. Short keys keep it small.
type wireMeta struct {
	V int      `json:"v"`
	N string   `json:"n,omitempty"`
	H string   `json:"h"`
	P int      `json:"p"`
	K []string `json:"k,omitempty"`
	L bool     `json:"l,omitempty"`
}

// EncodeMeta returns the wire form of m. It fails if m would not pass
// DecodeMeta or does not fit in memberlist's metadata limit.
func EncodeMeta(m Meta) ([]byte, error) {
	if err := m.validate(); err != nil {
		return nil, err
	}
	b, err := json.Marshal(wireMeta{V: metaVersion, N: m.Name, H: m.Host, P: m.Port, K: m.Kinds, L: m.Leaving})
	if err != nil {
		return nil, fmt.Errorf("%w: encode: %w", ErrBadMeta, err)
	}
	if len(b) > maxMetaSize {
		return nil, fmt.Errorf("%w: %d bytes, limit %d", ErrBadMeta, len(b), maxMetaSize)
	}
	return b, nil
}

// DecodeMeta parses metadata received from a peer. The bytes come from the
// network, so every field is checked; unknown JSON fields are rejected.
func DecodeMeta(b []byte) (Meta, error) {
	if len(b) == 0 {
		return Meta{}, fmt.Errorf("%w: empty", ErrBadMeta)
	}
	if len(b) > maxMetaSize {
		return Meta{}, fmt.Errorf("%w: %d bytes, limit %d", ErrBadMeta, len(b), maxMetaSize)
	}
	var w wireMeta
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&w); err != nil {
		return Meta{}, fmt.Errorf("%w: %w", ErrBadMeta, err)
	}
	if dec.More() {
		return Meta{}, fmt.Errorf("%w: trailing data", ErrBadMeta)
	}
	if w.V != metaVersion {
		return Meta{}, fmt.Errorf("%w: version %d, want %d", ErrBadMeta, w.V, metaVersion)
	}
	m := Meta{Name: w.N, Host: w.H, Port: w.P, Kinds: w.K, Leaving: w.L}
	if err := m.validate(); err != nil {
		return Meta{}, err
	}
	return m, nil
}

func (m Meta) validate() error {
	switch {
	case m.Host == "":
		return fmt.Errorf("%w: empty host", ErrBadMeta)
	case len(m.Host) > maxHostLen:
		return fmt.Errorf("%w: host longer than %d bytes", ErrBadMeta, maxHostLen)
	case m.Port < 1 || m.Port > 65535:
		return fmt.Errorf("%w: port %d out of range", ErrBadMeta, m.Port)
	case len(m.Name) > maxNameLen:
		return fmt.Errorf("%w: name longer than %d bytes", ErrBadMeta, maxNameLen)
	case len(m.Kinds) > maxKinds:
		return fmt.Errorf("%w: %d kinds, limit %d", ErrBadMeta, len(m.Kinds), maxKinds)
	}
	for _, k := range m.Kinds {
		if k == "" || len(k) > maxKindLen {
			return fmt.Errorf("%w: kind %q: empty or longer than %d bytes", ErrBadMeta, k, maxKindLen)
		}
	}
	return nil
}
