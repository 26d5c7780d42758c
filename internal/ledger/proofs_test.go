package ledger

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"testing"

	abci "github.com/cometbft/cometbft/abci/types"
	"github.com/transparency-dev/merkle/compact"
	"github.com/transparency-dev/merkle/proof"
	"github.com/transparency-dev/merkle/rfc6962"
)

// mth is the RFC 6962 Merkle tree hash, computed naively from the leaf
// hashes (section 2.1), independent of the compact ranges the ledger keeps.
func mth(leaves [][]byte) []byte {
	switch len(leaves) {
	case 0:
		s := sha256.Sum256(nil)
		return s[:]
	case 1:
		return leaves[0]
	}
	k := 1
	for k*2 < len(leaves) {
		k *= 2
	}
	h := sha256.New()
	h.Write([]byte{1})
	h.Write(mth(leaves[:k]))
	h.Write(mth(leaves[k:]))
	return h.Sum(nil)
}

// growLedger commits blocks so that the record log passes through each of
// sizes; it returns the app with the height at which each size was reached.
func growLedger(t *testing.T, sizes []int) (*App, map[int]int64) {
	t.Helper()
	alice := newMember("alice")
	a, _ := newApp(t, alice)
	at := map[int]int64{}
	var nonce uint64
	n, height := 0, int64(0)
	for _, size := range sizes {
		var txs [][]byte
		for n < size {
			k := min(size-n, 5000)
			objs := make([]string, k)
			for i := range objs {
				objs[i] = indicator(n+i, "2026-01-01T00:00:00.000Z")
			}
			nonce++
			txs = append(txs, publishTx(t, alice, testChain, nonce, objs...))
			n += k
		}
		height++
		res := finalize(t, a, height, txs...)
		for i, r := range res.TxResults {
			if r.Code != CodeOK {
				t.Fatalf("height %d tx %d: %s", height, i, r.Log)
			}
		}
		at[size] = height
	}
	return a, at
}

// TestProofsAcrossSizes: at log sizes 1, 2, 1000 and 100,000 the ledger
// serves the checkpoint whose parts recompute the block's app hash, roots
// that match a naive RFC 6962 computation, inclusion proofs that verify,
// and consistency proofs between every pair of sizes.
func TestProofsAcrossSizes(t *testing.T) {
	sizes := []int{1, 2, 1000, 100000}
	a, at := growLedger(t, sizes)
	recs, err := a.Records(0, uint64(sizes[len(sizes)-1]), 0)
	if err != nil {
		t.Fatal(err)
	}
	leaves := make([][]byte, len(recs))
	for i := range recs {
		leaves[i] = rfc6962.DefaultHasher.HashLeaf(recs[i].LeafData())
	}
	roots := map[int][]byte{}
	for _, size := range sizes {
		c, err := a.Checkpoint(at[size])
		if err != nil {
			t.Fatal(err)
		}
		if c.Size != uint64(size) || c.Height != at[size] {
			t.Fatalf("checkpoint at height %d: size %d, want %d", at[size], c.Size, size)
		}
		if want := mth(leaves[:size]); !bytes.Equal(c.Root, want) {
			t.Fatalf("size %d: root %x, naive RFC 6962 root %x", size, c.Root, want)
		}
		if !bytes.Equal(AppHashOf(c.Size, c.Root, c.StateHash), c.AppHash) {
			t.Fatalf("size %d: app hash does not recompute", size)
		}
		roots[size] = c.Root
		for _, idx := range []int{0, size / 2, size - 1} {
			path, err := a.InclusionProof(uint64(idx), uint64(size))
			if err != nil {
				t.Fatal(err)
			}
			if err := proof.VerifyInclusion(rfc6962.DefaultHasher, uint64(idx), uint64(size), leaves[idx], path, c.Root); err != nil {
				t.Fatalf("inclusion of %d in %d: %v", idx, size, err)
			}
			if len(path) > 0 {
				path[0][0] ^= 1
				if proof.VerifyInclusion(rfc6962.DefaultHasher, uint64(idx), uint64(size), leaves[idx], path, c.Root) == nil {
					t.Fatalf("a flipped inclusion proof of %d in %d verifies", idx, size)
				}
			}
		}
	}
	for i, s1 := range sizes {
		for _, s2 := range sizes[i:] {
			path, err := a.ConsistencyProof(uint64(s1), uint64(s2))
			if err != nil {
				t.Fatal(err)
			}
			if err := proof.VerifyConsistency(rfc6962.DefaultHasher, uint64(s1), uint64(s2), path, roots[s1], roots[s2]); err != nil {
				t.Fatalf("consistency %d→%d: %v", s1, s2, err)
			}
			if s1 > 1 && s1 != s2 && proof.VerifyConsistency(rfc6962.DefaultHasher, uint64(s1), uint64(s2), path, leaves[0], roots[s2]) == nil {
				t.Fatalf("consistency %d→%d verifies against a wrong old root", s1, s2)
			}
		}
	}
}

