package ledger

import "sync"

// fifo maps transaction hashes to values of type V, bounded by the total
// cost of the values it holds (each put says what its value costs: objects,
// bytes) and evicting the oldest entries first. The ledger's caches of work
// done once per transaction (parseCache, envelopeCache, primeCache) are
// fifos. Safe for concurrent use.
type fifo[V any] struct {
	mu    sync.Mutex
	max   int // bound on the total cost
	cost  int // total cost held
	m     map[[32]byte]fifoEntry[V]
	order [][32]byte // keys, oldest first
}

type fifoEntry[V any] struct {
	v    V
	cost int
}

func newFIFO[V any](maxCost int) *fifo[V] {
	return &fifo[V]{max: maxCost, m: map[[32]byte]fifoEntry[V]{}}
}

// get returns the value held for k.
func (c *fifo[V]) get(k [32]byte) (V, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.m[k]
	return e.v, ok
}

// put holds v, of the given cost, for k, evicting the oldest entries to stay
// within the bound. It keeps the value already held for k, and holds
// nothing that costs more than the bound alone.
func (c *fifo[V]) put(k [32]byte, v V, cost int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.m[k]; ok || cost > c.max {
		return
	}
	for c.cost+cost > c.max && len(c.order) > 0 {
		old := c.order[0]
		c.order = c.order[1:]
		c.cost -= c.m[old].cost
		delete(c.m, old)
	}
	c.m[k] = fifoEntry[V]{v: v, cost: cost}
	c.order = append(c.order, k)
	c.cost += cost
}

// take returns the value held for k and forgets it.
func (c *fifo[V]) take(k [32]byte) (V, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.m[k]
	if !ok {
		return e.v, false
	}
	c.cost -= e.cost
	delete(c.m, k)
	for i := range c.order {
		if c.order[i] == k {
			c.order = append(c.order[:i], c.order[i+1:]...)
			break
		}
	}
	return e.v, true
}

// len returns the number of entries and their total cost.
func (c *fifo[V]) len() (entries, cost int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.m), c.cost
}
