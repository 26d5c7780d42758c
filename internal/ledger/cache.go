package ledger

import (
	"context"
	"crypto/sha256"

	"github.com/phalanx-ledger/phalanx/internal/stix"
	"github.com/phalanx-ledger/phalanx/internal/tx"
)

// parseCache remembers the validated objects of recent transactions, so a
// transaction's STIX is parsed once in CheckTx and not again in
// FinalizeBlock. The cached value is a pure function of the transaction
// bytes and the limits it was checked against; an entry is used only
// under the same limits, so using it cannot make FinalizeBlock's outcome
// depend on whether CheckTx ran first, even across a vote that changes
// the limits while CheckTx runs. Bounded by a number of objects, evicting
// oldest first.
type parseCache struct{ fifo *fifo[parsedTx] }

// parsedTx is one cache entry: the objects and the limits they passed.
type parsedTx struct {
	objs   []*stix.Object
	limits parseLimits
}

// parseLimits are the parameters a payload's parse is checked against.
type parseLimits struct{ maxObjectBytes, maxObjectsPerTx int64 }

func limitsOf(p Params) parseLimits { return parseLimits{p.MaxObjectBytes, p.MaxObjectsPerTx} }

func newParseCache(maxObjects int) *parseCache {
	return &parseCache{fifo: newFIFO[parsedTx](maxObjects)}
}

// get returns the objects cached for k if they were checked under l.
func (c *parseCache) get(k [32]byte, l parseLimits) ([]*stix.Object, bool) {
	v, ok := c.fifo.get(k)
	if !ok || v.limits != l {
		return nil, false
	}
	return v.objs, true
}

// put caches objs, checked under l, for k.
func (c *parseCache) put(k [32]byte, l parseLimits, objs []*stix.Object) {
	c.fifo.put(k, parsedTx{objs: objs, limits: l}, len(objs))
}

// forget drops what the caches hold of the transaction with hash k, once
// a block has delivered it: CometBFT takes a transaction in a block out of
// the mempool, so it is not checked again, and the caches then hold only
// transactions waiting for a block instead of staying full of committed
// ones (up to 50,000 parsed objects and 32 MiB of decoded transactions
// the collector would otherwise scan on every cycle). Should the same bytes
// come again, they are decoded and parsed again, to the same outcome.
func (a *App) forget(k [32]byte) {
	a.parsed.fifo.take(k)
	a.envelopes.fifo.take(k)
}

// Preparse parses and validates the STIX payloads of publish transactions
// ahead of FinalizeBlock and keeps the results in the parse cache, so a
// replay (audit, reindex) can parse a block's transactions on another core
// while FinalizeBlock runs. It walks raws from the last to the first (the
// caller's FinalizeBlock walks them from the first, so the two meet in the
// middle) and stops when ctx is done. It changes nothing but the cache: the
// cached value is a pure function of the bytes and the limits, so whether
// and how far Preparse got cannot change FinalizeBlock's outcome.
// Transactions that do not decode, are not publishes or are invalid are
// skipped (FinalizeBlock rejects them itself). Safe for concurrent use,
// including with FinalizeBlock.
func (a *App) Preparse(ctx context.Context, raws [][]byte) {
	prm := a.Params()
	for i := len(raws) - 1; i >= 0 && ctx.Err() == nil; i-- {
		t, err := tx.Decode(raws[i])
		if err != nil || t.Body.Type != tx.TypePublish {
			continue
		}
		a.parsePublish(sha256.Sum256(raws[i]), t, prm)
	}
}
