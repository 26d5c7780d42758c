package node

import (
	"context"
	"fmt"
	"path/filepath"

	abci "github.com/cometbft/cometbft/abci/types"
	"github.com/cometbft/cometbft/store"
	"github.com/cometbft/cometbft/types"
)

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
	// Pebble's defaults: a replay reads each block once, in order.
	db, err := openPebble("blockstore", filepath.Join(home, "data"), 4<<20, 8<<20)
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
