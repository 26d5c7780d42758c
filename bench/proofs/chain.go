package main

import (
	"context"
	"crypto/ed25519"
	"fmt"
	"os"
	"path/filepath"
	"time"

	dbm "github.com/cometbft/cometbft-db"
	cmtversion "github.com/cometbft/cometbft/api/cometbft/version/v1"
	"github.com/cometbft/cometbft/crypto/tmhash"
	"github.com/cometbft/cometbft/store"
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

// blockStore writes the blocks of the log to a CometBFT block store in
// home (with a genesis file), as a node keeps them, so the audit reads and
// checks real stored blocks: each block's header names the app hash
// before it, its previous block and the commit of that block by the bench
// validator.
type blockStore struct {
	home   string
	db     dbm.DB
	bs     *store.BlockStore
	val    ed25519.PrivateKey
	lastID types.BlockID
	last   *types.Commit // commit of the last block saved
}

func newBlockStore(home string, val ed25519.PrivateKey, genesis []byte, start time.Time) (*blockStore, error) {
	if err := os.MkdirAll(filepath.Join(home, "config"), 0o700); err != nil {
		return nil, err
	}
	gen := types.GenesisDoc{ChainID: chainID, GenesisTime: start, InitialHeight: 1, AppState: genesis}
	if err := gen.ValidateAndComplete(); err != nil {
		return nil, err
	}
	if err := gen.SaveAs(filepath.Join(home, "config", "genesis.json")); err != nil {
		return nil, err
	}
	db, err := dbm.NewPebbleDB("blockstore", filepath.Join(home, "data"))
	if err != nil {
		return nil, err
	}
	return &blockStore{home: home, db: db, bs: store.NewBlockStore(db), val: val, last: &types.Commit{}}, nil
}

// save stores the block of height with txs, made at t on the state whose
// app hash is appHash.
func (s *blockStore) save(height int64, t time.Time, txs [][]byte, appHash []byte) error {
	tt := make([]types.Tx, len(txs))
	for i, tx := range txs {
		tt[i] = tx
	}
	addr := tmhash.SumTruncated(s.val.Public().(ed25519.PublicKey))
	b := types.MakeBlock(height, tt, s.last, nil)
	b.ChainID, b.Time, b.AppHash, b.LastBlockID = chainID, t.UTC(), appHash, s.lastID
	b.ValidatorsHash, b.NextValidatorsHash, b.ProposerAddress = tmhash.Sum(addr), tmhash.Sum(addr), addr
	parts, err := b.MakePartSet(types.BlockPartSizeBytes)
	if err != nil {
		return err
	}
	id := types.BlockID{Hash: b.Hash(), PartSetHeader: parts.Header()}
	commit := &types.Commit{Height: height, BlockID: id,
		Signatures: []types.CommitSig{{BlockIDFlag: types.BlockIDFlagCommit, ValidatorAddress: addr, Timestamp: t.UTC()}}}
	commit.Signatures[0].Signature = ed25519.Sign(s.val, commit.VoteSignBytes(chainID, 0))
	s.bs.SaveBlock(b, parts, commit)
	s.lastID, s.last = id, commit
	return nil
}

func (s *blockStore) close() error { return s.bs.Close() }
