package projection

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/phalanx-ledger/phalanx/internal/record"
)

// Scan calls fn for every stored version in index order, as the record the
// ledger committed (Type is the stored type), from one consistent snapshot.
// It returns the projection's next index at that snapshot: the rows should
// be exactly the indexes [0, next).
func (s *Store) Scan(ctx context.Context, fn func(record.Record) error) (next uint64, err error) {
	tx, err := s.read.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return 0, fmt.Errorf("scan projection: %w", err)
	}
	defer tx.Rollback()
	n, err := getMeta(ctx, tx, "next_index")
	if err != nil {
		return 0, fmt.Errorf("scan projection: %w", err)
	}
	rows, err := tx.QueryContext(ctx, `SELECT idx, height, added, tx_hash, author, id, type, version, object FROM versions ORDER BY idx`)
	if err != nil {
		return 0, fmt.Errorf("scan projection: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var r record.Record
		var idx, added int64
		if err := rows.Scan(&idx, &r.Height, &added, &r.TxHash, &r.Author, &r.ObjectID, &r.Type, &r.Modified, &r.Object); err != nil {
			return 0, fmt.Errorf("scan projection: %w", err)
		}
		r.Index, r.Time = uint64(idx), time.Unix(0, added).UTC()
		if err := fn(r); err != nil {
			return 0, err
		}
	}
	if err := rows.Err(); err != nil {
		return 0, fmt.Errorf("scan projection: %w", err)
	}
	return uint64(n), nil
}