// TestCheckpointBookkeeping: every height, including genesis and empty
// blocks, has a checkpoint; heights not committed do not.
func TestCheckpointBookkeeping(t *testing.T) {
	alice := newMember("alice")
	a, _ := newApp(t, alice)
	g, err := a.Checkpoint(0)
	if err != nil || g.Size != 0 || !bytes.Equal(g.AppHash, a.State().AppHash) {
		t.Fatalf("genesis checkpoint %+v, %v", g, err)
	}
	res1 := finalize(t, a, 1, publishTx(t, alice, testChain, 1, indicator(1, "2026-01-01T00:00:00.000Z")))
	res2 := finalize(t, a, 2)
	c1, err1 := a.Checkpoint(1)
	c2, err2 := a.Checkpoint(2)
	if err1 != nil || err2 != nil || !bytes.Equal(c1.AppHash, res1.AppHash) || !bytes.Equal(c2.AppHash, res2.AppHash) || c2.Size != 1 {
		t.Fatalf("checkpoints %+v %v / %+v %v", c1, err1, c2, err2)
	}
	if _, err := a.Checkpoint(3); err == nil {
		t.Fatal("checkpoint of an uncommitted height")
	}
	if _, err := a.InclusionProof(0, 2); err == nil {
		t.Fatal("inclusion proof beyond the log")
	}
	r, ok, err := a.RecordByVersion("indicator--00000001-0000-4000-8000-000000000000", "2026-01-01T00:00:00Z")
	if err != nil || !ok || r.Index != 0 {
		t.Fatalf("RecordByVersion = %+v %v %v", r, ok, err)
	}
}

// TestTxPosition: the ledger remembers where each record's object sits in
// its transaction.
func TestTxPosition(t *testing.T) {
	alice := newMember("alice")
	a, _ := newApp(t, alice)
	finalize(t, a, 1,
		publishTx(t, alice, testChain, 1, indicator(1, "2026-01-01T00:00:00.000Z"), indicator(2, "2026-01-01T00:00:00.000Z")),
		publishTx(t, alice, testChain, 2, indicator(3, "2026-01-01T00:00:00.000Z"), indicator(4, "2026-01-01T00:00:00.000Z"), indicator(5, "2026-01-01T00:00:00.000Z")))
	recs, err := a.Records(0, 5, 0)
	if err != nil || len(recs) != 5 {
		t.Fatal(recs, err)
	}
	for i, want := range []int{0, 1, 0, 1, 2} {
		if pos, ok, err := a.TxPosition(recs[i]); err != nil || !ok || pos != want {
			t.Errorf("record %d: position %d %v %v, want %d", i, pos, ok, err, want)
		}
	}
}

