package ledger

import (
	"bytes"
	"context"
	"crypto/sha256"
	"testing"

	abci "github.com/cometbft/cometbft/abci/types"
)

// TestPreparseSameOutcome: a block whose transactions were pre-parsed
// (valid and invalid publishes, garbage) commits exactly as on a replica
// that did not pre-parse: same results, same app hash; and the pre-parse
// did fill the cache under the committed limits.
func TestPreparseSameOutcome(t *testing.T) {
	alice := newMember("alice")
	txs := [][]byte{
		publishTx(t, alice, testChain, 1, indicator(1, "2026-01-01T00:00:00.000Z"), indicator(2, "2026-01-01T00:00:00.000Z")),
		[]byte("not a transaction"),
		publishTx(t, alice, testChain, 2, `{"type":"indicator","id":"indicator--x"}`),
		publishTx(t, alice, testChain, 2, indicator(3, "2026-01-01T00:00:00.000Z")),
	}
	plain, _ := newApp(t, alice)
	pre, _ := newApp(t, alice)
	pre.Preparse(context.Background(), txs)
	for _, i := range []int{0, 3} {
		if _, ok := pre.parsed.get(sha256.Sum256(txs[i]), limitsOf(pre.Params())); !ok {
			t.Fatalf("transaction %d not in the parse cache after Preparse", i)
		}
	}
	if _, ok := pre.parsed.get(sha256.Sum256(txs[2]), limitsOf(pre.Params())); ok {
		t.Fatal("an invalid payload was cached")
	}
	want := finalize(t, plain, 1, txs...)
	got := finalize(t, pre, 1, txs...)
	if !bytes.Equal(got.AppHash, want.AppHash) {
		t.Fatalf("app hash %X after pre-parse, %X without", got.AppHash, want.AppHash)
	}
	for i := range txs {
		if g, w := got.TxResults[i], want.TxResults[i]; g.Code != w.Code || g.Log != w.Log {
			t.Fatalf("tx %d: %d %q after pre-parse, %d %q without", i, g.Code, g.Log, w.Code, w.Log)
		}
	}
	if want.TxResults[0].Code != CodeOK || want.TxResults[2].Code != CodeInvalidSTIX {
		t.Fatalf("unexpected verdicts %+v", want.TxResults)
	}
}

// TestPreparseStopsWhenDone: a cancelled context stops Preparse before it
// parses anything.
func TestPreparseStopsWhenDone(t *testing.T) {
	alice := newMember("alice")
	raw := publishTx(t, alice, testChain, 1, indicator(1, "2026-01-01T00:00:00.000Z"))
	a, _ := newApp(t, alice)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	a.Preparse(ctx, [][]byte{raw})
	if _, ok := a.parsed.get(sha256.Sum256(raw), limitsOf(a.Params())); ok {
		t.Fatal("Preparse parsed after its context was cancelled")
	}
}

// TestDeliveredTransactionsLeaveTheCaches: CheckTx caches a publish's
// decoding and parse; once a block has delivered it neither cache holds
// it, while a transaction still waiting stays cached.
func TestDeliveredTransactionsLeaveTheCaches(t *testing.T) {
	alice := newMember("alice")
	a, _ := newApp(t, alice)
	first := publishTx(t, alice, testChain, 1, indicator(1, "2026-01-01T00:00:00.000Z"))
	waiting := publishTx(t, alice, testChain, 2, indicator(3, "2026-01-01T00:00:00.000Z"))
	cached := func(raw []byte) (parsed, envelope bool) {
		_, parsed = a.parsed.get(sha256.Sum256(raw), limitsOf(a.Params()))
		got, _ := a.envelopes.get(sha256.Sum256(raw))
		return parsed, got != nil
	}
	for _, raw := range [][]byte{first, waiting} {
		res, err := a.CheckTx(context.Background(), &abci.CheckTxRequest{Tx: raw, Type: abci.CHECK_TX_TYPE_CHECK})
		if err != nil || res.Code != CodeOK {
			t.Fatalf("CheckTx: %+v %v", res, err)
		}
		if p, e := cached(raw); !p || !e {
			t.Fatalf("after CheckTx: parse cached %v, envelope cached %v", p, e)
		}
	}
	if res := finalize(t, a, 1, first); res.TxResults[0].Code != CodeOK {
		t.Fatalf("verdict %+v", res.TxResults[0])
	}
	if p, e := cached(first); p || e {
		t.Errorf("committed transaction still cached after its block: parse %v, envelope %v", p, e)
	}
	if p, e := cached(waiting); !p || !e {
		t.Errorf("the waiting transaction left the caches: parse %v, envelope %v", p, e)
	}
}
