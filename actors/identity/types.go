package identity

import "time"

// Roles of the REST contract.
const (
	RoleAdmin = "admin"
	RoleISV   = "isv"
	RoleUser  = "user"
)

// Principal is the authenticated caller of one request.
type Principal struct {
	UserID string
	Role   string
}

// IsAdmin reports whether the caller may act on everything.
func (p Principal) IsAdmin() bool { return p.Role == RoleAdmin }

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

// Token is an API token; Secret is returned once, on creation.
type Token struct {
	ID        string     `json:"id"`
	UserID    string     `json:"user_id"`
	Name      string     `json:"name"`
	Secret    string     `json:"token,omitempty"`
	CreatedAt time.Time  `json:"created_at"`
	ExpiresAt *time.Time `json:"expires_at,omitempty"`
}

// TokenInput is the body of POST /v1/users/{id}/tokens.
type TokenInput struct {
	Name    string `json:"name"`
	TTLDays int    `json:"ttl_days"`
}
