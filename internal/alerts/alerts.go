// Package alerts keeps a node's local alerts: the detection matcher's hits,
// aggregated per indicator and matched value (hit count, first and last
// seen, where the last one was), in a private SQLite file. It also gathers
// the hits of an interval per indicator for sightings (see Tally).
package alerts

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"strconv"
	"sync"
	"time"

	"github.com/phalanx-ledger/phalanx/internal/detect"
	"github.com/phalanx-ledger/phalanx/internal/sqlitedb"
)

//go:embed migrations/*.sql
var migrations embed.FS

const dsnParams = "?_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)&_txlock=immediate"

// Alert is the aggregate of the hits on one indicator value.
type Alert struct {
	IndicatorID  string    `json:"indicator_id"`
	Value        string    `json:"value"`
	Type         string    `json:"type"`
	Marking      string    `json:"marking,omitempty"`
	Author       string    `json:"author"`
	Benign       bool      `json:"benign"`
	Hits         int64     `json:"hits"`
	FirstSeen    time.Time `json:"first_seen"`
	LastSeen     time.Time `json:"last_seen"`
	LastWhere    string    `json:"last_where"` // source:line:offset
	LastObserved string    `json:"last_observed"`
}

// Store is the alert database.
type Store struct{ db *sql.DB }

// Open opens (creating) the alert database at path.
func Open(ctx context.Context, path string) (*Store, error) {
	db, err := sqlitedb.OpenMigrated(ctx, path, dsnParams, migrations)
	if err != nil {
		return nil, fmt.Errorf("open alert store %s: %w", path, err)
	}
	return &Store{db: db}, nil
}

// Close closes the database.
func (s *Store) Close() error { return s.db.Close() }

// Record adds aggregated hits in one transaction.
func (s *Store) Record(ctx context.Context, as []Alert) error {
	if len(as) == 0 {
		return nil
	}
	return sqlitedb.InTx(ctx, s.db, func(tx *sql.Tx) error {
		for _, a := range as {
			_, err := tx.ExecContext(ctx, `INSERT INTO alerts (indicator_id, value, type, marking, author, benign, hits,
				first_seen, last_seen, last_where, last_observed) VALUES (?,?,?,?,?,?,?,?,?,?,?)
				ON CONFLICT (indicator_id, value) DO UPDATE SET hits = hits + excluded.hits,
				first_seen = min(first_seen, excluded.first_seen), last_seen = max(last_seen, excluded.last_seen),
				last_where = excluded.last_where, last_observed = excluded.last_observed, benign = excluded.benign,
				marking = excluded.marking`,
				a.IndicatorID, a.Value, a.Type, a.Marking, a.Author, a.Benign, a.Hits,
				a.FirstSeen.UnixNano(), a.LastSeen.UnixNano(), a.LastWhere, a.LastObserved)
			if err != nil {
				return fmt.Errorf("record alert %s: %w", a.IndicatorID, err)
			}
		}
		return nil
	})
}

// List returns up to limit alerts, most recently seen first, optionally
// only those seen at or after since.
func (s *Store) List(ctx context.Context, since time.Time, limit int) ([]Alert, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT indicator_id, value, type, marking, author, benign, hits, first_seen,
		last_seen, last_where, last_observed FROM alerts WHERE last_seen >= ? ORDER BY last_seen DESC, indicator_id LIMIT ?`,
		since.UnixNano(), limit)
	if err != nil {
		return nil, fmt.Errorf("list alerts: %w", err)
	}
	defer rows.Close()
	out := []Alert{}
	for rows.Next() {
		var a Alert
		var first, last int64
		if err := rows.Scan(&a.IndicatorID, &a.Value, &a.Type, &a.Marking, &a.Author, &a.Benign, &a.Hits, &first, &last,
			&a.LastWhere, &a.LastObserved); err != nil {
			return nil, fmt.Errorf("list alerts: %w", err)
		}
		a.FirstSeen, a.LastSeen = time.Unix(0, first).UTC(), time.Unix(0, last).UTC()
		out = append(out, a)
	}
	return out, rows.Err()
}

// Tally aggregates hits in memory, per indicator and value, until taken.
// It is safe for concurrent use.
type Tally struct {
	mu   sync.Mutex
	hits map[[2]string]*Alert
}

// NewTally returns an empty tally.
func NewTally() *Tally { return &Tally{hits: map[[2]string]*Alert{}} }

// Add counts one hit seen at time at.
func (t *Tally) Add(h detect.Hit, at time.Time) {
	t.mu.Lock()
	defer t.mu.Unlock()
	k := [2]string{h.IndicatorID, h.Value}
	a := t.hits[k]
	if a == nil {
		a = &Alert{IndicatorID: h.IndicatorID, Value: h.Value, Type: h.Type, Marking: h.Marking, Author: h.Author, FirstSeen: at}
		t.hits[k] = a
	}
	a.Hits++
	a.LastSeen, a.Benign, a.LastObserved = at, h.Benign, h.Observed
	a.LastWhere = h.Source + ":" + strconv.FormatInt(h.Line, 10) + ":" + strconv.Itoa(h.Offset)
}

// Take returns the aggregates and empties the tally.
func (t *Tally) Take() []Alert {
	t.mu.Lock()
	defer t.mu.Unlock()
	out := make([]Alert, 0, len(t.hits))
	for _, a := range t.hits {
		out = append(out, *a)
	}
	clear(t.hits)
	return out
}
