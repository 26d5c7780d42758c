package ledger

import (
	"bytes"

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
type primeCache struct{ fifo *fifo[[]*stix.Object] }

func newPrimeCache(maxObjects int) *primeCache {
	return &primeCache{fifo: newFIFO[[]*stix.Object](maxObjects)}
}

func (c *primeCache) put(k [32]byte, objs []*stix.Object) {
	if len(objs) > 0 {
		c.fifo.put(k, objs, len(objs))
	}
}

// take returns and forgets the objects primed for k (nil if none).
func (c *primeCache) take(k [32]byte) []*stix.Object {
	objs, _ := c.fifo.take(k)
	return objs
}

// primedObject returns the primed object for item i, raw, when there is
// one whose Raw is raw.
func primedObject(primed []*stix.Object, i int, raw []byte) *stix.Object {
	if i < len(primed) && primed[i] != nil && bytes.Equal(primed[i].Raw, raw) {
		return primed[i]
	}
	return nil
}
