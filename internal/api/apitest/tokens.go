package apitest

import (
	"context"
	"fmt"
	"sort"
	"sync"
	"time"

	"github.com/phalanx-ledger/phalanx/internal/api"
	"github.com/phalanx-ledger/phalanx/internal/auth"
	"github.com/phalanx-ledger/phalanx/internal/errs"
)

var _ api.Tokens = (*Tokens)(nil)

// Tokens is an in-memory api.Tokens. Call NewTokens.
type Tokens struct {
	mu       sync.Mutex
	bySecret map[string]auth.Token
	next     int
}

// NewTokens returns a token store holding one token per secret, with the
// given roles.
func NewTokens(roles map[string]auth.Role) *Tokens {
	t := &Tokens{bySecret: map[string]auth.Token{}}
	secrets := make([]string, 0, len(roles))
	for s := range roles {
		secrets = append(secrets, s)
	}
	sort.Strings(secrets)
	for _, s := range secrets {
		t.add(s, string(roles[s]), roles[s])
	}
	return t
}

func (t *Tokens) add(secret, name string, role auth.Role) auth.Token {
	t.next++
	tok := auth.Token{
		ID: fmt.Sprintf("tok-%d", t.next), Name: name, Role: role,
		Created: time.Date(2025, 1, 1, 0, 0, t.next, 0, time.UTC),
	}
	t.bySecret[secret] = tok
	return tok
}

// Authenticate implements api.Tokens.
func (t *Tokens) Authenticate(_ context.Context, secret string) (auth.Token, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	tok, ok := t.bySecret[secret]
	if !ok {
		return auth.Token{}, errs.Errorf(errs.Unauthenticated, "invalid or revoked token")
	}
	return tok, nil
}

// CreateToken implements api.Tokens.
func (t *Tokens) CreateToken(_ context.Context, name string, role auth.Role) (string, auth.Token, error) {
	if _, err := auth.ParseRole(string(role)); err != nil {
		return "", auth.Token{}, err
	}
	if name == "" {
		return "", auth.Token{}, errs.Errorf(errs.Invalid, "token name must not be empty")
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	secret := fmt.Sprintf("phx_secret_%d", t.next+1)
	return secret, t.add(secret, name, role), nil
}

// ListTokens implements api.Tokens, ordered by id.
func (t *Tokens) ListTokens(context.Context) ([]auth.Token, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	out := make([]auth.Token, 0, len(t.bySecret))
	for _, tok := range t.bySecret {
		out = append(out, tok)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Created.Before(out[j].Created) })
	return out, nil
}

// RevokeToken implements api.Tokens.
func (t *Tokens) RevokeToken(_ context.Context, id string) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	for s, tok := range t.bySecret {
		if tok.ID == id {
			delete(t.bySecret, s)
			return nil
		}
	}
	return errs.Errorf(errs.NotFound, "no token %s", id)
}
