package ledger

import (
	"bytes"
	"sync"

	"github.com/phalanx-ledger/phalanx/internal/stix"
)

// Prime hands the ledger the parse of a publish transaction this node is
// about to submit, by the transaction's hash: objs[i] must be what
// stix.Parse returns for the transaction's item i, as the objects
// stix.Parse and stix.ParseInput return are for their Raw (FuzzParseInput
// checks that). The node's
// intake parsed the objects to build the transaction; with Prime, its
// CheckTx does not parse them a second time.
//
// Priming changes no outcome. The primed objects stand in for stix.Parse
// only: every other check (sizes, compact form, the TLP rule, duplicates,
// the object count, state) runs on them as on parsed ones, and an object
// is used only when its Raw is byte for byte the item it stands for (any
// other item is parsed). An entry is used once and dropped; entries never
// used are evicted oldest first. Safe for concurrent use.
func (a *App) Prime(txHash [32]byte, objs []*stix.Object) { a.primed.put(txHash, objs) }

// primeCache holds primed parses by transaction hash, bounded by a number
// of objects.
type primeCache struct {
	mu    sync.Mutex
	max   int
	size  int
	m     map[[32]byte][]*stix.Object
	order [][32]byte
}

func newPrimeCache(maxObjects int) *primeCache {
	return &primeCache{max: maxObjects, m: map[[32]byte][]*stix.Object{}}
}

func (c *primeCache) put(k [32]byte, objs []*stix.Object) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.m[k]; ok || len(objs) == 0 || len(objs) > c.max {
		return
	}
	for c.size+len(objs) > c.max && len(c.order) > 0 {
		c.evict(c.order[0])
	}
	c.m[k] = objs
	c.order = append(c.order, k)
	c.size += len(objs)
}

// take returns and forgets the objects primed for k (nil if none).
func (c *primeCache) take(k [32]byte) []*stix.Object {
	c.mu.Lock()
	defer c.mu.Unlock()
	objs, ok := c.m[k]
	if ok {
		c.evict(k)
	}
	return objs
}

// evict drops entry k. Called with mu held.
func (c *primeCache) evict(k [32]byte) {
	c.size -= len(c.m[k])
	delete(c.m, k)
	if i := indexOf(c.order, k); i >= 0 {
		c.order = append(c.order[:i], c.order[i+1:]...)
	}
}

func indexOf(order [][32]byte, k [32]byte) int {
	for i := range order {
		if order[i] == k {
			return i
		}
	}
	return -1
}

// primedObject returns the primed object for item i, raw, when there is
// one whose Raw is raw.
func primedObject(primed []*stix.Object, i int, raw []byte) *stix.Object {
	if i < len(primed) && primed[i] != nil && bytes.Equal(primed[i].Raw, raw) {
		return primed[i]
	}
	return nil
}
