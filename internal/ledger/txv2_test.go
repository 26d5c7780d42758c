package ledger

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"strings"
	"testing"

	abci "github.com/cometbft/cometbft/abci/types"
	"github.com/transparency-dev/merkle/proof"
	"github.com/transparency-dev/merkle/rfc6962"

	"github.com/phalanx-ledger/phalanx/internal/record"
	"github.com/phalanx-ledger/phalanx/internal/tx"
)

// signV2 makes a version 2 transaction of member id with its next nonce.
func (c *community) signV2(id string, typ tx.Type, items ...[]byte) []byte {
	c.t.Helper()
	c.nonces[id]++
	raw, err := tx.SignItems(tx.Header{ChainID: testChain, Type: typ, Author: id, Nonce: c.nonces[id]}, items, c.ms[id].key)
	if err != nil {
		c.t.Fatal(err)
	}
	return raw
}

// forgeV2 encodes a v2 transaction from a header as given (count and root
// not recomputed), signed by key, with items.
func forgeV2(t *testing.T, h tx.Header, key ed25519.PrivateKey, items [][]byte) []byte {
	t.Helper()
	hb := mustEncode(h)
	return mustEncode([]any{hb, ed25519.Sign(key, tx.SignedHeaderBytes(hb)), items})
}

func objs(ns ...int) [][]byte {
	out := make([][]byte, len(ns))
	for i, n := range ns {
		out[i] = []byte(indicator(n, "2026-01-01T00:00:00.000Z"))
	}
	return out
}

// TestV2Transactions: publish and sealed transactions of version 2 are
// accepted like version 1 ones (which stay valid beside them), and the
// ledger keeps each one's signed header and item tree, from which every
// record's audit path leads to the signed root.
func TestV2Transactions(t *testing.T) {
	c := newCommunity(t, 3, "alice", "bob")
	pub := c.signV2("alice", tx.TypePublish, objs(1, 2, 3)...)
	env := sealFor(t, "alice", sealedID, "2026-01-01T00:00:00Z", "", 3, "alice", "bob")
	sealed := c.signV2("alice", tx.TypeSealed, env)
	v1 := c.sign("alice", tx.TypePublish, mustPublish(t, indicator(4, "2026-01-01T00:00:00.000Z")))
	res := c.block(pub, sealed, v1)
	for i := range 3 {
		c.expect(res, i, CodeOK, "")
	}
	many := make([]int, 70) // three chunks of the stored item tree, the last ragged
	for i := range many {
		many[i] = 100 + i
	}
	c.expect(c.block(c.signV2("alice", tx.TypePublish, objs(many...)...)), 0, CodeOK, "")
	a := c.apps[0]
	recs, err := a.Records(0, 100, 0)
	if err != nil || len(recs) != 75 {
		t.Fatalf("records %d, %v", len(recs), err)
	}
	checkItemProofs(t, a, c.ms["alice"].key.Public().(ed25519.PublicKey), append(recs[:4:4], recs[5:]...))
	if _, ok, err := a.TxItems(recs[4].TxHash); ok || err != nil {
		t.Fatalf("a v1 transaction has stored items (ok=%v, %v)", ok, err)
	}
}

// checkItemProofs checks that each record's stored transaction header
// verifies with pub and that its audit path leads from the record's
// content to the signed items root.
func checkItemProofs(t *testing.T, a *App, pub ed25519.PublicKey, recs []record.Record) {
	t.Helper()
	for _, r := range recs {
		items, ok, err := a.TxItems(r.TxHash)
		if err != nil || !ok {
			t.Fatalf("record %d: TxItems ok=%v err=%v", r.Index, ok, err)
		}
		h, err := tx.DecodeHeader(items.Header)
		if err != nil || h.Author != "alice" || tx.VerifyHeader(pub, items.Header, items.Signature) != nil {
			t.Fatalf("record %d: stored header %+v does not verify (%v)", r.Index, h, err)
		}
		pos, _, err := a.TxPosition(r)
		if err != nil || uint64(pos) != r.Index-items.First {
			t.Fatalf("record %d: position %d in its transaction, stored first record %d (%v)", r.Index, pos, items.First, err)
		}
		path, err := items.Path(uint64(pos))
		if err != nil {
			t.Fatal(err)
		}
		content := r.Object
		if r.Sealed != nil {
			content = r.Sealed
		}
		leaf := rfc6962.DefaultHasher.HashLeaf(content)
		if err := proof.VerifyInclusion(rfc6962.DefaultHasher, uint64(pos), h.ItemCount, leaf, path, h.ItemsRoot); err != nil {
			t.Fatalf("record %d: %v", r.Index, err)
		}
	}
}

