package prover

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	abci "github.com/cometbft/cometbft/abci/types"
	cmtversion "github.com/cometbft/cometbft/api/cometbft/version/v1"
	"github.com/cometbft/cometbft/crypto/tmhash"
	"github.com/cometbft/cometbft/types"

	"github.com/phalanx-ledger/phalanx/internal/ledger"
	"github.com/phalanx-ledger/phalanx/internal/proof"
	"github.com/phalanx-ledger/phalanx/internal/tx"
)

const chainID = "prover-test"

func key(s string) ed25519.PrivateKey {
	h := sha256.Sum256([]byte(s))
	return ed25519.NewKeyFromSeed(h[:])
}

// fakeChain stands in for the block store: headers after each height
// carrying the ledger's app hash, signed by one validator, and the raw
// transactions by hash. It counts RawTx calls.
type fakeChain struct {
	app *ledger.App
	val ed25519.PrivateKey

	mu    sync.Mutex
	txs   map[string][]byte
	reads int
}

func (c *fakeChain) BlockHeight() int64 { return c.app.State().Height + 1 }

func (c *fakeChain) SignedHeader(_ context.Context, height int64) (*types.Header, *types.Commit, error) {
	cp, err := c.app.Checkpoint(height - 1)
	if err != nil {
		return nil, nil, err
	}
	addr := tmhash.SumTruncated(c.val.Public().(ed25519.PublicKey))
	h := &types.Header{Version: cmtversion.Consensus{Block: 11, App: 1}, ChainID: chainID, Height: height,
		Time: time.Unix(1_800_000_000+height, 0).UTC(), ValidatorsHash: tmhash.Sum(addr), AppHash: cp.AppHash, ProposerAddress: addr}
	commit := &types.Commit{Height: height, BlockID: types.BlockID{Hash: h.Hash(), PartSetHeader: types.PartSetHeader{Total: 1, Hash: tmhash.Sum(nil)}},
		Signatures: []types.CommitSig{{BlockIDFlag: types.BlockIDFlagCommit, ValidatorAddress: addr, Timestamp: h.Time}}}
	commit.Signatures[0].Signature = ed25519.Sign(c.val, commit.VoteSignBytes(chainID, 0))
	return h, commit, nil
}

func (c *fakeChain) RawTx(_ context.Context, hash []byte) ([]byte, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.reads++
	raw, ok := c.txs[string(hash)]
	if !ok {
		return nil, fmt.Errorf("transaction %X not found", hash)
	}
	return bytes.Clone(raw), nil
}

// testLog commits version 1 transactions of three objects and of one,
// version 2 transactions of five objects and of one, then an empty block
// (the checkpoint of all). The first four ids are the v1 records.
func testLog(t *testing.T) (*ledger.App, *fakeChain, []proof.Member, []string) {
	t.Helper()
	author, val := key("author"), key("validator")
	app, err := ledger.New(ledger.NewMemKV(), nil)
	if err != nil {
		t.Fatal(err)
	}
	m := ledger.Member{ID: "cert-a", Name: "CERT A", SignKey: author.Public().(ed25519.PublicKey),
		SealKey: make([]byte, 32), ValidatorKey: val.Public().(ed25519.PublicKey), Power: 10}
	g, _ := json.Marshal(ledger.Genesis{Members: []ledger.Member{m}})
	ctx := context.Background()
	if _, err := app.InitChain(ctx, &abci.InitChainRequest{ChainId: chainID, AppStateBytes: g}); err != nil {
		t.Fatal(err)
	}
	c := &fakeChain{app: app, val: val, txs: map[string][]byte{}}
	var ids []string
	for h, n := range []int{3, 1, 5, 1, 0} {
		var txs [][]byte
		if n > 0 {
			objs := make([][]byte, n)
			for i := range objs {
				id := fmt.Sprintf("indicator--%08x-5555-4555-8555-555555555555", len(ids))
				ids = append(ids, id)
				objs[i] = fmt.Appendf(nil, `{"type":"indicator","spec_version":"2.1","id":"%s","created":"2026-01-01T00:00:00.000Z","modified":"2026-01-01T00:00:00.000Z","name":"n","pattern":"[ipv4-addr:value = '10.0.0.%d']","pattern_type":"stix","valid_from":"2026-01-01T00:00:00Z"}`, id, len(ids))
			}
			payload, _ := tx.EncodePublish(tx.Publish{Objects: objs})
			raw, err := tx.Sign(tx.Body{ChainID: chainID, Type: tx.TypePublish, Author: "cert-a", Nonce: uint64(h + 1), Payload: payload}, author)
			if h >= 2 {
				raw, err = tx.SignItems(tx.Header{ChainID: chainID, Type: tx.TypePublish, Author: "cert-a", Nonce: uint64(h + 1)}, objs, author)
			}
			if err != nil {
				t.Fatal(err)
			}
			sum := sha256.Sum256(raw)
			c.txs[string(sum[:])] = raw
			txs = append(txs, raw)
		}
		res, err := app.FinalizeBlock(ctx, &abci.FinalizeBlockRequest{Height: int64(h + 1), Time: time.Unix(1_800_000_000+int64(h), 0), Txs: txs})
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range res.TxResults {
			if r.Code != 0 {
				t.Fatal(r.Log)
			}
		}
		if _, err := app.Commit(ctx, &abci.CommitRequest{}); err != nil {
			t.Fatal(err)
		}
	}
	ms := []proof.Member{{ID: m.ID, SignKey: m.SignKey, ValidatorKey: m.ValidatorKey, Power: 10, Status: "active"}}
	return app, c, ms, ids
}

