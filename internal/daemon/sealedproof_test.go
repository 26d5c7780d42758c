package daemon

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"slices"
	"testing"
	"time"

	"github.com/phalanx-ledger/phalanx/internal/intake"
	"github.com/phalanx-ledger/phalanx/internal/proof"
)

// TestSealedRecordProof: a sealed (TLP:AMBER) record has a proof bundle
// that verifies offline like a plaintext one, carries the envelope and not
// the plaintext, and fails the leaf and author checks when the envelope is
// altered.
func TestSealedRecordProof(t *testing.T) {
	n := startNode(t, initDir(t))
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	const id = "indicator--5ea1ed00-0000-4000-8000-000000000001"
	obj := `{"type":"indicator","spec_version":"2.1","id":"` + id + `","created":"2026-01-01T00:00:00.000Z","modified":"2026-01-01T00:00:00.000Z","name":"sealed","pattern":"[ipv4-addr:value = '203.0.113.8']","pattern_type":"stix","valid_from":"2026-01-01T00:00:00Z","object_marking_refs":["marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421"]}`
	res, err := n.cli.PublishTo(ctx, []byte(`{"type":"bundle","id":"bundle--5ea1ed00-0000-4000-8000-000000000002","objects":[`+obj+`]}`),
		intake.Address{To: []string{"cert-a"}}, true)
	if err != nil || len(res.Transactions) != 1 || !res.Transactions[0].Committed() {
		t.Fatalf("publish: %+v %v", res, err)
	}
	n.publish(indicators(0, 1, "2026-01-01T00:00:00.000Z")) // the next block binds the checkpoint
	ms, _ := memberSet(ctx, t, n)
	b := waitProof(ctx, t, n, id, "")
	if r := proof.Verify(b, ms); !r.OK() {
		t.Fatalf("sealed record's bundle fails: %+v", r.Checks)
	}
	if b.Record.Sealed == nil || len(b.Record.Object) != 0 {
		t.Fatalf("the bundle of a sealed record carries object %d bytes, sealed %d bytes", len(b.Record.Object), len(b.Record.Sealed))
	}
	raw, err := json.Marshal(b)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(raw, []byte("203.0.113.8")) || bytes.Contains(raw, []byte(base64.StdEncoding.EncodeToString([]byte("203.0.113.8")))) {
		t.Fatal("the proof bundle of a sealed record carries its plaintext")
	}
	bad := cloneBundle(t, b)
	bad.Record.Sealed[len(bad.Record.Sealed)/2] ^= 1
	if b.Format != proof.BundleFormatV2 {
		t.Fatalf("a sealed record published through intake is proven by %s, want a v2 bundle", b.Format)
	}
	if got := proof.Verify(bad, ms).Failed(); !slices.Equal(got, []string{proof.CheckLeaf, proof.CheckItem}) {
		t.Fatalf("altered envelope: failed checks %v, want leaf and tx_item", got)
	}
}
