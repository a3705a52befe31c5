// Package pki is the small certificate authority of the edge: it keeps one CA key pair in a
// directory and issues short-lived leaf certificates to control-plane servers, Frontgates and
// Drones, and it builds the mutual-TLS configurations both ends of an edge stream use.
//
// # Identity
//
// Every leaf certificate carries exactly one URI SAN naming who holds it:
//
//	pitrix://<kind>/<id>      e.g. pitrix://frontgate/fg-123, pitrix://drone/i-0042, pitrix://server/node-1
//
// kind is one of server, frontgate, drone; id matches [A-Za-z0-9][A-Za-z0-9._-]{0,127}. The
// subject common name repeats the id for humans; only the URI is trusted. PeerIdentity reads
// it from the verified peer certificate of a TLS connection. The TLS configurations built here
// refuse, during the handshake, any peer whose chain does not verify against the CA or whose
// leaf has no valid identity URI; deciding which kinds may connect where (a drone must not pose
// as a Frontgate) is the caller's check, with Identity.Require.
//
// # Files
//
// Open keeps the CA in dir/ca.crt and dir/ca.key (PEM, PKCS#8 ECDSA P-256, both mode 0600, the
// directory 0700) and creates them on first use. Creation is exclusive per file (link of a
// fully written temporary file), so two processes racing to create the same directory cannot
// both win: the key is linked first, the certificate second, and Open waits briefly for a
// concurrent creator to finish. A directory that keeps holding only one of the two files is
// reported as broken (ErrBrokenCA), not repaired.
//
// # What it does not do
//
// There is no revocation (no CRL or OCSP): certificates are short-lived instead, and callers
// re-issue before expiry. There is no intermediate CA, no key rotation of the CA itself, and no
// reload of leaf certificates inside a tls.Config; a caller that rotates builds a new config.
package pki
