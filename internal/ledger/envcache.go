package ledger

import (
	"bytes"

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
type envelopeCache struct{ fifo *fifo[verifiedTx] }

// verifiedTx is one entry: the decoded transaction and the key its
// signature verified with.
type verifiedTx struct {
	t   *tx.Tx
	key []byte
}

func newEnvelopeCache(maxBytes int) *envelopeCache {
	return &envelopeCache{fifo: newFIFO[verifiedTx](maxBytes)}
}

// get returns the decoded transaction with hash k and the key its
// signature verified with; nil, nil when k is not cached.
func (c *envelopeCache) get(k [32]byte) (*tx.Tx, []byte) {
	v, _ := c.fifo.get(k)
	return v.t, v.key
}

// put records that t, of size bytes (tx.Tx.ExpandedSize) and hash k,
// verified with key.
func (c *envelopeCache) put(k [32]byte, size int, t *tx.Tx, key []byte) {
	c.fifo.put(k, verifiedTx{t: t, key: bytes.Clone(key)}, size)
}
