package auth

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/phalanx-ledger/phalanx/internal/access"
	"github.com/phalanx-ledger/phalanx/internal/errs"
	"github.com/phalanx-ledger/phalanx/internal/tlp"
)

// User is an account of the node: a person or integration of the member,
// or a client the member registered, with a role and a TLP clearance.
type User struct {
	Name      string    `json:"name"`
	Role      Role      `json:"role"`
	Clearance string    `json:"clearance"` // TLP level name, e.g. "AMBER+STRICT"
	Client    bool      `json:"client"`    // a registered client, not one of the member's own users
	Created   time.Time `json:"created"`
	Grants    []string  `json:"grants"` // ids of RED records the admin named the user for
}

var userName = regexp.MustCompile(`^[a-z0-9][a-z0-9._@-]{0,63}$`)

// AddUser creates a user and a first token for it, and returns the token's
// secret (shown only once). A client may not be an admin.
func (s *Store) AddUser(ctx context.Context, u User) (string, Token, User, error) {
	lvl, err := tlp.Parse(u.Clearance)
	switch {
	case !userName.MatchString(u.Name):
		return "", Token{}, User{}, errs.Errorf(errs.Invalid, "user name %q: want 1-64 of a-z 0-9 . _ @ - starting with a letter or digit", u.Name)
	case !u.Role.valid():
		return "", Token{}, User{}, errs.Errorf(errs.Invalid, "unknown role %q: want admin, analyst, machine or reader", u.Role)
	case err != nil:
		return "", Token{}, User{}, errs.Errorf(errs.Invalid, "clearance: %v", err)
	case u.Client && u.Role == RoleAdmin:
		return "", Token{}, User{}, errs.Errorf(errs.Invalid, "a registered client cannot be an admin")
	}
	u.Clearance, u.Created, u.Grants = lvl.String(), fromNanos(s.now().UnixNano()), []string{}
	secret, hash, err := newSecret()
	if err != nil {
		return "", Token{}, User{}, fmt.Errorf("add user: %w", err)
	}
	tok := Token{Name: "user " + u.Name, Role: u.Role, Created: u.Created, User: u.Name}
	err = s.inTx(ctx, func(tx *sql.Tx) error {
		const q = `INSERT INTO users (name, role, clearance, client, created) VALUES (?, ?, ?, ?, ?) ON CONFLICT (name) DO NOTHING`
		res, err := tx.ExecContext(ctx, q, u.Name, string(u.Role), int(lvl), u.Client, u.Created.UnixNano())
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return errs.Errorf(errs.Conflict, "user %q already exists", u.Name)
		}
		tok.ID, err = insertToken(ctx, tx, tok, hash)
		return err
	})
	if err != nil {
		return "", Token{}, User{}, fmt.Errorf("add user %s: %w", u.Name, err)
	}
	return secret, tok, u, nil
}

// Grant names user for the RED record id: the user may read it if its
// clearance is RED and it is one of the member's own users.
func (s *Store) Grant(ctx context.Context, user, objectID string) error {
	if !strings.Contains(objectID, "--") || len(objectID) > 300 {
		return errs.Errorf(errs.Invalid, "grant: %q is not a STIX id", objectID)
	}
	const q = `INSERT INTO grants (user_name, object_id, granted) SELECT name, ?, ? FROM users WHERE name = ? ON CONFLICT DO NOTHING`
	res, err := s.db.ExecContext(ctx, q, objectID, s.now().UnixNano(), user)
	if err != nil {
		return fmt.Errorf("grant %s to %s: %w", objectID, user, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		if _, err := s.user(ctx, user); err != nil {
			return err
		}
	}
	return nil
}

// ListUsers returns the users by name, with their grants.
func (s *Store) ListUsers(ctx context.Context) ([]User, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT name FROM users ORDER BY name`)
	if err != nil {
		return nil, fmt.Errorf("list users: %w", err)
	}
	var names []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			rows.Close()
			return nil, fmt.Errorf("list users: %w", err)
		}
		names = append(names, n)
	}
	rows.Close()
	out := make([]User, 0, len(names))
	for _, n := range names {
		u, err := s.user(ctx, n)
		if err != nil {
			return nil, err
		}
		out = append(out, u)
	}
	return out, nil
}

// user reads one user with its grants; errs.NotFound if there is none.
func (s *Store) user(ctx context.Context, name string) (User, error) {
	var u User
	var role string
	var lvl, created int64
	const q = `SELECT name, role, clearance, client, created FROM users WHERE name = ?`
	err := s.db.QueryRowContext(ctx, q, name).Scan(&u.Name, &role, &lvl, &u.Client, &created)
	if errors.Is(err, sql.ErrNoRows) {
		return User{}, errs.Errorf(errs.NotFound, "no user %q", name)
	}
	if err != nil {
		return User{}, fmt.Errorf("read user %s: %w", name, err)
	}
	u.Role, u.Clearance, u.Created = Role(role), tlp.Level(lvl).String(), fromNanos(created)
	if u.Grants, err = s.grants(ctx, name); err != nil {
		return User{}, err
	}
	return u, nil
}

func (s *Store) grants(ctx context.Context, user string) ([]string, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT object_id FROM grants WHERE user_name = ? ORDER BY object_id`, user)
	if err != nil {
		return nil, fmt.Errorf("read grants of %s: %w", user, err)
	}
	defer rows.Close()
	ids := []string{}
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("read grants of %s: %w", user, err)
		}
		ids = append(ids, id)
	}
	return ids, rows.Err()
}

// Viewer is what a token may read: its user's clearance, kind and
// grants, or for a token without a user the member's own full clearance.
func (s *Store) Viewer(ctx context.Context, tok Token) (access.Viewer, error) {
	if tok.User == "" {
		return access.Full(tok.Role == RoleAdmin), nil
	}
	u, err := s.user(ctx, tok.User)
	if err != nil {
		return access.Viewer{}, err
	}
	lvl, err := tlp.Parse(u.Clearance)
	if err != nil {
		return access.Viewer{}, fmt.Errorf("user %s: %w", u.Name, err)
	}
	return access.Viewer{Clearance: lvl, Client: u.Client, Admin: u.Role == RoleAdmin, Grants: u.Grants}, nil
}

func (s *Store) inTx(ctx context.Context, fn func(*sql.Tx) error) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	if err := fn(tx); err != nil {
		tx.Rollback()
		return err
	}
	return tx.Commit()
}
