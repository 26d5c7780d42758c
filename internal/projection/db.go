package projection

import (
	"context"
	"database/sql"
	"io/fs"

	"github.com/phalanx-ledger/phalanx/internal/sqlitedb"
)

// Keys of the meta table.
const (
	metaNextIndex = "next_index"
	metaHeight    = "height"
)

// dsnParams are applied to every connection: WAL so readers never block
// the writer, a busy timeout instead of SQLITE_BUSY, NORMAL sync (durable
// at checkpoints; the projection can be rebuilt anyway), and IMMEDIATE
// write transactions so that a writer never has to upgrade a read lock.
const dsnParams = "?_pragma=busy_timeout(10000)" +
	"&_pragma=journal_mode(WAL)" +
	"&_pragma=synchronous(NORMAL)" +
	"&_pragma=temp_store(MEMORY)" +
	"&_pragma=cache_size(-32000)" +
	"&_txlock=immediate"

// Extra parameters of the writer and reader connections. The writer leaves
// checkpoints to the checkpointer: it checkpoints itself only when the log
// passes 10,000 pages (40 MB), and trims the log file back to 64 MB. It
// zeroes what it deletes (secure_delete), so that text of a withdrawn
// record, or index segments merged away, leave no bytes behind in free
// pages.
const (
	writerParams = "&_pragma=wal_autocheckpoint(10000)&_pragma=journal_size_limit(67108864)&_pragma=secure_delete(ON)"
	readerParams = "&_query_only=1"
)

// openDB opens the projection with dsnParams and extra.
func openDB(ctx context.Context, path, extra string) (*sql.DB, error) {
	return sqlitedb.Open(ctx, path, dsnParams+extra)
}

// migrate applies the embedded migrations.
func migrate(ctx context.Context, db *sql.DB, fsys fs.FS) error {
	return sqlitedb.Migrate(ctx, db, fsys)
}

// inTx runs fn in a transaction, committing if it returns nil.
func inTx(ctx context.Context, db *sql.DB, fn func(*sql.Tx) error) error {
	return sqlitedb.InTx(ctx, db, fn)
}

// querier is what *sql.DB and *sql.Tx have in common.
type querier interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

func getMeta(ctx context.Context, q querier, key string) (int64, error) {
	var v int64
	err := q.QueryRowContext(ctx, `SELECT value FROM meta WHERE key = ?`, key).Scan(&v)
	return v, err
}
