package pki

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
)

// ServerTLS builds the configuration of the accepting end of an edge stream: TLS 1.3 only, the
// given leaf as server certificate, and a client certificate required and verified against
// caPEM. A client whose leaf has no valid identity URI is refused during the handshake; which
// kinds may connect is left to the caller (PeerIdentity, Identity.Require).
func ServerTLS(certPEM, keyPEM, caPEM []byte) (*tls.Config, error) {
	cert, pool, err := material(certPEM, keyPEM, caPEM)
	if err != nil {
		return nil, fmt.Errorf("pki: server TLS: %w", err)
	}
	return &tls.Config{
		MinVersion:       tls.VersionTLS13,
		Certificates:     []tls.Certificate{cert},
		ClientAuth:       tls.RequireAndVerifyClientCert,
		ClientCAs:        pool,
		VerifyConnection: verifyIdentity,
	}, nil
}

// ClientTLS builds the configuration of the dialing end: TLS 1.3 only, the given leaf as client
// certificate, the server verified against caPEM and serverName (an IP literal or DNS name in
// the server's SANs; empty means the host of the dialed address, as crypto/tls does).
func ClientTLS(certPEM, keyPEM, caPEM []byte, serverName string) (*tls.Config, error) {
	cert, pool, err := material(certPEM, keyPEM, caPEM)
	if err != nil {
		return nil, fmt.Errorf("pki: client TLS: %w", err)
	}
	return &tls.Config{
		MinVersion:       tls.VersionTLS13,
		Certificates:     []tls.Certificate{cert},
		RootCAs:          pool,
		ServerName:       serverName,
		VerifyConnection: verifyIdentity,
	}, nil
}

func verifyIdentity(cs tls.ConnectionState) error {
	_, err := PeerIdentity(cs)
	return err
}

func material(certPEM, keyPEM, caPEM []byte) (tls.Certificate, *x509.CertPool, error) {
	cert, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		return tls.Certificate{}, nil, fmt.Errorf("load key pair: %w", err)
	}
	if _, err := CertIdentity(cert.Leaf); err != nil {
		return tls.Certificate{}, nil, fmt.Errorf("own certificate: %w", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(caPEM) {
		return tls.Certificate{}, nil, errors.New("no CA certificate in PEM")
	}
	return cert, pool, nil
}
