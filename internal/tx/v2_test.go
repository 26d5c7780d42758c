package tx

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"testing"

	"github.com/transparency-dev/merkle/proof"
	"github.com/transparency-dev/merkle/rfc6962"
)

func items(n int) [][]byte {
	out := make([][]byte, n)
	for i := range out {
		out[i] = fmt.Appendf(nil, `{"type":"indicator","n":%d}`, i)
	}
	return out
}

func TestSignItemsDecodeVerify(t *testing.T) {
	key := testKey()
	its := items(5)
	raw, err := SignItems(Header{ChainID: "c", Type: TypePublish, Author: "org", Nonce: 7}, its, key)
	if err != nil {
		t.Fatal(err)
	}
	got, err := Decode(raw)
	if err != nil {
		t.Fatal(err)
	}
	if got.Version != 2 || got.Body.ChainID != "c" || got.Body.Author != "org" || got.Body.Nonce != 7 || got.Body.Type != TypePublish ||
		got.Header.ItemCount != 5 || len(got.Items) != 5 {
		t.Fatalf("decoded %+v", got)
	}
	if err := got.Verify(key.Public().(ed25519.PublicKey)); err != nil {
		t.Fatal(err)
	}
	other := ed25519.NewKeyFromSeed(make([]byte, 32))
	if err := got.Verify(other.Public().(ed25519.PublicKey)); !errors.Is(err, ErrSignature) {
		t.Fatalf("verify with other key: %v", err)
	}
	c, err := got.Contents()
	if err != nil || len(c) != 5 || !bytes.Equal(c[3], its[3]) {
		t.Fatalf("contents %q %v", c, err)
	}
	if _, err := SignItems(Header{ChainID: "c", Type: TypeVote, Author: "org", Nonce: 1}, its, key); err == nil {
		t.Fatal("a vote signed as v2")
	}
	if _, err := SignItems(Header{ChainID: "c", Type: TypeSealed, Author: "org", Nonce: 1}, nil, key); err == nil {
		t.Fatal("a v2 transaction without items signed")
	}
}

// TestHeaderVector pins the v2 header encoding, worked out by hand from
// RFC 8949 (see comments).
func TestHeaderVector(t *testing.T) {
	h := Header{ChainID: "c", Type: TypeSealed, Author: "a", Nonce: 1, ItemCount: 2, ItemsRoot: bytes.Repeat([]byte{0xab}, 32)}
	b := mustEnc(t, h)
	// a6            map(6)
	// 01 61 63      1: "c"
	// 02 04         2: 4 (sealed)
	// 03 61 61      3: "a"
	// 04 01         4: 1
	// 05 02         5: 2
	// 06 58 20 ab…  6: h'abab…' (32 bytes)
	want := "a601616302040361610401050206" + "5820" + hex.EncodeToString(h.ItemsRoot)
	if hex.EncodeToString(b) != want {
		t.Fatalf("header encoding = %x, want %s", b, want)
	}
	if d, err := DecodeHeader(b); err != nil || d.ItemCount != 2 || d.Type != TypeSealed {
		t.Fatalf("DecodeHeader = %+v, %v", d, err)
	}
}

// TestItemTree checks roots and audit paths against the merkle library's
// verifier and a by-hand RFC 6962 root, for every size up to 70.
func TestItemTree(t *testing.T) {
	for n := 1; n <= 70; n++ {
		its := items(n)
		tr := NewItemTree(its)
		root := tr.Root()
		if want := mth(its); !bytes.Equal(root, want) {
			t.Fatalf("n=%d: root %x, by hand %x", n, root, want)
		}
		re, err := ItemTreeOf(tr.Count(), tr.Nodes())
		if err != nil {
			t.Fatal(err)
		}
		for i := range its {
			path, err := re.Path(uint64(i))
			if err != nil {
				t.Fatal(err)
			}
			leaf := rfc6962.DefaultHasher.HashLeaf(its[i])
			if err := proof.VerifyInclusion(rfc6962.DefaultHasher, uint64(i), uint64(n), leaf, path, root); err != nil {
				t.Fatalf("n=%d i=%d: %v", n, i, err)
			}
		}
	}
	if _, err := ItemTreeOf(3, make([]byte, 32)); err == nil {
		t.Fatal("ItemTreeOf took too few node hashes")
	}
}

// mth is RFC 6962's Merkle tree hash, written from the RFC.
func mth(items [][]byte) []byte {
	if len(items) == 1 {
		h := sha256.Sum256(append([]byte{0}, items[0]...))
		return h[:]
	}
	k := 1
	for k*2 < len(items) {
		k *= 2
	}
	h := sha256.Sum256(append(append([]byte{1}, mth(items[:k])...), mth(items[k:])...))
	return h[:]
}

