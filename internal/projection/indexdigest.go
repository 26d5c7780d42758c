package projection

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/binary"
	"encoding/hex"
	"fmt"
)

// indexDumps are the queries whose rows IndexDigest hashes, in order:
// every column of every version, the label, value and time indexes, and
// each word of the full-text indexes with where it occurs.
var indexDumps = []string{
	`SELECT idx, id, type, version, vkey, created, revoked, author, height, added, tx_hash, object, name, is_latest, tlp, recipients, grp, sealed FROM versions ORDER BY idx`,
	`SELECT label, idx FROM labels ORDER BY label, idx`,
	`SELECT value, idx FROM obs_values ORDER BY value, idx`,
	`SELECT added, first_idx FROM added_at ORDER BY added`,
	`SELECT term, doc, col, offset FROM temp.fts_terms ORDER BY term, doc, col, offset`,
	`SELECT term, doc, col, offset FROM temp.fts_sealed_terms ORDER BY term, doc, col, offset`,
}

// IndexDigest returns the hex SHA-256 over everything the projection
// derived from the ledger's records, not only what Digest covers: every
// column of every version (name, created, revoked, TLP, ...), its labels
// and observable values, the block-time index, and the words of the
// full-text indexes with their positions. Two projections that answer
// every query alike have the same index digest; a rebuild must give the
// live projection's.
func (s *Store) IndexDigest(ctx context.Context) (string, error) {
	conn, err := s.write.Conn(ctx)
	if err != nil {
		return "", fmt.Errorf("index digest: %w", err)
	}
	defer conn.Close()
	for _, vocab := range []string{
		`CREATE VIRTUAL TABLE IF NOT EXISTS temp.fts_terms USING fts5vocab(main, fts, instance)`,
		`CREATE VIRTUAL TABLE IF NOT EXISTS temp.fts_sealed_terms USING fts5vocab(main, fts_sealed, instance)`,
	} {
		if _, err := conn.ExecContext(ctx, vocab); err != nil {
			return "", fmt.Errorf("index digest: %w", err)
		}
	}
	h := sha256.New()
	for _, q := range indexDumps {
		if err := hashRows(ctx, conn, q, h.Write); err != nil {
			return "", fmt.Errorf("index digest: %w", err)
		}
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// hashRows writes every row of q to write: each value length-prefixed
// after a byte naming its type.
func hashRows(ctx context.Context, conn *sql.Conn, q string, write func([]byte) (int, error)) error {
	rows, err := conn.QueryContext(ctx, q)
	if err != nil {
		return err
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return err
	}
	vals := make([]any, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	var buf []byte
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return err
		}
		buf = buf[:0]
		for _, v := range vals {
			buf = appendValue(buf, v)
		}
		write(buf)
	}
	write([]byte{0xff}) // end of table
	return rows.Err()
}

func appendValue(b []byte, v any) []byte {
	var kind byte
	var data []byte
	switch v := v.(type) {
	case nil:
		kind = 'n'
	case int64:
		kind, data = 'i', binary.BigEndian.AppendUint64(nil, uint64(v))
	case string:
		kind, data = 's', []byte(v)
	case []byte:
		kind, data = 'b', v
	default:
		kind, data = '?', fmt.Appendf(nil, "%v", v)
	}
	b = append(b, kind)
	b = binary.BigEndian.AppendUint32(b, uint32(len(data)))
	return append(b, data...)
}
