package ledger

import (
	"bytes"
	"context"
	"crypto/sha256"
	"testing"
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
