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
	bs, err := OpenBlockStore(home)
	if err != nil {
		return 0, nil, err
	}
	defer bs.Close()
	init, err := app.InitChain(ctx, bs.InitChain())
	if err != nil {
		return 0, nil, fmt.Errorf("init chain: %w", err)
	}
	appHash := init.AppHash
	last := bs.Base() - 1
	err = bs.Each(ctx, func(req *abci.FinalizeBlockRequest, agreed []byte) error {
		if !bytes.Equal(agreed, appHash) {
			return AppHashMismatch(req.Height, appHash, agreed)
		}
		res, err := ApplyBlock(ctx, app, req)
		if err != nil {
			return err
		}
		appHash, last = res.AppHash, req.Height
		return nil
	})
	return max(last, 0), appHash, err
}

// AppHashMismatch is the error of a replay whose app hash before block
// height differs from the one that block's header names.
func AppHashMismatch(height int64, got, agreed []byte) error {
	return fmt.Errorf("app hash after height %d is %X; the network agreed on %X", height-1, got, agreed)
}

// BlockStore is a stopped node's stored chain, read for a replay.
type BlockStore struct {
	gen *types.GenesisDoc
	bs  *store.BlockStore
}

// OpenBlockStore opens the block store and genesis of the CometBFT home
// directory home. The node must be stopped.
func OpenBlockStore(home string) (*BlockStore, error) {
	gen, err := types.GenesisDocFromFile(filepath.Join(home, "config", "genesis.json"))
	if err != nil {
		return nil, fmt.Errorf("read genesis: %w", err)
	}
	db, err := dbm.NewPebbleDBWithOpts("blockstore", filepath.Join(home, "data"), pebbleOptions(0))
	if err != nil {
		return nil, fmt.Errorf("open block store: %w", err)
	}
	return &BlockStore{gen: gen, bs: store.NewBlockStore(db)}, nil
}

// Close closes the block store.
func (s *BlockStore) Close() error { return s.bs.Close() }

// InitChain is the InitChain request of the chain's genesis.
func (s *BlockStore) InitChain() *abci.InitChainRequest {
	return &abci.InitChainRequest{ChainId: s.gen.ChainID, Time: s.gen.GenesisTime,
		InitialHeight: s.gen.InitialHeight, AppStateBytes: s.gen.AppState}
}

// Base is the lowest stored height (0 if none).
func (s *BlockStore) Base() int64 { return s.bs.Base() }

// Each loads every stored block in height order, checks it (its contents
// hash to what its header says and its header names the previous block's
// hash) and calls fn with the block's FinalizeBlock request and the app
// hash its header names: the one the network agreed on for the state
// before it. It stops at the first error, from fn or a block that is
// missing, altered or corrupt (an error naming the height).
func (s *BlockStore) Each(ctx context.Context, fn func(req *abci.FinalizeBlockRequest, appHash []byte) error) error {
	var prev []byte // hash of the previous block's header
	top := s.bs.Height()
	for h := s.bs.Base(); h > 0 && h <= top; h++ {
		if err := ctx.Err(); err != nil {
			return err
		}
		b, err := loadBlock(s.bs, h)
		if err != nil {
			return err
		}
		if b == nil {
			return fmt.Errorf("block %d missing from the block store", h)
		}
		if err := checkBlock(b, prev); err != nil {
			return fmt.Errorf("block %d: %w", h, err)
		}
		prev = b.Hash()
		if err := fn(finalizeRequest(b, prev), b.Header.AppHash); err != nil {
			return err
		}
	}
	return nil
}

// finalizeRequest is the FinalizeBlock request of a stored block whose
// header hashes to hash.
func finalizeRequest(b *types.Block, hash []byte) *abci.FinalizeBlockRequest {
	txs := make([][]byte, len(b.Txs))
	for i, t := range b.Txs {
		txs[i] = t
	}
	return &abci.FinalizeBlockRequest{Txs: txs, Height: b.Height, Time: b.Time,
		Hash: hash, ProposerAddress: b.ProposerAddress, NextValidatorsHash: b.NextValidatorsHash}
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
