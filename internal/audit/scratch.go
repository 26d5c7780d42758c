package audit

import (
	"bytes"
	"fmt"
	"io"
	"slices"

	"github.com/cockroachdb/pebble"
	"github.com/cockroachdb/pebble/bloom"
	"github.com/cockroachdb/pebble/vfs"

	"github.com/phalanx-ledger/phalanx/internal/ledger"
)

// Scratch is the ledger state a replay builds: a pebble database in a
// temporary directory that is deleted after the audit, so nothing in it
// needs to survive a crash. It writes no write-ahead log and never waits
// for the disk (no fsync): a replay of a bulk block writes ~500 bytes a
// record in one batch, and a synced log of that, flushed again to tables,
// made the node's state store spend more wall time waiting for the disk
// than computing (docs/benchmarks.md, "Proofs and audit"). Reads see every
// write at once, as the ledger needs.
type Scratch struct{ db *pebble.DB }

var _ ledger.KV = (*Scratch)(nil)

// memTable is the scratch state's memtable size: a bulk block of 50,000
// records writes ~35 MB, which pebble then takes as one flushable batch.
const memTable = 64 << 20

// OpenScratch creates the scratch state in dir (which must be new or
// empty and is the caller's to delete).
func OpenScratch(dir string) (*Scratch, error) {
	opts := &pebble.Options{
		FS:         noSyncFS{vfs.Default},
		Logger:     quietLogger{},
		DisableWAL: true,
		// Pebble carves its memtables out of the block cache: 32 MiB of
		// blocks (filters and indexes of every table, for the lookups of
		// ids not yet stored) beside two memtables.
		Cache:                       pebble.NewCache(32<<20 + 2*memTable),
		MemTableSize:                memTable,
		MemTableStopWritesThreshold: 4,
		L0CompactionThreshold:       4,
		L0StopWritesThreshold:       64,
		LBaseMaxBytes:               256 << 20,
	}
	opts.EnsureDefaults()
	for i := range opts.Levels {
		// Most of the replay's reads ask for object ids that do not exist
		// yet: a Bloom filter answers them without reading a block.
		opts.Levels[i].FilterPolicy = bloom.FilterPolicy(10)
		opts.Levels[i].FilterType = pebble.TableFilter
		opts.Levels[i].Compression = pebble.NoCompression
		opts.Levels[i].TargetFileSize = 32 << 20
	}
	defer opts.Cache.Unref() // the database holds its own reference
	db, err := pebble.Open(dir, opts)
	if err != nil {
		return nil, fmt.Errorf("open scratch state in %s: %w", dir, err)
	}
	return &Scratch{db: db}, nil
}

// Get implements ledger.KV.
func (s *Scratch) Get(key []byte) ([]byte, error) {
	v, closer, err := s.db.Get(key)
	if err == pebble.ErrNotFound {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("scratch get %q: %w", key, err)
	}
	defer closer.Close()
	out := make([]byte, len(v))
	copy(out, v)
	return out, nil
}

// Iterate implements ledger.KV.
func (s *Scratch) Iterate(start, end []byte, fn func(k, v []byte) error) error {
	it, err := s.db.NewIter(&pebble.IterOptions{LowerBound: start, UpperBound: end})
	if err != nil {
		return fmt.Errorf("scratch iterate: %w", err)
	}
	for ok := it.First(); ok; ok = it.Next() {
		if err := fn(it.Key(), it.Value()); err != nil {
			it.Close()
			return err
		}
	}
	if err := it.Error(); err != nil {
		it.Close()
		return fmt.Errorf("scratch iterate: %w", err)
	}
	return it.Close()
}

// Write implements ledger.KV: one batch, never synced. The pairs are put
// in key order first (the ledger's come sorted but for a few bookkeeping
// keys at the end): pebble sorts a batch too large for its memtable before
// applying it, and sorting what is already in order costs it little; the
// stable sort keeps the last of two writes of one key last.
func (s *Scratch) Write(pairs []ledger.Pair) error {
	pairs = slices.Clone(pairs) // the caller's slice stays as it was
	slices.SortStableFunc(pairs, func(a, b ledger.Pair) int { return bytes.Compare(a.Key, b.Key) })
	b := s.db.NewBatch()
	defer b.Close()
	for _, p := range pairs {
		if err := b.Set(p.Key, p.Value, nil); err != nil {
			return fmt.Errorf("scratch set %q: %w", p.Key, err)
		}
	}
	if err := b.Commit(pebble.NoSync); err != nil {
		return fmt.Errorf("scratch write: %w", err)
	}
	return nil
}

// Close closes the database.
func (s *Scratch) Close() error { return s.db.Close() }

// noSyncFS is a file system whose files never wait for the disk: the
// scratch state is thrown away after the audit, so there is nothing to
// make durable.
type noSyncFS struct{ vfs.FS }

func (fs noSyncFS) Create(name string) (vfs.File, error) { return noSync(fs.FS.Create(name)) }

func (fs noSyncFS) OpenReadWrite(name string, opts ...vfs.OpenOption) (vfs.File, error) {
	return noSync(fs.FS.OpenReadWrite(name, opts...))
}

func (fs noSyncFS) OpenDir(name string) (vfs.File, error) { return noSync(fs.FS.OpenDir(name)) }

func (fs noSyncFS) ReuseForWrite(oldname, newname string) (vfs.File, error) {
	return noSync(fs.FS.ReuseForWrite(oldname, newname))
}

func noSync(f vfs.File, err error) (vfs.File, error) {
	if err != nil {
		return nil, err
	}
	return noSyncFile{f}, nil
}

type noSyncFile struct{ vfs.File }

func (noSyncFile) Sync() error                    { return nil }
func (noSyncFile) SyncData() error                { return nil }
func (noSyncFile) SyncTo(int64) (bool, error)     { return true, nil }
func (noSyncFile) Preallocate(int64, int64) error { return nil }

// quietLogger drops pebble's informational lines; fatal errors still stop
// the process.
type quietLogger struct{}

func (quietLogger) Infof(string, ...any) {}
func (quietLogger) Errorf(format string, args ...any) {
	fmt.Fprintf(io.Discard, format, args...)
}
func (quietLogger) Fatalf(format string, args ...any) {
	panic(fmt.Sprintf("pebble: "+format, args...))
}
