package web

import (
	"fmt"
	"net/http"

	"github.com/phalanx-ledger/phalanx/internal/auth"
)

type settingsPage struct {
	Tokens  []auth.Token
	Roles   []auth.Role
	Self    string
	Created *createdToken
	Flash   string
}

type createdToken struct {
	Token  auth.Token
	Secret string
}

var roles = []auth.Role{auth.RoleReader, auth.RoleAnalyst, auth.RoleMachine, auth.RoleAdmin}

// settings lists the node's tokens with forms to create and revoke them.
func (s *Server) settings(w http.ResponseWriter, r *http.Request, v *Viewer) error {
	return s.showSettings(w, r, v, nil, "")
}

func (s *Server) showSettings(w http.ResponseWriter, r *http.Request, v *Viewer, created *createdToken, flash string) error {
	toks, err := s.cfg.Tokens.ListTokens(r.Context())
	if err != nil {
		return fmt.Errorf("list tokens: %w", err)
	}
	if flash == "" && r.URL.Query().Get("revoked") != "" {
		flash = "Token " + r.URL.Query().Get("revoked") + " revoked; its sessions are signed out."
	}
	s.render(w, r, http.StatusOK, "settings", v, settingsPage{Tokens: toks, Roles: roles, Self: v.TokenID, Created: created, Flash: flash})
	return nil
}

// createToken makes a token and shows its secret once, in the response to
// the POST itself (never in a URL, never again).
func (s *Server) createToken(w http.ResponseWriter, r *http.Request, v *Viewer) error {
	role, err := auth.ParseRole(r.PostFormValue("role"))
	if err != nil {
		return err
	}
	secret, tok, err := s.cfg.Tokens.CreateToken(r.Context(), r.PostFormValue("name"), role)
	if err != nil {
		return fmt.Errorf("create token: %w", err)
	}
	s.log.InfoContext(r.Context(), "web token created", "by", v.TokenID, "token", tok.ID, "role", tok.Role)
	return s.showSettings(w, r, v, &createdToken{Token: tok, Secret: secret}, "")
}

// revokeToken revokes a token and signs out its sessions.
func (s *Server) revokeToken(w http.ResponseWriter, r *http.Request, v *Viewer) error {
	id := r.PathValue("id")
	if err := s.cfg.Tokens.RevokeToken(r.Context(), id); err != nil {
		return fmt.Errorf("revoke token: %w", err)
	}
	if err := s.cfg.Sessions.DeleteForToken(r.Context(), id); err != nil {
		return err
	}
	s.log.InfoContext(r.Context(), "web token revoked", "by", v.TokenID, "token", id)
	if id == v.TokenID {
		http.Redirect(w, r, "/login", http.StatusSeeOther)
		return nil
	}
	http.Redirect(w, r, "/settings?revoked="+urlQueryEscape(id), http.StatusSeeOther)
	return nil
}
