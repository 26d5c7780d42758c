package api

import (
	"bytes"
	_ "embed"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/phalanx-ledger/phalanx/internal/auth"
	"github.com/phalanx-ledger/phalanx/internal/errs"
)

// openAPIDoc is the OpenAPI 3.1 document describing the API, served at
// /openapi.json and /openapi.yaml (JSON is valid YAML).
//
//go:embed openapi.json
var openAPIDoc []byte

// maxTokenBody caps the body of POST /v1/tokens.
const maxTokenBody = 64 << 10

func (s *Server) healthz(w http.ResponseWriter, _ *http.Request) error {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	_, _ = w.Write([]byte("ok\n"))
	return nil
}

func (s *Server) openAPI(contentType string) handlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) error {
		w.Header().Set("Content-Type", contentType)
		_, _ = w.Write(openAPIDoc)
		return nil
	}
}

// getTx handles GET /v1/txs/{hash}.
func (s *Server) getTx(w http.ResponseWriter, r *http.Request) error {
	hash, err := parseTxHash(r.PathValue("hash"))
	if err != nil {
		return err
	}
	out, err := s.backend.Outcome(r.Context(), hash)
	if err != nil {
		return fmt.Errorf("transaction %s: %w", hash, err)
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// parseTxHash checks a transaction hash (hex SHA-256) and upper-cases it.
func parseTxHash(h string) (string, error) {
	if b, err := hex.DecodeString(h); err != nil || len(b) != 32 {
		return "", errs.Errorf(errs.Invalid, "invalid transaction hash %q: want 64 hex digits", h)
	}
	return strings.ToUpper(h), nil
}

func (s *Server) status(w http.ResponseWriter, r *http.Request) error {
	st, err := s.backend.Status(r.Context())
	if err != nil {
		return fmt.Errorf("status: %w", err)
	}
	writeJSON(w, http.StatusOK, st)
	return nil
}

func (s *Server) members(w http.ResponseWriter, r *http.Request) error {
	ms, err := s.backend.Members(r.Context())
	if err != nil {
		return fmt.Errorf("members: %w", err)
	}
	if ms == nil {
		ms = []Member{}
	}
	writeJSON(w, http.StatusOK, MembersResponse{Members: ms})
	return nil
}

// createToken handles POST /v1/tokens.
func (s *Server) createToken(w http.ResponseWriter, r *http.Request) error {
	body, err := readBody(w, r, maxTokenBody, "application/json")
	if err != nil {
		return err
	}
	var req CreateTokenRequest
	if err := decodeStrict(body, &req); err != nil {
		return errs.Errorf(errs.Invalid, "invalid token request: %v", err)
	}
	if req.Role == "" {
		return errs.Errorf(errs.Invalid, "invalid token request: role is required")
	}
	if strings.TrimSpace(req.Name) == "" {
		req.Name = string(req.Role) + " token"
	}
	secret, tok, err := s.tokens.CreateToken(r.Context(), req.Name, req.Role)
	if err != nil {
		return fmt.Errorf("create token: %w", err)
	}
	writeJSON(w, http.StatusCreated, CreatedToken{
		Token: secret, ID: tok.ID, Name: tok.Name, Role: tok.Role, Created: tok.Created,
	})
	return nil
}

func (s *Server) listTokens(w http.ResponseWriter, r *http.Request) error {
	toks, err := s.tokens.ListTokens(r.Context())
	if err != nil {
		return fmt.Errorf("list tokens: %w", err)
	}
	if toks == nil {
		toks = []auth.Token{}
	}
	writeJSON(w, http.StatusOK, TokensResponse{Tokens: toks})
	return nil
}

func (s *Server) revokeToken(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("id")
	if err := s.tokens.RevokeToken(r.Context(), id); err != nil {
		return fmt.Errorf("revoke token %s: %w", id, err)
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// decodeStrict decodes one JSON value into v, refusing unknown fields and
// trailing data.
func decodeStrict(body []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if dec.More() {
		return errors.New("trailing data after the JSON object")
	}
	return nil
}
