package pki

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"math/big"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// File names inside a CA directory.
const (
	CertFile = "ca.crt"
	KeyFile  = "ca.key"
)

const (
	caValidity = 10 * 365 * 24 * time.Hour
	// DefaultTTL is the lifetime of a leaf certificate when IssueRequest.TTL is zero.
	DefaultTTL = 24 * time.Hour
	// MaxTTL caps a leaf certificate's lifetime: certificates here are meant to be short-lived.
	MaxTTL = 90 * 24 * time.Hour
	// clockSkew backdates NotBefore so a peer whose clock is a little behind accepts a fresh cert.
	clockSkew = 5 * time.Minute
	maxHosts  = 64
	// creationGrace is how long Open waits for a concurrent creator to link ca.crt after ca.key.
	creationGrace = 2 * time.Second
)

var (
	// ErrBrokenCA reports a CA directory whose files are missing, unreadable or inconsistent.
	ErrBrokenCA = errors.New("pki: broken CA directory")
	// ErrBadRequest reports an IssueRequest that cannot be honoured.
	ErrBadRequest = errors.New("pki: bad issue request")
)

// CA is a certificate authority kept in a directory. It is safe for concurrent use.
type CA struct {
	dir     string
	cert    *x509.Certificate
	certPEM []byte
	key     *ecdsa.PrivateKey
	now     func() time.Time // tests backdate issued certificates through this
}

// IssueRequest asks for a leaf certificate.
type IssueRequest struct {
	// Kind and ID name the holder; they become the URI SAN pitrix://kind/id and the common name.
	Kind Kind
	ID   string
	// Hosts are the addresses the holder serves on: IP literals become IP SANs, other entries
	// DNS SANs. Needed for server and frontgate certificates that clients verify by host.
	Hosts []string
	// TTL is the lifetime; zero means DefaultTTL, more than MaxTTL is refused. The certificate
	// never outlives the CA.
	TTL time.Duration
}

// Open loads the CA kept in dir, creating the directory and a new CA (ECDSA P-256, valid ten
// years) when neither file exists.
func Open(dir string) (*CA, error) {
	if dir == "" {
		return nil, fmt.Errorf("%w: empty directory name", ErrBrokenCA)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("pki: create CA directory %q: %w", dir, err)
	}
	certPath, keyPath := filepath.Join(dir, CertFile), filepath.Join(dir, KeyFile)
	_, certErr := os.Stat(certPath)
	_, keyErr := os.Stat(keyPath)
	if errors.Is(certErr, fs.ErrNotExist) && errors.Is(keyErr, fs.ErrNotExist) {
		if err := create(dir); err != nil && !errors.Is(err, fs.ErrExist) {
			return nil, err
		}
		_, keyErr = os.Stat(keyPath)
		certErr = fs.ErrNotExist
	}
	if keyErr == nil && errors.Is(certErr, fs.ErrNotExist) {
		// The key is linked first, the certificate second: another process (or a lost creation
		// race) may be between the two. Give it a moment before calling the directory broken.
		for deadline := time.Now().Add(creationGrace); ; time.Sleep(10 * time.Millisecond) {
			if _, certErr = os.Stat(certPath); certErr == nil || time.Now().After(deadline) {
				break
			}
		}
	}
	switch {
	case certErr != nil:
		return nil, fmt.Errorf("%w: %q: %w", ErrBrokenCA, certPath, certErr)
	case keyErr != nil:
		return nil, fmt.Errorf("%w: %q: %w", ErrBrokenCA, keyPath, keyErr)
	}
	return load(dir)
}

func load(dir string) (*CA, error) {
	certPath, keyPath := filepath.Join(dir, CertFile), filepath.Join(dir, KeyFile)
	certPEM, err := os.ReadFile(certPath)
	if err != nil {
		return nil, fmt.Errorf("%w: read %q: %w", ErrBrokenCA, certPath, err)
	}
	keyPEM, err := os.ReadFile(keyPath)
	if err != nil {
		return nil, fmt.Errorf("%w: read %q: %w", ErrBrokenCA, keyPath, err)
	}
	cert, err := parseCertPEM(certPEM)
	if err != nil {
		return nil, fmt.Errorf("%w: %q: %w", ErrBrokenCA, certPath, err)
	}
	key, err := parseKeyPEM(keyPEM)
	if err != nil {
		return nil, fmt.Errorf("%w: %q: %w", ErrBrokenCA, keyPath, err)
	}
	if !cert.IsCA || cert.KeyUsage&x509.KeyUsageCertSign == 0 {
		return nil, fmt.Errorf("%w: %q is not a CA certificate", ErrBrokenCA, certPath)
	}
	if !key.PublicKey.Equal(cert.PublicKey) {
		return nil, fmt.Errorf("%w: %q does not match %q", ErrBrokenCA, keyPath, certPath)
	}
	if time.Now().After(cert.NotAfter) {
		return nil, fmt.Errorf("%w: %q expired at %s", ErrBrokenCA, certPath, cert.NotAfter.Format(time.RFC3339))
	}
	return &CA{dir: dir, cert: cert, certPEM: certPEM, key: key, now: time.Now}, nil
}

