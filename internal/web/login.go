package web

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"net/http"
	"net/url"
	"strings"

	"github.com/phalanx-ledger/phalanx/internal/errs"
)

// loginCookie carries the sign-in form's CSRF token (double submit): no
// session exists yet to hold it.
const loginCookie = "phalanx_login"

func (s *Server) cookieName() string {
	if s.cfg.Secure {
		return "__Host-phalanx_session" // the prefix pins it to this host, path / and Secure
	}
	return "phalanx_session"
}

type loginPage struct {
	Next  string
	Error string
}

// loginForm shows the sign-in form with a fresh CSRF token.
func (s *Server) loginForm(w http.ResponseWriter, r *http.Request) {
	if v, err := s.viewer(r); err == nil && v != nil {
		http.Redirect(w, r, safeNext(r.URL.Query().Get("next")), http.StatusSeeOther)
		return
	}
	s.showLogin(w, r, http.StatusOK, "")
}

func (s *Server) showLogin(w http.ResponseWriter, r *http.Request, status int, msg string) {
	// Reuse the browser's login token if it has one, so that a second tab
	// (or a stray request for /favicon.ico that lands here) does not
	// invalidate the form already shown.
	var token string
	if c, err := r.Cookie(loginCookie); err == nil && len(c.Value) == 43 {
		token = c.Value
	} else {
		b := make([]byte, 32)
		if _, err := rand.Read(b); err != nil {
			s.fail(w, r, nil, err)
			return
		}
		token = base64.RawURLEncoding.EncodeToString(b)
	}
	http.SetCookie(w, &http.Cookie{Name: loginCookie, Value: token, Path: "/login", HttpOnly: true,
		Secure: s.cfg.Secure, SameSite: http.SameSiteStrictMode, MaxAge: 3600})
	w.Header().Set("Cache-Control", "no-store")
	s.render(w, r, status, "login", &Viewer{CSRF: token}, loginPage{Next: safeNext(r.FormValue("next")), Error: msg})
}

// login checks the token typed into the form and starts a session.
func (s *Server) login(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	if err := r.ParseForm(); err != nil {
		s.fail(w, r, nil, errs.Errorf(errs.Invalid, "unreadable form: %v", err))
		return
	}
	c, err := r.Cookie(loginCookie)
	form := r.PostFormValue("csrf")
	if err != nil || form == "" || subtle.ConstantTimeCompare([]byte(c.Value), []byte(form)) != 1 {
		s.fail(w, r, nil, errs.Errorf(errs.Forbidden, "missing or wrong CSRF token; reload the sign-in page"))
		return
	}
	tok, err := s.cfg.Tokens.Authenticate(r.Context(), strings.TrimSpace(r.PostFormValue("token")))
	if err != nil {
		if errs.CodeOf(err) == errs.Unauthenticated {
			s.showLogin(w, r, http.StatusUnauthorized, "That token is not valid on this node.")
			return
		}
		s.fail(w, r, nil, err)
		return
	}
	id, sess, err := s.cfg.Sessions.Create(r.Context(), tok.ID, string(tok.Role), s.cfg.SessionTTL)
	if err != nil {
		s.fail(w, r, nil, err)
		return
	}
	http.SetCookie(w, &http.Cookie{Name: loginCookie, Path: "/login", MaxAge: -1, HttpOnly: true, Secure: s.cfg.Secure})
	http.SetCookie(w, &http.Cookie{Name: s.cookieName(), Value: id, Path: "/", HttpOnly: true, Secure: s.cfg.Secure,
		SameSite: http.SameSiteLaxMode, Expires: sess.Expires})
	s.log.InfoContext(r.Context(), "web sign-in", "token", tok.ID, "role", tok.Role)
	http.Redirect(w, r, safeNext(r.PostFormValue("next")), http.StatusSeeOther)
}

// logout ends the session and clears its cookie.
func (s *Server) logout(w http.ResponseWriter, r *http.Request, v *Viewer) error {
	if c, err := r.Cookie(s.cookieName()); err == nil {
		if err := s.cfg.Sessions.Delete(r.Context(), c.Value); err != nil {
			return err
		}
	}
	http.SetCookie(w, &http.Cookie{Name: s.cookieName(), Path: "/", MaxAge: -1, HttpOnly: true, Secure: s.cfg.Secure,
		SameSite: http.SameSiteLaxMode})
	http.Redirect(w, r, "/login", http.StatusSeeOther)
	return nil
}

// safeNext keeps a post-sign-in redirect on this site: a local absolute
// path, never "//host" or a URL with a scheme.
func safeNext(next string) string {
	if next == "" || !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.HasPrefix(next, "/\\") ||
		strings.ContainsAny(next, "\r\n") {
		return "/"
	}
	return next
}

func urlQueryEscape(s string) string { return url.QueryEscape(s) }
