package tx

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"testing"

	"github.com/klauspost/compress/s2"
)

// feedItems are n indicators shaped like a feed's: the same properties,
// marking and identity in each, a different value.
func feedItems(n int) [][]byte {
	out := make([][]byte, n)
	for i := range out {
		out[i] = fmt.Appendf(nil, `{"type":"indicator","spec_version":"2.1","id":"indicator--%08x-6b2c-4d5e-9f10-%012x",`+
			`"created":"2026-01-01T00:00:00.000Z","modified":"2026-01-01T00:00:00.000Z","created_by_ref":"identity--f431f809-377b-45e0-aa1c-6a4751cae5ff",`+
			`"name":"10.0.%d.%d","pattern":"[ipv4-addr:value = '10.0.%d.%d']","pattern_type":"stix","valid_from":"2026-01-01T00:00:00Z",`+
			`"object_marking_refs":["marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb"]}`, i, i*7919, i/256, i%256, i/256, i%256)
	}
	return out
}

func TestSignItemsCompressed(t *testing.T) {
	key := testKey()
	pub := key.Public().(ed25519.PublicKey)
	its := feedItems(300)
	h := Header{ChainID: "c", Type: TypePublish, Author: "org", Nonce: 7}
	plain, err := SignItems(h, its, key)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := SignItemsCompressed(h, its, key)
	if err != nil {
		t.Fatal(err)
	}
	if len(raw) > len(plain)/3 {
		t.Fatalf("compressed transaction is %d bytes, the plain one %d: want at most a third", len(raw), len(plain))
	}
	got, err := Decode(raw)
	if err != nil {
		t.Fatal(err)
	}
	if got.Payload == nil || got.Version != 2 || got.Body.Nonce != 7 || got.Header.ItemCount != 300 || len(got.Items) != 300 {
		t.Fatalf("decoded %+v", got.Header)
	}
	for i := range its {
		if !bytes.Equal(got.Items[i], its[i]) {
			t.Fatalf("item %d = %s, want %s", i, got.Items[i], its[i])
		}
	}
	if err := got.Verify(pub); err != nil {
		t.Fatal(err)
	}
	p, _ := Decode(plain)
	if !bytes.Equal(got.Header.ItemsRoot, p.Header.ItemsRoot) {
		t.Fatal("compressed and plain transactions commit to different item roots: item proofs would differ")
	}
	array := mustEnc(t, its)
	if want := len(raw) - len(got.Payload) + len(array); got.ExpandedSize(raw) != want || want < len(plain) {
		t.Fatalf("ExpandedSize = %d, want %d (plain transaction: %d)", got.ExpandedSize(raw), want, len(plain))
	}
	if p.ExpandedSize(plain) != len(plain) {
		t.Fatalf("plain ExpandedSize = %d, want %d", p.ExpandedSize(plain), len(plain))
	}
	item := got.Items[5]
	_ = append(item, 'x')
	if !bytes.Equal(got.Items[6], its[6]) {
		t.Fatal("appending to an item wrote into the next")
	}
}

// TestSignItemsCompressedOnlyWhenWorthIt: items that do not shrink by an
// eighth, and sealed transactions, are signed exactly as SignItems signs
// them.
func TestSignItemsCompressedOnlyWhenWorthIt(t *testing.T) {
	key := testKey()
	noise := make([][]byte, 20)
	for i := range noise {
		noise[i] = make([]byte, 200)
		rand.Read(noise[i])
	}
	for name, c := range map[string]struct {
		typ   Type
		items [][]byte
	}{
		"incompressible": {TypePublish, noise},
		"sealed":         {TypeSealed, feedItems(50)},
		"one small item": {TypePublish, [][]byte{[]byte(`{"type":"x"}`)}},
	} {
		t.Run(name, func(t *testing.T) {
			h := Header{ChainID: "c", Type: c.typ, Author: "org", Nonce: 1}
			plain, err1 := SignItems(h, c.items, key)
			got, err2 := SignItemsCompressed(h, c.items, key)
			if err1 != nil || err2 != nil || !bytes.Equal(got, plain) {
				t.Fatalf("SignItemsCompressed = %x, %v; SignItems = %x, %v", got, err2, plain, err1)
			}
		})
	}
}

// compressedTx signs a compressed envelope of payload under h, whatever
// the payload holds.
func compressedTx(t *testing.T, h Header, payload []byte) []byte {
	t.Helper()
	hb := mustEnc(t, h)
	return mustEnc(t, compressedEnvelope{Header: hb, Signature: ed25519.Sign(testKey(), SignedHeaderBytes(hb)), Payload: payload})
}

