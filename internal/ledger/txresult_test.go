package ledger

import (
	"bytes"
	"crypto/sha256"
	"testing"
)

// TestTxOutcome: every transaction of a committed block has its height,
// position and result recorded, the same the block's ABCI results say; a
// later failed copy of a committed transaction does not replace its
// success; an uncommitted hash has none.
func TestTxOutcome(t *testing.T) {
	alice, mallory := newMember("alice"), newMember("mallory")
	a, _ := newApp(t, alice)
	ok1 := publishTx(t, alice, testChain, 1, indicator(1, "2026-01-01T00:00:00.000Z"), indicator(2, "2026-01-01T00:00:00.000Z"))
	stranger := publishTx(t, mallory, testChain, 1, indicator(3, "2026-01-01T00:00:00.000Z"))
	ok2 := publishV2(t, alice, 2, indicator(4, "2026-01-01T00:00:00.000Z"))
	res := finalize(t, a, 1, ok1, stranger, ok2)

	for i, raw := range [][]byte{ok1, stranger, ok2} {
		h := sha256.Sum256(raw)
		got, ok, err := a.TxOutcome(h[:])
		want := res.TxResults[i]
		if err != nil || !ok {
			t.Fatalf("tx %d: TxOutcome = %v, %v", i, ok, err)
		}
		if got.Height != 1 || got.Index != i || got.Code != want.Code || got.Log != want.Log || !bytes.Equal(got.Data, want.Data) {
			t.Fatalf("tx %d: outcome %+v, block result %+v", i, got, want)
		}
	}
	if res.TxResults[1].Code != CodeUnknownMember || res.TxResults[0].Code != CodeOK || len(res.TxResults[0].Data) == 0 {
		t.Fatalf("results %+v: want OK with data, unknown member, OK", res.TxResults)
	}

	// The same bytes in a later block fail (replayed nonce): the success stays.
	res2 := finalize(t, a, 2, ok1)
	if res2.TxResults[0].Code == CodeOK {
		t.Fatal("a replayed transaction was accepted")
	}
	h := sha256.Sum256(ok1)
	if got, _, _ := a.TxOutcome(h[:]); got.Height != 1 || got.Code != CodeOK {
		t.Fatalf("after a failed replay: %+v, want the success at height 1", got)
	}
	// A failure followed by a failure: the latest is kept.
	res3 := finalize(t, a, 3, stranger)
	h = sha256.Sum256(stranger)
	if got, _, _ := a.TxOutcome(h[:]); got.Height != 3 || got.Code != res3.TxResults[0].Code {
		t.Fatalf("a failure replayed: %+v, want height 3", got)
	}

	missing := sha256.Sum256([]byte("never sent"))
	if _, ok, err := a.TxOutcome(missing[:]); ok || err != nil {
		t.Fatalf("uncommitted hash: ok %v, err %v", ok, err)
	}
}
