package ledger

import (
	"bytes"
	"sync"

	"github.com/phalanx-ledger/phalanx/internal/tx"
)

// envelopeCache remembers recent transactions that decoded and whose
// signature verified, by transaction hash, so that a transaction is decoded
// and verified once on a node: in CheckTx, and not again in FinalizeBlock
// or in each mempool recheck. Decoding a v2 transaction copies its items
// and re-encodes the whole envelope to prove it canonical, and verifying
// hashes every item; both were done two or three times per transaction
// (docs/benchmarks.md, "Session 4").
//
// Using an entry cannot change any outcome: the decoded transaction is a
// pure function of the bytes, and an entry also records the one key its
// signature verified with, so the signature check is skipped only for
// that same key. Every other envelope check (chain, membership, status,
// nonce, size) still runs each time. Entries are read-only once stored:
// the item tree a v2 transaction computes lazily is built by the
// verification before the entry is stored. Bounded by the bytes the
// decoded transactions hold (a compressed one's items expanded, so a
// cached transaction also spares a second decompression), evicting
// oldest first: 32 MiB, four full blocks of uncompressed transactions, is
// ample for a transaction to go from CheckTx to its block.
type envelopeCache struct {
	mu       sync.Mutex
	maxBytes int
	bytes    int
	m        map[[32]byte]verifiedTx
	order    [][32]byte
}

// verifiedTx is one entry: the decoded transaction, the key its signature
// verified with, and the bytes it holds (tx.Tx.ExpandedSize).
type verifiedTx struct {
	t    *tx.Tx
	key  []byte
	size int
}

func newEnvelopeCache(maxBytes int) *envelopeCache {
	return &envelopeCache{maxBytes: maxBytes, m: map[[32]byte]verifiedTx{}}
}

// get returns the decoded transaction with hash k and the key its
// signature verified with; nil, nil when k is not cached.
func (c *envelopeCache) get(k [32]byte) (*tx.Tx, []byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	v := c.m[k]
	return v.t, v.key
}

// put records that t, of size bytes and hash k, verified with key.
func (c *envelopeCache) put(k [32]byte, size int, t *tx.Tx, key []byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.m[k]; ok || size > c.maxBytes {
		return
	}
	for c.bytes+size > c.maxBytes && len(c.order) > 0 {
		old := c.order[0]
		c.order = c.order[1:]
		c.bytes -= c.m[old].size
		delete(c.m, old)
	}
	c.m[k] = verifiedTx{t: t, key: bytes.Clone(key), size: size}
	c.order = append(c.order, k)
	c.bytes += size
}
