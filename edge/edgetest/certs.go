package edgetest

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/pitrix/pitrix/edge/pki"
)

// Certs is a CA in a temporary directory that writes PEM files for identities.
type Certs struct {
	t   testing.TB
	CA  *pki.CA
	Dir string
}

// NewCerts opens a CA under t.TempDir() and writes its certificate to CAFile().
func NewCerts(t testing.TB) *Certs {
	t.Helper()
	dir := t.TempDir()
	ca, err := pki.Open(filepath.Join(dir, "ca"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "ca.pem"), ca.CertPEM(), 0o600); err != nil {
		t.Fatal(err)
	}
	return &Certs{t: t, CA: ca, Dir: dir}
}

// CAFile is the path of the CA certificate.
func (c *Certs) CAFile() string { return filepath.Join(c.Dir, "ca.pem") }

// Issue writes a certificate and key for kind/id (valid an hour) and returns their paths.
func (c *Certs) Issue(kind pki.Kind, id string, hosts ...string) (certFile, keyFile string) {
	c.t.Helper()
	cert, key, err := c.CA.Issue(pki.IssueRequest{Kind: kind, ID: id, Hosts: hosts, TTL: time.Hour})
	if err != nil {
		c.t.Fatal(err)
	}
	certFile, keyFile = filepath.Join(c.Dir, string(kind)+"-"+id+".crt"), filepath.Join(c.Dir, string(kind)+"-"+id+".key")
	for f, b := range map[string][]byte{certFile: cert, keyFile: key} {
		if err := os.WriteFile(f, b, 0o600); err != nil {
			c.t.Fatal(err)
		}
	}
	return certFile, keyFile
}
