package pki

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
)

// Kind says what holds a certificate.
type Kind string

// The kinds of certificate holders.
const (
	KindServer    Kind = "server"    // a control-plane node
	KindFrontgate Kind = "frontgate" // the edge proxy of a VPC
	KindDrone     Kind = "drone"     // the agent on an instance
)

// URIScheme is the scheme of identity URI SANs.
const URIScheme = "pitrix"

// maxIDLen bounds an identity id; it ends up in logs, metrics labels and store keys.
const maxIDLen = 128

var (
	// ErrBadIdentity reports an identity (kind, id or URI) that is not well formed.
	ErrBadIdentity = errors.New("pki: bad identity")
	// ErrNoIdentity reports a TLS peer without a verified certificate carrying an identity URI.
	ErrNoIdentity = errors.New("pki: no verified peer identity")
	// ErrWrongKind reports a peer whose certificate kind is not one the caller accepts.
	ErrWrongKind = errors.New("pki: wrong peer kind")
)

// Identity is who holds a certificate: its kind and id.
type Identity struct {
	Kind Kind
	ID   string
}

// String returns "kind/id".
func (id Identity) String() string { return string(id.Kind) + "/" + id.ID }

// URI returns the identity as the URI SAN put in certificates: pitrix://kind/id.
func (id Identity) URI() *url.URL {
	return &url.URL{Scheme: URIScheme, Host: string(id.Kind), Path: "/" + id.ID}
}

// Validate reports whether the kind is known and the id well formed.
func (id Identity) Validate() error {
	if !id.Kind.valid() {
		return fmt.Errorf("%w: unknown kind %q", ErrBadIdentity, id.Kind)
	}
	if !validID(id.ID) {
		return fmt.Errorf("%w: id %q must match [A-Za-z0-9][A-Za-z0-9._-]{0,127}", ErrBadIdentity, id.ID)
	}
	return nil
}

// Require returns nil when the identity's kind is one of kinds, and an error wrapping
// ErrWrongKind naming the identity otherwise. An empty kinds list accepts nothing.
func (id Identity) Require(kinds ...Kind) error {
	if slices.Contains(kinds, id.Kind) {
		return nil
	}
	return fmt.Errorf("%w: %s is not one of %v", ErrWrongKind, id, kinds)
}

func (k Kind) valid() bool {
	return k == KindServer || k == KindFrontgate || k == KindDrone
}

func validID(s string) bool {
	if s == "" || len(s) > maxIDLen {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		case i > 0 && (c == '.' || c == '_' || c == '-'):
		default:
			return false
		}
	}
	return true
}

// ParseIdentityURI reads an identity from a URI SAN of the form pitrix://kind/id.
func ParseIdentityURI(u *url.URL) (Identity, error) {
	if u == nil || u.Scheme != URIScheme {
		return Identity{}, fmt.Errorf("%w: not a %s URI", ErrBadIdentity, URIScheme)
	}
	if u.User != nil || u.RawQuery != "" || u.Fragment != "" || u.Opaque != "" || u.Port() != "" {
		return Identity{}, fmt.Errorf("%w: URI %q has extra parts", ErrBadIdentity, u.String())
	}
	id := Identity{Kind: Kind(u.Host), ID: strings.TrimPrefix(u.Path, "/")}
	if !strings.HasPrefix(u.Path, "/") {
		return Identity{}, fmt.Errorf("%w: URI %q has no id", ErrBadIdentity, u.String())
	}
	if err := id.Validate(); err != nil {
		return Identity{}, err
	}
	return id, nil
}

// CertIdentity reads the identity of a certificate: its one pitrix URI SAN. A certificate
// with none, or with more than one, has no identity.
func CertIdentity(cert *x509.Certificate) (Identity, error) {
	var found []*url.URL
	for _, u := range cert.URIs {
		if u.Scheme == URIScheme {
			found = append(found, u)
		}
	}
	switch len(found) {
	case 0:
		return Identity{}, fmt.Errorf("%w: certificate %q has no %s URI SAN", ErrNoIdentity, cert.Subject.CommonName, URIScheme)
	case 1:
		id, err := ParseIdentityURI(found[0])
		if err != nil {
			return Identity{}, fmt.Errorf("certificate %q: %w", cert.Subject.CommonName, err)
		}
		return id, nil
	default:
		return Identity{}, fmt.Errorf("%w: certificate %q has %d %s URI SANs", ErrNoIdentity, cert.Subject.CommonName, len(found), URIScheme)
	}
}

// PeerIdentity reads the identity of the peer of a TLS connection from its verified leaf
// certificate. It fails when the handshake did not verify a chain (no client certificate, or a
// config that skips verification): an unverified certificate proves nothing.
func PeerIdentity(cs tls.ConnectionState) (Identity, error) {
	if len(cs.VerifiedChains) == 0 || len(cs.VerifiedChains[0]) == 0 {
		return Identity{}, fmt.Errorf("%w: peer certificate not verified", ErrNoIdentity)
	}
	return CertIdentity(cs.VerifiedChains[0][0])
}
