// Package sqlite keeps a node's relevance data in SQLite (DIR/relevance.db):
// its users' subscriptions, their notifications (unread or read) and how
// far the notifier has read the ledger. It implements the storage side of
// internal/relevance.
package sqlite

import (
	"context"
	"crypto/rand"
	"database/sql"
	"embed"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/phalanx-ledger/phalanx/internal/errs"
	"github.com/phalanx-ledger/phalanx/internal/relevance"
	"github.com/phalanx-ledger/phalanx/internal/sqlitedb"
	"github.com/phalanx-ledger/phalanx/internal/tlp"
)

//go:embed migrations/*.sql
var migrations embed.FS

const dsnParams = "?_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_pragma=synchronous(FULL)&_txlock=immediate"

// MaxPage is the largest page of notifications.
const MaxPage = 500

// Store is the relevance database. It is safe for concurrent use.
type Store struct {
	db  *sql.DB
	now func() time.Time
}

// Open opens (creating, mode 0600) the database at path; now stamps
// subscriptions and notifications (nil: time.Now).
func Open(ctx context.Context, path string, now func() time.Time) (*Store, error) {
	if now == nil {
		now = time.Now
	}
	db, err := sqlitedb.OpenMigrated(ctx, path, dsnParams, migrations)
	if err != nil {
		return nil, fmt.Errorf("open relevance store %s: %w", path, err)
	}
	return &Store{db: db, now: now}, nil
}

// Close closes the database.
func (s *Store) Close() error { return s.db.Close() }

// AddSubscription validates sub and stores it for owner with a new id.
// It fails with errs.Invalid (bad subscription, or owner has
// relevance.MaxSubscriptions already) or errs.Conflict (name taken).
func (s *Store) AddSubscription(ctx context.Context, owner string, sub relevance.Subscription) (relevance.Subscription, error) {
	sub, err := sub.Validate()
	if err != nil {
		return relevance.Subscription{}, err
	}
	var id [8]byte
	rand.Read(id[:])
	sub.ID, sub.Owner, sub.Created = "sub_"+hex.EncodeToString(id[:]), owner, time.Unix(0, s.now().UnixNano()).UTC()
	filter, _ := json.Marshal(sub.Filter) // strings only: cannot fail
	err = sqlitedb.InTx(ctx, s.db, func(tx *sql.Tx) error {
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM subscriptions WHERE owner = ?`, owner).Scan(&n); err != nil {
			return err
		}
		if n >= relevance.MaxSubscriptions {
			return errs.Errorf(errs.Invalid, "%s has %d subscriptions, the most allowed", owner, n)
		}
		const q = `INSERT INTO subscriptions (id, owner, name, filter, notify, webhook, created) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (owner, name) DO NOTHING`
		res, err := tx.ExecContext(ctx, q, sub.ID, owner, sub.Name, string(filter), sub.Notify, sub.Webhook, sub.Created.UnixNano())
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return errs.Errorf(errs.Conflict, "a subscription named %q already exists", sub.Name)
		}
		return nil
	})
	if err != nil {
		return relevance.Subscription{}, fmt.Errorf("add subscription %q: %w", sub.Name, err)
	}
	return sub, nil
}

// Subscriptions lists owner's subscriptions by name; with owner "" every
// owner's, by owner then name.
func (s *Store) Subscriptions(ctx context.Context, owner string) ([]relevance.Subscription, error) {
	q := `SELECT id, owner, name, filter, notify, webhook, created FROM subscriptions WHERE owner = ? ORDER BY name`
	args := []any{owner}
	if owner == "" {
		q, args = `SELECT id, owner, name, filter, notify, webhook, created FROM subscriptions ORDER BY owner, name`, nil
	}
	rows, err := s.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("list subscriptions: %w", err)
	}
	defer rows.Close()
	out := []relevance.Subscription{}
	for rows.Next() {
		var sub relevance.Subscription
		var filter string
		var created int64
		if err := rows.Scan(&sub.ID, &sub.Owner, &sub.Name, &filter, &sub.Notify, &sub.Webhook, &created); err != nil {
			return nil, fmt.Errorf("list subscriptions: %w", err)
		}
		if err := json.Unmarshal([]byte(filter), &sub.Filter); err != nil {
			return nil, fmt.Errorf("subscription %s: stored filter: %w", sub.ID, err)
		}
		sub.Created = time.Unix(0, created).UTC()
		out = append(out, sub)
	}
	return out, rows.Err()
}

// DeleteSubscription deletes owner's subscription id; errs.NotFound if
// owner has none with that id. Its notifications stay.
func (s *Store) DeleteSubscription(ctx context.Context, owner, id string) error {
	res, err := s.db.ExecContext(ctx, `DELETE FROM subscriptions WHERE id = ? AND owner = ?`, id, owner)
	if err != nil {
		return fmt.Errorf("delete subscription %s: %w", id, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return errs.Errorf(errs.NotFound, "no subscription %q", id)
	}
	return nil
}

// Next returns the first ledger index the notifier has not seen, and
// whether it was ever set.
func (s *Store) Next(ctx context.Context) (uint64, bool, error) {
	var v int64
	err := s.db.QueryRowContext(ctx, `SELECT value FROM meta WHERE key = 'next_index'`).Scan(&v)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, false, nil
	}
	if err != nil {
		return 0, false, fmt.Errorf("read notifier position: %w", err)
	}
	return uint64(v), true, nil
}

// Record stores ns (ids are assigned; a second notification for the same
// owner and record is dropped) and moves the notifier to next, in one
// transaction. It returns the notifications stored.
func (s *Store) Record(ctx context.Context, ns []relevance.Notification, next uint64) ([]relevance.Notification, error) {
	var stored []relevance.Notification
	now := time.Unix(0, s.now().UnixNano()).UTC()
	err := sqlitedb.InTx(ctx, s.db, func(tx *sql.Tx) error {
		stored = stored[:0]
		for _, n := range ns {
			l, err := tlp.Parse(n.TLP)
			if err != nil {
				return fmt.Errorf("notification for %s: %w", n.ObjectID, err)
			}
			subs, _ := json.Marshal(n.Subscriptions)
			names, _ := json.Marshal(n.Names)
			const q = `INSERT INTO notifications (owner, idx, object_id, version, type, author, tlp, subscriptions, names, created)
				VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (owner, idx) DO NOTHING RETURNING id`
			err = tx.QueryRowContext(ctx, q, n.Owner, int64(n.Index), n.ObjectID, n.Version, n.Type, n.Author, int(l),
				string(subs), string(names), now.UnixNano()).Scan(&n.ID)
			if errors.Is(err, sql.ErrNoRows) {
				continue
			}
			if err != nil {
				return err
			}
			n.Created = now
			stored = append(stored, n)
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO meta (key, value) VALUES ('next_index', ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value`, int64(next))
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("record notifications: %w", err)
	}
	return stored, nil
}

