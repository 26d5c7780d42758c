package ledger

import (
	"sync"

	"github.com/phalanx-ledger/phalanx/internal/stix"
)

// parseCache remembers the validated objects of recent transactions, so a
// transaction's STIX is parsed once in CheckTx and not again in
// FinalizeBlock. The cached value is a pure function of the transaction
// bytes (and the parameters, which do not change), so using it cannot make
// FinalizeBlock's outcome depend on whether CheckTx ran first. Bounded by a
// number of objects, evicting oldest first.
type parseCache struct {
	mu    sync.Mutex
	max   int
	size  int
	m     map[[32]byte][]*stix.Object
	order [][32]byte
}

func newParseCache(maxObjects int) *parseCache {
	return &parseCache{max: maxObjects, m: map[[32]byte][]*stix.Object{}}
}

func (c *parseCache) get(k [32]byte) ([]*stix.Object, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	v, ok := c.m[k]
	return v, ok
}

func (c *parseCache) put(k [32]byte, objs []*stix.Object) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.m[k]; ok || len(objs) > c.max {
		return
	}
	for c.size+len(objs) > c.max && len(c.order) > 0 {
		old := c.order[0]
		c.order = c.order[1:]
		c.size -= len(c.m[old])
		delete(c.m, old)
	}
	c.m[k] = objs
	c.order = append(c.order, k)
	c.size += len(objs)
}
