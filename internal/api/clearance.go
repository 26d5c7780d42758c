package api

import (
	"context"
	"fmt"
	"net/http"

	"github.com/phalanx-ledger/phalanx/internal/access"
	"github.com/phalanx-ledger/phalanx/internal/auth"
	"github.com/phalanx-ledger/phalanx/internal/errs"
	"github.com/phalanx-ledger/phalanx/internal/projection"
	"github.com/phalanx-ledger/phalanx/internal/tlp"
)

// Viewers is the optional capability of a Tokens store that knows user
// accounts: what a token may read. Without it every token reads as the
// member's own user with full clearance (RED only for admins).
type Viewers interface {
	Viewer(ctx context.Context, tok auth.Token) (access.Viewer, error)
}

// Users is the optional capability of a Tokens store that manages user
// accounts and RED grants.
type Users interface {
	AddUser(ctx context.Context, u auth.User) (string, auth.Token, auth.User, error)
	ListUsers(ctx context.Context) ([]auth.User, error)
	Grant(ctx context.Context, user, objectID string) error
}

// viewer is what the request's token may read.
func (s *Server) viewer(ctx context.Context) (access.Viewer, error) {
	tok, ok := tokenFrom(ctx)
	if !ok {
		return access.Viewer{}, errs.Errorf(errs.Unauthenticated, "no credential")
	}
	if v, ok := s.tokens.(Viewers); ok {
		return v.Viewer(ctx, tok)
	}
	return access.Full(tok.Role == auth.RoleAdmin), nil
}

// readable keeps the versions v may read.
func readable(v access.Viewer, vs []projection.Version) []projection.Version {
	out := vs[:0:0]
	for _, x := range vs {
		if access.MayRead(v, access.Label{ID: x.ID, Level: tlp.Level(x.TLP)}) {
			out = append(out, x)
		}
	}
	return out
}

// AddUserRequest is the body of POST /v1/users.
type AddUserRequest struct {
	Name      string    `json:"name"`
	Role      auth.Role `json:"role"`
	Clearance string    `json:"clearance"`
	Client    bool      `json:"client"`
}

// AddedUser is the answer to POST /v1/users: the user and the secret of
// its first token, shown only once.
type AddedUser struct {
	User  auth.User  `json:"user"`
	Token string     `json:"token"`
	Info  auth.Token `json:"token_info"`
}

// GrantRequest is the body of POST /v1/users/{name}/grants.
type GrantRequest struct {
	ID string `json:"id"`
}

// Granted is the answer to POST /v1/users/{name}/grants.
type Granted struct {
	User string `json:"user"`
	ID   string `json:"id"`
}

func (s *Server) users() (Users, error) {
	u, ok := s.tokens.(Users)
	if !ok {
		return nil, errs.Errorf(errs.Invalid, "this node has no user accounts")
	}
	return u, nil
}

// addUser handles POST /v1/users.
func (s *Server) addUser(w http.ResponseWriter, r *http.Request) error {
	if err := allowParams(r.URL.Query()); err != nil {
		return err
	}
	var req AddUserRequest
	if err := readJSONBody(w, r, maxGovBody, "user", &req); err != nil {
		return err
	}
	us, err := s.users()
	if err != nil {
		return err
	}
	secret, tok, u, err := us.AddUser(r.Context(), auth.User{Name: req.Name, Role: req.Role, Clearance: req.Clearance, Client: req.Client})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, AddedUser{User: u, Token: secret, Info: tok})
	return nil
}

// listUsers handles GET /v1/users.
func (s *Server) listUsers(w http.ResponseWriter, r *http.Request) error {
	us, err := s.users()
	if err != nil {
		return err
	}
	list, err := us.ListUsers(r.Context())
	if err != nil {
		return fmt.Errorf("list users: %w", err)
	}
	writeJSON(w, http.StatusOK, list)
	return nil
}

// grant handles POST /v1/users/{name}/grants.
func (s *Server) grant(w http.ResponseWriter, r *http.Request) error {
	var req GrantRequest
	if err := readJSONBody(w, r, maxGovBody, "grant", &req); err != nil {
		return err
	}
	us, err := s.users()
	if err != nil {
		return err
	}
	name := r.PathValue("name")
	if err := us.Grant(r.Context(), name, req.ID); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, Granted{User: name, ID: req.ID})
	return nil
}
