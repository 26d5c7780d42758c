package main

import (
	"context"
	"crypto/ed25519"
	"fmt"
	"time"

	cmtversion "github.com/cometbft/cometbft/api/cometbft/version/v1"
	"github.com/cometbft/cometbft/crypto/tmhash"
	"github.com/cometbft/cometbft/types"

	"github.com/phalanx-ledger/phalanx/internal/prover"
)

// chain stands in for the block store: the header after each checkpoint
// (carrying the ledger's app hash) signed by the bench validator, and the
// transactions kept in pebble like CometBFT's tx index.
type chain struct{ b *bench }

var _ prover.Chain = chain{}

func (b *bench) chain() (chain, error) { return chain{b}, nil }

func (c chain) BlockHeight() int64 { return c.b.app.Height() + 1 }

func (c chain) SignedHeader(_ context.Context, height int64) (*types.Header, *types.Commit, error) {
	cp, err := c.b.app.Checkpoint(height - 1)
	if err != nil {
		return nil, nil, err
	}
	addr := tmhash.SumTruncated(c.b.val.Public().(ed25519.PublicKey))
	h := &types.Header{Version: cmtversion.Consensus{Block: 11, App: 1}, ChainID: chainID, Height: height,
		Time: time.Unix(1_800_000_000+height, 0).UTC(), ValidatorsHash: tmhash.Sum(addr), AppHash: cp.AppHash, ProposerAddress: addr}
	commit := &types.Commit{Height: height, BlockID: types.BlockID{Hash: h.Hash(), PartSetHeader: types.PartSetHeader{Total: 1, Hash: tmhash.Sum(nil)}},
		Signatures: []types.CommitSig{{BlockIDFlag: types.BlockIDFlagCommit, ValidatorAddress: addr, Timestamp: h.Time}}}
	commit.Signatures[0].Signature = ed25519.Sign(c.b.val, commit.VoteSignBytes(chainID, 0))
	return h, commit, nil
}

func (c chain) RawTx(_ context.Context, hash []byte) ([]byte, error) {
	v, err := c.b.txs.Get(hash)
	if err != nil || v == nil {
		return nil, fmt.Errorf("transaction %X not found: %v", hash, err)
	}
	return v, nil
}
