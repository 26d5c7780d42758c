package auth

import (
	"context"
	"database/sql"
	"io/fs"

	"github.com/phalanx-ledger/phalanx/internal/sqlitedb"
)

// dsnParams: WAL, a busy timeout instead of SQLITE_BUSY, and FULL sync, so
// that a created or revoked token survives a power cut.
const dsnParams = "?_pragma=busy_timeout(10000)" +
	"&_pragma=journal_mode(WAL)" +
	"&_pragma=synchronous(FULL)" +
	"&_txlock=immediate"

// openDB opens the token database with dsnParams.
func openDB(ctx context.Context, path string) (*sql.DB, error) {
	return sqlitedb.Open(ctx, path, dsnParams)
}

// migrate applies the embedded migrations.
func migrate(ctx context.Context, db *sql.DB, fsys fs.FS) error {
	return sqlitedb.Migrate(ctx, db, fsys)
}
