package node

import (
	"bytes"
	"context"
	"fmt"
	"path/filepath"

	dbm "github.com/cometbft/cometbft-db"
	abci "github.com/cometbft/cometbft/abci/types"
	"github.com/cometbft/cometbft/store"
	"github.com/cometbft/cometbft/types"
)

// Replay feeds a stopped node's stored blocks to a fresh application:
// InitChain from the genesis file, then FinalizeBlock and Commit for every
// block. It checks each block's resulting app hash against the AppHash of
// the next header, so a replay that diverges from what the network agreed
// on fails at the first bad height. It returns the last height replayed
// and the app hash after it.
func Replay(ctx context.Context, home string, app abci.Application) (int64, []byte, error) {
	gen, err := types.GenesisDocFromFile(filepath.Join(home, "config", "genesis.json"))
	if err != nil {
		return 0, nil, fmt.Errorf("read genesis: %w", err)
	}
	db, err := dbm.NewPebbleDBWithOpts("blockstore", filepath.Join(home, "data"), pebbleOptions(0))
	if err != nil {
		return 0, nil, fmt.Errorf("open block store: %w", err)
	}
	bs := store.NewBlockStore(db)
	defer bs.Close()
	init, err := app.InitChain(ctx, &abci.InitChainRequest{ChainId: gen.ChainID, Time: gen.GenesisTime,
		InitialHeight: gen.InitialHeight, AppStateBytes: gen.AppState})
	if err != nil {
		return 0, nil, fmt.Errorf("init chain: %w", err)
	}
	appHash := init.AppHash
	var prev []byte // hash of the previous block's header
	top := bs.Height()
	for h := bs.Base(); h > 0 && h <= top; h++ {
		if err := ctx.Err(); err != nil {
			return h - 1, appHash, err
		}
		b, err := loadBlock(bs, h)
		if err != nil {
			return h - 1, appHash, err
		}
		if b == nil {
			return h - 1, appHash, fmt.Errorf("block %d missing from the block store", h)
		}
		if err := checkBlock(b, prev); err != nil {
			return h - 1, appHash, fmt.Errorf("block %d: %w", h, err)
		}
		prev = b.Hash()
		if !bytes.Equal(b.Header.AppHash, appHash) {
			return h - 1, appHash, fmt.Errorf("app hash after height %d is %X; the network agreed on %X", h-1, appHash, []byte(b.Header.AppHash))
		}
		if appHash, err = replayBlock(ctx, app, b); err != nil {
			return h - 1, appHash, err
		}
	}
	return top, appHash, nil
}

func replayBlock(ctx context.Context, app abci.Application, b *types.Block) ([]byte, error) {
	txs := make([][]byte, len(b.Txs))
	for i, t := range b.Txs {
		txs[i] = t
	}
	res, err := ApplyBlock(ctx, app, &abci.FinalizeBlockRequest{Txs: txs, Height: b.Height, Time: b.Time,
		Hash: b.Hash(), ProposerAddress: b.ProposerAddress, NextValidatorsHash: b.NextValidatorsHash})
	if err != nil {
		return nil, err
	}
	return res.AppHash, nil
}

// Preparser is an application that can parse a block's transactions
// ahead of FinalizeBlock (ledger.App.Preparse).
type Preparser interface {
	Preparse(ctx context.Context, txs [][]byte)
}

// ApplyBlock runs FinalizeBlock and Commit of one block, as a replay does.
// If app is a Preparser, a second goroutine pre-parses the block's
// transactions (from the last) while FinalizeBlock runs (from the first),
// so STIX parsing uses another core; it is stopped and waited for before
// ApplyBlock returns. The state machine itself stays single-threaded: the
// pre-parse only fills a cache whose entries are a pure function of the
// transaction bytes.
func ApplyBlock(ctx context.Context, app abci.Application, req *abci.FinalizeBlockRequest) (*abci.FinalizeBlockResponse, error) {
	halt := func() {}
	if p, ok := app.(Preparser); ok && len(req.Txs) > 1 {
		pctx, stop := context.WithCancel(ctx)
		done := make(chan struct{})
		go func() {
			defer close(done)
			p.Preparse(pctx, req.Txs)
		}()
		halt = func() { stop(); <-done }
	}
	res, err := app.FinalizeBlock(ctx, req)
	halt()
	if err != nil {
		return nil, fmt.Errorf("finalize block %d: %w", req.Height, err)
	}
	if _, err := app.Commit(ctx, &abci.CommitRequest{}); err != nil {
		return nil, fmt.Errorf("commit block %d: %w", req.Height, err)
	}
	return res, nil
}

// checkBlock checks a stored block is intact: its contents hash to what
// its header says (transactions, last commit, evidence) and its header
// names the previous block's header hash, so an edited block is caught
// even where its transactions would still replay.
func checkBlock(b *types.Block, prevHash []byte) error {
	if err := b.ValidateBasic(); err != nil {
		return fmt.Errorf("altered or corrupt: %w", err)
	}
	if prevHash != nil && !bytes.Equal(b.LastBlockID.Hash, prevHash) {
		return fmt.Errorf("altered: it names previous block %X, but that block hashes to %X", []byte(b.LastBlockID.Hash), prevHash)
	}
	return nil
}

// loadBlock loads a stored block. CometBFT's block store panics on a block
// that does not decode or whose contents do not match its header (an
// edited block); that panic becomes an error naming the height.
func loadBlock(bs *store.BlockStore, h int64) (b *types.Block, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("block %d: altered or corrupt: %v", h, p)
		}
	}()
	b, _ = bs.LoadBlock(h)
	return b, nil
}
