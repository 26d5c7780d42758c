package daemon

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"testing"
	"time"

	"github.com/phalanx-ledger/phalanx/internal/errs"
	"github.com/phalanx-ledger/phalanx/internal/ledger"
	"github.com/phalanx-ledger/phalanx/internal/tx"
)

// TestTxOutcomeAndRawTxWithoutTxIndex: with CometBFT's tx index off, a
// committed transaction's status comes from the ledger's record of
// outcomes, and a version 1 transaction's bytes (which proof bundles carry)
// from the block store at the recorded height and position.
func TestTxOutcomeAndRawTxWithoutTxIndex(t *testing.T) {
	n := startNode(t, initDir(t))
	n.publish(indicators(0, 1, "2026-01-01T00:00:00.000Z"))
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()

	id := "indicator--0000abce-1111-4111-8111-111111111111"
	obj := `{"type":"indicator","spec_version":"2.1","id":"` + id + `","created":"2026-01-01T00:00:00.000Z","modified":"2026-01-01T00:00:00.000Z","pattern":"[domain-name:value = 'y.example']","pattern_type":"stix","valid_from":"2026-01-01T00:00:00Z"}`
	payload, err := tx.EncodePublish(tx.Publish{Objects: [][]byte{[]byte(obj)}})
	if err != nil {
		t.Fatal(err)
	}
	raw, err := tx.Sign(tx.Body{ChainID: n.d.Ledger().State().ChainID, Type: tx.TypePublish, Author: "cert-a", Nonce: 2, Payload: payload}, n.d.id.Sign)
	if err != nil {
		t.Fatal(err)
	}
	if code, log, err := (mempool{n.d.cmt}).Submit(ctx, raw); err != nil || code != ledger.CodeOK {
		t.Fatalf("submit: code %d %q, %v", code, log, err)
	}
	sum := sha256.Sum256(raw)
	hash := strings.ToUpper(hex.EncodeToString(sum[:]))

	var out struct {
		height int64
		ok     bool
	}
	for !out.ok {
		o, err := n.d.outcome(ctx, hash, false)
		switch {
		case err == nil:
			if o.Code != ledger.CodeOK || o.Height <= 0 || len(o.Records) != 1 || o.Records[0].ID != id {
				t.Fatalf("outcome %+v", o)
			}
			out.height, out.ok = o.Height, true
		case errs.CodeOf(err) != errs.NotFound || ctx.Err() != nil:
			t.Fatalf("outcome: %v", err)
		default:
			time.Sleep(20 * time.Millisecond)
		}
	}
	// The REST status route reads the same record.
	st, err := n.cli.Outcome(ctx, hash)
	if err != nil || st.Height != out.height || st.Code != 0 {
		t.Fatalf("GET tx status: %+v, %v; want height %d", st, err, out.height)
	}

	chain := proofChain{n.d.cmt, n.d.app}
	got, err := chain.RawTx(ctx, sum[:])
	if err != nil || !bytes.Equal(got, raw) {
		t.Fatalf("RawTx: %d bytes, %v; want the %d submitted", len(got), err, len(raw))
	}
	b := waitProof(ctx, t, n, id, "")
	if !bytes.Equal(b.Tx, raw) || b.TxObject != 0 {
		t.Fatalf("bundle carries %d tx bytes, object %d; want the submitted transaction", len(b.Tx), b.TxObject)
	}

	missing := sha256.Sum256([]byte("never sent"))
	if _, err := chain.RawTx(ctx, missing[:]); err == nil {
		t.Fatal("RawTx of an uncommitted hash succeeded")
	}
	if _, err := n.d.outcome(ctx, strings.ToUpper(hex.EncodeToString(missing[:])), false); errs.CodeOf(err) != errs.NotFound {
		t.Fatalf("outcome of an uncommitted hash: %v, want not_found", err)
	}
	if _, err := n.d.cmt.TxAt(out.height, 0, missing[:]); err == nil {
		t.Fatal("TxAt accepted a hash that is not the transaction's")
	}
	if _, err := n.d.cmt.TxAt(out.height, 5, sum[:]); err == nil {
		t.Fatal("TxAt accepted a position beyond the block")
	}
	if _, err := n.d.cmt.TxAt(out.height+1000, 0, sum[:]); err == nil {
		t.Fatal("TxAt accepted a height beyond the block store")
	}
}
