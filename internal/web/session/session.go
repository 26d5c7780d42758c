// Package session keeps the web UI's signed-in browsers in a small SQLite
// file of their own (DIR/web.db): a random session id goes to the browser
// in a cookie; the store keeps only its SHA-256, the credential it stands
// for, a per-session CSRF token and an expiry.
package session

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"embed"
	"encoding/base64"
	"errors"
	"fmt"
	"time"

	"github.com/phalanx-ledger/phalanx/internal/errs"
	"github.com/phalanx-ledger/phalanx/internal/sqlitedb"
)

//go:embed migrations/*.sql
var migrations embed.FS

// dsnParams: WAL and a busy timeout; NORMAL sync, since a session lost in
// a power cut only means signing in again.
const dsnParams = "?_pragma=busy_timeout(10000)" +
	"&_pragma=journal_mode(WAL)" +
	"&_pragma=synchronous(NORMAL)" +
	"&_txlock=immediate"

// idBytes is the entropy of a session id and of a CSRF token.
const idBytes = 32

// Session is one signed-in browser.
type Session struct {
	TokenID string    // the credential the user signed in with
	Role    string    // its role at sign-in
	CSRF    string    // token every state-changing form must carry
	Created time.Time // sign-in time
	Expires time.Time // after this the session is gone
}

// Store is a node's session database. It is safe for concurrent use.
type Store struct {
	db  *sql.DB
	now func() time.Time
}

// Open opens (creating, with mode 0600) the session database at path. now
// is the clock; nil means time.Now.
func Open(ctx context.Context, path string, now func() time.Time) (*Store, error) {
	if now == nil {
		now = time.Now
	}
	db, err := sqlitedb.OpenMigrated(ctx, path, dsnParams, migrations)
	if err != nil {
		return nil, fmt.Errorf("open session store %s: %w", path, err)
	}
	return &Store{db: db, now: now}, nil
}

// Close closes the database.
func (s *Store) Close() error { return s.db.Close() }

// Create starts a session for the credential tokenID with role, valid for
// ttl, and returns the session id for the cookie (shown only here) and the
// session. It also deletes expired sessions.
func (s *Store) Create(ctx context.Context, tokenID, role string, ttl time.Duration) (string, Session, error) {
	if tokenID == "" || ttl <= 0 {
		return "", Session{}, errs.Errorf(errs.Invalid, "session needs a credential and a positive lifetime")
	}
	id, err := random()
	if err != nil {
		return "", Session{}, fmt.Errorf("create session: %w", err)
	}
	csrf, err := random()
	if err != nil {
		return "", Session{}, fmt.Errorf("create session: %w", err)
	}
	now := s.now()
	sess := Session{TokenID: tokenID, Role: role, CSRF: csrf, Created: now.UTC(), Expires: now.Add(ttl).UTC()}
	if _, err := s.db.ExecContext(ctx, `DELETE FROM sessions WHERE expires <= ?`, now.UnixNano()); err != nil {
		return "", Session{}, fmt.Errorf("create session: purge expired: %w", err)
	}
	const q = `INSERT INTO sessions (hash, token_id, role, csrf, created, expires) VALUES (?, ?, ?, ?, ?, ?)`
	if _, err := s.db.ExecContext(ctx, q, hash(id), tokenID, role, csrf, now.UnixNano(), sess.Expires.UnixNano()); err != nil {
		return "", Session{}, fmt.Errorf("create session: %w", err)
	}
	return id, sess, nil
}

// Get returns the live session with id; errs.Unauthenticated if there is
// none or it has expired.
func (s *Store) Get(ctx context.Context, id string) (Session, error) {
	none := errs.Errorf(errs.Unauthenticated, "no session; sign in")
	if id == "" || len(id) > 100 {
		return Session{}, none
	}
	const q = `SELECT token_id, role, csrf, created, expires FROM sessions WHERE hash = ? AND expires > ?`
	var sess Session
	var created, expires int64
	err := s.db.QueryRowContext(ctx, q, hash(id), s.now().UnixNano()).Scan(&sess.TokenID, &sess.Role, &sess.CSRF, &created, &expires)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return Session{}, none
	case err != nil:
		return Session{}, fmt.Errorf("get session: %w", err)
	}
	sess.Created, sess.Expires = time.Unix(0, created).UTC(), time.Unix(0, expires).UTC()
	return sess, nil
}

// Delete ends the session with id (signing out). Deleting a session that
// does not exist is not an error.
func (s *Store) Delete(ctx context.Context, id string) error {
	if _, err := s.db.ExecContext(ctx, `DELETE FROM sessions WHERE hash = ?`, hash(id)); err != nil {
		return fmt.Errorf("delete session: %w", err)
	}
	return nil
}

// DeleteForToken ends every session signed in with the credential tokenID
// (used when the credential is revoked).
func (s *Store) DeleteForToken(ctx context.Context, tokenID string) error {
	if _, err := s.db.ExecContext(ctx, `DELETE FROM sessions WHERE token_id = ?`, tokenID); err != nil {
		return fmt.Errorf("delete sessions of %s: %w", tokenID, err)
	}
	return nil
}

func hash(id string) []byte {
	sum := sha256.Sum256([]byte(id))
	return sum[:]
}

// random returns 32 random bytes as unpadded base64url.
func random() (string, error) {
	b := make([]byte, idBytes)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}
