// Package auth keeps the API credentials of one node: bearer tokens, each
// with a role, in a small SQLite file of their own (the projection beside
// it may be thrown away and rebuilt; credentials may not).
//
// Only the SHA-256 of a token's secret is stored. The secret is shown once,
// when the token is created.
package auth

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"database/sql"
	"embed"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/phalanx-ledger/phalanx/internal/errs"
)

//go:embed migrations/*.sql
var migrations embed.FS

// SecretPrefix starts every token secret, so that leaked secrets are easy
// to find. A secret is SecretPrefix followed by base64url (unpadded) of 32
// random bytes.
const SecretPrefix = "phx_"

const (
	secretBytes = 32
	secretLen   = len(SecretPrefix) + (secretBytes*8+5)/6
	idPrefix    = "tok_"
	maxName     = 200
)

// Store is a node's token database. It is safe for concurrent use.
type Store struct {
	db  *sql.DB
	now func() time.Time
}

// Open opens (creating, with mode 0600) the token database at path. now is
// the clock that stamps tokens; nil means time.Now.
func Open(ctx context.Context, path string, now func() time.Time) (*Store, error) {
	if now == nil {
		now = time.Now
	}
	db, err := openDB(ctx, path)
	if err != nil {
		return nil, fmt.Errorf("open token store %s: %w", path, err)
	}
	if err := migrate(ctx, db, migrations); err != nil {
		db.Close()
		return nil, fmt.Errorf("open token store %s: %w", path, err)
	}
	return &Store{db: db, now: now}, nil
}

// Close closes the database.
func (s *Store) Close() error { return s.db.Close() }

// CreateToken creates a token named name with role and returns its secret,
// which is not kept and cannot be shown again. It fails with errs.Invalid
// for an empty or overlong name or an unknown role.
func (s *Store) CreateToken(ctx context.Context, name string, role Role) (string, Token, error) {
	name = strings.TrimSpace(name)
	switch {
	case name == "":
		return "", Token{}, errs.Errorf(errs.Invalid, "token name must not be empty")
	case len(name) > maxName:
		return "", Token{}, errs.Errorf(errs.Invalid, "token name too long: %d bytes, at most %d", len(name), maxName)
	case !role.valid():
		return "", Token{}, errs.Errorf(errs.Invalid, "unknown role %q: want admin, analyst, machine or reader", role)
	}
	secret, hash, err := newSecret()
	if err != nil {
		return "", Token{}, fmt.Errorf("create token: %w", err)
	}
	tok := Token{Name: name, Role: role, Created: fromNanos(s.now().UnixNano())}
	if tok.ID, err = insertToken(ctx, s.db, tok, hash); err != nil {
		return "", Token{}, fmt.Errorf("create token: %w", err)
	}
	return secret, tok, nil
}

// insertToken stores tok under a fresh random id, drawing again on the
// rare collision, and returns the id.
func insertToken(ctx context.Context, db interface {
	ExecContext(context.Context, string, ...any) (sql.Result, error)
}, tok Token, hash []byte) (string, error) {
	const q = `INSERT INTO tokens (id, name, role, hash, created, user_name) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING`
	var user any
	if tok.User != "" {
		user = tok.User
	}
	for range 10 {
		id, err := newID()
		if err != nil {
			return "", err
		}
		res, err := db.ExecContext(ctx, q, id, tok.Name, string(tok.Role), hash, tok.Created.UnixNano(), user)
		if err != nil {
			return "", err
		}
		if n, err := res.RowsAffected(); err != nil || n == 1 {
			return id, err
		}
	}
	return "", errors.New("no free token id after 10 draws")
}

// Authenticate returns the token whose secret this is. It fails with
// errs.Unauthenticated: "missing token" for an empty secret, "invalid
// token" for any other that is not an active token's (malformed, unknown
// or revoked alike).
//
// The token is found by the SHA-256 of the secret; the stored hash is then
// compared in constant time. An index lookup by hash leaks at most how a
// hash of the guess compares with stored hashes, which tells an attacker
// nothing about any secret.
func (s *Store) Authenticate(ctx context.Context, secret string) (Token, error) {
	if secret == "" {
		return Token{}, errs.Errorf(errs.Unauthenticated, "missing token")
	}
	invalid := errs.Errorf(errs.Unauthenticated, "invalid token")
	if len(secret) != secretLen || !strings.HasPrefix(secret, SecretPrefix) {
		return Token{}, invalid
	}
	sum := sha256.Sum256([]byte(secret))
	const q = `SELECT id, name, role, hash, created, user_name FROM tokens WHERE hash = ? AND revoked IS NULL`
	tok, hash, err := scanToken(s.db.QueryRowContext(ctx, q, sum[:]))
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return Token{}, invalid
	case err != nil:
		return Token{}, fmt.Errorf("authenticate: %w", err)
	case subtle.ConstantTimeCompare(hash, sum[:]) != 1:
		return Token{}, invalid
	}
	return tok, nil
}

// ListTokens returns the active tokens, oldest first.
func (s *Store) ListTokens(ctx context.Context) ([]Token, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT id, name, role, hash, created, user_name FROM tokens WHERE revoked IS NULL ORDER BY created, id`)
	if err != nil {
		return nil, fmt.Errorf("list tokens: %w", err)
	}
	defer rows.Close()
	toks := []Token{}
	for rows.Next() {
		tok, _, err := scanToken(rows)
		if err != nil {
			return nil, fmt.Errorf("list tokens: %w", err)
		}
		toks = append(toks, tok)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list tokens: %w", err)
	}
	return toks, nil
}

// RevokeToken revokes the active token with the given id, at once and for
// good; errs.NotFound if there is none. The row stays, marked with the
// time of revocation, as a record and so that its id is never reused.
func (s *Store) RevokeToken(ctx context.Context, id string) error {
	const q = `UPDATE tokens SET revoked = ? WHERE id = ? AND revoked IS NULL`
	res, err := s.db.ExecContext(ctx, q, s.now().UnixNano(), id)
	if err != nil {
		return fmt.Errorf("revoke token %s: %w", id, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf("revoke token %s: %w", id, err)
	}
	if n == 0 {
		return errs.Errorf(errs.NotFound, "no active token %q", id)
	}
	return nil
}

// scanToken reads a row of (id, name, role, hash, created, user_name).
func scanToken(row interface{ Scan(...any) error }) (Token, []byte, error) {
	var tok Token
	var role string
	var hash []byte
	var created int64
	var user sql.NullString
	if err := row.Scan(&tok.ID, &tok.Name, &role, &hash, &created, &user); err != nil {
		return Token{}, nil, err
	}
	tok.Role, tok.Created, tok.User = Role(role), fromNanos(created), user.String
	return tok, hash, nil
}

// fromNanos is the UTC time of unix nanoseconds n: what the store keeps of
// a time, so a token reads back equal to the one created.
func fromNanos(n int64) time.Time { return time.Unix(0, n).UTC() }

// newSecret returns a fresh secret and its SHA-256.
func newSecret() (string, []byte, error) {
	b := make([]byte, secretBytes)
	if _, err := rand.Read(b); err != nil {
		return "", nil, err
	}
	secret := SecretPrefix + base64.RawURLEncoding.EncodeToString(b)
	sum := sha256.Sum256([]byte(secret))
	return secret, sum[:], nil
}

// newID returns a fresh public token id.
func newID() (string, error) {
	b := make([]byte, 4)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return idPrefix + hex.EncodeToString(b), nil
}
