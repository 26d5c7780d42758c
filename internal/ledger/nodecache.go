package ledger

import (
	"sync"

	"github.com/transparency-dev/merkle/compact"
)

// nodeCacheLevel is the lowest tree level whose node hashes are cached:
// every inclusion or consistency proof reads a path of ~log₂(size) nodes
// (each a store read), and the upper ones are shared by many proofs: at
// level 4 and above a log of 1,000,000 records has ~125,000 nodes, so once
// warm a proof reads 4 nodes from the store instead of 20.
const nodeCacheLevel = 4

// nodeCacheEntries bounds the node cache (~60 bytes an entry, ~16 MB
// full: the upper nodes of a log of ~2,000,000 records).
const nodeCacheEntries = 1 << 18

// nodeCache keeps the hashes of upper tree nodes read by proofs. A stored
// node is the hash of a complete subtree of committed records: written
// once, at the commit that completes it, and never changed (the ledger
// never rewrites or deletes committed records), so an entry cannot go
// stale. Only read paths use it; a node not yet stored is never cached.
// When full it takes no more entries. Safe for concurrent use.
type nodeCache struct {
	mu sync.RWMutex
	m  map[compact.NodeID][sha256Size]byte
}

func newNodeCache() *nodeCache { return &nodeCache{m: map[compact.NodeID][sha256Size]byte{}} }

func (c *nodeCache) get(id compact.NodeID) ([]byte, bool) {
	if id.Level < nodeCacheLevel {
		return nil, false
	}
	c.mu.RLock()
	h, ok := c.m[id]
	c.mu.RUnlock()
	if !ok {
		return nil, false
	}
	return h[:], true // a copy: callers may change what they get
}

func (c *nodeCache) put(id compact.NodeID, h []byte) {
	if id.Level < nodeCacheLevel || len(h) != sha256Size {
		return
	}
	c.mu.Lock()
	if len(c.m) < nodeCacheEntries {
		c.m[id] = [sha256Size]byte(h)
	}
	c.mu.Unlock()
}
