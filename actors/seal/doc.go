// Package seal encrypts secrets at rest (repo and runtime credentials) with AES-256-GCM under
// a key kept in the node's data directory (secret.key, mode 0600), created on first use. The
// associated data binds a sealed value to its record, so a value copied to another record does
// not open. It does not rotate keys yet.
package seal
