package web

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/phalanx-ledger/phalanx/internal/api"
	"github.com/phalanx-ledger/phalanx/internal/auth"
	"github.com/phalanx-ledger/phalanx/internal/errs"
)

type settingsPage struct {
	Tokens   []auth.Token
	Roles    []auth.Role
	Self     string
	Created  *createdToken
	Flash    string
	Error    string      // why a users form was refused
	HasUsers bool        // the node keeps user accounts
	Users    []auth.User // the node's users
	Levels   []string    // clearances a user may get
	NewUser  *addedUser  // the user just added, with its first token
	Form     map[string]string
}

// addedUser is a user just added and the secret of its first token, shown
// once.
type addedUser struct {
	User   auth.User
	Token  auth.Token
	Secret string
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
	return s.renderSettings(w, r, v, http.StatusOK, settingsPage{Created: created, Flash: flash})
}

// renderSettings fills in the tokens and users and renders the page.
func (s *Server) renderSettings(w http.ResponseWriter, r *http.Request, v *Viewer, status int, data settingsPage) error {
	var err error
	if data.Tokens, err = s.cfg.Tokens.ListTokens(r.Context()); err != nil {
		return fmt.Errorf("list tokens: %w", err)
	}
	q := r.URL.Query()
	if data.Flash == "" && q.Get("revoked") != "" {
		data.Flash = "Token " + q.Get("revoked") + " revoked; its sessions are signed out."
	}
	if data.Flash == "" && q.Get("granted") != "" {
		data.Flash = "User " + q.Get("user") + " may now read " + q.Get("granted") + "."
	}
	if us, ok := s.cfg.Tokens.(api.Users); ok {
		data.HasUsers = true
		if data.Users, err = us.ListUsers(r.Context()); err != nil {
			return fmt.Errorf("list users: %w", err)
		}
	}
	if data.Form == nil {
		data.Form = map[string]string{"clearance": "amber", "role": string(auth.RoleReader)}
	}
	data.Roles, data.Self, data.Levels = roles, v.TokenID, tlpLevels
	s.render(w, r, status, "settings", v, data)
	return nil
}

// settingsError shows the Settings page again with the form's input and
// why it was refused.
func (s *Server) settingsError(w http.ResponseWriter, r *http.Request, v *Viewer, err error) error {
	if c := errs.CodeOf(err); c != errs.Invalid && c != errs.NotFound && c != errs.Conflict {
		return err
	}
	form := map[string]string{}
	for _, k := range []string{"name", "role", "clearance", "client", "user", "id"} {
		form[k] = r.PostFormValue(k)
	}
	return s.renderSettings(w, r, v, api.StatusOf(errs.CodeOf(err)), settingsPage{Error: err.Error(), Form: form})
}

// addUser adds a user account (POST /v1/users' store call) and shows its
// first token's secret once, in the response to the POST.
func (s *Server) addUser(w http.ResponseWriter, r *http.Request, v *Viewer) error {
	us, ok := s.cfg.Tokens.(api.Users)
	if !ok {
		return s.settingsError(w, r, v, errs.Errorf(errs.Invalid, "this node has no user accounts"))
	}
	u := auth.User{Name: strings.TrimSpace(r.PostFormValue("name")), Role: auth.Role(r.PostFormValue("role")),
		Clearance: r.PostFormValue("clearance"), Client: r.PostFormValue("client") == "on"}
	if u.Name == "" {
		return s.settingsError(w, r, v, errs.Errorf(errs.Invalid, "a user needs a name"))
	}
	if _, err := auth.ParseRole(string(u.Role)); err != nil {
		return s.settingsError(w, r, v, errs.Errorf(errs.Invalid, "role %q: want reader, analyst, machine or admin", u.Role))
	}
	secret, tok, added, err := us.AddUser(r.Context(), u)
	if err != nil {
		return s.settingsError(w, r, v, fmt.Errorf("add user %s: %w", u.Name, err))
	}
	s.log.InfoContext(r.Context(), "web user added", "by", v.TokenID, "user", added.Name, "role", added.Role, "clearance", added.Clearance)
	return s.renderSettings(w, r, v, http.StatusOK, settingsPage{NewUser: &addedUser{User: added, Token: tok, Secret: secret}})
}

// grant lets a user read one RED record (POST /v1/users/{name}/grants'
// store call).
func (s *Server) grant(w http.ResponseWriter, r *http.Request, v *Viewer) error {
	us, ok := s.cfg.Tokens.(api.Users)
	if !ok {
		return s.settingsError(w, r, v, errs.Errorf(errs.Invalid, "this node has no user accounts"))
	}
	user, id := strings.TrimSpace(r.PostFormValue("user")), strings.TrimSpace(r.PostFormValue("id"))
	if user == "" || !strings.Contains(id, "--") {
		return s.settingsError(w, r, v, errs.Errorf(errs.Invalid, "a grant needs a user and the STIX id of a record (type--uuid)"))
	}
	if err := us.Grant(r.Context(), user, id); err != nil {
		return s.settingsError(w, r, v, fmt.Errorf("grant %s to %s: %w", id, user, err))
	}
	s.log.InfoContext(r.Context(), "web grant", "by", v.TokenID, "user", user, "id", id)
	http.Redirect(w, r, "/settings?"+url.Values{"user": {user}, "granted": {id}}.Encode()+"#users", http.StatusSeeOther)
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
