package ledger

import (
	"bytes"
	"sync"

	"github.com/transparency-dev/merkle/compact"
)

// nodeCacheLevel is the lowest tree level whose node hashes are cached in
// maps (the levels below are kept in flat arrays):
// every inclusion or consistency proof reads a path of ~log₂(size) nodes
// (each a store read), and the upper ones are shared by many proofs: at
// level 2 and above a log of 1,000,000 records has ~500,000 nodes, so once
// warm a proof reads 2 nodes from the store instead of 20 (from level 4
// up it read 4, and the two more reads were a fifth of the generation of
// a bulk record's proof).
const nodeCacheLevel = 2

// nodeCacheEntries bounds the node cache (~64 bytes an entry, ~34 MB
// full: the nodes from level 2 up of a log of ~1,000,000 records).
const nodeCacheEntries = 1 << 19

// nodeCache keeps the hashes of tree nodes read by proofs: in maps from
// nodeCacheLevel up, in flat arrays below (see low). A stored
// node is the hash of a complete subtree of committed records: written
// once, at the commit that completes it, and never changed (the ledger
// never rewrites or deletes committed records), so an entry cannot go
// stale. Only read paths use it; a node not yet stored is never cached.
// When full it takes no more entries. Safe for concurrent use: split in
// shards by node index, so proofs filling it on several cores do not
// queue on one lock.
type nodeCache struct {
	shards [nodeCacheShards]nodeShard

	// The levels below nodeCacheLevel (the leaves and their parents, two
	// of the nodes every proof reads) are kept in flat arrays indexed by
	// node index, 32 bytes a node: 48 MB at 1,000,000 records, a third of
	// what map entries would cost. An all-zero slot is empty (no SHA-256
	// is zero). Bounded at lowCacheLeaves leaves.
	lowMu    sync.RWMutex
	low      [nodeCacheLevel][]byte
	lowCount int // filled slots
}

// lowCacheLeaves bounds the flat arrays of the lowest levels: 2^21 leaves,
// at most 64 MiB for the leaves and 32 MiB for their parents.
const lowCacheLeaves = 1 << 21

const nodeCacheShards = 16

type nodeShard struct {
	mu sync.RWMutex
	m  map[compact.NodeID][sha256Size]byte
}

func newNodeCache() *nodeCache {
	c := &nodeCache{}
	for i := range c.shards {
		c.shards[i].m = map[compact.NodeID][sha256Size]byte{}
	}
	return c
}

func (c *nodeCache) shard(id compact.NodeID) *nodeShard {
	return &c.shards[(id.Index^uint64(id.Level))%nodeCacheShards]
}

func (c *nodeCache) get(id compact.NodeID) ([]byte, bool) {
	if id.Level < nodeCacheLevel {
		return c.getLow(id)
	}
	s := c.shard(id)
	s.mu.RLock()
	h, ok := s.m[id]
	s.mu.RUnlock()
	if !ok {
		return nil, false
	}
	return h[:], true // a copy: callers may change what they get
}

// full reports whether the cache of the levels from nodeCacheLevel up
// takes no more entries.
func (c *nodeCache) full() bool { return c.len() >= nodeCacheEntries-nodeCacheShards }

// len is the number of cached nodes.
func (c *nodeCache) len() int {
	c.lowMu.RLock()
	n := c.lowCount
	c.lowMu.RUnlock()
	for i := range c.shards {
		c.shards[i].mu.RLock()
		n += len(c.shards[i].m)
		c.shards[i].mu.RUnlock()
	}
	return n
}

func (c *nodeCache) put(id compact.NodeID, h []byte) {
	if len(h) != sha256Size {
		return
	}
	if id.Level < nodeCacheLevel {
		c.putLow(id, h)
		return
	}
	s := c.shard(id)
	s.mu.Lock()
	if len(s.m) < nodeCacheEntries/nodeCacheShards {
		s.m[id] = [sha256Size]byte(h)
	}
	s.mu.Unlock()
}

// txItemsCacheEntries bounds the cache of version 2 transactions' signed
// headers (a few KB each: header, signature, upper item tree).
const txItemsCacheEntries = 4096

// txItemsCache keeps the TxItems that proofs read: every record of a bulk
// publish shares its transaction's, so a proof of one of them reads only
// its item chunk. Like a node, a committed transaction's items never
// change; only committed ones are cached. Emptied when full. Safe for
// concurrent use.
type txItemsCache struct {
	mu sync.RWMutex
	m  map[string]TxItems
}

func newTxItemsCache() *txItemsCache { return &txItemsCache{m: map[string]TxItems{}} }

func (c *txItemsCache) get(txHash []byte) (TxItems, bool) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	t, ok := c.m[string(txHash)]
	return t, ok
}

func (c *txItemsCache) put(t TxItems) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.m) >= txItemsCacheEntries {
		clear(c.m)
	}
	c.m[string(t.txHash)] = t
}

// takes reports whether the cache has room for the node id.
func (c *nodeCache) takes(id compact.NodeID) bool {
	if id.Level < nodeCacheLevel {
		return id.Index < lowLimit(id.Level)
	}
	return !c.full()
}

// lowLimit is the number of nodes of a low level the cache keeps.
func lowLimit(level uint) uint64 { return lowCacheLeaves >> level }

func (c *nodeCache) getLow(id compact.NodeID) ([]byte, bool) {
	c.lowMu.RLock()
	defer c.lowMu.RUnlock()
	s := c.low[id.Level]
	if id.Index >= uint64(len(s))/sha256Size {
		return nil, false
	}
	slot := s[id.Index*sha256Size : (id.Index+1)*sha256Size]
	if [sha256Size]byte(slot) == ([sha256Size]byte{}) {
		return nil, false
	}
	return bytes.Clone(slot), true // a copy: callers may change what they get
}

// putLow stores a node of a low level, growing its array by doubling up to
// the bound.
func (c *nodeCache) putLow(id compact.NodeID, h []byte) {
	limit := lowLimit(id.Level)
	if id.Index >= limit {
		return
	}
	c.lowMu.Lock()
	defer c.lowMu.Unlock()
	s := c.low[id.Level]
	if need := (id.Index + 1) * sha256Size; need > uint64(len(s)) {
		grown := make([]byte, min(max(need, 2*uint64(len(s))), limit*sha256Size))
		copy(grown, s)
		s, c.low[id.Level] = grown, grown
	}
	slot := s[id.Index*sha256Size : (id.Index+1)*sha256Size]
	if [sha256Size]byte(slot) == ([sha256Size]byte{}) {
		c.lowCount++
	}
	copy(slot, h)
}
