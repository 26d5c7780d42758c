package tx

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"testing"
)

func testKey() ed25519.PrivateKey {
	seed := sha256.Sum256([]byte("phalanx tx test key"))
	return ed25519.NewKeyFromSeed(seed[:])
}

func TestSignDecodeVerify(t *testing.T) {
	key := testKey()
	payload, err := EncodePublish(Publish{Objects: [][]byte{[]byte(`{"type":"x"}`)}})
	if err != nil {
		t.Fatal(err)
	}
	raw, err := Sign(Body{ChainID: "c", Type: TypePublish, Author: "org", Nonce: 7, Payload: payload}, key)
	if err != nil {
		t.Fatal(err)
	}
	got, err := Decode(raw)
	if err != nil {
		t.Fatal(err)
	}
	if got.Body.ChainID != "c" || got.Body.Author != "org" || got.Body.Nonce != 7 || got.Body.Type != TypePublish {
		t.Fatalf("body = %+v", got.Body)
	}
	if err := got.Verify(key.Public().(ed25519.PublicKey)); err != nil {
		t.Fatal(err)
	}
	other := ed25519.NewKeyFromSeed(make([]byte, 32))
	if err := got.Verify(other.Public().(ed25519.PublicKey)); !errors.Is(err, ErrSignature) {
		t.Fatalf("verify with other key: %v", err)
	}
	p, err := DecodePublish(got.Body.Payload)
	if err != nil || len(p.Objects) != 1 || string(p.Objects[0]) != `{"type":"x"}` {
		t.Fatalf("payload %v %v", p, err)
	}
}

// TestVector pins the encoding: a change here breaks every stored ledger.
// The expected bytes were worked out by hand from RFC 8949 (see comments).
func TestVector(t *testing.T) {
	body := Body{ChainID: "c", Type: TypePublish, Author: "a", Nonce: 1, Payload: []byte{0xff}}
	bb, err := encMode.Marshal(body)
	if err != nil {
		t.Fatal(err)
	}
	// a5            map(5)
	// 01 61 63      1: "c"
	// 02 01         2: 1
	// 03 61 61      3: "a"
	// 04 01         4: 1
	// 05 41 ff      5: h'ff'
	want := "a50161630201036161040105" + "41ff"
	if hex.EncodeToString(bb) != want {
		t.Fatalf("body encoding = %x, want %s", bb, want)
	}
}

func TestDecodeRejects(t *testing.T) {
	key := testKey()
	good, err := Sign(Body{ChainID: "c", Type: TypePublish, Author: "a", Nonce: 1}, key)
	if err != nil {
		t.Fatal(err)
	}
	flipped := bytes.Clone(good)
	flipped[len(flipped)-1] ^= 1
	nonCanonicalBody, _ := encMode.Marshal(envelope{Body: []byte{0xb9, 0x00, 0x01, 0x01, 0x61, 0x63}, Signature: make([]byte, 64)}) // map with 2-byte length
	cases := map[string][]byte{
		"empty":         nil,
		"garbage":       []byte("not cbor"),
		"truncated":     good[:len(good)-3],
		"trailing":      append(bytes.Clone(good), 0x00),
		"non-canonical": nonCanonicalBody,
		"short sig":     mustEnc(t, envelope{Body: mustEnc(t, Body{ChainID: "c"}), Signature: []byte{1}}),
		"unknown field": mustEnc(t, envelope{Body: mustEnc(t, map[int]any{1: "c", 9: 1}), Signature: make([]byte, 64)}),
	}
	for name, raw := range cases {
		t.Run(name, func(t *testing.T) {
			if _, err := Decode(raw); !errors.Is(err, ErrMalformed) {
				t.Fatalf("Decode = %v, want ErrMalformed", err)
			}
		})
	}
	tx, err := Decode(flipped)
	if err != nil {
		t.Fatalf("flipped signature byte still decodes: %v", err)
	}
	if err := tx.Verify(key.Public().(ed25519.PublicKey)); !errors.Is(err, ErrSignature) {
		t.Fatalf("flipped signature verifies: %v", err)
	}
}

func mustEnc(t *testing.T, v any) []byte {
	t.Helper()
	b, err := encMode.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func FuzzDecode(f *testing.F) {
	key := testKey()
	payload, _ := EncodePublish(Publish{Objects: [][]byte{[]byte(`{}`)}})
	good, _ := Sign(Body{ChainID: "chain", Type: TypePublish, Author: "org", Nonce: 1, Payload: payload}, key)
	f.Add(good)
	f.Add([]byte{0x82, 0x40, 0x40})
	f.Fuzz(func(t *testing.T, raw []byte) {
		tx, err := Decode(raw)
		if err != nil {
			return
		}
		// Whatever decodes must re-encode to exactly the same bytes.
		var env any = envelope{Body: tx.BodyBytes, Signature: tx.Signature}
		if tx.Version == 2 {
			env = envelopeV2{Header: tx.BodyBytes, Signature: tx.Signature, Items: tx.Items}
		}
		re, err := encMode.Marshal(env)
		if err != nil || !bytes.Equal(re, raw) {
			t.Fatalf("decoded tx does not round-trip: %x vs %x", re, raw)
		}
		if tx.Body.Type == TypePublish {
			_, _ = DecodePublish(tx.Body.Payload)
		}
	})
}
