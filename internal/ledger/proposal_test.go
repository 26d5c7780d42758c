package ledger

import (
	"context"
	"testing"

	abci "github.com/cometbft/cometbft/abci/types"
)

// TestOutOfOrderMempool: transactions of one author that reach the mempool
// out of nonce order are all admitted, and the proposer puts them back in
// order so that all commit; a gap holds back what follows it.
func TestOutOfOrderMempool(t *testing.T) {
	alice, bob := newMember("alice"), newMember("bob")
	a, _ := newApp(t, alice, bob)
	ctx := context.Background()
	a1 := publishTx(t, alice, testChain, 1, indicator(1, "2026-01-01T00:00:00.000Z"))
	a2 := publishTx(t, alice, testChain, 2, indicator(2, "2026-01-01T00:00:00.000Z"))
	a3 := publishTx(t, alice, testChain, 3, indicator(3, "2026-01-01T00:00:00.000Z"))
	a5 := publishTx(t, alice, testChain, 5, indicator(5, "2026-01-01T00:00:00.000Z"))
	b1 := publishTx(t, bob, testChain, 1, indicator(11, "2026-01-01T00:00:00.000Z"))
	arrival := [][]byte{a3, b1, a1, a5, a2}
	for i, raw := range arrival {
		res, _ := a.CheckTx(ctx, &abci.CheckTxRequest{Tx: raw, Type: abci.CHECK_TX_TYPE_CHECK})
		if res.Code != CodeOK {
			t.Fatalf("arrival %d: %d %s", i, res.Code, res.Log)
		}
	}
	if res, _ := a.CheckTx(ctx, &abci.CheckTxRequest{Tx: a2}); res.Code != CodeBadNonce {
		t.Fatalf("a second copy of a pending nonce: %d %s", res.Code, res.Log)
	}
	if got := a.PendingNonce("alice"); got != 5 {
		t.Fatalf("PendingNonce = %d, want 5", got)
	}
	prop, err := a.PrepareProposal(ctx, &abci.PrepareProposalRequest{Txs: arrival, MaxTxBytes: 1 << 20})
	if err != nil {
		t.Fatal(err)
	}
	want := [][]byte{a1, a2, a3, b1} // alice first (first listed), in order, a5 held back by the gap
	if len(prop.Txs) != len(want) {
		t.Fatalf("proposal has %d txs, want %d", len(prop.Txs), len(want))
	}
	for i := range want {
		if string(prop.Txs[i]) != string(want[i]) {
			t.Fatalf("proposal tx %d out of place", i)
		}
	}
	res := finalize(t, a, 1, prop.Txs...)
	for i, r := range res.TxResults {
		if r.Code != CodeOK {
			t.Fatalf("tx %d: %s", i, r.Log)
		}
	}
	if a.Nonce("alice") != 3 || a.State().Records != 4 {
		t.Fatalf("after the block: nonce %d, records %d", a.Nonce("alice"), a.State().Records)
	}
	// after the commit, a recheck keeps a5 (still ahead) and drops a replay
	if r, _ := a.CheckTx(ctx, &abci.CheckTxRequest{Tx: a5, Type: abci.CHECK_TX_TYPE_RECHECK}); r.Code != CodeOK {
		t.Fatalf("recheck of a5: %s", r.Log)
	}
	if r, _ := a.CheckTx(ctx, &abci.CheckTxRequest{Tx: a2, Type: abci.CHECK_TX_TYPE_RECHECK}); r.Code != CodeBadNonce {
		t.Fatalf("recheck of committed a2: %d", r.Code)
	}
}