// TestBundleCache: bundles served from the prover's caches (checkpoint,
// raw transaction, tree nodes) are the same documents a fresh prover
// builds, they verify offline, and the transaction of a burst of proofs of
// one transaction is read from the block store once.
func TestBundleCache(t *testing.T) {
	app, chain, ms, ids := testLog(t)
	signer := func() *proof.Signer { return proof.NewSigner("cert-a", key("author")) }
	ctx := context.Background()
	p := New(app, chain, signer)
	for round := range 2 {
		for _, id := range ids {
			got, err := p.Bundle(ctx, id, "2026-01-01T00:00:00Z")
			if err != nil {
				t.Fatal(err)
			}
			want, err := New(app, chain, signer).Bundle(ctx, id, "2026-01-01T00:00:00Z")
			if err != nil {
				t.Fatal(err)
			}
			gj, _ := json.Marshal(got)
			wj, _ := json.Marshal(want)
			if !bytes.Equal(gj, wj) {
				t.Fatalf("round %d, %s: cached bundle differs from a fresh prover's:\n%s\n%s", round, id, gj, wj)
			}
			if r := proof.Verify(got, ms); !r.OK() {
				t.Fatalf("round %d, %s: cached bundle fails %v", round, id, r.Failed())
			}
			if isV1 := slices.Index(ids, id) < 4; isV1 != (got.Format == proof.BundleFormat && got.Tx != nil) {
				t.Fatalf("%s: bundle format %s (tx %d bytes); a v1 record is proven with its whole transaction as before", id, got.Format, len(got.Tx))
			}
		}
	}
	// the caching prover read each of the two v1 transactions once; the
	// fresh provers once per bundle of a v1 record; nobody read a v2
	// transaction (its bundles come from the ledger's meta/txitems)
	if want := 2 + 2*4; chain.reads != want {
		t.Fatalf("%d transaction reads, want %d", chain.reads, want)
	}
}

// TestTxCacheBound: the transaction cache keeps at most its byte bound,
// dropping the oldest, and never keeps a transaction over the bound.
func TestTxCacheBound(t *testing.T) {
	c := newTxCache(10)
	c.put([]byte("a"), make([]byte, 4))
	c.put([]byte("b"), make([]byte, 4))
	c.put([]byte("c"), make([]byte, 4)) // drops a
	if _, ok := c.get([]byte("a")); ok {
		t.Fatal("the oldest entry was kept past the bound")
	}
	for _, k := range []string{"b", "c"} {
		if raw, ok := c.get([]byte(k)); !ok || len(raw) != 4 {
			t.Fatalf("entry %s: %v %d", k, ok, len(raw))
		}
	}
	c.put([]byte("d"), make([]byte, 11))
	if _, ok := c.get([]byte("d")); ok || c.size != 8 {
		t.Fatalf("an oversized transaction was cached (size %d)", c.size)
	}
}

// TestV2Bundles: a record of a version 2 transaction is proven by the
// signed header and its own item's audit path, not the transaction: the
// bundle carries no other item, verifies offline, and its item check
// fails when the item path or the item's position is wrong.
func TestV2Bundles(t *testing.T) {
	app, chain, ms, ids := testLog(t)
	p := New(app, chain, func() *proof.Signer { return proof.NewSigner("cert-a", key("author")) })
	ctx := context.Background()
	for i, id := range ids[4:] {
		b, err := p.Bundle(ctx, id, "2026-01-01T00:00:00Z")
		if err != nil {
			t.Fatal(err)
		}
		if b.Format != proof.BundleFormatV2 || b.Tx != nil || len(b.TxHeader) == 0 || len(b.TxSignature) != 64 {
			t.Fatalf("%s: bundle %s with tx %d bytes, header %d", id, b.Format, len(b.Tx), len(b.TxHeader))
		}
		want := i // five items in the first v2 transaction, one in the second
		if i == 5 {
			want = 0
		}
		if b.TxObject != want {
			t.Fatalf("%s: tx_object %d, want %d", id, b.TxObject, want)
		}
		j, _ := json.Marshal(b)
		for _, other := range ids {
			if other != id && bytes.Contains(j, []byte(other)) {
				t.Fatalf("%s: the bundle carries another record's object (%s)", id, other)
			}
		}
		if r := proof.Verify(b, ms); !r.OK() {
			t.Fatalf("%s: %+v", id, r.Checks)
		}
		parsed, err := proof.ParseBundle(j)
		if err != nil || !proof.Verify(parsed, ms).OK() {
			t.Fatalf("%s: bundle does not survive JSON: %v", id, err)
		}
	}
	if chain.reads != 0 {
		t.Fatalf("%d transaction reads for v2 records, want none", chain.reads)
	}
}
