package node

import (
	"encoding/binary"
	"fmt"
	"io"

	"github.com/cockroachdb/pebble"
	"github.com/cockroachdb/pebble/bloom"
	dbm "github.com/cometbft/cometbft-db"

	"github.com/phalanx-ledger/phalanx/internal/ledger"
)

// StateKV is the ledger's durable state: a pebble database.
type StateKV struct{ db *dbm.PebbleDB }

var _ ledger.KV = (*StateKV)(nil)

// OpenStateKV opens (or creates) the ledger state database dir/name.db.
func OpenStateKV(dir, name string) (*StateKV, error) {
	// Each block writes several keys per record; with pebble's 4 MiB default
	// a busy ledger flushed a memtable every block or two, and compactions
	// of those small L0 files took 9% of a node's CPU under ingest. With
	// 32 MiB they took under half of that (docs/benchmarks.md).
	db, err := openPebble(name, dir, 32<<20, 64<<20)
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
//
// The batch is sized for the pairs up front: grown from pebble's 1 KiB by
// doubling, a block's batch of several MiB was copied a dozen times (6% of
// the bytes a node allocated under ingest).
func (s *StateKV) Write(pairs []ledger.Pair) error {
	size := batchHeaderLen
	for _, p := range pairs {
		size += len(p.Key) + len(p.Value) + batchEntryOverhead
	}
	b := s.db.DB().NewBatchWithSize(size)
	defer b.Close()
	for _, p := range pairs {
		if err := b.Set(p.Key, p.Value, nil); err != nil {
			return fmt.Errorf("batch set %q: %w", p.Key, err)
		}
	}
	return b.Commit(pebble.Sync)
}

// batchEntryOverhead bounds what a pebble batch adds to each key and
// value: a kind byte and two varint lengths. batchHeaderLen
// is the batch's header (sequence number and count).
const (
	batchEntryOverhead = 1 + 2*binary.MaxVarintLen32
	batchHeaderLen     = 12
)

// Close closes the database.
func (s *StateKV) Close() error { return s.db.Close() }

// openPebble opens (or creates) the pebble database dir/name.db with
// pebbleOptions.
func openPebble(name, dir string, memTable, blockCache int64) (*dbm.PebbleDB, error) {
	opts := pebbleOptions(memTable, blockCache)
	defer opts.Cache.Unref() // the database holds its own reference
	return dbm.NewPebbleDBWithOpts(name, dir, opts)
}

// pebbleOptions are pebble's defaults with a quiet logger, Bloom filters
// (most ledger reads ask for ids that do not exist yet: a filter answers
// those without reading a block), no compression (ledger state, blocks and
// the tx index are written once and read little: snappy on every flush and
// compaction cost more CPU than the disk it saved, docs/benchmarks.md) and
// memtables of memTable bytes and a block cache of blockCache bytes.
//
// Pebble takes its memtables (the mutable one, those waiting to flush and
// one kept for reuse) out of the block cache: a cache no larger than two
// memtables, as pebble's default 8 MiB with 4 MiB memtables, caches
// nothing, and every lookup then reads and checksums filter and index
// blocks from the file (four times the CPU of a cached lookup, measured on
// the ledger state). The cache is therefore blockCache plus two memtables.
func pebbleOptions(memTable, blockCache int64) *pebble.Options {
	opts := &pebble.Options{Logger: QuietLogger{}, MemTableSize: uint64(memTable)}
	opts.Cache = pebble.NewCache(blockCache + 2*memTable)
	opts.EnsureDefaults()
	for i := range opts.Levels {
		opts.Levels[i].FilterPolicy = bloom.FilterPolicy(10)
		opts.Levels[i].FilterType = pebble.TableFilter
		opts.Levels[i].Compression = pebble.NoCompression
	}
	return opts
}

// QuietLogger is a pebble logger that drops pebble's informational lines
// (WAL recovery and such); fatal errors still stop the process.
type QuietLogger struct{}

// Infof drops the line.
func (QuietLogger) Infof(string, ...any) {}

// Errorf drops the line.
func (QuietLogger) Errorf(format string, args ...any) {
	fmt.Fprintf(io.Discard, format, args...)
}

// Fatalf panics with the message.
func (QuietLogger) Fatalf(format string, args ...any) {
	panic(fmt.Sprintf("pebble: "+format, args...))
}
