package proof

import (
	"bytes"
	"strings"
	"testing"
)

// TestVerifierCacheReusedBuffers: a caller that reuses its buffers (a
// stream of bundles read into the same memory) gets the verdict of what
// the buffers hold now, not of what the cache saw: the verifier keeps
// copies of the transactions and checkpoints it remembers.
func TestVerifierCacheReusedBuffers(t *testing.T) {
	ex := buildExample(t, 1)
	v := NewVerifier(ex.members)
	b := *ex.bundle
	b.Tx = bytes.Clone(ex.bundle.Tx)
	b.Checkpoint.Commit = bytes.Clone(ex.bundle.Checkpoint.Commit)
	if r := v.Verify(&b); !r.OK() {
		t.Fatalf("example: %v", r.Failed())
	}
	b.Tx[len(b.Tx)-1] ^= 1
	if got, want := v.Verify(&b).Failed(), Verify(&b, ex.members).Failed(); len(want) == 0 || strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("transaction changed in place: cached verifier fails %v, Verify fails %v", got, want)
	}
	b.Tx[len(b.Tx)-1] ^= 1
	b.Checkpoint.Commit[len(b.Checkpoint.Commit)-1] ^= 1
	if got, want := v.Verify(&b).Failed(), Verify(&b, ex.members).Failed(); len(want) == 0 || strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("commit changed in place: cached verifier fails %v, Verify fails %v", got, want)
	}
	b.Checkpoint.Commit[len(b.Checkpoint.Commit)-1] ^= 1
	if r := v.Verify(&b); !r.OK() {
		t.Fatalf("restored example: %v", r.Failed())
	}
}

// TestVerifierTxCacheBound: the transaction cache stays within its entry
// bound, dropping the oldest first, and a dropped transaction is checked
// again (same verdict).
func TestVerifierTxCacheBound(t *testing.T) {
	ex := buildExample(t, 1)
	v := NewVerifier(ex.members)
	st := checkTx(ex.bundle.Tx, ex.members)
	for i := range txCacheEntries + 10 {
		var h [32]byte
		h[0], h[1], h[2] = byte(i), byte(i>>8), 0xee
		v.remember(h, []byte{byte(i)}, st)
	}
	if len(v.txs) != txCacheEntries || len(v.txOrder) != txCacheEntries || v.txBytes != txCacheEntries {
		t.Fatalf("cache holds %d entries (%d in order, %d bytes), bound %d", len(v.txs), len(v.txOrder), v.txBytes, txCacheEntries)
	}
	if _, ok := v.txs[string([]byte{0, 0, 0xee})+strings.Repeat("\x00", 29)]; ok {
		t.Fatal("the oldest entry was kept")
	}
	if r := v.Verify(ex.bundle); !r.OK() {
		t.Fatalf("example after filling the cache: %v", r.Failed())
	}
}