// TestV2Rejections: CheckTx and FinalizeBlock refuse a version 2
// transaction whose items do not match its header, or whose header is not
// signed by its author, with a precise code and message; the ledger's
// other rules apply to its items as to a version 1 payload.
func TestV2Rejections(t *testing.T) {
	c := newCommunity(t, 3, "alice", "bob")
	alice := c.ms["alice"]
	good := objs(10, 11, 12)
	hdr := func(nonce uint64) tx.Header {
		d, err := tx.Decode(c.signV2("alice", tx.TypePublish, good...))
		if err != nil {
			t.Fatal(err)
		}
		c.nonces["alice"]--
		h := d.Header
		h.Nonce = nonce
		return h
	}
	tooMany := make([][]byte, 10001) // the default limit is 10,000
	for i := range tooMany {
		tooMany[i] = []byte(indicator(1000+i, "2026-01-01T00:00:00.000Z"))
	}
	amber := strings.Replace(indicator(77, "2026-01-01T00:00:00.000Z"), `"name"`, `"object_marking_refs":["marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421"],"name"`, 1)
	cases := []struct {
		name string
		tx   func() []byte
		code uint32
		msg  string
	}{
		{"items reordered", func() []byte {
			return forgeV2(t, hdr(1), alice.key, [][]byte{good[1], good[0], good[2]})
		}, CodeBadItems, "the items hash to root"},
		{"item byte changed", func() []byte {
			bad := [][]byte{good[0], bytes.Replace(good[1], []byte("ind 11"), []byte("ind 99"), 1), good[2]}
			return forgeV2(t, hdr(1), alice.key, bad)
		}, CodeBadItems, "the signed header commits to"},
		{"item dropped", func() []byte { return forgeV2(t, hdr(1), alice.key, good[:2]) }, CodeBadItems, "commits to 3 items, the transaction carries 2"},
		{"header signed by another member", func() []byte { return forgeV2(t, hdr(1), c.ms["bob"].key, good) }, CodeBadSignature, "header signature (transaction v2) does not verify with alice's key"},
		{"signature byte flipped", func() []byte {
			raw := c.signV2("alice", tx.TypePublish, good...)
			c.nonces["alice"]--
			d, _ := tx.Decode(raw)
			i := bytes.Index(raw, d.Signature)
			raw[i+5] ^= 1
			return raw
		}, CodeBadSignature, "does not verify"},
		{"v1 signature over a v2 header", func() []byte {
			h := hdr(1)
			hb := mustEncode(h)
			return mustEncode([]any{hb, ed25519.Sign(alice.key, append([]byte("phalanx/tx/v1\x00"), hb...)), good})
		}, CodeBadSignature, "does not verify"},
		{"vote as v2", func() []byte {
			h := hdr(1)
			h.Type = tx.TypeVote
			return forgeV2(t, h, alice.key, good)
		}, CodeMalformed, "must be a publish or a sealed publish"},
		{"no items", func() []byte {
			h := hdr(1)
			h.ItemCount, h.ItemsRoot = 0, rfc6962.DefaultHasher.EmptyRoot()
			return forgeV2(t, h, alice.key, [][]byte{})
		}, CodeEmpty, "no objects"},
		{"too many items", func() []byte {
			raw := c.signV2("alice", tx.TypePublish, tooMany...)
			c.nonces["alice"]--
			return raw
		}, CodeTooLarge, "10001 objects; the limit is 10000"},
		{"plaintext above GREEN", func() []byte {
			raw := c.signV2("alice", tx.TypePublish, []byte(amber))
			c.nonces["alice"]--
			return raw
		}, CodeMustSeal, "must be sealed"},
		{"sealed record of another author", func() []byte {
			raw := c.signV2("bob", tx.TypeSealed, sealFor(t, "alice", sealedID, "2026-01-01T00:00:00Z", "", 3, "alice", "bob"))
			c.nonces["bob"]--
			return raw
		}, CodeMalformed, `names author "alice" but "bob" signed`},
		{"replayed nonce", func() []byte {
			return forgeV2(t, hdr(0), alice.key, good)
		}, CodeBadNonce, "replayed nonce 0"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) { c.expectRejected(t, tc.tx(), tc.code, tc.msg) })
	}
	// after all that, the honest transaction with the next nonce goes in
	res := c.block(c.signV2("alice", tx.TypePublish, good...))
	c.expect(res, 0, CodeOK, "")
}

// expectRejected checks that every replica's CheckTx, and then a block,
// reject raw with code and a log containing msg, and that the record log
// stays as it was.
func (c *community) expectRejected(t *testing.T, raw []byte, code uint32, msg string) {
	t.Helper()
	for _, a := range c.apps {
		r, err := a.CheckTx(context.Background(), &abci.CheckTxRequest{Tx: raw, Type: abci.CHECK_TX_TYPE_CHECK})
		if err != nil || r.Code != code || !strings.Contains(r.Log, msg) {
			t.Fatalf("CheckTx: %d (%s) %q, %v; want %s containing %q", r.Code, CodeName(r.Code), r.Log, err, CodeName(code), msg)
		}
	}
	before := c.apps[0].State()
	c.expect(c.block(raw), 0, code, msg)
	if after := c.apps[0].State(); after.Records != before.Records || !bytes.Equal(after.Root, before.Root) {
		t.Fatal("the record log changed")
	}
}