func TestDecodeV2Rejects(t *testing.T) {
	key := testKey()
	pub := key.Public().(ed25519.PublicKey)
	its := items(3)
	good, err := SignItems(Header{ChainID: "c", Type: TypeSealed, Author: "a", Nonce: 1}, its, key)
	if err != nil {
		t.Fatal(err)
	}
	g, _ := Decode(good)
	hdr := g.Header
	resign := func(h Header, items [][]byte) []byte {
		hb := mustEnc(t, h)
		return mustEnc(t, envelopeV2{Header: hb, Signature: ed25519.Sign(key, SignedHeaderBytes(hb)), Items: items})
	}
	short := hdr
	short.ItemsRoot = short.ItemsRoot[:31]
	vote := hdr
	vote.Type = TypeVote
	malformed := map[string][]byte{
		"truncated":     good[:len(good)-2],
		"trailing":      append(bytes.Clone(good), 0),
		"short root":    resign(short, its),
		"vote as v2":    resign(vote, its),
		"short sig":     mustEnc(t, envelopeV2{Header: g.BodyBytes, Signature: []byte{1}, Items: its}),
		"unknown field": mustEnc(t, envelopeV2{Header: mustEnc(t, map[int]any{1: "c", 9: 1}), Signature: make([]byte, 64), Items: its}),
	}
	for name, raw := range malformed {
		t.Run(name, func(t *testing.T) {
			if _, err := Decode(raw); !errors.Is(err, ErrMalformed) {
				t.Fatalf("Decode = %v, want ErrMalformed", err)
			}
		})
	}
	t.Run("count", func(t *testing.T) {
		raw := resign(hdr, its[:2]) // header says 3
		if _, err := Decode(raw); !errors.Is(err, ErrItems) {
			t.Fatalf("Decode = %v, want ErrItems", err)
		}
	})
	t.Run("root", func(t *testing.T) {
		swapped := [][]byte{its[1], its[0], its[2]}
		verifyFails(t, resign(hdr, swapped), pub, ErrItems)
	})
	t.Run("item byte", func(t *testing.T) {
		raw := bytes.Clone(good)
		raw[len(raw)-3] ^= 1 // inside the last item
		verifyFails(t, raw, pub, ErrItems)
	})
	t.Run("header byte", func(t *testing.T) {
		raw := bytes.Clone(good)
		i := bytes.Index(raw, hdr.ItemsRoot)
		raw[i] ^= 1
		verifyFails(t, raw, pub, ErrSignature)
	})
	t.Run("v1 signature over v2 header", func(t *testing.T) {
		raw := mustEnc(t, envelopeV2{Header: g.BodyBytes, Signature: ed25519.Sign(key, signedBytes(g.BodyBytes)), Items: its})
		verifyFails(t, raw, pub, ErrSignature)
	})
}

func FuzzDecodeV2(f *testing.F) {
	key := testKey()
	for _, n := range []int{1, 2, 3} {
		raw, _ := SignItems(Header{ChainID: "chain", Type: TypePublish, Author: "org", Nonce: 1}, items(n), key)
		f.Add(raw)
	}
	f.Add([]byte{0x83, 0x40, 0x40, 0x80})
	pub := key.Public().(ed25519.PublicKey)
	f.Fuzz(func(t *testing.T, raw []byte) {
		tx, err := Decode(raw)
		if err != nil {
			return
		}
		if tx.Version == 2 && tx.Payload == nil { // compressed ones: FuzzDecodeCompressed
			re, err := encMode.Marshal(envelopeV2{Header: tx.BodyBytes, Signature: tx.Signature, Items: tx.Items})
			if err != nil || !bytes.Equal(re, raw) {
				t.Fatalf("decoded v2 tx does not round-trip: %x vs %x", re, raw)
			}
			if uint64(len(tx.Items)) != tx.Header.ItemCount {
				t.Fatalf("decoded %d items under a header of %d", len(tx.Items), tx.Header.ItemCount)
			}
		}
		_ = tx.Verify(pub)
		_, _ = tx.Contents()
	})
}

// TestItemPathFromChunks: the audit path from the stored split (upper part
// and chunks) is the path of the whole tree, for every item of trees up
// to 200 items, reading at most two chunks.
func TestItemPathFromChunks(t *testing.T) {
	for n := 1; n <= 200; n++ {
		tr := NewItemTree(items(n))
		for i := range uint64(n) {
			want, err := tr.Path(i)
			if err != nil {
				t.Fatal(err)
			}
			reads := 0
			got, err := ItemPathFrom(i, uint64(n), tr.Upper(), func(k uint64) ([]byte, error) {
				reads++
				if k >= tr.Chunks() {
					t.Fatalf("n=%d i=%d: chunk %d of %d asked", n, i, k, tr.Chunks())
				}
				return tr.Chunk(k), nil
			})
			if err != nil || reads > 2 || len(got) != len(want) {
				t.Fatalf("n=%d i=%d: %d hashes (want %d), %d chunk reads, %v", n, i, len(got), len(want), reads, err)
			}
			for j := range want {
				if !bytes.Equal(got[j], want[j]) {
					t.Fatalf("n=%d i=%d: hash %d differs", n, i, j)
				}
			}
		}
	}
	tr := NewItemTree(items(40))
	if _, err := ItemPathFrom(3, 40, tr.Upper()[1:], func(k uint64) ([]byte, error) { return tr.Chunk(k), nil }); err == nil {
		t.Fatal("a short upper part was used")
	}
	if _, err := ItemPathFrom(3, 40, tr.Upper(), func(k uint64) ([]byte, error) { return tr.Chunk(k)[1:], nil }); err == nil {
		t.Fatal("a short chunk was used")
	}
}
