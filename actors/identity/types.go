package identity

import "time"

// Roles of the REST contract.
const (
	RoleAdmin     = "admin"
	RoleISV       = "isv"
	RoleDeveloper = "developer"
	RoleUser      = "user"
)

// Token scopes: a read token may only call GET and HEAD routes; a write token (the default)
// may call everything its user may.
const (
	ScopeRead  = "read"
	ScopeWrite = "write"
)

// Principal is the authenticated caller of one request.
type Principal struct {
	UserID  string
	Role    string
	TokenID string // the token the caller presented ("" for principals made in code)
	Scope   string // ScopeRead or ScopeWrite ("" means ScopeWrite)
}

// IsAdmin reports whether the caller may act on everything.
func (p Principal) IsAdmin() bool { return p.Role == RoleAdmin }

// ReadOnly reports whether the caller's token is limited to reads.
func (p Principal) ReadOnly() bool { return p.Scope == ScopeRead }

// User is an account.
type User struct {
	ID        string    `json:"id"`
	Name      string    `json:"name"`
	Email     string    `json:"email"`
	Role      string    `json:"role"`
	Status    string    `json:"status"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// UserInput is the body of POST /v1/users.
type UserInput struct {
	Name  string `json:"name"`
	Email string `json:"email"`
	Role  string `json:"role"`
}

// Token is an API token; Secret is returned once, on creation, and never listed.
type Token struct {
	ID         string     `json:"id"`
	UserID     string     `json:"user_id"`
	Name       string     `json:"name"`
	Scope      string     `json:"scope"`
	Secret     string     `json:"token,omitempty"`
	CreatedAt  time.Time  `json:"created_at"`
	ExpiresAt  *time.Time `json:"expires_at,omitempty"`
	LastUsedAt *time.Time `json:"last_used_at,omitempty"`
}

// TokenInput is the body of POST /v1/users/{id}/tokens. At most one of TTLDays and TTL
// ("90m", "12h": a Go duration, at least a minute) sets an expiry; neither means none.
type TokenInput struct {
	Name    string `json:"name"`
	TTLDays int    `json:"ttl_days"`
	TTL     string `json:"ttl"`
	Scope   string `json:"scope"`
	// Scopes is the list form of the contract (../shared/API.md): ["read"] is a read token,
	// a list holding "write" a write token. Give Scope or Scopes, not both.
	Scopes []string `json:"scopes"`
}
