package client

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"

	"github.com/phalanx-ledger/phalanx/internal/api"
	"github.com/phalanx-ledger/phalanx/internal/auth"
)

// AddUser adds a user account with a role and TLP clearance; the result
// holds the secret of its first token, shown only once. Needs an admin
// token.
func (c *Client) AddUser(ctx context.Context, req api.AddUserRequest) (api.AddedUser, error) {
	body, err := json.Marshal(req)
	if err != nil {
		return api.AddedUser{}, fmt.Errorf("encode user: %w", err)
	}
	var out api.AddedUser
	err = c.call(ctx, request{method: http.MethodPost, path: []string{"v1", "users"},
		contentType: "application/json", body: body}, &out)
	return out, err
}

// ListUsers lists the node's users with their clearance and grants.
func (c *Client) ListUsers(ctx context.Context) ([]auth.User, error) {
	var out []auth.User
	err := c.call(ctx, request{method: http.MethodGet, path: []string{"v1", "users"}}, &out)
	return out, err
}

// Grant names user for the RED record id.
func (c *Client) Grant(ctx context.Context, user, id string) error {
	body, err := json.Marshal(api.GrantRequest{ID: id})
	if err != nil {
		return fmt.Errorf("encode grant: %w", err)
	}
	return c.call(ctx, request{method: http.MethodPost, path: []string{"v1", "users", user, "grants"},
		contentType: "application/json", body: body}, nil)
}