func TestDecodeCompressedRejects(t *testing.T) {
	key := testKey()
	pub := key.Public().(ed25519.PublicKey)
	its := feedItems(40)
	good, err := SignItemsCompressed(Header{ChainID: "c", Type: TypePublish, Author: "a", Nonce: 1}, its, key)
	if err != nil {
		t.Fatal(err)
	}
	g, err := Decode(good)
	if err != nil || g.Payload == nil {
		t.Fatalf("Decode = %v, %v", g, err)
	}
	hdr := g.Header
	with := func(payload []byte) Header {
		h := hdr
		sum := sha256.Sum256(payload)
		h.PayloadHash = sum[:]
		return h
	}
	noHash := hdr
	noHash.PayloadHash = nil
	shortHash := hdr
	shortHash.PayloadHash = hdr.PayloadHash[:31]
	nonCanonicalItems := s2.Encode(nil, append([]byte{0x98, 0x01}, mustEnc(t, its[:1])[1:]...)) // array(1) with a two-byte head
	emptyItem := s2.Encode(nil, []byte{0x81, 0x40})
	trailing := s2.Encode(nil, append(mustEnc(t, its), 0))
	notS2 := []byte("this is not an S2 block at all")
	malformed := map[string][]byte{
		"truncated":                 good[:len(good)-2],
		"trailing":                  append(bytes.Clone(good), 0),
		"no payload hash":           compressedTx(t, noHash, g.Payload),
		"short payload hash":        compressedTx(t, shortHash, g.Payload),
		"payload hash, item array":  mustEnc(t, envelopeV2{Header: g.BodyBytes, Signature: g.Signature, Items: its}),
		"not S2":                    compressedTx(t, with(notS2), notS2),
		"non-canonical item array":  compressedTx(t, with(nonCanonicalItems), nonCanonicalItems),
		"empty item":                compressedTx(t, with(emptyItem), emptyItem),
		"bytes after the item list": compressedTx(t, with(trailing), trailing),
		"short signature":           mustEnc(t, compressedEnvelope{Header: g.BodyBytes, Signature: []byte{1}, Payload: g.Payload}),
	}
	for name, raw := range malformed {
		t.Run(name, func(t *testing.T) {
			if _, err := Decode(raw); !errors.Is(err, ErrMalformed) {
				t.Fatalf("Decode = %v, want ErrMalformed", err)
			}
		})
	}
	t.Run("expands beyond the limit", func(t *testing.T) {
		bomb := binary.AppendUvarint(nil, MaxExpandedBytes+1)
		bomb = append(bomb, 0x00, 'x') // a one-byte literal; the claimed length is what counts
		if _, err := Decode(compressedTx(t, with(bomb), bomb)); !errors.Is(err, ErrTooLarge) {
			t.Fatalf("Decode = %v, want ErrTooLarge", err)
		}
	})
	t.Run("count", func(t *testing.T) {
		payload := s2.Encode(nil, mustEnc(t, its[:39]))
		if _, err := Decode(compressedTx(t, with(payload), payload)); !errors.Is(err, ErrItems) {
			t.Fatalf("Decode = %v, want ErrItems", err)
		}
	})
	t.Run("payload other than the signed one", func(t *testing.T) {
		// Same items, compressed differently: the header's hash pins the
		// bytes, so one transaction keeps one encoding.
		other := s2.EncodeBetter(nil, mustEnc(t, its))
		if bytes.Equal(other, g.Payload) {
			t.Fatal("EncodeBetter gave the same bytes; pick another encoding")
		}
		raw := mustEnc(t, compressedEnvelope{Header: g.BodyBytes, Signature: g.Signature, Payload: other})
		verifyFails(t, raw, pub, ErrItems)
	})
	t.Run("items other than the signed ones", func(t *testing.T) {
		swapped := append([][]byte{its[1], its[0]}, its[2:]...)
		payload := s2.Encode(nil, mustEnc(t, swapped))
		verifyFails(t, compressedTx(t, with(payload), payload), pub, ErrItems)
	})
	t.Run("header byte", func(t *testing.T) {
		raw := bytes.Clone(good)
		raw[bytes.Index(raw, hdr.PayloadHash)] ^= 1
		verifyFails(t, raw, pub, ErrSignature)
	})
}

