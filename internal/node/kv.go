package node

import (
	"fmt"
	"io"

	"github.com/cockroachdb/pebble"
	dbm "github.com/cometbft/cometbft-db"

	"github.com/phalanx-ledger/phalanx/internal/ledger"
)

// StateKV is the ledger's durable state: a pebble database.
type StateKV struct{ db *dbm.PebbleDB }

var _ ledger.KV = (*StateKV)(nil)

// OpenStateKV opens (or creates) the ledger state database dir/name.db.
func OpenStateKV(dir, name string) (*StateKV, error) {
	db, err := dbm.NewPebbleDBWithOpts(name, dir, quietPebble())
	if err != nil {
		return nil, fmt.Errorf("open ledger state in %s: %w", dir, err)
	}
	return &StateKV{db: db}, nil
}

// Get implements ledger.KV.
func (s *StateKV) Get(key []byte) ([]byte, error) { return s.db.Get(key) }

// Iterate implements ledger.KV.
func (s *StateKV) Iterate(start, end []byte, fn func(k, v []byte) error) error {
	it, err := s.db.Iterator(start, end)
	if err != nil {
		return err
	}
	defer it.Close()
	for ; it.Valid(); it.Next() {
		if err := fn(it.Key(), it.Value()); err != nil {
			return err
		}
	}
	return it.Error()
}

// Write implements ledger.KV: one synced pebble batch.
func (s *StateKV) Write(pairs []ledger.Pair) error {
	b := s.db.NewBatch()
	defer b.Close()
	for _, p := range pairs {
		if err := b.Set(p.Key, p.Value); err != nil {
			return fmt.Errorf("batch set %q: %w", p.Key, err)
		}
	}
	return b.WriteSync()
}

// Close closes the database.
func (s *StateKV) Close() error { return s.db.Close() }

func quietPebble() *pebble.Options {
	opts := &pebble.Options{Logger: quietLogger{}}
	opts.EnsureDefaults()
	return opts
}

// quietLogger drops pebble's informational lines (WAL recovery and such);
// fatal errors still stop the process.
type quietLogger struct{}

func (quietLogger) Infof(string, ...any) {}
func (quietLogger) Errorf(format string, args ...any) {
	fmt.Fprintf(io.Discard, format, args...)
}
func (quietLogger) Fatalf(format string, args ...any) {
	panic(fmt.Sprintf("pebble: "+format, args...))
}
