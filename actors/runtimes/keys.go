package runtimes

// Key prefixes and index terms of runtime records.
const (
	RuntimePrefix    = "runtime/"
	CredentialPrefix = "rcred/"
	// ClusterPrefix is where app cluster records live (written by the app-cluster actor); a
	// runtime with live clusters there may not be deleted.
	ClusterPrefix = "cl/"
)

// RuntimeKey is the key of a runtime record.
func RuntimeKey(id string) string { return RuntimePrefix + id }

// CredentialKey is the key of a credential record.
func CredentialKey(id string) string { return CredentialPrefix + id }

// TermRuntime selects records that belong to a runtime (e.g. its clusters).
func TermRuntime(id string) string { return "runtime_id=" + id }

// TermCredential selects runtimes that use a credential.
func TermCredential(id string) string { return "credential_id=" + id }

// TermLive marks app clusters that still hold resources (not deleted or ceased).
const TermLive = "live=true"

// Terms returns the index terms of a runtime record.
func (r *Runtime) Terms() []string {
	t := []string{"owner=" + r.Owner, "provider=" + r.Provider}
	if r.CredentialID != "" {
		t = append(t, TermCredential(r.CredentialID))
	}
	return t
}

// StoredCredential is a credential record as stored: the public part and the sealed content.
type StoredCredential struct {
	Credential
	Sealed []byte `json:"sealed,omitempty"`
}

// KindName is the runtime actor's kind.
const KindName = "runtime"

// Commands of RuntimeCommand.Op.
const (
	OpCreate = "create" // body: the full Runtime record, built and checked by the caller
	OpUpdate = "update" // body: a RuntimePatch, already checked by the caller
	OpDelete = "delete"
	OpGet    = "get"
	// OpClaim records the node a local runtime of no node belongs to; body: the node's name
	// (a JSON string).
	// A runtime that names a node already is left as it is (and answered as it is).
	OpClaim = "claim"
)

// ApplyTo applies the non-nil fields of p to rt.
func (p RuntimePatch) ApplyTo(rt *Runtime) {
	if p.Name != nil {
		rt.Name = *p.Name
	}
	if p.Description != nil {
		rt.Description = *p.Description
	}
	if p.Zone != nil {
		rt.Zone = *p.Zone
	}
	if p.CredentialID != nil {
		rt.CredentialID = *p.CredentialID
	}
	if p.Labels != nil {
		rt.Labels = *p.Labels
	}
	if p.Test != nil {
		rt.Test = *p.Test
	}
	if p.GrantedTo != nil {
		rt.GrantedTo = *p.GrantedTo
	}
}