// FuzzDecodeCompressed: whatever decodes re-encodes to the same bytes,
// its items to the payload's expansion, its claimed expanded size is its
// expanded size, and nothing panics.
func FuzzDecodeCompressed(f *testing.F) {
	key := testKey()
	for _, n := range []int{1, 5, 40} {
		raw, _ := SignItemsCompressed(Header{ChainID: "chain", Type: TypePublish, Author: "org", Nonce: 1}, feedItems(n), key)
		f.Add(raw)
	}
	f.Add([]byte{0x83, 0x41, 0x00, 0x41, 0x00, 0x41, 0x00})
	pub := key.Public().(ed25519.PublicKey)
	f.Fuzz(func(t *testing.T, raw []byte) {
		claimed, claims := ClaimedExpandedSize(raw)
		tx, err := Decode(raw)
		if err != nil || tx.Payload == nil {
			return
		}
		if !claims || claimed != tx.ExpandedSize(raw) {
			t.Fatalf("ClaimedExpandedSize = %d, %v; decoded, the expanded size is %d", claimed, claims, tx.ExpandedSize(raw))
		}
		re := mustEnc(t, compressedEnvelope{Header: tx.BodyBytes, Signature: tx.Signature, Payload: tx.Payload})
		if !bytes.Equal(re, raw) {
			t.Fatalf("decoded compressed tx does not round-trip: %x vs %x", re, raw)
		}
		expanded, err := s2.Decode(nil, tx.Payload)
		if err != nil || !bytes.Equal(mustEnc(t, tx.Items), expanded) {
			t.Fatalf("items %q are not the payload's expansion (%v)", tx.Items, err)
		}
		if uint64(len(tx.Items)) != tx.Header.ItemCount || tx.ExpandedSize(raw) != len(raw)-len(tx.Payload)+len(expanded) {
			t.Fatalf("decoded %d items under a header of %d; expanded size %d", len(tx.Items), tx.Header.ItemCount, tx.ExpandedSize(raw))
		}
		_ = tx.Verify(pub)
	})
}

func TestPeekItemCount(t *testing.T) {
	key := testKey()
	h := Header{ChainID: "c", Type: TypePublish, Author: "org", Nonce: 1}
	plain, _ := SignItems(h, feedItems(30), key)
	compressed, _ := SignItemsCompressed(h, feedItems(40), key)
	v1, _ := Sign(Body{ChainID: "c", Type: TypeVote, Author: "org", Nonce: 1, Payload: []byte{0xa0}}, key)
	for name, c := range map[string]struct {
		raw  []byte
		n    uint64
		isV2 bool
	}{
		"plain":      {plain, 30, true},
		"compressed": {compressed, 40, true},
		"v1":         {v1, 0, false},
		"empty":      {nil, 0, false},
		"cut short":  {compressed[:3], 0, false},
	} {
		if n, ok := PeekItemCount(c.raw); n != c.n || ok != c.isV2 {
			t.Errorf("%s: PeekItemCount = %d, %v; want %d, %v", name, n, ok, c.n, c.isV2)
		}
	}
}

// verifyFails checks that raw decodes and that its verification with pub
// fails with want.
func verifyFails(t *testing.T, raw []byte, pub ed25519.PublicKey, want error) {
	t.Helper()
	d, err := Decode(raw)
	if err != nil {
		t.Fatal(err)
	}
	if err := d.Verify(pub); !errors.Is(err, want) {
		t.Fatalf("Verify = %v, want %v", err, want)
	}
}

func TestClaimedExpandedSize(t *testing.T) {
	key := testKey()
	h := Header{ChainID: "c", Type: TypePublish, Author: "org", Nonce: 1}
	compressed, _ := SignItemsCompressed(h, feedItems(40), key)
	d, err := Decode(compressed)
	if err != nil || d.Payload == nil {
		t.Fatalf("Decode = %v", err)
	}
	if n, ok := ClaimedExpandedSize(compressed); !ok || n != d.ExpandedSize(compressed) {
		t.Fatalf("ClaimedExpandedSize = %d, %v; ExpandedSize = %d", n, ok, d.ExpandedSize(compressed))
	}
	lie := binary.AppendUvarint(nil, 5<<20) // a claim, and nothing to back it
	if n, ok := ClaimedExpandedSize(compressedTx(t, h, lie)); !ok || n < 5<<20 {
		t.Fatalf("ClaimedExpandedSize of a 5 MiB claim = %d, %v", n, ok)
	}
	plain, _ := SignItems(h, feedItems(3), key)
	for name, raw := range map[string][]byte{"plain": plain, "empty": nil, "cut short": compressed[:40], "not S2": compressedTx(t, h, []byte{0xff, 0xff})} {
		if n, ok := ClaimedExpandedSize(raw); ok {
			t.Errorf("%s: ClaimedExpandedSize = %d, true", name, n)
		}
	}
}
