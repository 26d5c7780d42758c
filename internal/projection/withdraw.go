package projection

import (
	"context"
	"database/sql"
	"fmt"
)

// Withdraw deletes this node's opened copy of a withdrawn sealed record
// version: its row, labels, observable values and full-text entries, then
// promotes the object's next latest version. It makes the deletion
// physical: the writer runs with secure_delete (freed pages are zeroed),
// the sealed full-text index is merged so no segment keeps the words, and
// the write-ahead log is checkpointed and truncated. Withdrawing what is
// not stored (a record this node could not open) is not an error.
func (s *Store) Withdraw(ctx context.Context, id, version string) error {
	var found bool
	err := inTx(ctx, s.write, func(tx *sql.Tx) error {
		var err error
		found, err = withdraw(ctx, tx, id, version)
		return err
	})
	if err != nil {
		return fmt.Errorf("withdraw %s: %w", id, err)
	}
	if found {
		s.eraseDue.Store(true)
	}
	if err := s.eraseLog(ctx); err != nil {
		return fmt.Errorf("withdraw %s: %w", id, err)
	}
	return nil
}

// eraseLog truncates the write-ahead log if a withdrawal left deleted
// pages in it; on failure it stays due and the next call tries again.
func (s *Store) eraseLog(ctx context.Context) error {
	if !s.eraseDue.Load() {
		return nil
	}
	if err := s.ckpt.truncate(ctx); err != nil {
		return err
	}
	s.eraseDue.Store(false)
	return nil
}

func withdraw(ctx context.Context, tx *sql.Tx, id, version string) (bool, error) {
	var idx, added int64
	var latest bool
	err := tx.QueryRowContext(ctx, `SELECT idx, is_latest, added FROM versions WHERE id = ? AND version = ? AND sealed = 1`, id, version).Scan(&idx, &latest, &added)
	if err == sql.ErrNoRows {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	for _, q := range []string{
		`DELETE FROM versions WHERE idx = ?`,
		`DELETE FROM labels WHERE idx = ?`,
		`DELETE FROM obs_values WHERE idx = ?`,
		`DELETE FROM fts_sealed WHERE rowid = ?`,
	} {
		if _, err := tx.ExecContext(ctx, q, idx); err != nil {
			return false, fmt.Errorf("%s: %w", q, err)
		}
	}
	if err := withdrawTime(ctx, tx, added, idx); err != nil {
		return false, err
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO fts_sealed (fts_sealed) VALUES ('optimize')`); err != nil {
		return false, fmt.Errorf("merge sealed text index: %w", err)
	}
	if latest {
		const promote = `UPDATE versions SET is_latest = 1 WHERE idx = (SELECT idx FROM versions WHERE id = ? ORDER BY vkey DESC, idx DESC LIMIT 1)`
		if _, err := tx.ExecContext(ctx, promote, id); err != nil {
			return false, fmt.Errorf("promote previous version: %w", err)
		}
	}
	return true, nil
}

// withdrawTime keeps added_at true after version idx, stored at block time
// added, is deleted: if it was the first version of its time, the next
// version takes its place when it has the same time (versions of one time
// are consecutive: block times increase with the index), else the time
// has no version left.
func withdrawTime(ctx context.Context, tx *sql.Tx, added, idx int64) error {
	res, err := tx.ExecContext(ctx, `DELETE FROM added_at WHERE added = ? AND first_idx = ?`, added, idx)
	if err != nil {
		return fmt.Errorf("withdraw block time: %w", err)
	}
	if n, err := res.RowsAffected(); err != nil || n == 0 {
		return err
	}
	const next = `INSERT INTO added_at (added, first_idx)
		SELECT added, idx FROM (SELECT added, idx FROM versions WHERE idx > ? ORDER BY idx LIMIT 1) WHERE added = ?`
	if _, err := tx.ExecContext(ctx, next, idx, added); err != nil {
		return fmt.Errorf("withdraw block time: %w", err)
	}
	return nil
}
