package audit

import (
	"bytes"
	"context"
	"errors"
	"fmt"

	abci "github.com/cometbft/cometbft/abci/types"
)

// Chain is a stored chain to replay (node.BlockStore).
type Chain interface {
	// InitChain is the genesis request.
	InitChain() *abci.InitChainRequest
	// Base is the lowest stored height.
	Base() int64
	// Each calls fn for every stored block in height order, checked
	// against its header, with the app hash the header names (the state
	// before the block); it stops at the first error.
	Each(ctx context.Context, fn func(req *abci.FinalizeBlockRequest, appHash []byte) error) error
}

// Machine is the state machine a replay drives (ledger.App).
type Machine interface {
	InitChain(context.Context, *abci.InitChainRequest) (*abci.InitChainResponse, error)
	FinalizeBlock(context.Context, *abci.FinalizeBlockRequest) (*abci.FinalizeBlockResponse, error)
	Commit(context.Context, *abci.CommitRequest) (*abci.CommitResponse, error)
	// Preparse parses a block's transactions into a cache FinalizeBlock
	// uses, from the last to the first, until ctx is done; safe alongside
	// FinalizeBlock, and without effect on its outcome.
	Preparse(ctx context.Context, txs [][]byte)
}

// Replay feeds a stored chain to a fresh state machine and checks every
// app hash it computes against the one the next block's header names, so
// a replay that diverges from what the network agreed on stops at the
// first bad height. It returns the last height replayed and the app hash
// after it; err names the height where it stopped.
//
// The state machine runs on the calling goroutine, one block at a time, in
// order, exactly as in a node. Around it, on other cores: one goroutine
// loads and checks the blocks ahead (decode, transaction and header
// hashes), and while a block commits and the next one runs, the next
// block's transactions are parsed from its last towards its first (the
// state machine parses from the first; the two meet in the middle, and the
// parse cache makes the result the same whoever parsed). On two cores that
// leaves the state machine a few percent of the parsing instead of half.
func Replay(ctx context.Context, chain Chain, m Machine) (int64, []byte, error) {
	init, err := m.InitChain(ctx, chain.InitChain())
	if err != nil {
		return 0, nil, fmt.Errorf("init chain: %w", err)
	}
	lctx, cancel := context.WithCancel(ctx)
	defer cancel()
	blocks, loadErr := loadAhead(lctx, chain)
	r := &replayer{m: m, appHash: init.AppHash, last: max(chain.Base()-1, 0)}
	err = r.run(ctx, blocks)
	r.stopParse()
	cancel()
	lerr := <-loadErr // the loader has stopped: blocks is closed
	switch {
	case err != nil:
		return r.last, r.appHash, err
	case lerr != nil:
		return r.last, r.appHash, lerr
	}
	return r.last, r.appHash, ctx.Err()
}

// block is a loaded block and the app hash its header names.
type block struct {
	req    *abci.FinalizeBlockRequest
	agreed []byte
}

// loadAhead loads and checks blocks on another goroutine, a few ahead of
// the replay. The channel closes when all are loaded, on the first error
// (then sent on the error channel, which gets exactly one value) or when
// ctx is done.
func loadAhead(ctx context.Context, chain Chain) (<-chan block, <-chan error) {
	out := make(chan block, 2)
	errc := make(chan error, 1)
	go func() {
		defer close(out)
		err := chain.Each(ctx, func(req *abci.FinalizeBlockRequest, agreed []byte) error {
			select {
			case out <- block{req, agreed}:
				return nil
			case <-ctx.Done():
				return ctx.Err()
			}
		})
		if errors.Is(err, context.Canceled) && ctx.Err() != nil {
			err = nil // the replay stopped first and says why
		}
		errc <- err
	}()
	return out, errc
}

// replayer is the replay's state between blocks.
type replayer struct {
	m        Machine
	appHash  []byte
	last     int64  // last height replayed
	stopPrev func() // stops the parse of the block about to run
}

func (r *replayer) run(ctx context.Context, blocks <-chan block) error {
	cur, ok := <-blocks
	if ok {
		r.parse(ctx, cur.req.Txs)
	}
	for ok {
		if !bytes.Equal(cur.agreed, r.appHash) {
			return fmt.Errorf("app hash after height %d is %X; the network agreed on %X", cur.req.Height-1, r.appHash, cur.agreed)
		}
		res, err := r.m.FinalizeBlock(ctx, cur.req)
		if err != nil {
			return fmt.Errorf("finalize block %d: %w", cur.req.Height, err)
		}
		r.stopParse()
		var next block
		next, ok = <-blocks
		if ok {
			r.parse(ctx, next.req.Txs) // while this block commits and the next runs
		}
		if _, err := r.m.Commit(ctx, &abci.CommitRequest{}); err != nil {
			return fmt.Errorf("commit block %d: %w", cur.req.Height, err)
		}
		r.appHash, r.last = res.AppHash, cur.req.Height
		cur = next
	}
	return nil
}

// parse starts parsing txs on another goroutine; stopParse ends it.
func (r *replayer) parse(ctx context.Context, txs [][]byte) {
	if len(txs) < 2 {
		return // a lone transaction: nothing to share
	}
	pctx, stop := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		r.m.Preparse(pctx, txs)
	}()
	r.stopPrev = func() { stop(); <-done }
}

func (r *replayer) stopParse() {
	if r.stopPrev != nil {
		r.stopPrev()
		r.stopPrev = nil
	}
}
