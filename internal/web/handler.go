package web

import (
	"crypto/subtle"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"runtime/debug"
	"time"

	"github.com/phalanx-ledger/phalanx/internal/access"
	"github.com/phalanx-ledger/phalanx/internal/api"
	"github.com/phalanx-ledger/phalanx/internal/auth"
	"github.com/phalanx-ledger/phalanx/internal/errs"
)

// Limits of request bodies.
const (
	maxFormBytes   = 64 << 10
	maxUploadBytes = api.DefaultMaxBodyBytes
)

// pageFunc renders one page for a signed-in viewer, or returns an error
// for the caller to render.
type pageFunc func(w http.ResponseWriter, r *http.Request, v *Viewer) error

// Handler returns the UI's HTTP handler.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	static, _ := fs.Sub(assets, "static")
	mux.Handle("GET /static/", http.StripPrefix("/static/", http.FileServerFS(static)))
	mux.HandleFunc("GET /login", s.loginForm)
	mux.HandleFunc("POST /login", s.login)
	routes := []struct {
		pattern string
		action  auth.Action
		fn      pageFunc
	}{
		{"POST /logout", auth.ActionRead, s.logout},
		{"GET /{$}", auth.ActionRead, s.dashboard},
		{"GET /intel", auth.ActionRead, s.intel},
		{"GET /intel/{id}", auth.ActionRead, s.object},
		{"GET /intel/{id}/proof", auth.ActionRead, s.objectProof},
		{"GET /intel/{id}/proof.json", auth.ActionRead, s.objectProofJSON},
		{"GET /publish", auth.ActionPublish, s.publishForm},
		{"POST /publish/indicator", auth.ActionPublish, s.publishIndicator},
		{"POST /publish/report", auth.ActionPublish, s.publishReport},
		{"POST /publish/bundle", auth.ActionPublish, s.publishBundle},
		{"GET /publish/status", auth.ActionRead, s.publishStatus},
		{"POST /publish/import", auth.ActionPublish, s.startImport},
		{"GET /publish/imports/{id}", auth.ActionPublish, s.importStatus},
		{"GET /community", auth.ActionRead, s.community},
		{"POST /community/proposals/{id}/vote", auth.ActionAdmin, s.vote},
		{"POST /community/groups", auth.ActionAdmin, s.changeGroup},
		{"GET /ledger", auth.ActionRead, s.ledger},
		{"GET /ledger/blocks/{height}", auth.ActionRead, s.block},
		{"GET /ledger/txs/{hash}", auth.ActionRead, s.tx},
		{"GET /ledger/checkpoints/{height}", auth.ActionRead, s.checkpoint},
		{"GET /feed", auth.ActionRead, s.feed},
		{"POST /feed/subscriptions", auth.ActionRead, s.subscribe},
		{"POST /feed/subscriptions/{id}/delete", auth.ActionRead, s.unsubscribe},
		{"POST /feed/notifications/{id}/read", auth.ActionRead, s.markRead},
		{"GET /settings", auth.ActionAdmin, s.settings},
		{"POST /settings/tokens", auth.ActionAdmin, s.createToken},
		{"POST /settings/tokens/{id}/revoke", auth.ActionAdmin, s.revokeToken},
		{"POST /settings/users", auth.ActionAdmin, s.addUser},
		{"POST /settings/grants", auth.ActionAdmin, s.grant},
	}
	for _, rt := range routes {
		mux.Handle(rt.pattern, s.signedIn(rt.action, rt.fn))
	}
	mux.Handle("/", s.signedIn(auth.ActionRead, func(http.ResponseWriter, *http.Request, *Viewer) error {
		return errs.Errorf(errs.NotFound, "no such page")
	}))
	cop := http.NewCrossOriginProtection()
	cop.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.fail(w, r, nil, errs.Errorf(errs.Forbidden, "cross-origin request refused"))
	}))
	return s.logRequests(s.recoverPanics(securityHeaders(cop.Handler(mux))))
}

// logRequests writes one access-log line per request: the path, never the
// query (search terms) or a cookie.
func (s *Server) logRequests(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w, status: http.StatusOK}
		next.ServeHTTP(sw, r)
		s.log.InfoContext(r.Context(), "web request", "method", r.Method, "path", r.URL.Path, "status", sw.status,
			"duration", time.Since(start), "remote", r.RemoteAddr)
	})
}

// statusWriter remembers the status of a response.
type statusWriter struct {
	http.ResponseWriter
	status int
	wrote  bool
}

func (w *statusWriter) WriteHeader(status int) {
	if !w.wrote {
		w.status, w.wrote = status, true
	}
	w.ResponseWriter.WriteHeader(status)
}

