package taxii

import (
	"encoding/base64"
	"fmt"
	"mime"
	"net/http"
	"strings"

	"github.com/phalanx-ledger/phalanx/internal/access"
	"github.com/phalanx-ledger/phalanx/internal/auth"
	"github.com/phalanx-ledger/phalanx/internal/errs"
)

// request is what every handler gets: the caller and its read scope.
type request struct {
	caller access.Caller
	scope  access.Scope
}

// needs says what an endpoint requires of the caller.
type needs int

const (
	needRead    needs = iota // authenticated, or anonymous where PublicClear allows
	needPublish              // a token whose role may publish
	needToken                // any token (no anonymous access)
)

type handler func(w http.ResponseWriter, r *http.Request, req *request) error

// endpoint wraps h with authentication, the Accept check and error
// writing.
func (s *Server) endpoint(n needs, h handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		req, err := s.authenticate(r, n)
		if err == nil {
			err = checkAccept(r)
		}
		if err == nil {
			err = h(w, r, req)
		}
		if err != nil {
			s.writeError(w, r, err)
		}
	})
}

// authenticate finds the caller: a bearer token, HTTP Basic with the token
// as password, or (when PublicClear is on and no credential is sent) an
// anonymous caller.
func (s *Server) authenticate(r *http.Request, n needs) (*request, error) {
	h := r.Header.Get("Authorization")
	if h == "" {
		if !s.cfg.PublicClear || n != needRead {
			return nil, errs.Errorf(errs.Unauthenticated,
				"missing Authorization header; send \"Authorization: Bearer <token>\" or HTTP Basic with the token as password")
		}
		return s.withScope(r, access.Caller{Anonymous: true})
	}
	user, secret, err := credential(h)
	if err != nil {
		return nil, err
	}
	tok, err := s.cfg.Tokens.Authenticate(r.Context(), secret)
	if err != nil {
		return nil, fmt.Errorf("authenticate: %w", err)
	}
	if user != "" && tok.User != "" && user != tok.User {
		// A token of a user account signs in only as that user; a token
		// that predates accounts takes any Basic user name.
		return nil, errs.Errorf(errs.Unauthenticated, "this token does not belong to user %q", clip(user))
	}
	if n == needPublish {
		if err := auth.Authorize(tok, auth.ActionPublish); err != nil {
			return nil, err
		}
	} else if err := auth.Authorize(tok, auth.ActionRead); err != nil {
		return nil, err
	}
	v, err := s.cfg.Tokens.Viewer(r.Context(), tok)
	if err != nil {
		return nil, fmt.Errorf("clearance of token %s: %w", tok.ID, err)
	}
	return s.withScope(r, access.Caller{TokenID: tok.ID, Role: string(tok.Role), Viewer: v})
}

func (s *Server) withScope(r *http.Request, c access.Caller) (*request, error) {
	scope, err := s.cfg.Policy.Scope(r.Context(), c)
	if err != nil {
		return nil, fmt.Errorf("read scope: %w", err)
	}
	return &request{caller: c, scope: scope}, nil
}

// credential extracts the user name (Basic only; "" for Bearer) and the
// token secret of an Authorization header.
func credential(h string) (user, secret string, err error) {
	scheme, rest, ok := strings.Cut(h, " ")
	rest = strings.TrimSpace(rest)
	if !ok || rest == "" {
		return "", "", errs.Errorf(errs.Unauthenticated, "malformed Authorization header")
	}
	switch {
	case strings.EqualFold(scheme, "Bearer"):
		return "", rest, nil
	case strings.EqualFold(scheme, "Basic"):
		raw, err := base64.StdEncoding.DecodeString(rest)
		if err != nil {
			return "", "", errs.Errorf(errs.Unauthenticated, "malformed Basic credentials: not base64")
		}
		user, password, ok := strings.Cut(string(raw), ":")
		if !ok || password == "" {
			return "", "", errs.Errorf(errs.Unauthenticated, "malformed Basic credentials: want user:token")
		}
		return user, password, nil
	}
	return "", "", errs.Errorf(errs.Unauthenticated, "unsupported Authorization scheme; use Bearer or Basic")
}

// checkAccept answers 406 unless the Accept header admits the TAXII 2.1
// media type (application/taxii+json, with version 2.1 or none).
func checkAccept(r *http.Request) error {
	accept := r.Header.Get("Accept")
	for _, part := range strings.Split(accept, ",") {
		if isTAXII21(part) {
			return nil
		}
	}
	return taxiiErr(http.StatusNotAcceptable, "not acceptable",
		"Accept must include %s (got %q)", MediaType, accept)
}

// checkContentType answers 415 unless the body is TAXII 2.1 JSON.
func checkContentType(r *http.Request) error {
	ct := r.Header.Get("Content-Type")
	if !isTAXII21(ct) {
		return taxiiErr(http.StatusUnsupportedMediaType, "unsupported media type",
			"Content-Type must be %s (got %q)", MediaType, ct)
	}
	return nil
}

// isTAXII21 reports whether a media range names TAXII 2.1.
func isTAXII21(s string) bool {
	mt, params, err := mime.ParseMediaType(strings.TrimSpace(s))
	if err != nil || mt != "application/taxii+json" {
		return false
	}
	v, ok := params["version"]
	return !ok || v == "2.1"
}
