package api

import (
	"context"
	"fmt"
	"net/http"
	"runtime/debug"
	"strings"
	"time"

	"github.com/phalanx-ledger/phalanx/internal/auth"
	"github.com/phalanx-ledger/phalanx/internal/errs"
)

// authenticate checks r's bearer token and whether its role may perform
// action; an empty action needs no token. It records the token's id (never
// its secret) for the access log.
func (s *Server) authenticate(r *http.Request, action auth.Action) (*http.Request, error) {
	if action == "" {
		return r, nil
	}
	secret, err := bearer(r)
	if err != nil {
		return r, err
	}
	tok, err := s.tokens.Authenticate(r.Context(), secret)
	if err != nil {
		return r, fmt.Errorf("authenticate: %w", err)
	}
	if info := infoFrom(r.Context()); info != nil {
		info.token, info.role = tok.ID, tok.Role
	}
	if err := s.authorize(tok, action); err != nil {
		return r, fmt.Errorf("authorize token %s for %s: %w", tok.ID, action, err)
	}
	return r.WithContext(context.WithValue(r.Context(), tokenKey{}, tok)), nil
}

type tokenKey struct{}

// tokenFrom returns the token a request authenticated with.
func tokenFrom(ctx context.Context) (auth.Token, bool) {
	tok, ok := ctx.Value(tokenKey{}).(auth.Token)
	return tok, ok
}

// bearer returns the secret of r's "Authorization: Bearer" header.
func bearer(r *http.Request) (string, error) {
	h := r.Header.Get("Authorization")
	if h == "" {
		return "", errs.Errorf(errs.Unauthenticated, "missing Authorization header; send \"Authorization: Bearer <token>\"")
	}
	scheme, secret, ok := strings.Cut(h, " ")
	secret = strings.TrimSpace(secret)
	if !ok || !strings.EqualFold(scheme, "Bearer") || secret == "" {
		return "", errs.Errorf(errs.Unauthenticated, "malformed Authorization header; send \"Authorization: Bearer <token>\"")
	}
	return secret, nil
}

// requestInfo is what handlers tell the access log about a request.
type requestInfo struct {
	token string
	role  auth.Role // the token's role, for handlers that hand the caller on
}

type infoKey struct{}

func infoFrom(ctx context.Context) *requestInfo {
	info, _ := ctx.Value(infoKey{}).(*requestInfo)
	return info
}

// logRequests writes one access-log line per request. It logs the path but
// not the query or any header, so no secret reaches the log.
func (s *Server) logRequests(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		info := &requestInfo{}
		sw := &statusWriter{ResponseWriter: w}
		next.ServeHTTP(sw, r.WithContext(context.WithValue(r.Context(), infoKey{}, info)))
		s.log.InfoContext(r.Context(), "http request",
			"method", r.Method, "path", r.URL.Path, "status", sw.statusCode(),
			"bytes", sw.bytes, "duration", time.Since(start), "token", info.token,
			"remote", r.RemoteAddr)
	})
}

// recoverPanics turns a handler's panic into a logged 500 response.
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
			s.log.ErrorContext(r.Context(), "panic in handler", "method", r.Method, "path", r.URL.Path,
				"panic", v, "stack", string(debug.Stack()))
			s.writeError(w, r, errs.Errorf(errs.Internal, "panic: %v", v))
		}()
		next.ServeHTTP(w, r)
	})
}

// statusWriter remembers the status and size of a response.
type statusWriter struct {
	http.ResponseWriter
	status int
	bytes  int
}

func (w *statusWriter) WriteHeader(status int) {
	if w.status == 0 {
		w.status = status
	}
	w.ResponseWriter.WriteHeader(status)
}

func (w *statusWriter) Write(p []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	n, err := w.ResponseWriter.Write(p)
	w.bytes += n
	return n, err
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

func (w *statusWriter) statusCode() int {
	if w.status == 0 {
		return http.StatusOK
	}
	return w.status
}
