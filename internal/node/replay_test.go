package node

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	abci "github.com/cometbft/cometbft/abci/types"

	"github.com/phalanx-ledger/phalanx/internal/ledger"
	"github.com/phalanx-ledger/phalanx/internal/tx"
)

// hidden hides an application's Preparse, so ApplyBlock runs it alone.
type hidden struct{ abci.Application }

// TestApplyBlockPreparse: blocks applied with the pre-parse goroutine end
// in the same app hashes and verdicts as without it, including a block
// with an invalid publish and a duplicate.
func TestApplyBlockPreparse(t *testing.T) {
	seed := sha256.Sum256([]byte("replay test author"))
	key := ed25519.NewKeyFromSeed(seed[:])
	open := func() *ledger.App {
		a, err := ledger.New(ledger.NewMemKV(), nil)
		if err != nil {
			t.Fatal(err)
		}
		g, _ := json.Marshal(ledger.Genesis{Members: []ledger.Member{{ID: "alice", Name: "Alice",
			SignKey: key.Public().(ed25519.PublicKey), SealKey: make([]byte, 32), Power: 10}}})
		if _, err := a.InitChain(context.Background(), &abci.InitChainRequest{ChainId: "c", AppStateBytes: g}); err != nil {
			t.Fatal(err)
		}
		return a
	}
	obj := func(n int) []byte {
		return fmt.Appendf(nil, `{"type":"indicator","spec_version":"2.1","id":"indicator--%08x-5555-4555-8555-555555555555","created":"2026-01-01T00:00:00.000Z","modified":"2026-01-01T00:00:00.000Z","name":"n %d","pattern":"[ipv4-addr:value = '10.0.0.%d']","pattern_type":"stix","valid_from":"2026-01-01T00:00:00Z"}`, n, n, n%250)
	}
	nonce := uint64(0)
	publish := func(objs ...[]byte) []byte {
		nonce++
		if nonce%2 == 0 { // every other transaction in version 2
			raw, err := tx.SignItems(tx.Header{ChainID: "c", Type: tx.TypePublish, Author: "alice", Nonce: nonce}, objs, key)
			if err != nil {
				t.Fatal(err)
			}
			return raw
		}
		p, err := tx.EncodePublish(tx.Publish{Objects: objs})
		if err != nil {
			t.Fatal(err)
		}
		raw, err := tx.Sign(tx.Body{ChainID: "c", Type: tx.TypePublish, Author: "alice", Nonce: nonce, Payload: p}, key)
		if err != nil {
			t.Fatal(err)
		}
		return raw
	}
	var blocks [][][]byte
	for b := range 3 {
		var txs [][]byte
		for i := range 5 {
			switch {
			case b == 1 && i == 4: // rejected (its nonce is not used up)
				txs = append(txs, publish([]byte(`{"type":"indicator","id":"x"}`)))
				nonce--
			case b == 2 && i == 4: // already on the ledger
				txs = append(txs, publish(obj(0)))
			default:
				txs = append(txs, publish(obj(100*b+3*i), obj(100*b+3*i+1), obj(100*b+3*i+2)))
			}
		}
		blocks = append(blocks, txs)
	}
	with, without := open(), open()
	for h, txs := range blocks {
		req := func() *abci.FinalizeBlockRequest {
			return &abci.FinalizeBlockRequest{Height: int64(h + 1), Time: time.Unix(1_800_000_000+int64(h), 0), Txs: txs}
		}
		got, err := ApplyBlock(context.Background(), with, req())
		if err != nil {
			t.Fatal(err)
		}
		want, err := ApplyBlock(context.Background(), hidden{without}, req())
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got.AppHash, want.AppHash) {
			t.Fatalf("height %d: app hash %X with pre-parse, %X without", h+1, got.AppHash, want.AppHash)
		}
		for i := range txs {
			if g, w := got.TxResults[i], want.TxResults[i]; g.Code != w.Code || g.Log != w.Log {
				t.Fatalf("height %d tx %d: %d %q with pre-parse, %d %q without", h+1, i, g.Code, g.Log, w.Code, w.Log)
			}
		}
	}
	if with.State().Records != 39 {
		t.Fatalf("%d records committed", with.State().Records)
	}
}
