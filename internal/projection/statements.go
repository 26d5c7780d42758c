package projection

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
)

// statements are the writer connection's prepared inserts, prepared once at
// Open and bound to each Apply transaction.
type statements struct {
	versions, labels, values, addedAt, text, sealedText *table
}

func prepareStatements(ctx context.Context, db *sql.DB) (*statements, error) {
	st := &statements{}
	// OR FAIL and OR IGNORE spare SQLite a statement journal: the default
	// (OR ABORT) must be able to undo a failed multi-row statement alone, so
	// it journals every page the statement touches. Apply never needs that:
	// any error rolls back the whole transaction.
	for _, t := range []struct {
		dst          **table
		insert, cols string
		rows         int
	}{
		{&st.versions, "INSERT OR FAIL INTO versions", "idx, id, type, version, vkey, created, revoked, author, height, added, tx_hash, object, name, is_latest, tlp, recipients, grp, sealed", 100},
		{&st.labels, "INSERT OR IGNORE INTO labels", "label, idx", 250},
		{&st.values, "INSERT OR IGNORE INTO obs_values", "value, idx", 250},
		// OR IGNORE keeps the first (lowest) index stored at a time when a
		// later Apply adds versions of the same block.
		{&st.addedAt, "INSERT OR IGNORE INTO added_at", "added, first_idx", 100},
		// FTS5 writes its pending terms out as a new index segment whenever
		// a statement with a statement journal begins, and a multi-row
		// insert into a virtual table always has one. So text goes in 1,000
		// rows at a time (one segment for a batch of 1,000); rows inserted
		// one by one do not flush.
		{&st.text, "INSERT OR FAIL INTO fts", "rowid, name, description, pattern, vals", 1000},
		{&st.sealedText, "INSERT OR FAIL INTO fts_sealed", "rowid, name, description, pattern, vals", 100},
	} {
		var err error
		if *t.dst, err = prepareTable(ctx, db, t.insert, t.cols, t.rows); err != nil {
			st.close()
			return nil, err
		}
	}
	return st, nil
}

func (st *statements) close() {
	for _, t := range []*table{st.versions, st.labels, st.values, st.addedAt, st.text, st.sealedText} {
		if t != nil {
			t.close()
		}
	}
}

// table is a prepared bulk insert into one table: a multi-row statement for
// chunks of rows, and a one-row statement for the rest.
type table struct {
	name       string
	cols, rows int
	many, one  *sql.Stmt
}

// prepareTable prepares insert (INSERT ... INTO table) of cols
// (comma-separated), for one row and for chunks of rows.
func prepareTable(ctx context.Context, db *sql.DB, insert, cols string, rows int) (*table, error) {
	t := &table{name: insert[strings.LastIndexByte(insert, ' ')+1:], cols: strings.Count(cols, ",") + 1, rows: rows}
	tuple := "(?" + strings.Repeat(", ?", t.cols-1) + ")"
	head := insert + " (" + cols + ") VALUES "
	var err error
	if t.one, err = db.PrepareContext(ctx, head+tuple); err != nil {
		return nil, fmt.Errorf("prepare insert into %s: %w", t.name, err)
	}
	if t.many, err = db.PrepareContext(ctx, head+tuple+strings.Repeat(", "+tuple, rows-1)); err != nil {
		t.one.Close()
		return nil, fmt.Errorf("prepare insert into %s: %w", t.name, err)
	}
	return t, nil
}

func (t *table) close() {
	t.many.Close()
	t.one.Close()
}

// inserter buffers rows of one table in a transaction and inserts each
// chunk as soon as it is full.
type inserter struct {
	t         *table
	many, one *sql.Stmt // bound to the transaction
	args      []any     // buffered rows, flattened
}

func (t *table) in(ctx context.Context, tx *sql.Tx) *inserter {
	return &inserter{
		t:    t,
		many: tx.StmtContext(ctx, t.many),
		one:  tx.StmtContext(ctx, t.one),
		args: make([]any, 0, t.rows*t.cols),
	}
}

// add buffers one row.
func (in *inserter) add(ctx context.Context, row ...any) error {
	in.args = append(in.args, row...)
	if len(in.args) < in.t.rows*in.t.cols {
		return nil
	}
	if _, err := in.many.ExecContext(ctx, in.args...); err != nil {
		return fmt.Errorf("insert into %s: %w", in.t.name, err)
	}
	in.args = in.args[:0]
	return nil
}

// flush inserts the buffered rows one by one.
func (in *inserter) flush(ctx context.Context) error {
	for args := in.args; len(args) > 0; args = args[in.t.cols:] {
		if _, err := in.one.ExecContext(ctx, args[:in.t.cols]...); err != nil {
			return fmt.Errorf("insert into %s: %w", in.t.name, err)
		}
	}
	in.args = in.args[:0]
	return nil
}