// create writes a new CA into dir. Each file is written to a temporary name, synced and linked
// into place, so it appears complete or not at all, and a second creator gets fs.ErrExist.
func create(dir string) error {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return fmt.Errorf("pki: generate CA key: %w", err)
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber:          newSerial(),
		Subject:               pkix.Name{CommonName: "pitrix edge CA", Organization: []string{"pitrix"}},
		NotBefore:             now.Add(-clockSkew),
		NotAfter:              now.Add(caValidity),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign | x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
		IsCA:                  true,
		MaxPathLenZero:        true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		return fmt.Errorf("pki: self-sign CA: %w", err)
	}
	keyPEM, err := encodeKeyPEM(key)
	if err != nil {
		return err
	}
	if err := writeExclusive(filepath.Join(dir, KeyFile), keyPEM); err != nil {
		return err
	}
	return writeExclusive(filepath.Join(dir, CertFile), pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))
}

func writeExclusive(path string, data []byte) error {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("pki: write %q: %w", path, err)
	}
	tmp := f.Name()
	defer os.Remove(tmp)
	if err := f.Chmod(0o600); err != nil {
		f.Close()
		return fmt.Errorf("pki: write %q: %w", path, err)
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return fmt.Errorf("pki: write %q: %w", path, err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("pki: sync %q: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("pki: write %q: %w", path, err)
	}
	if err := os.Link(tmp, path); err != nil {
		return fmt.Errorf("pki: install %q: %w", path, err)
	}
	return nil
}

// Dir returns the directory the CA is kept in.
func (c *CA) Dir() string { return c.dir }

// CertPEM returns the CA certificate in PEM form, the trust anchor handed to every party.
func (c *CA) CertPEM() []byte { return bytes.Clone(c.certPEM) }

// Certificate returns the CA certificate. The caller must not modify it.
func (c *CA) Certificate() *x509.Certificate { return c.cert }

// Issue creates a key pair and a leaf certificate for req, signed by the CA, and returns both
// in PEM form (the key as PKCS#8). Server and Frontgate certificates may authenticate both
// ends of a TLS connection (a Frontgate serves its Drones and dials the control plane); Drone
// certificates are client-only.
func (c *CA) Issue(req IssueRequest) (certPEM, keyPEM []byte, err error) {
	id := Identity{Kind: req.Kind, ID: req.ID}
	if err := id.Validate(); err != nil {
		return nil, nil, fmt.Errorf("%w: %w", ErrBadRequest, err)
	}
	ttl := req.TTL
	switch {
	case ttl == 0:
		ttl = DefaultTTL
	case ttl < 0 || ttl > MaxTTL:
		return nil, nil, fmt.Errorf("%w: ttl %s for %s outside (0, %s]", ErrBadRequest, ttl, id, MaxTTL)
	}
	if len(req.Hosts) > maxHosts {
		return nil, nil, fmt.Errorf("%w: %d hosts for %s, at most %d", ErrBadRequest, len(req.Hosts), id, maxHosts)
	}
	now := c.now()
	tmpl := &x509.Certificate{
		SerialNumber: newSerial(),
		Subject:      pkix.Name{CommonName: req.ID, OrganizationalUnit: []string{string(req.Kind)}, Organization: []string{"pitrix"}},
		NotBefore:    now.Add(-clockSkew),
		NotAfter:     now.Add(ttl),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		URIs:         []*url.URL{id.URI()},
	}
	if tmpl.NotAfter.After(c.cert.NotAfter) {
		tmpl.NotAfter = c.cert.NotAfter
	}
	switch req.Kind {
	case KindDrone:
		tmpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}
	default:
		tmpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth}
	}
	for _, h := range req.Hosts {
		if ip := net.ParseIP(h); ip != nil {
			tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
			continue
		}
		if !validDNSName(h) {
			return nil, nil, fmt.Errorf("%w: host %q for %s is neither an IP nor a DNS name", ErrBadRequest, h, id)
		}
		tmpl.DNSNames = append(tmpl.DNSNames, h)
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, fmt.Errorf("pki: generate key for %s: %w", id, err)
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, c.cert, key.Public(), c.key)
	if err != nil {
		return nil, nil, fmt.Errorf("pki: sign certificate for %s: %w", id, err)
	}
	keyPEM, err = encodeKeyPEM(key)
	if err != nil {
		return nil, nil, err
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), keyPEM, nil
}

func validDNSName(h string) bool {
	if h == "" || len(h) > 253 {
		return false
	}
	for label := range strings.SplitSeq(strings.TrimPrefix(h, "*."), ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		for i := 0; i < len(label); i++ {
			c := label[i]
			if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-') {
				return false
			}
		}
	}
	return true
}

func newSerial() *big.Int {
	// 128 random bits; rand.Int never fails on crypto/rand's reader.
	n, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 128))
	if err != nil {
		panic(fmt.Sprintf("pki: crypto/rand: %v", err))
	}
	return n.Add(n, big.NewInt(1))
}

func encodeKeyPEM(key *ecdsa.PrivateKey) ([]byte, error) {
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, fmt.Errorf("pki: encode key: %w", err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), nil
}

func parseCertPEM(b []byte) (*x509.Certificate, error) {
	block, _ := pem.Decode(b)
	if block == nil || block.Type != "CERTIFICATE" {
		return nil, errors.New("no PEM CERTIFICATE block")
	}
	return x509.ParseCertificate(block.Bytes)
}

func parseKeyPEM(b []byte) (*ecdsa.PrivateKey, error) {
	block, _ := pem.Decode(b)
	if block == nil || block.Type != "PRIVATE KEY" {
		return nil, errors.New("no PEM PRIVATE KEY block")
	}
	k, err := x509.ParsePKCS8PrivateKey(block.Bytes)
	if err != nil {
		return nil, err
	}
	ek, ok := k.(*ecdsa.PrivateKey)
	if !ok || ek.Curve != elliptic.P256() {
		return nil, errors.New("key is not ECDSA P-256")
	}
	return ek, nil
}
