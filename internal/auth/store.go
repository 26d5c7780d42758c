// Package auth keeps a node's API credentials: bearer tokens with roles.
// Tokens live in their own SQLite file (DIR/node.db), apart from the
// projection, because the projection may be thrown away and rebuilt while
// credentials may not. Only SHA-256 digests of secrets are stored.
package auth

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"os"
	"strings"
	"time"

	_ "modernc.org/sqlite" // registers the "sqlite" driver

	"github.com/phalanx-ledger/phalanx/internal/errs"
)

// SecretPrefix starts every token secret, so leaked secrets are easy to find.
const SecretPrefix = "phx_"

const schema = `
CREATE TABLE IF NOT EXISTS tokens (
	id      TEXT PRIMARY KEY,
	name    TEXT NOT NULL,
	role    TEXT NOT NULL,
	digest  BLOB NOT NULL UNIQUE,
	created INTEGER NOT NULL
);`

// Store is the token store. Safe for concurrent use.
type Store struct {
	db  *sql.DB
	now func() time.Time
}

// Open opens (or creates, mode 0600) the token database at path. now is the
// clock for creation times; nil means time.Now.
func Open(ctx context.Context, path string, now func() time.Time) (*Store, error) {
	if now == nil {
		now = time.Now
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("create token store: %w", err)
	}
	f.Close()
	if err := os.Chmod(path, 0o600); err != nil {
		return nil, fmt.Errorf("chmod token store: %w", err)
	}
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(5000)&_pragma=journal_mode(WAL)")
	if err != nil {
		return nil, fmt.Errorf("open token store: %w", err)
	}
	if _, err := db.ExecContext(ctx, schema); err != nil {
		db.Close()
		return nil, fmt.Errorf("create token schema: %w", err)
	}
	return &Store{db: db, now: now}, nil
}

// Close closes the database.
func (s *Store) Close() error { return s.db.Close() }

// ParseRole checks a role name.
func ParseRole(s string) (Role, error) {
	switch r := Role(strings.ToLower(strings.TrimSpace(s))); r {
	case RoleAdmin, RoleAnalyst, RoleReader, RoleMachine:
		return r, nil
	}
	return "", errs.Errorf(errs.Invalid, "unknown role %q (want admin, analyst, reader or machine)", s)
}

// Can reports whether the role may perform the action.
func (r Role) Can(a Action) bool {
	switch r {
	case RoleAdmin:
		return true
	case RoleAnalyst, RoleMachine:
		return a == ActionRead || a == ActionPublish
	case RoleReader:
		return a == ActionRead
	}
	return false
}

// Authorize returns nil if the token's role may perform a, else an
// errs.Forbidden error naming both.
func Authorize(t Token, a Action) error {
	if t.Role.Can(a) {
		return nil
	}
	return errs.Errorf(errs.Forbidden, "role %q may not %s", t.Role, a)
}

// CreateToken makes a token and returns its secret, which is not stored and
// cannot be shown again.
func (s *Store) CreateToken(ctx context.Context, name string, role Role) (string, Token, error) {
	if _, err := ParseRole(string(role)); err != nil {
		return "", Token{}, err
	}
	if name = strings.TrimSpace(name); name == "" || len(name) > 200 {
		return "", Token{}, errs.Errorf(errs.Invalid, "token name must be 1 to 200 characters")
	}
	raw := make([]byte, 32)
	idb := make([]byte, 4)
	if _, err := rand.Read(raw); err != nil {
		return "", Token{}, err
	}
	if _, err := rand.Read(idb); err != nil {
		return "", Token{}, err
	}
	secret := SecretPrefix + base64.RawURLEncoding.EncodeToString(raw)
	t := Token{ID: "tok_" + hex.EncodeToString(idb), Name: name, Role: role, Created: s.now().UTC().Truncate(time.Second)}
	d := digest(secret)
	_, err := s.db.ExecContext(ctx, `INSERT INTO tokens(id, name, role, digest, created) VALUES (?, ?, ?, ?, ?)`,
		t.ID, t.Name, string(t.Role), d[:], t.Created.Unix())
	if err != nil {
		return "", Token{}, fmt.Errorf("store token: %w", err)
	}
	return secret, t, nil
}

// Authenticate returns the token whose secret this is.
func (s *Store) Authenticate(ctx context.Context, secret string) (Token, error) {
	if secret == "" {
		return Token{}, errs.Errorf(errs.Unauthenticated, "missing token")
	}
	if !strings.HasPrefix(secret, SecretPrefix) || len(secret) > 100 {
		return Token{}, errs.Errorf(errs.Unauthenticated, "invalid token")
	}
	d := digest(secret)
	var t Token
	var role string
	var stored []byte
	var created int64
	err := s.db.QueryRowContext(ctx, `SELECT id, name, role, digest, created FROM tokens WHERE digest = ?`, d[:]).
		Scan(&t.ID, &t.Name, &role, &stored, &created)
	if err == sql.ErrNoRows || (err == nil && subtle.ConstantTimeCompare(stored, d[:]) != 1) {
		return Token{}, errs.Errorf(errs.Unauthenticated, "invalid token")
	}
	if err != nil {
		return Token{}, fmt.Errorf("look up token: %w", err)
	}
	t.Role, t.Created = Role(role), time.Unix(created, 0).UTC()
	return t, nil
}

// ListTokens lists every token, oldest first.
func (s *Store) ListTokens(ctx context.Context) ([]Token, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT id, name, role, created FROM tokens ORDER BY created, id`)
	if err != nil {
		return nil, fmt.Errorf("list tokens: %w", err)
	}
	defer rows.Close()
	out := []Token{}
	for rows.Next() {
		var t Token
		var role string
		var created int64
		if err := rows.Scan(&t.ID, &t.Name, &role, &created); err != nil {
			return nil, fmt.Errorf("list tokens: %w", err)
		}
		t.Role, t.Created = Role(role), time.Unix(created, 0).UTC()
		out = append(out, t)
	}
	return out, rows.Err()
}

// RevokeToken deletes a token.
func (s *Store) RevokeToken(ctx context.Context, id string) error {
	res, err := s.db.ExecContext(ctx, `DELETE FROM tokens WHERE id = ?`, id)
	if err != nil {
		return fmt.Errorf("revoke token: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return errs.Errorf(errs.NotFound, "no token %q", id)
	}
	return nil
}

func digest(secret string) [32]byte { return sha256.Sum256([]byte(secret)) }
