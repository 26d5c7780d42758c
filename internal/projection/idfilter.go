package projection

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/bits-and-blooms/bloom/v3"
)

// idFilter is a Bloom filter over the STIX ids stored in versions, so that
// Apply looks up the stored versions only of objects that may have some:
// most committed objects are new, and looking each up in versions_id was
// about 7% of Apply's CPU (docs/benchmarks.md, "Session 6").
//
// It never answers "absent" for a stored id: it is built from versions
// inside the transaction that first needs it, and every id Apply stores
// is added. An id added by a transaction that then fails only costs a
// look-up. Only the writer's transactions use it, one at a time.
type idFilter struct {
	f        *bloom.BloomFilter
	n        int  // ids added since the last build (an upper bound of the distinct ones)
	capacity int  // ids the filter was sized for; past it, it is rebuilt larger
	min      int  // smallest capacity
	stale    bool // must be rebuilt from versions before use
}

// Sizing: 10 bits and 7 probes per id give about 1% false positives at
// capacity; a rebuild sizes for twice the stored ids.
const (
	idFilterBitsPerID = 10
	idFilterProbes    = 7
	idFilterMin       = 1 << 16
)

func newIDFilter() *idFilter { return &idFilter{min: idFilterMin, stale: true} }

// ready rebuilds the filter from versions, reading through tx, if it is
// stale or full.
func (f *idFilter) ready(ctx context.Context, tx *sql.Tx) error {
	if !f.stale && f.n <= f.capacity {
		return nil
	}
	var stored int
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM versions`).Scan(&stored); err != nil {
		return fmt.Errorf("size id filter: %w", err)
	}
	f.reset(max(2*stored, f.min))
	rows, err := tx.QueryContext(ctx, `SELECT id FROM versions`)
	if err != nil {
		return fmt.Errorf("build id filter: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return fmt.Errorf("build id filter: %w", err)
		}
		f.add(id)
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("build id filter: %w", err)
	}
	f.stale = false
	return nil
}

// reset empties the filter, sized for capacity ids. It stays stale until
// ready fills it.
func (f *idFilter) reset(capacity int) {
	f.capacity, f.n, f.stale = capacity, 0, true
	f.f = bloom.New(uint(capacity)*idFilterBitsPerID, idFilterProbes)
}

// add records id as stored.
func (f *idFilter) add(id string) {
	f.f.AddString(id)
	f.n++
}

// mayHave reports whether id may be stored; false means it is not.
func (f *idFilter) mayHave(id string) bool { return f.f.TestString(id) }