// NotificationQuery selects one owner's notifications, newest first.
type NotificationQuery struct {
	Owner  string
	Unread bool  // only unread ones
	Before int64 // ids below this (0: from the newest)
	Limit  int   // 0 means 50; at most MaxPage
}

// Notifications returns a page of notifications and whether more follow.
func (s *Store) Notifications(ctx context.Context, q NotificationQuery) ([]relevance.Notification, bool, error) {
	limit := q.Limit
	switch {
	case limit == 0:
		limit = 50
	case limit < 0 || limit > MaxPage:
		return nil, false, errs.Errorf(errs.Invalid, "limit %d out of range [1, %d]", limit, MaxPage)
	}
	where := []string{`owner = ?`}
	args := []any{q.Owner}
	if q.Unread {
		where = append(where, `read_at IS NULL`)
	}
	if q.Before > 0 {
		where = append(where, `id < ?`)
		args = append(args, q.Before)
	}
	sqlText := `SELECT ` + notificationColumns + ` FROM notifications WHERE ` + strings.Join(where, ` AND `) + ` ORDER BY id DESC LIMIT ?`
	ns, err := s.queryNotifications(ctx, sqlText, append(args, limit+1)...)
	if err != nil {
		return nil, false, err
	}
	if len(ns) > limit {
		return ns[:limit], true, nil
	}
	return ns, false, nil
}

// MarkRead marks owner's notification id read (once: the first time
// stays) and returns it; errs.NotFound if owner has no such notification.
func (s *Store) MarkRead(ctx context.Context, owner string, id int64) (relevance.Notification, error) {
	const q = `UPDATE notifications SET read_at = coalesce(read_at, ?) WHERE id = ? AND owner = ?`
	if _, err := s.db.ExecContext(ctx, q, s.now().UnixNano(), id, owner); err != nil {
		return relevance.Notification{}, fmt.Errorf("mark notification %d read: %w", id, err)
	}
	ns, err := s.queryNotifications(ctx, `SELECT `+notificationColumns+` FROM notifications WHERE id = ? AND owner = ?`, id, owner)
	if err != nil {
		return relevance.Notification{}, err
	}
	if len(ns) == 0 {
		return relevance.Notification{}, errs.Errorf(errs.NotFound, "no notification %d", id)
	}
	return ns[0], nil
}

const notificationColumns = `id, owner, idx, object_id, version, type, author, tlp, subscriptions, names, created, read_at`

func (s *Store) queryNotifications(ctx context.Context, q string, args ...any) ([]relevance.Notification, error) {
	rows, err := s.db.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("read notifications: %w", err)
	}
	defer rows.Close()
	out := []relevance.Notification{}
	for rows.Next() {
		var n relevance.Notification
		var idx, lvl, created int64
		var subs, names string
		var readAt sql.NullInt64
		if err := rows.Scan(&n.ID, &n.Owner, &idx, &n.ObjectID, &n.Version, &n.Type, &n.Author, &lvl, &subs, &names, &created, &readAt); err != nil {
			return nil, fmt.Errorf("read notifications: %w", err)
		}
		if err := errors.Join(json.Unmarshal([]byte(subs), &n.Subscriptions), json.Unmarshal([]byte(names), &n.Names)); err != nil {
			return nil, fmt.Errorf("notification %d: %w", n.ID, err)
		}
		n.Index, n.TLP, n.Created = uint64(idx), tlp.Level(lvl).String(), time.Unix(0, created).UTC()
		if readAt.Valid {
			n.Read, n.ReadAt = true, time.Unix(0, readAt.Int64).UTC()
		}
		out = append(out, n)
	}
	return out, rows.Err()
}
