package ledger

import (
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"testing"

	abci "github.com/cometbft/cometbft/abci/types"

	"github.com/phalanx-ledger/phalanx/internal/tx"
)

// TestEnvelopeCacheFollowsKeyRotation: a transaction whose signature
// CheckTx verified (and cached) on one replica only gets the same verdict
// there as on a replica that never saw it, after a vote rotated the
// author's key: the cached verification was for the old key.
func TestEnvelopeCacheFollowsKeyRotation(t *testing.T) {
	c := newCommunity(t, 1, "alice")
	fresh := newMember("alice-2026")
	seal := sha256.Sum256([]byte("new seal"))
	rot := Rotation{Member: "alice", SignKey: fresh.key.Public().(ed25519.PublicKey), SealKey: seal[:], ValidatorKey: valKey("alice-new")}
	propose := c.sign("alice", tx.TypePropose, Propose{Kind: KindRotate, Rotation: &rot})
	vote := c.sign("alice", tx.TypeVote, Vote{Proposal: 1, Choice: VoteYes})
	pub := c.sign("alice", tx.TypePublish, mustPublish(t, indicator(1, "2026-01-01T00:00:00.000Z")))
	if res, err := c.apps[0].CheckTx(context.Background(), &abci.CheckTxRequest{Tx: pub, Type: abci.CHECK_TX_TYPE_CHECK}); err != nil || res.Code != 0 {
		t.Fatalf("CheckTx: %+v %v", res, err)
	}
	if got, key := c.apps[0].envelopes.get(sha256.Sum256(pub)); got == nil || len(key) != ed25519.PublicKeySize {
		t.Fatal("CheckTx did not cache the verified transaction")
	}
	if got, _ := c.apps[1].envelopes.get(sha256.Sum256(pub)); got != nil {
		t.Fatal("the other replica has the transaction cached")
	}
	c.block(propose)
	c.block(vote)
	res := c.block(pub) // block() fails if the replicas disagree
	c.expect(res, 0, CodeBadSignature, "signature")
}

// TestEnvelopeCacheRecheckKeepsVerdict: a recheck served from the cache
// accepts what a full check accepts and still applies the nonce rule.
func TestEnvelopeCacheRecheckKeepsVerdict(t *testing.T) {
	alice := newMember("alice")
	a, _ := newApp(t, alice)
	pub := publishTx(t, alice, testChain, 1, indicator(1, "2026-01-01T00:00:00.000Z"))
	for _, typ := range []abci.CheckTxType{abci.CHECK_TX_TYPE_CHECK, abci.CHECK_TX_TYPE_RECHECK} {
		if res, err := a.CheckTx(context.Background(), &abci.CheckTxRequest{Tx: pub, Type: typ}); err != nil || res.Code != CodeOK {
			t.Fatalf("CheckTx %v: %+v %v", typ, res, err)
		}
	}
	finalize(t, a, 1, pub)
	res, err := a.CheckTx(context.Background(), &abci.CheckTxRequest{Tx: pub, Type: abci.CHECK_TX_TYPE_RECHECK})
	if err != nil || res.Code != CodeBadNonce {
		t.Fatalf("recheck of a committed transaction: %+v %v, want bad nonce", res, err)
	}
}

// TestEnvelopeCacheBounded: the cache holds at most its byte budget,
// evicting the oldest entries, and never an entry larger than the budget.
func TestEnvelopeCacheBounded(t *testing.T) {
	c := newEnvelopeCache(100)
	key := []byte("k")
	for i := range 5 {
		c.put([32]byte{byte(i)}, 40, &tx.Tx{}, key)
	}
	if n, size := c.fifo.len(); size > 100 || n != 2 {
		t.Fatalf("cache holds %d bytes in %d entries", size, n)
	}
	for i, want := range []bool{false, false, false, true, true} {
		if got, _ := c.get([32]byte{byte(i)}); (got != nil) != want {
			t.Fatalf("entry %d cached: %v, want %v", i, got != nil, want)
		}
	}
	c.put([32]byte{9}, 101, &tx.Tx{}, key)
	if got, _ := c.get([32]byte{9}); got != nil {
		t.Fatal("an entry larger than the budget was cached")
	}
}
