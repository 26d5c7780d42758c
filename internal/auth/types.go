package auth

import "time"

// Role is what a credential may do on its node.
type Role string

// Roles.
const (
	RoleAdmin   Role = "admin"   // everything, including managing tokens
	RoleAnalyst Role = "analyst" // read and publish
	RoleReader  Role = "reader"  // read only
	RoleMachine Role = "machine" // read and publish, for integrations
)

// Action is something a request wants to do.
type Action string

// Actions.
const (
	ActionRead    Action = "read"
	ActionPublish Action = "publish"
	ActionAdmin   Action = "admin"
)

// Token describes an API credential (never its secret).
type Token struct {
	ID      string    `json:"id"`
	Name    string    `json:"name"`
	Role    Role      `json:"role"`
	Created time.Time `json:"created"`
	// User is the user account the token acts as; "" for a token that
	// predates user accounts (the member's own, fully cleared).
	User string `json:"user,omitempty"`
}