func (w *statusWriter) Write(p []byte) (int, error) {
	w.wrote = true
	return w.ResponseWriter.Write(p)
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// signedIn wraps fn: it finds the request's session (redirecting a GET
// without one to the sign-in page), checks that its token is still active
// and may do action, checks the CSRF token of a POST, and renders fn's
// error.
func (s *Server) signedIn(action auth.Action, fn pageFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		v, err := s.viewer(r)
		if err != nil {
			if errs.CodeOf(err) == errs.Unauthenticated && r.Method == http.MethodGet {
				http.Redirect(w, r, "/login?next="+urlQueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
				return
			}
			s.fail(w, r, nil, err)
			return
		}
		if err := auth.Authorize(auth.Token{Role: auth.Role(v.Role)}, action); err != nil {
			s.fail(w, r, v, fmt.Errorf("%s needs another role: %w", r.URL.Path, err))
			return
		}
		if r.Method == http.MethodPost {
			limit := int64(maxFormBytes)
			if r.URL.Path == "/publish/bundle" || r.URL.Path == "/publish/import" {
				limit = maxUploadBytes + maxFormBytes
			}
			r.Body = http.MaxBytesReader(w, r.Body, limit)
			if err := checkCSRF(r, v.CSRF); err != nil {
				s.fail(w, r, v, err)
				return
			}
		}
		w.Header().Set("Cache-Control", "no-store")
		if err := fn(w, r, v); err != nil {
			s.fail(w, r, v, err)
		}
	})
}

// viewer returns the signed-in user of r: a live session whose token is
// still active.
func (s *Server) viewer(r *http.Request) (*Viewer, error) {
	c, err := r.Cookie(s.cookieName())
	if err != nil {
		return nil, errs.Errorf(errs.Unauthenticated, "not signed in")
	}
	sess, err := s.cfg.Sessions.Get(r.Context(), c.Value)
	if err != nil {
		return nil, err
	}
	toks, err := s.cfg.Tokens.ListTokens(r.Context())
	if err != nil {
		return nil, fmt.Errorf("check session token: %w", err)
	}
	for _, t := range toks {
		if t.ID == sess.TokenID {
			acc := access.Full(t.Role == auth.RoleAdmin)
			if vs, ok := s.cfg.Tokens.(api.Viewers); ok {
				if acc, err = vs.Viewer(r.Context(), t); err != nil {
					return nil, fmt.Errorf("clearance of the session's user: %w", err)
				}
			}
			return &Viewer{TokenID: t.ID, Name: t.Name, Role: string(t.Role), CSRF: sess.CSRF, Access: acc, Owner: api.OwnerOf(t)}, nil
		}
	}
	_ = s.cfg.Sessions.Delete(r.Context(), c.Value)
	return nil, errs.Errorf(errs.Unauthenticated, "the token of this session was revoked; sign in again")
}

// checkCSRF compares the form's csrf field with the session's token in
// constant time. (The origin is checked before, by CrossOriginProtection.)
func checkCSRF(r *http.Request, want string) error {
	var tooBig *http.MaxBytesError
	if err := r.ParseMultipartForm(maxFormBytes); err != nil && !errors.Is(err, http.ErrNotMultipart) {
		if errors.As(err, &tooBig) {
			return errs.Errorf(errs.TooLarge, "request body larger than %d bytes", tooBig.Limit)
		}
		return errs.Errorf(errs.Invalid, "unreadable form: %v", err)
	}
	got := r.PostFormValue("csrf")
	if got == "" || subtle.ConstantTimeCompare([]byte(got), []byte(want)) != 1 {
		return errs.Errorf(errs.Forbidden, "missing or wrong CSRF token; reload the page and try again")
	}
	return nil
}

// securityHeaders sets the headers every UI response carries.
func securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "+
			"object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "same-origin")
		next.ServeHTTP(w, r)
	})
}

// recoverPanics turns a handler's panic into a logged 500 page.
func (s *Server) recoverPanics(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			v := recover()
			if v == nil {
				return
			}
			if v == http.ErrAbortHandler {
				panic(v)
			}
			s.log.ErrorContext(r.Context(), "panic in web handler", "path", r.URL.Path, "panic", v, "stack", string(debug.Stack()))
			s.fail(w, r, nil, errs.Errorf(errs.Internal, "internal error"))
		}()
		next.ServeHTTP(w, r)
	})
}

// fail renders err as an error page with the status of its code.
func (s *Server) fail(w http.ResponseWriter, r *http.Request, v *Viewer, err error) {
	code := errs.CodeOf(err)
	status := api.StatusOf(code)
	msg := err.Error()
	if status >= 500 {
		s.log.ErrorContext(r.Context(), "web page failed", "path", r.URL.Path, "err", err)
		if code == errs.Internal {
			msg = "internal error; the node's log has the details"
		}
	}
	s.render(w, r, status, "error", v, errorPage{Status: status, Code: code, Message: msg})
}

type errorPage struct {
	Status  int
	Code    string
	Message string
}
