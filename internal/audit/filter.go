package audit

import (
	"hash/maphash"
	"sync"
)

// keyFilter is a Bloom filter of every key written to a store, so a read
// of a key never written (the replay asks for every object id before its
// first version is stored: most of its reads) is answered without a
// lookup in pebble, whose memtables have no filter and whose tables each
// need one checked. It may answer "maybe" for a key never added (about 1%
// of them), never "no" for one added. It grows as a chain of filters, each
// twice the size of the one before, so nothing is ever rebuilt. Safe for
// concurrent use.
type keyFilter struct {
	seed maphash.Seed

	mu     sync.RWMutex
	chain  []part // the last one takes new keys
	filled int    // keys added to the last one
}

// part is one filter of the chain: bits for up to n keys.
type part struct {
	bits []uint64
	n    int
}

const (
	filterFirstKeys = 1 << 20 // keys the first filter of a chain takes
	filterBitsKey   = 10      // bits a key: ~1% false "maybe" with filterProbes
	filterProbes    = 7
)

func newKeyFilter(first int) *keyFilter {
	f := &keyFilter{seed: maphash.MakeSeed()}
	f.chain = []part{newPart(first)}
	return f
}

func newPart(n int) part {
	return part{bits: make([]uint64, (n*filterBitsKey+63)/64), n: n}
}

// set sets the bits of hash h (double hashing: h and its halves swapped).
func (p part) set(h uint64) {
	m, step := uint64(len(p.bits))*64, h>>32|h<<32|1
	for i := uint64(0); i < filterProbes; i++ {
		pos := (h + i*step) % m
		p.bits[pos/64] |= 1 << (pos % 64)
	}
}

// has reports whether every bit of hash h is set.
func (p part) has(h uint64) bool {
	m, step := uint64(len(p.bits))*64, h>>32|h<<32|1
	for i := uint64(0); i < filterProbes; i++ {
		pos := (h + i*step) % m
		if p.bits[pos/64]&(1<<(pos%64)) == 0 {
			return false
		}
	}
	return true
}

// add records keys (call before they are written).
func (f *keyFilter) add(keys [][]byte) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, k := range keys {
		if f.filled >= f.chain[len(f.chain)-1].n {
			f.chain = append(f.chain, newPart(2*f.chain[len(f.chain)-1].n))
			f.filled = 0
		}
		f.chain[len(f.chain)-1].set(maphash.Bytes(f.seed, k))
		f.filled++
	}
}

// mayHave reports whether key may have been added: false only for a key
// that never was.
func (f *keyFilter) mayHave(key []byte) bool {
	h := maphash.Bytes(f.seed, key)
	f.mu.RLock()
	defer f.mu.RUnlock()
	for _, p := range f.chain {
		if p.has(h) {
			return true
		}
	}
	return false
}
