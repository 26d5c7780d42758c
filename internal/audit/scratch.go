package audit

import (
	"bytes"
	"errors"
	"fmt"
	"path/filepath"
	"slices"

	"github.com/cockroachdb/pebble"
	"github.com/cockroachdb/pebble/bloom"
	"github.com/cockroachdb/pebble/vfs"

	"github.com/phalanx-ledger/phalanx/internal/ledger"
	"github.com/phalanx-ledger/phalanx/internal/node"
)

// Scratch is the ledger state a replay builds, in a temporary directory
// deleted after the audit, so nothing in it needs to survive a crash: two
// pebble databases that write no write-ahead log and never wait for the
// disk (no fsync). A replay of a bulk block writes ~600 bytes a record in
// one batch; a synced log of that, flushed again to tables, made the
// node's state store spend more wall time waiting for the disk than
// computing (docs/benchmarks.md, "Proofs and audit").
//
// The ledger's records (keys under rec/, ~3/4 of the bytes) live in a
// database of their own. They are appended by index, so each table flushed
// there covers indexes no other table does and pebble moves it down the
// levels without rewriting it; kept with the rest, whose keys (object ids)
// land all over the key space, every compaction rewrote them too. Which
// keys go where only decides speed: reads and writes of any key behave as
// in one store. Reads see every write at once, as the ledger needs.
type Scratch struct {
	recs, rest *pebble.DB
	written    *keyFilter // every key written to rest
}

var _ ledger.KV = (*Scratch)(nil)

// Where the records' database begins and ends in the key space.
var (
	recsStart = []byte("rec/")
	recsEnd   = []byte("rec0") // the key after every rec/ key
)

// memTable is the scratch databases' memtable size: a bulk block of
// 50,000 records writes ~35 MB.
const memTable = 64 << 20

// OpenScratch creates the scratch state in dir (which must be new or
// empty and is the caller's to delete).
func OpenScratch(dir string) (*Scratch, error) {
	// Pebble carves its memtables out of the block cache: 32 MiB of
	// blocks (filters and indexes of every table, for the lookups of ids
	// not yet stored) beside two memtables of each database.
	cache := pebble.NewCache(32<<20 + 4*memTable)
	defer cache.Unref() // each database holds its own reference
	recs, err := openScratchDB(filepath.Join(dir, "records"), cache)
	if err != nil {
		return nil, err
	}
	rest, err := openScratchDB(filepath.Join(dir, "state"), cache)
	if err != nil {
		recs.Close()
		return nil, err
	}
	return &Scratch{recs: recs, rest: rest, written: newKeyFilter(filterFirstKeys)}, nil
}

func openScratchDB(dir string, cache *pebble.Cache) (*pebble.DB, error) {
	opts := &pebble.Options{
		FS:                          noSyncFS{vfs.Default},
		Logger:                      node.QuietLogger{},
		DisableWAL:                  true,
		Cache:                       cache,
		MemTableSize:                memTable,
		MemTableStopWritesThreshold: 4,
	}
	opts.EnsureDefaults()
	for i := range opts.Levels {
		// Most of the replay's reads ask for object ids that do not exist
		// yet: a Bloom filter answers them without reading a block.
		opts.Levels[i].FilterPolicy = bloom.FilterPolicy(10)
		opts.Levels[i].FilterType = pebble.TableFilter
		opts.Levels[i].Compression = pebble.NoCompression
	}
	db, err := pebble.Open(dir, opts)
	if err != nil {
		return nil, fmt.Errorf("open scratch state in %s: %w", dir, err)
	}
	return db, nil
}

// db is the database that holds key.
func (s *Scratch) db(key []byte) *pebble.DB {
	if bytes.HasPrefix(key, recsStart) {
		return s.recs
	}
	return s.rest
}

// Get implements ledger.KV.
func (s *Scratch) Get(key []byte) ([]byte, error) {
	db := s.db(key)
	if db == s.rest && !s.written.mayHave(key) {
		return nil, nil
	}
	v, closer, err := db.Get(key)
	if err == pebble.ErrNotFound {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("scratch get %q: %w", key, err)
	}
	defer closer.Close()
	return bytes.Clone(v), nil
}

// Iterate implements ledger.KV: the part of [start, end) before rec/,
// the rec/ keys, and the part after, in that order (end nil: no end).
func (s *Scratch) Iterate(start, end []byte, fn func(k, v []byte) error) error {
	parts := []struct {
		db     *pebble.DB
		lo, hi []byte
	}{
		{s.rest, start, minKey(end, recsStart)},
		{s.recs, maxKey(start, recsStart), minKey(end, recsEnd)},
		{s.rest, maxKey(start, recsEnd), end},
	}
	for _, p := range parts {
		if p.hi != nil && bytes.Compare(p.lo, p.hi) >= 0 {
			continue
		}
		if err := iterate(p.db, p.lo, p.hi, fn); err != nil {
			return err
		}
	}
	return nil
}

// minKey is the smaller of an upper bound (nil: none) and k.
func minKey(bound, k []byte) []byte {
	if bound != nil && bytes.Compare(bound, k) < 0 {
		return bound
	}
	return k
}

// maxKey is the larger of two lower bounds.
func maxKey(a, b []byte) []byte {
	if bytes.Compare(a, b) > 0 {
		return a
	}
	return b
}

func iterate(db *pebble.DB, lo, hi []byte, fn func(k, v []byte) error) error {
	it, err := db.NewIter(&pebble.IterOptions{LowerBound: lo, UpperBound: hi})
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

// Write implements ledger.KV: a batch to each database, never synced. The
// pairs are put in key order first (the ledger's come sorted but for a
// few bookkeeping keys at the end): pebble sorts a batch too large for its
// memtable before applying it, and sorting what is already in order costs
// it little; the stable sort keeps the last of two writes of one key last.
func (s *Scratch) Write(pairs []ledger.Pair) error {
	pairs = slices.Clone(pairs) // the caller's slice stays as it was
	slices.SortStableFunc(pairs, func(a, b ledger.Pair) int { return bytes.Compare(a.Key, b.Key) })
	recs, rest := s.recs.NewBatch(), s.rest.NewBatch()
	defer recs.Close()
	defer rest.Close()
	keys := make([][]byte, 0, len(pairs))
	for _, p := range pairs {
		b := rest
		if bytes.HasPrefix(p.Key, recsStart) {
			b = recs
		} else {
			keys = append(keys, p.Key)
		}
		if err := b.Set(p.Key, p.Value, nil); err != nil {
			return fmt.Errorf("scratch set %q: %w", p.Key, err)
		}
	}
	s.written.add(keys) // before the write: a read may find them as soon as it lands
	for _, b := range []*pebble.Batch{recs, rest} {
		if err := b.Commit(pebble.NoSync); err != nil {
			return fmt.Errorf("scratch write: %w", err)
		}
	}
	return nil
}

// Close closes both databases.
func (s *Scratch) Close() error {
	return errors.Join(s.recs.Close(), s.rest.Close())
}

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
