// Package projection is the node's local read model of the ledger: a SQLite
// database (modernc.org/sqlite, no cgo) holding every accepted STIX object
// version, indexed for search.
//
// The projection is derived state. It can be thrown away and rebuilt from
// the block store at will: Reset empties it, Apply replays records in ledger
// order, and Digest lets a test or an operator check that a rebuild produced
// exactly the same content.
package projection

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"embed"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"

	_ "modernc.org/sqlite" // registers the "sqlite" driver
)

//go:embed migrations/*.sql
var migrations embed.FS

// Store is the projection database. It is safe for concurrent use: reads
// run in parallel on a pool of read-only connections (WAL lets them proceed
// during writes); writes go through one connection, one at a time.
type Store struct {
	read  *sql.DB
	write *sql.DB // one connection, so Apply and Reset are serialised
	stmts *statements
	ckpt  *checkpointer
	ids   *idFilter // the writer's: ids that may be stored

	// eraseDue is set while a withdrawal's deleted pages may still be in
	// the write-ahead log: every Apply retries the truncating checkpoint
	// until one succeeds.
	eraseDue atomic.Bool
	// sinceCheckpoint counts the records applied since the last
	// checkpoint request (see checkpointRecords).
	sinceCheckpoint atomic.Int64

	closeOnce sync.Once
	closeErr  error
}

// Open opens the projection database at path, creating it (mode 0600: it
// holds decrypted intelligence) and migrating its schema as needed.
func Open(ctx context.Context, path string) (*Store, error) {
	s, err := open(ctx, path)
	if err != nil {
		return nil, fmt.Errorf("open projection %s: %w", path, err)
	}
	return s, nil
}

func open(ctx context.Context, path string) (*Store, error) {
	write, err := openDB(ctx, path, writerParams)
	if err != nil {
		return nil, err
	}
	write.SetMaxOpenConns(1)
	s := &Store{write: write, ids: newIDFilter()}
	if err := s.init(ctx, path); err != nil {
		s.Close()
		return nil, err
	}
	return s, nil
}

// init migrates the schema, then opens the read pool and the checkpointer
// and prepares the writer's statements.
func (s *Store) init(ctx context.Context, path string) error {
	if err := migrate(ctx, s.write, migrations); err != nil {
		return err
	}
	var err error
	if s.read, err = openDB(ctx, path, readerParams); err != nil {
		return err
	}
	ckpt, err := openDB(ctx, path, "")
	if err != nil {
		return err
	}
	ckpt.SetMaxOpenConns(1)
	s.ckpt = startCheckpointer(ckpt)
	s.stmts, err = prepareStatements(ctx, s.write)
	return err
}

// Close closes the database. Closing twice is harmless.
func (s *Store) Close() error {
	s.closeOnce.Do(func() { s.closeErr = s.close() })
	return s.closeErr
}

func (s *Store) close() error {
	if s.stmts != nil {
		s.stmts.close()
	}
	var errs []error
	if s.ckpt != nil {
		errs = append(errs, s.ckpt.close())
	}
	if s.read != nil {
		errs = append(errs, s.read.Close())
	}
	return errors.Join(append(errs, s.write.Close())...)
}

// NextIndex returns the number of records applied so far, which is the
// ledger index Apply expects next.
func (s *Store) NextIndex(ctx context.Context) (uint64, error) {
	n, err := getMeta(ctx, s.read, metaNextIndex)
	if err != nil {
		return 0, fmt.Errorf("next index: %w", err)
	}
	return uint64(n), nil
}

// Height returns the block height of the last applied record, 0 if none.
func (s *Store) Height(ctx context.Context) (int64, error) {
	h, err := getMeta(ctx, s.read, metaHeight)
	if err != nil {
		return 0, fmt.Errorf("height: %w", err)
	}
	return h, nil
}

// Reset deletes every stored version and rewinds the projection to index
// 0, ready for a full reindex.
func (s *Store) Reset(ctx context.Context) error {
	err := inTx(ctx, s.write, func(tx *sql.Tx) error {
		for _, q := range []string{
			`DELETE FROM versions`,
			`DELETE FROM labels`,
			`DELETE FROM obs_values`,
			`DELETE FROM added_at`,
			`INSERT INTO fts (fts) VALUES ('delete-all')`,
			`INSERT INTO fts_sealed (fts_sealed) VALUES ('delete-all')`,
			`UPDATE meta SET value = 0`,
		} {
			if _, err := tx.ExecContext(ctx, q); err != nil {
				return err
			}
		}
		s.ids.stale = true // rebuilt by the next Apply from what is then stored
		return nil
	})
	if err != nil {
		return fmt.Errorf("reset projection: %w", err)
	}
	return nil
}

// Digest returns the hex SHA-256 over every stored version in index order:
// for each, u64be(index) u64be(height) u64be(block time, unix nanos) and
// the length-prefixed id, version, author, tx hash and object bytes. Two
// projections built from the same ledger have the same digest.
func (s *Store) Digest(ctx context.Context) (string, error) {
	rows, err := s.read.QueryContext(ctx, `SELECT idx, height, added, id, version, author, tx_hash, object FROM versions ORDER BY idx`)
	if err != nil {
		return "", fmt.Errorf("digest: %w", err)
	}
	defer rows.Close()
	h := sha256.New()
	var buf []byte
	for rows.Next() {
		var idx, height, added int64
		var id, version, author string
		var txHash, object []byte
		if err := rows.Scan(&idx, &height, &added, &id, &version, &author, &txHash, &object); err != nil {
			return "", fmt.Errorf("digest: %w", err)
		}
		buf = binary.BigEndian.AppendUint64(buf[:0], uint64(idx))
		buf = binary.BigEndian.AppendUint64(buf, uint64(height))
		buf = binary.BigEndian.AppendUint64(buf, uint64(added))
		for _, f := range [][]byte{[]byte(id), []byte(version), []byte(author), txHash, object} {
			buf = binary.BigEndian.AppendUint32(buf, uint32(len(f)))
			buf = append(buf, f...)
		}
		h.Write(buf)
	}
	if err := rows.Err(); err != nil {
		return "", fmt.Errorf("digest: %w", err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}
