package taxii

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"net/http"
	"time"

	"github.com/phalanx-ledger/phalanx/internal/errs"
	"github.com/phalanx-ledger/phalanx/internal/sqlitedb"
)

//go:embed migrations/*.sql
var migrations embed.FS

// Status is a TAXII 2.1 status resource (§4.3.1).
type Status struct {
	ID               string          `json:"id"`
	Status           string          `json:"status"` // "complete" or "pending"
	RequestTimestamp string          `json:"request_timestamp,omitempty"`
	TotalCount       int             `json:"total_count"`
	SuccessCount     int             `json:"success_count"`
	Successes        []StatusDetails `json:"successes,omitempty"`
	FailureCount     int             `json:"failure_count"`
	Failures         []StatusDetails `json:"failures,omitempty"`
	PendingCount     int             `json:"pending_count"`
	Pendings         []StatusDetails `json:"pendings,omitempty"`
}

// StatusDetails names one object of a status resource (§4.3.2).
type StatusDetails struct {
	ID      string `json:"id"`
	Version string `json:"version"`
	Message string `json:"message,omitempty"`
}

// Item states.
const (
	statePending = "pending"
	stateSuccess = "success"
	stateFailure = "failure"
)

// statusItem is one posted object and what became of it.
type statusItem struct {
	object, version, tx, state, message string
}

type statusStore struct{ db *sql.DB }

const statusDSN = "?_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)&_txlock=immediate"

func openStatusStore(ctx context.Context, path string) (*statusStore, error) {
	db, err := sqlitedb.OpenMigrated(ctx, path, statusDSN, migrations)
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(1)
	return &statusStore{db: db}, nil
}

func (st *statusStore) close() error { return st.db.Close() }

// create stores a new status resource.
func (st *statusStore) create(ctx context.Context, id, token string, at time.Time, items []statusItem) error {
	return sqlitedb.InTx(ctx, st.db, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO statuses (id, token, requested) VALUES (?, ?, ?)`, id, token, at.UnixNano()); err != nil {
			return fmt.Errorf("insert status %s: %w", id, err)
		}
		for i, it := range items {
			_, err := tx.ExecContext(ctx, `INSERT INTO status_items (status, pos, object, version, tx, state, message) VALUES (?, ?, ?, ?, ?, ?, ?)`,
				id, i, it.object, it.version, it.tx, it.state, it.message)
			if err != nil {
				return fmt.Errorf("insert status %s item %d: %w", id, i, err)
			}
		}
		return nil
	})
}

// load returns a status resource's request time and items; errs.NotFound
// if there is none for this token.
func (st *statusStore) load(ctx context.Context, id, token string) (time.Time, []statusItem, error) {
	var at int64
	err := st.db.QueryRowContext(ctx, `SELECT requested FROM statuses WHERE id = ? AND token = ?`, id, token).Scan(&at)
	if err == sql.ErrNoRows {
		return time.Time{}, nil, errs.Errorf(errs.NotFound, "no status %q", clip(id))
	}
	if err != nil {
		return time.Time{}, nil, fmt.Errorf("load status %s: %w", id, err)
	}
	rows, err := st.db.QueryContext(ctx, `SELECT object, version, tx, state, message FROM status_items WHERE status = ? ORDER BY pos`, id)
	if err != nil {
		return time.Time{}, nil, fmt.Errorf("load status %s: %w", id, err)
	}
	defer rows.Close()
	var items []statusItem
	for rows.Next() {
		var it statusItem
		if err := rows.Scan(&it.object, &it.version, &it.tx, &it.state, &it.message); err != nil {
			return time.Time{}, nil, fmt.Errorf("load status %s: %w", id, err)
		}
		items = append(items, it)
	}
	return time.Unix(0, at).UTC(), items, rows.Err()
}

// settle records the outcome of the items of one transaction.
func (st *statusStore) settle(ctx context.Context, id, txHash, state, message string) error {
	_, err := st.db.ExecContext(ctx, `UPDATE status_items SET state = ?, message = ? WHERE status = ? AND tx = ? AND state = ?`,
		state, message, id, txHash, statePending)
	if err != nil {
		return fmt.Errorf("settle status %s tx %s: %w", id, txHash, err)
	}
	return nil
}

func (s *Server) getStatus(w http.ResponseWriter, r *http.Request, req *request) error {
	id := r.PathValue("status")
	at, items, err := s.statuses.load(r.Context(), id, req.caller.TokenID)
	if err != nil {
		return err
	}
	if items, err = s.resolve(r.Context(), id, at, items); err != nil {
		return err
	}
	writeTAXII(w, http.StatusOK, statusOf(id, at, items))
	return nil
}

// resolve asks the ledger about the transactions of pending items and
// stores what it learns. An item still pending after StatusExpiry failed:
// its transaction left the mempool without being committed.
func (s *Server) resolve(ctx context.Context, id string, at time.Time, items []statusItem) ([]statusItem, error) {
	done := map[string][2]string{} // tx → state, message
	for _, it := range items {
		if it.state != statePending {
			continue
		}
		if _, ok := done[it.tx]; ok {
			continue
		}
		out, err := s.cfg.Publisher.Outcome(ctx, it.tx)
		switch {
		case err == nil && out.Code == 0:
			done[it.tx] = [2]string{stateSuccess, "committed at height " + fmt.Sprint(out.Height)}
		case err == nil:
			done[it.tx] = [2]string{stateFailure, "rejected by the ledger: " + out.Codename + ": " + out.Log}
		case errs.CodeOf(err) == errs.NotFound && s.now().Sub(at) > StatusExpiry:
			done[it.tx] = [2]string{stateFailure, "not committed within " + StatusExpiry.String()}
		case errs.CodeOf(err) == errs.NotFound:
		default:
			return nil, fmt.Errorf("status %s: outcome of %s: %w", id, it.tx, err)
		}
	}
	for tx, d := range done {
		if err := s.statuses.settle(ctx, id, tx, d[0], d[1]); err != nil {
			return nil, err
		}
	}
	for i, it := range items {
		if d, ok := done[it.tx]; ok && it.state == statePending {
			items[i].state, items[i].message = d[0], d[1]
		}
	}
	return items, nil
}

func statusOf(id string, at time.Time, items []statusItem) Status {
	st := Status{ID: id, Status: "complete", RequestTimestamp: formatTimestamp(at), TotalCount: len(items)}
	for _, it := range items {
		d := StatusDetails{ID: it.object, Version: it.version, Message: it.message}
		switch it.state {
		case stateSuccess:
			st.Successes = append(st.Successes, d)
		case stateFailure:
			st.Failures = append(st.Failures, d)
		default:
			st.Pendings = append(st.Pendings, d)
		}
	}
	st.SuccessCount, st.FailureCount, st.PendingCount = len(st.Successes), len(st.Failures), len(st.Pendings)
	if st.PendingCount > 0 {
		st.Status = "pending"
	}
	return st
}
