package trust

import (
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
)

// tokenPrefix marks a Pitrix join token and its format version.
const tokenPrefix = "ptx1."

// ErrBadToken is wrapped by every error about a malformed join token.
var ErrBadToken = errors.New("trust: bad join token")

// Secret is the cluster's secret, carried by its join token.
type Secret struct{ b [32]byte }

// NewSecret makes a random one.
func NewSecret() (Secret, error) {
	var s Secret
	if _, err := rand.Read(s.b[:]); err != nil {
		return s, fmt.Errorf("trust: make secret: %w", err)
	}
	return s, nil
}

// Token is the secret as a join token.
func (s Secret) Token() string { return tokenPrefix + base64.RawURLEncoding.EncodeToString(s.b[:]) }

// ParseToken reads a join token; the error does not echo it.
func ParseToken(tok string) (Secret, error) {
	var s Secret
	tok = strings.TrimSpace(tok)
	if !strings.HasPrefix(tok, tokenPrefix) {
		return s, fmt.Errorf("%w: it does not start with %q (make one by starting a first node; it writes <data-dir>/join.token)", ErrBadToken, tokenPrefix)
	}
	b, err := base64.RawURLEncoding.DecodeString(tok[len(tokenPrefix):])
	if err != nil || len(b) != len(s.b) {
		return s, fmt.Errorf("%w: its body is not %d bytes of base64url", ErrBadToken, len(s.b))
	}
	copy(s.b[:], b)
	return s, nil
}

// derive returns n bytes for one purpose.
func (s Secret) derive(label string, n int) []byte {
	k, err := hkdf.Key(sha256.New, s.b[:], []byte("pitrix"), "pitrix/"+label, n)
	if err != nil {
		panic(fmt.Sprintf("trust: hkdf %s: %v", label, err)) // only for n out of range
	}
	return k
}

// ClusterID names the cluster without revealing the secret; a data dir records it so that a
// node cannot start on another cluster's data.
func (s Secret) ClusterID() string { return hex.EncodeToString(s.derive("cluster-id", 8)) }

// GossipKey is memberlist's 32-byte encryption key (AES-256-GCM).
func (s Secret) GossipKey() []byte { return s.derive("gossip", 32) }

// WrapKey is the 32-byte key that seals cluster secrets (the credential sealing key, the
// edge CA key) where they are stored in the replicated store.
func (s Secret) WrapKey() []byte { return s.derive("wrap", 32) }