// TestNodeCache: proofs and roots served from the node cache equal those
// of a fresh App over the same store (which has read nothing yet), both
// before and after the log grows; changing a served proof does not change
// the cache.
func TestNodeCache(t *testing.T) {
	alice := newMember("alice")
	kv := NewMemKV()
	a, err := New(kv, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.InitChain(t.Context(), &abci.InitChainRequest{ChainId: testChain, AppStateBytes: genesis(t, alice)}); err != nil {
		t.Fatal(err)
	}
	var nonce uint64
	grow := func(height int64, from, to int) {
		objs := make([]string, 0, to-from)
		for i := from; i < to; i++ {
			objs = append(objs, indicator(i, "2026-01-01T00:00:00.000Z"))
		}
		nonce++
		if res := finalize(t, a, height, publishTx(t, alice, testChain, nonce, objs...)); res.TxResults[0].Code != CodeOK {
			t.Fatal(res.TxResults[0].Log)
		}
	}
	check := func(size uint64) {
		t.Helper()
		fresh, err := New(kv, nil)
		if err != nil {
			t.Fatal(err)
		}
		for _, idx := range []uint64{0, 1, size / 3, size / 2, size - 1} {
			for round := range 2 { // the second round reads the cache
				got, err := a.InclusionProof(idx, size)
				if err != nil {
					t.Fatal(err)
				}
				want, err := fresh.InclusionProof(idx, size)
				if err != nil {
					t.Fatal(err)
				}
				if len(got) != len(want) {
					t.Fatalf("inclusion of %d in %d: %d hashes, fresh %d", idx, size, len(got), len(want))
				}
				for i := range got {
					if !bytes.Equal(got[i], want[i]) {
						t.Fatalf("round %d, inclusion of %d in %d: hash %d is %x, fresh %x", round, idx, size, i, got[i], want[i])
					}
					got[i][0] ^= 0xff // the caller's copy only
				}
			}
		}
		for _, s := range []uint64{size / 2, size} {
			got, err := a.RootAt(s)
			if err != nil {
				t.Fatal(err)
			}
			want, err := fresh.RootAt(s)
			if err != nil || !bytes.Equal(got, want) {
				t.Fatalf("root at %d: %x, fresh %x (%v)", s, got, want, err)
			}
		}
	}
	grow(1, 0, 700)
	check(700)
	if a.nodes.len() == 0 {
		t.Fatal("no node was cached")
	}
	grow(2, 700, 1500)
	check(1500)

	// A node warming its cache at start-up loads every stored node: from
	// level 2 up into maps (1,500 leaves: 375+187+93+46+23+11+5+2+1 = 743
	// nodes with a complete subtree), levels 1 and 0 into flat arrays (750
	// + 1,500), and serves the same proofs and roots from it.
	warm, err := New(kv, nil)
	if err != nil {
		t.Fatal(err)
	}
	n, err := warm.WarmProofCache(t.Context())
	if err != nil || n != 2993 || warm.nodes.len() != n {
		t.Fatalf("warmed %d nodes (%d cached), %v; want 2993", n, warm.nodes.len(), err)
	}
	a = warm
	check(1500)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := reopen(t, kv).WarmProofCache(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("warming with a cancelled context: %v", err)
	}
}

func reopen(t *testing.T, kv KV) *App {
	t.Helper()
	a, err := New(kv, nil)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// TestNodeCacheLowLevels: the flat arrays of levels 0 and 1 grow to the
// highest index stored, keep nothing past their bound, treat unfilled
// slots as absent and hand out copies.
func TestNodeCacheLowLevels(t *testing.T) {
	c := newNodeCache()
	h := bytes.Repeat([]byte{7}, sha256Size)
	c.put(compact.NodeID{Level: 0, Index: 1000}, h)
	c.put(compact.NodeID{Level: 1, Index: lowLimit(1)}, h) // past the bound
	if got, ok := c.get(compact.NodeID{Level: 0, Index: 1000}); !ok || !bytes.Equal(got, h) {
		t.Fatalf("level 0 node 1000: %x %v", got, ok)
	}
	if _, ok := c.get(compact.NodeID{Level: 0, Index: 999}); ok {
		t.Fatal("an unfilled slot below a filled one is served")
	}
	if _, ok := c.get(compact.NodeID{Level: 1, Index: lowLimit(1)}); ok || c.takes(compact.NodeID{Level: 1, Index: lowLimit(1)}) {
		t.Fatal("a node past the bound is kept")
	}
	got, _ := c.get(compact.NodeID{Level: 0, Index: 1000})
	got[0] = 0
	if again, _ := c.get(compact.NodeID{Level: 0, Index: 1000}); again[0] != 7 {
		t.Fatal("get handed out the cache's own bytes")
	}
	c.put(compact.NodeID{Level: 0, Index: 1000}, h) // again: not counted twice
	if c.len() != 1 {
		t.Fatalf("len %d, want 1", c.len())
	}
	if len(c.low[0]) != 1001*sha256Size || len(c.low[1]) != 0 {
		t.Fatalf("arrays of %d and %d bytes", len(c.low[0]), len(c.low[1]))
	}
}
