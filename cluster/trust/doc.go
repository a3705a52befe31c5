// Package trust turns a cluster's join token into everything nodes need to trust each other:
// the certificate authority of node-to-node mutual TLS (raft, forwarded writes), the key that
// encrypts gossip, the key that wraps cluster secrets at rest, and the cluster's id.
//
// The token is a 32-byte secret written once by the first node to <data-dir>/join.token (mode
// 0600), like a k3s token; every joining node is given it (--join-token). All keys are derived
// from it with HKDF-SHA256 under distinct labels, so every holder derives the same CA key and
// certificate (ed25519 signatures are deterministic) and no key is ever sent over the network.
// A process without the token cannot complete a TLS handshake with a node, cannot decrypt or
// inject gossip, and gets no state.
//
// Node certificates are made fresh at each start (a new ed25519 key, signed by the derived
// CA) and name the fixed server name PeerServerName: peers are authenticated as members of the
// cluster, not by address.
package trust
