package ledger

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/binary"
	"strings"
	"testing"

	abci "github.com/cometbft/cometbft/abci/types"
	"github.com/klauspost/compress/s2"

	"github.com/phalanx-ledger/phalanx/internal/tx"
)

// signCompressed makes a publish of member id, with its next nonce, whose
// items travel compressed.
func (c *community) signCompressed(id string, items ...[]byte) []byte {
	c.t.Helper()
	c.nonces[id]++
	raw, err := tx.SignItemsCompressed(tx.Header{ChainID: testChain, Type: tx.TypePublish, Author: id, Nonce: c.nonces[id]}, items, c.ms[id].key)
	if err != nil {
		c.t.Fatal(err)
	}
	if d, err := tx.Decode(raw); err != nil || d.Payload == nil {
		c.t.Fatalf("SignItemsCompressed did not compress (%v)", err)
	}
	return raw
}

// forgeCompressed encodes a compressed publish from a header as given,
// committing to payload, signed by key.
func forgeCompressed(h tx.Header, key ed25519.PrivateKey, payload []byte) []byte {
	sum := sha256.Sum256(payload)
	h.PayloadHash = sum[:]
	hb := mustEncode(h)
	return mustEncode([]any{hb, ed25519.Sign(key, tx.SignedHeaderBytes(hb)), payload})
}

// TestCompressedTransactions: a publish whose items travel compressed is
// accepted beside a plain one, its records hold the objects as published,
// and their proofs lead to the signed root as for any v2 transaction.
func TestCompressedTransactions(t *testing.T) {
	c := newCommunity(t, 3, "alice", "bob")
	ns := make([]int, 70)
	for i := range ns {
		ns[i] = 200 + i
	}
	items := objs(ns...)
	res := c.block(c.signCompressed("alice", items...), c.signV2("alice", tx.TypePublish, objs(1, 2)...))
	c.expect(res, 0, CodeOK, "")
	c.expect(res, 1, CodeOK, "")
	a := c.apps[0]
	recs, err := a.Records(0, 100, 0)
	if err != nil || len(recs) != 72 {
		t.Fatalf("records %d, %v", len(recs), err)
	}
	for i, it := range items {
		if !bytes.Equal(recs[i].Object, it) {
			t.Fatalf("record %d holds %s, want %s", i, recs[i].Object, it)
		}
	}
	checkItemProofs(t, a, c.ms["alice"].key.Public().(ed25519.PublicKey), recs)
}

// TestCompressedRejections: a compressed publish whose payload is not the
// one signed, does not decompress, or expands beyond the limits is
// refused by CheckTx and FinalizeBlock with a precise code, and changes
// nothing.
func TestCompressedRejections(t *testing.T) {
	c := newCommunity(t, 3, "alice", "bob")
	alice := c.ms["alice"]
	good := objs(10, 11, 12, 13, 14, 15)
	d, err := tx.Decode(c.signCompressed("alice", good...))
	if err != nil {
		t.Fatal(err)
	}
	c.nonces["alice"]--
	hdr := d.Header // nonce 1
	// Five objects of 900 KB each: within max_object_bytes (1 MiB), 4.5 MB
	// together against max_tx_bytes of 4 MiB, a few KB compressed.
	huge := make([][]byte, 5)
	for i := range huge {
		huge[i] = []byte(strings.Replace(indicator(300+i, "2026-01-01T00:00:00.000Z"), `"name"`, `"description":"`+strings.Repeat("beacon ", 900_000/7)+`","name"`, 1))
	}
	hugeHeader := hdr
	hugeHeader.ItemCount, hugeHeader.ItemsRoot = 5, tx.NewItemTree(huge).Root()
	bomb := append(binary.AppendUvarint(nil, tx.MaxExpandedBytes+1), 0x00, 'x')
	cases := []struct {
		name string
		tx   []byte
		code uint32
		msg  string
	}{
		{"payload compressed otherwise than signed", mustEncode([]any{d.BodyBytes, d.Signature, s2.EncodeBetter(nil, mustEncode(good))}),
			CodeBadItems, "the compressed items hash to"},
		{"items reordered", forgeCompressed(hdr, alice.key, s2.Encode(nil, mustEncode(append([][]byte{good[1], good[0]}, good[2:]...)))),
			CodeBadItems, "the items hash to root"},
		{"not S2", forgeCompressed(hdr, alice.key, []byte("plain text, not compressed")), CodeMalformed, "compressed items"},
		{"expands beyond max_tx_bytes", forgeCompressed(hugeHeader, alice.key, s2.Encode(nil, mustEncode(huge))),
			CodeTooLarge, "with its items uncompressed; the limit is 4194304"},
		{"signed by another member", forgeCompressed(hdr, c.ms["bob"].key, d.Payload), CodeBadSignature, "does not verify with alice's key"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) { c.expectRejected(t, tc.tx, tc.code, tc.msg) })
	}
	// CheckTx refuses from the payload's claimed size alone, before
	// expanding anything; a block (whose proposer skipped CheckTx) refuses
	// after expanding, bounded by tx.MaxExpandedBytes.
	for name, tc := range map[string]struct {
		payload            []byte
		checkMsg, blockMsg string
	}{
		"expands beyond any limit": {bomb, "with its items uncompressed; the limit is 4194304", "expand to 67108865 bytes"},
		// The claim alone decides CheckTx: these bytes would not even
		// expand (S2 literal cut short), which only the block finds out.
		"claims more than max_tx_bytes": {append(binary.AppendUvarint(nil, 5<<20), 0xf0, 'x'), "with its items uncompressed; the limit is 4194304", "compressed items"},
	} {
		t.Run(name, func(t *testing.T) {
			raw := forgeCompressed(hdr, alice.key, tc.payload)
			for _, a := range c.apps {
				r, err := a.CheckTx(context.Background(), &abci.CheckTxRequest{Tx: raw, Type: abci.CHECK_TX_TYPE_CHECK})
				if err != nil || r.Code != CodeTooLarge || !strings.Contains(r.Log, tc.checkMsg) {
					t.Fatalf("CheckTx: %d (%s) %q, %v; want too_large containing %q", r.Code, CodeName(r.Code), r.Log, err, tc.checkMsg)
				}
			}
			res := c.block(raw)
			if r := res.TxResults[0]; r.Code == CodeOK || !strings.Contains(r.Log, tc.blockMsg) {
				t.Fatalf("block: %d (%s) %q; want a rejection containing %q", r.Code, CodeName(r.Code), r.Log, tc.blockMsg)
			}
		})
	}
	c.expect(c.block(c.signCompressed("alice", good...)), 0, CodeOK, "")
}
