package ledger

import (
	"sync"

	"github.com/bits-and-blooms/bloom/v3"
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
	mu sync.RWMutex
	f  *bloom.BloomFilter
}

const (
	idFilterBitsPerID = 10
	idFilterProbes    = 7
	idFilterMinIDs    = 1 << 20
)

// newIDFilter returns a filter sized for capacity ids.
func newIDFilter(capacity int) *idFilter {
	bits := uint(max(capacity, idFilterMinIDs)) * idFilterBitsPerID
	return &idFilter{f: bloom.New(bits, idFilterProbes)}
}

// add records ids.
func (f *idFilter) add(ids ...string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, id := range ids {
		f.f.AddString(id)
	}
}

// mayContain reports false when id was certainly never added.
func (f *idFilter) mayContain(id string) bool {
	f.mu.RLock()
	defer f.mu.RUnlock()
	return f.f.TestString(id)
}

// loadIDFilter builds the filter from the object ids stored in a.kv: one
// pass counts them, to size the filter, the next adds them.
func (a *App) loadIDFilter() error {
	n := 0
	err := a.kv.Iterate(prefixObject, prefixEnd(prefixObject), func([]byte, []byte) error {
		n++
		return nil
	})
	if err != nil {
		return err
	}
	a.ids = newIDFilter(2 * n)
	return a.kv.Iterate(prefixObject, prefixEnd(prefixObject), func(k, _ []byte) error {
		a.ids.f.Add(k[len(prefixObject):])
		return nil
	})
}
