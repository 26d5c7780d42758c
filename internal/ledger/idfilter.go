package ledger

import (
	"sync"

	"github.com/cespare/xxhash/v2"
)

// idFilter is a Bloom filter over the ids of every object on the ledger. A
// transaction mostly publishes ids the ledger has never seen, and proving
// an id absent from pebble costs a search of every memtable (they have no
// filters) on each of CheckTx and FinalizeBlock: 6% of a node's CPU under
// ingest (docs/benchmarks.md, "Session 4"). The filter answers most of
// those "no" from memory.
//
// It never changes an outcome: an id it does not hold is certainly not
// stored (every committed id is added before the block's writes are
// made durable, and at load), and one it may hold is read from pebble as
// before. It is sized at load for twice the ids then stored (at least
// 2^20), at 10 bits and 7 probes per id (under 1% false positives); past
// that size it keeps working with more false positives, until the next
// start sizes it anew. Safe for concurrent use.
type idFilter struct {
	mu    sync.RWMutex
	words []uint64
	mask  uint64 // bits - 1; the bit count is a power of two
}

const (
	idFilterBitsPerID = 10
	idFilterProbes    = 7
	idFilterMinIDs    = 1 << 20
)

// newIDFilter returns a filter sized for capacity ids.
func newIDFilter(capacity int) *idFilter {
	bits := uint64(64)
	for bits < uint64(max(capacity, idFilterMinIDs))*idFilterBitsPerID {
		bits <<= 1
	}
	return &idFilter{words: make([]uint64, bits/64), mask: bits - 1}
}

// hashID is the filter's hash of an id.
func hashID(id string) uint64 { return xxhash.Sum64String(id) }

// add records ids by their hashes.
func (f *idFilter) add(hashes ...uint64) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, h := range hashes {
		for i, step := uint64(0), h>>32|h<<32|1; i < idFilterProbes; i++ {
			bit := (h + i*step) & f.mask
			f.words[bit/64] |= 1 << (bit % 64)
		}
	}
}

// mayContain reports false when id was certainly never added.
func (f *idFilter) mayContain(id string) bool {
	h := hashID(id)
	f.mu.RLock()
	defer f.mu.RUnlock()
	for i, step := uint64(0), h>>32|h<<32|1; i < idFilterProbes; i++ {
		bit := (h + i*step) & f.mask
		if f.words[bit/64]&(1<<(bit%64)) == 0 {
			return false
		}
	}
	return true
}

// loadIDFilter builds the filter from the object ids stored in a.kv.
func (a *App) loadIDFilter() error {
	var hashes []uint64
	err := a.kv.Iterate(prefixObject, prefixEnd(prefixObject), func(k, _ []byte) error {
		hashes = append(hashes, hashID(string(k[len(prefixObject):])))
		return nil
	})
	if err != nil {
		return err
	}
	a.ids = newIDFilter(2 * len(hashes))
	a.ids.add(hashes...)
	return nil
}
