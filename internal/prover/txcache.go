package prover

import "sync"

// txCacheBytes bounds the raw transactions the prover keeps: a bulk
// publish is ~330 KB, so this holds the last ~200 of them.
const txCacheBytes = 64 << 20

// txCache keeps the raw transactions of recently served records, so a
// burst of proofs of one transaction's records (an export, a client asking
// for every object of a bulk publish) reads and copies it from the block
// store once, and every bundle of the burst shares the same bytes. Keyed
// by transaction hash: a committed transaction never changes, so an entry
// cannot go stale. Oldest out first. Safe for concurrent use.
type txCache struct {
	mu    sync.Mutex
	max   int
	size  int
	m     map[string][]byte
	order []string
}

func newTxCache(max int) *txCache { return &txCache{max: max, m: map[string][]byte{}} }

func (c *txCache) get(hash []byte) ([]byte, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	raw, ok := c.m[string(hash)]
	return raw, ok
}

func (c *txCache) put(hash, raw []byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	k := string(hash)
	if _, ok := c.m[k]; ok || len(raw) > c.max {
		return
	}
	for c.size+len(raw) > c.max && len(c.order) > 0 {
		old := c.order[0]
		c.order = c.order[1:]
		c.size -= len(c.m[old])
		delete(c.m, old)
	}
	c.m[k] = raw
	c.order = append(c.order, k)
	c.size += len(raw)
}
