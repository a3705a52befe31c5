package driver

import (
	"bytes"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/pitrix/pitrix/edge/pki"
)

// certFiles are an agent's certificate, key and CA files.
type certFiles struct{ cert, key, ca string }

func certFilesOf(a agent) certFiles {
	return certFiles{
		cert: filepath.Join(a.dir, a.kind+".crt"),
		key:  filepath.Join(a.dir, a.kind+".key"),
		ca:   filepath.Join(a.dir, "ca.pem"),
	}
}

// issue gets a new certificate of kind for id naming hosts and writes it with its key and the
// CA, each atomically and 0600.
func (d *Driver) issue(f certFiles, kind pki.Kind, id string, hosts ...string) error {
	cert, key, err := d.cfg.Issuer.Issue(kind, id, d.cfg.CertTTL, hosts...)
	if err != nil {
		return fmt.Errorf("issue %s certificate for %s: %w", kind, id, err)
	}
	for _, w := range []struct {
		path string
		b    []byte
	}{{f.ca, d.cfg.Issuer.CA()}, {f.key, key}, {f.cert, cert}} {
		if err := writeFileAtomic(w.path, w.b, 0o600); err != nil {
			return err
		}
	}
	return nil
}

// certStale says why an agent running with f needs new certificates (and a restart), or ""
// when it does not: the CA is another one, or the certificate has less than a third of its
// lifetime left.
func (d *Driver) certStale(f certFiles) string {
	ca, err := os.ReadFile(f.ca)
	if err != nil || !bytes.Equal(ca, d.cfg.Issuer.CA()) {
		return "the CA changed"
	}
	b, err := os.ReadFile(f.cert)
	if err != nil {
		return "certificate unreadable"
	}
	block, _ := pem.Decode(b)
	if block == nil {
		return "certificate not PEM"
	}
	c, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		return "certificate unparsable"
	}
	if left := time.Until(c.NotAfter); left < c.NotAfter.Sub(c.NotBefore)/3 {
		return fmt.Sprintf("certificate expires at %s", c.NotAfter.Format(time.RFC3339))
	}
	return ""
}
