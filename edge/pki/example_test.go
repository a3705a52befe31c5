package pki_test

import (
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"os"

	"github.com/pitrix/pitrix/edge/pki"
)

// The control plane opens its CA once and issues each Frontgate a short-lived certificate at
// bootstrap; the identity travels in the certificate as a URI SAN.
func Example() {
	dir, _ := os.MkdirTemp("", "pitrix-ca-")
	defer os.RemoveAll(dir)
	ca, err := pki.Open(dir)
	if err != nil {
		fmt.Println(err)
		return
	}
	certPEM, keyPEM, err := ca.Issue(pki.IssueRequest{Kind: pki.KindFrontgate, ID: "fg-123", Hosts: []string{"127.0.0.1"}})
	if err != nil {
		fmt.Println(err)
		return
	}
	// The Frontgate serves its Drones and dials the control plane with the same pair.
	if _, err := pki.ServerTLS(certPEM, keyPEM, ca.CertPEM()); err != nil {
		fmt.Println(err)
	}
	if _, err := pki.ClientTLS(certPEM, keyPEM, ca.CertPEM(), "127.0.0.1"); err != nil {
		fmt.Println(err)
	}
	block, _ := pem.Decode(certPEM)
	cert, _ := x509.ParseCertificate(block.Bytes)
	id, _ := pki.CertIdentity(cert)
	fmt.Println(cert.URIs[0], id.Kind, id.ID)
	fmt.Println(id.Require(pki.KindDrone))
	// Output:
	// pitrix://frontgate/fg-123 frontgate fg-123
	// pki: wrong peer kind: frontgate/fg-123 is not one of [drone]
}
