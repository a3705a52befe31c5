package runtimes

import "time"

// Credential is a runtime credential (a kubeconfig, cloud keys). Content is write-only: it is
// stored sealed and never returned.
type Credential struct {
	ID          string    `json:"id"`
	Name        string    `json:"name"`
	Description string    `json:"description"`
	Provider    string    `json:"provider"`
	URL         string    `json:"url"`
	Owner       string    `json:"owner"`
	Status      string    `json:"status"` // active
	CreatedAt   time.Time `json:"created_at"`
	UpdatedAt   time.Time `json:"updated_at"`
}

// CredentialInput is the body of POST /v1/runtime_credentials.
type CredentialInput struct {
	Name        string `json:"name"`
	Description string `json:"description"`
	Provider    string `json:"provider"`
	URL         string `json:"url"`
	Content     string `json:"content"`
}

// Runtime is a place to run apps.
type Runtime struct {
	ID           string            `json:"id"`
	Name         string            `json:"name"`
	Description  string            `json:"description"`
	Provider     string            `json:"provider"`
	Zone         string            `json:"zone"`
	CredentialID string            `json:"credential_id"`
	Labels       map[string]string `json:"labels"`
	// Test marks a runtime for trying versions that are not yet active: its owner may
	// deploy their own draft, submitted or unreviewed versions to it. Other runtimes take
	// only active, reviewed versions.
	Test bool `json:"test"`
	// Node is the control-plane node a local runtime belongs to: its instances are processes
	// and files of that machine, so every driver call for the runtime runs on that node,
	// whichever node hosts the app-cluster actor. Empty for other providers (and for a local
	// runtime of a version that did not record it: see control.Plane.EnsureLocalRuntime).
	Node string `json:"node,omitempty"`
	// GrantedTo are the users an admin lets see and deploy to a runtime that runs on the
	// control plane's own host (local): they cannot change or delete it. Admin only.
	GrantedTo []string  `json:"granted_to,omitempty"`
	Owner     string    `json:"owner"`
	Status    string    `json:"status"` // active | deleted
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// RuntimeInput is the body of POST /v1/runtimes.
type RuntimeInput struct {
	Name         string            `json:"name"`
	Description  string            `json:"description"`
	Provider     string            `json:"provider"`
	Zone         string            `json:"zone"`
	CredentialID string            `json:"credential_id"`
	Labels       map[string]string `json:"labels"`
	Test         bool              `json:"test"`
}

// RuntimePatch is the body of PATCH /v1/runtimes/{id}: nil fields are left as they are.
type RuntimePatch struct {
	Name         *string            `json:"name"`
	Description  *string            `json:"description"`
	Zone         *string            `json:"zone"`
	CredentialID *string            `json:"credential_id"`
	Labels       *map[string]string `json:"labels"`
	Test         *bool              `json:"test"`
	GrantedTo    *[]string          `json:"granted_to"`
}

// ProviderInfo describes one provider plugin for GET /v1/providers.
type ProviderInfo struct {
	Name            string   `json:"name"`
	AppType         string   `json:"app_type"`
	Zones           []string `json:"zones,omitempty"`
	NeedsCredential bool     `json:"needs_credential"`
}
