package projection

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/phalanx-ledger/phalanx/internal/record"
)

// blockLedger returns records committed in blocks as the ledger commits
// them: every version of a block shares its block's time. Five blocks one
// second apart hold records 0–2, 3, 4–7, 8–9 and 10–14; records 3 (alone in
// its block), 7 (last of its block) and 8 (first of its block) are opened
// sealed records, which a withdrawal can delete.
func blockLedger() []record.Record {
	var l ledger
	sizes := []int{3, 1, 4, 2, 5}
	n := 0
	for b, size := range sizes {
		for range size {
			r := l.add("m", indicator(n, "2026-01-01T00:00:00Z", "x", "[ipv4-addr:value = '198.51.100.9']"))
			r.Height, r.Time = int64(b+1), t0.Add(time.Duration(b)*time.Second)
			if n == 3 || n == 8 || n == 7 {
				r.Sealed = []byte{1}
				r.Access = &record.Access{Level: 4, Recipients: []string{"m"}}
			}
			l.recs[n] = r
			n++
		}
	}
	return l.recs
}

// wantAddedAfter fails unless List and Search with AddedAfter return, for
// every time around the stored block times, exactly the stored versions
// committed after it (List in index order, Search newest first).
func wantAddedAfter(t *testing.T, s *Store) {
	t.Helper()
	ctx := context.Background()
	var stored []record.Record
	if _, err := s.Scan(ctx, func(r record.Record) error { stored = append(stored, r); return nil }); err != nil {
		t.Fatal(err)
	}
	for ms := -1500; ms <= 6000; ms += 250 {
		at := t0.Add(time.Duration(ms) * time.Millisecond)
		want := []uint64{}
		for _, r := range stored {
			if r.Time.After(at) {
				want = append(want, r.Index)
			}
		}
		p, err := s.List(ctx, ListQuery{AddedAfter: at, Versions: VersionMatch{All: true}})
		if err != nil {
			t.Fatal(err)
		}
		if got := indexes(p.Items); !slices.Equal(got, want) {
			t.Fatalf("added after %v: %v, want %v", at.Sub(t0), got, want)
		}
		sp, err := s.Search(ctx, Query{AddedAfter: at, AllVersions: true, Limit: 1000})
		if err != nil {
			t.Fatal(err)
		}
		got := indexes(sp.Items)
		slices.Reverse(got) // Search pages newest first
		if !slices.Equal(got, want) {
			t.Fatalf("search added after %v: %v, want %v", at.Sub(t0), got, want)
		}
	}
}

// TestAddedAtOneRowPerBlockTime: Apply writes one added_at row per block
// time, with the block's first index, also when a block's versions come in
// two Apply calls.
func TestAddedAtOneRowPerBlockTime(t *testing.T) {
	s, _ := openTest(t)
	recs := blockLedger()
	mustApply(t, s, recs[:5]...) // the third block (4..7) split across two calls
	mustApply(t, s, recs[5:]...)
	rows, err := s.read.QueryContext(context.Background(), `SELECT added, first_idx FROM added_at ORDER BY added`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var got [][2]int64
	for rows.Next() {
		var added, first int64
		if err := rows.Scan(&added, &first); err != nil {
			t.Fatal(err)
		}
		got = append(got, [2]int64{(added - t0.UnixNano()) / int64(time.Second), first})
	}
	if want := [][2]int64{{0, 0}, {1, 3}, {2, 4}, {3, 8}, {4, 10}}; !slices.Equal(got, want) {
		t.Fatalf("added_at (second, first index) = %v, want %v", got, want)
	}
	wantAddedAfter(t, s)
}

// TestAddedAfterAfterWithdrawals: withdrawing the first version of a block
// time, or the only one, leaves added_after answering as a filter on the
// stored versions.
func TestAddedAfterAfterWithdrawals(t *testing.T) {
	s, _ := openTest(t)
	mustApply(t, s, blockLedger()...)
	ctx := context.Background()
	for _, n := range []int{3, 8, 7} {
		if err := s.Withdraw(ctx, stixID("indicator", n), "2026-01-01T00:00:00Z"); err != nil {
			t.Fatal(err)
		}
		wantAddedAfter(t, s)
	}
	var n int
	if err := s.read.QueryRowContext(ctx, `SELECT count(*) FROM added_at WHERE added = ?`, t0.Add(time.Second).UnixNano()).Scan(&n); err != nil || n != 0 {
		t.Fatalf("block time without versions still in added_at: %d rows (%v)", n, err)
	}
}

// TestMigrationAddedAtOnExistingDatabase: a projection written before
// migration 0003 (versions_added, no added_at) is migrated on open, and
// added_after answers as before.
func TestMigrationAddedAtOnExistingDatabase(t *testing.T) {
	ctx := context.Background()
	s, path := openTest(t)
	mustApply(t, s, blockLedger()...)
	before := make(map[time.Duration][]uint64)
	for ms := -1000; ms <= 5000; ms += 500 {
		p, err := s.List(ctx, ListQuery{AddedAfter: t0.Add(time.Duration(ms) * time.Millisecond), Versions: VersionMatch{All: true}})
		if err != nil {
			t.Fatal(err)
		}
		before[time.Duration(ms)] = indexes(p.Items)
	}
	// Turn the file back into what version 2 of the schema left.
	for _, q := range []string{
		`DROP TABLE added_at`,
		`CREATE INDEX versions_added ON versions (added)`,
		`DELETE FROM schema_migrations WHERE name = 'migrations/0003_added_at.sql'`,
	} {
		if _, err := s.write.ExecContext(ctx, q); err != nil {
			t.Fatal(q, err)
		}
	}
	s2 := reopen(t, s, path)
	var idx, rows int
	if err := s2.read.QueryRowContext(ctx, `SELECT (SELECT count(*) FROM sqlite_schema WHERE name = 'versions_added'), (SELECT count(*) FROM added_at)`).Scan(&idx, &rows); err != nil {
		t.Fatal(err)
	}
	if idx != 0 || rows != 5 {
		t.Fatalf("after migration: versions_added %d, added_at rows %d; want 0 and 5", idx, rows)
	}
	for ms, want := range before {
		p, err := s2.List(ctx, ListQuery{AddedAfter: t0.Add(ms * time.Millisecond), Versions: VersionMatch{All: true}})
		if err != nil {
			t.Fatal(err)
		}
		if got := indexes(p.Items); !slices.Equal(got, want) {
			t.Fatalf("added after %v ms: %v after migration, %v before", int64(ms), got, want)
		}
	}
	wantAddedAfter(t, s2)
}
