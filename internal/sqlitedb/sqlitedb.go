// Package sqlitedb holds what every SQLite store of a node shares: opening
// a private database file with modernc.org/sqlite (no cgo) and applying
// embedded, recorded migrations.
package sqlitedb

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"

	_ "modernc.org/sqlite" // registers the "sqlite" driver
)

// Open creates the file if needed, makes it private (0600; SQLite gives
// its -wal and -shm files the same mode), then opens it with the DSN
// parameters params (e.g. "?_pragma=journal_mode(WAL)&…") and pings it.
func Open(ctx context.Context, path, params string) (*sql.DB, error) {
	if path == "" || strings.ContainsAny(path, "?#") {
		return nil, fmt.Errorf("invalid database path %q", path)
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, err
	}
	if err := errors.Join(f.Chmod(0o600), f.Close()); err != nil {
		return nil, err
	}
	db, err := sql.Open("sqlite", path+params)
	if err != nil {
		return nil, err
	}
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}

// OpenMigrated opens the database at path (Open) and applies the
// migrations of fsys (Migrate), closing it again if they fail.
func OpenMigrated(ctx context.Context, path, params string, fsys fs.FS) (*sql.DB, error) {
	db, err := Open(ctx, path, params)
	if err != nil {
		return nil, err
	}
	if err := Migrate(ctx, db, fsys); err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}

// Migrate applies, in name order, each migrations/*.sql file of fsys not
// yet recorded in the schema_migrations table, each in its own transaction.
func Migrate(ctx context.Context, db *sql.DB, fsys fs.FS) error {
	const ddl = `CREATE TABLE IF NOT EXISTS schema_migrations (name TEXT PRIMARY KEY) WITHOUT ROWID`
	if _, err := db.ExecContext(ctx, ddl); err != nil {
		return fmt.Errorf("create schema_migrations: %w", err)
	}
	names, err := fs.Glob(fsys, "migrations/*.sql") // sorted
	if err != nil {
		return err
	}
	for _, name := range names {
		if err := migrateOne(ctx, db, fsys, name); err != nil {
			return fmt.Errorf("migration %s: %w", name, err)
		}
	}
	return nil
}

func migrateOne(ctx context.Context, db *sql.DB, fsys fs.FS, name string) error {
	body, err := fs.ReadFile(fsys, name)
	if err != nil {
		return err
	}
	return InTx(ctx, db, func(tx *sql.Tx) error {
		var done int
		err := tx.QueryRowContext(ctx, `SELECT 1 FROM schema_migrations WHERE name = ?`, name).Scan(&done)
		if err == nil {
			return nil
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		if _, err := tx.ExecContext(ctx, string(body)); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO schema_migrations (name) VALUES (?)`, name)
		return err
	})
}

// InTx runs fn in a transaction, committing if it returns nil.
func InTx(ctx context.Context, db *sql.DB, fn func(*sql.Tx) error) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if err := fn(tx); err != nil {
		return err
	}
	return tx.Commit()
}
