package edsig

import (
	"crypto/ed25519"
	"encoding/hex"
	"math/big"
	"testing"
)

// smallOrder holds encodings of the eight points of small order, and
// non-canonical encodings of some of them (y ≥ p), the inputs on which
// Ed25519 implementations are known to disagree.
var smallOrder = []string{
	"0100000000000000000000000000000000000000000000000000000000000000",
	"ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
	"0000000000000000000000000000000000000000000000000000000000000080",
	"0000000000000000000000000000000000000000000000000000000000000000",
	"c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a",
	"c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac03fa",
	"26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05",
	"26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc85",
	"eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f", // y = p+1: non-canonical 1
	"edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff", // y = p, sign bit set
	"0100000000000000000000000000000000000000000000000000000000000080", // -0 style: x sign bit on y=1
}

// order is the prime order L of the Ed25519 base point.
var order, _ = new(big.Int).SetString("7237005577332262213973186563042994240857116359379907606001950938285454250989", 10)

func mustHex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// agree fails the test when Verify and crypto/ed25519 differ on an input.
func agree(t testing.TB, pub, msg, sig []byte) bool {
	t.Helper()
	want := len(pub) == ed25519.PublicKeySize && ed25519.Verify(pub, msg, sig)
	if got := Verify(pub, msg, sig); got != want {
		t.Fatalf("pub %x msg %x sig %x: edsig %v, crypto/ed25519 %v", pub, msg, sig, got, want)
	}
	return want
}

func TestValidSignaturesVerify(t *testing.T) {
	for i := range 64 {
		pub, priv, err := ed25519.GenerateKey(nil)
		if err != nil {
			t.Fatal(err)
		}
		msg := make([]byte, i*7)
		sig := ed25519.Sign(priv, msg)
		if !agree(t, pub, msg, sig) {
			t.Fatal("a fresh signature does not verify")
		}
		msg = append(msg, 1)
		if agree(t, pub, msg, sig) {
			t.Fatal("a signature verifies for another message")
		}
	}
}

// TestSmallOrderAndNonCanonical feeds every combination of small-order and
// non-canonical public keys and R values, with S zero, one and the group
// order (not reduced), to both implementations.
func TestSmallOrderAndNonCanonical(t *testing.T) {
	ss := [][]byte{make([]byte, 32), append([]byte{1}, make([]byte, 31)...), reverse(order.FillBytes(make([]byte, 32)))}
	accepted := 0
	for _, a := range smallOrder {
		for _, r := range smallOrder {
			for _, s := range ss {
				for _, msg := range [][]byte{nil, []byte("phalanx")} {
					sig := append(mustHex(t, r), s...)
					if agree(t, mustHex(t, a), msg, sig) {
						accepted++
					}
				}
			}
		}
	}
	if accepted == 0 {
		t.Fatal("no small-order combination verified in either: the cases do not reach the edge")
	}
}

// TestNonCanonicalS: S + L, which verifies under a lax implementation, is
// refused by both.
func TestNonCanonicalS(t *testing.T) {
	pub, priv, _ := ed25519.GenerateKey(nil)
	msg := []byte("non-canonical s")
	sig := ed25519.Sign(priv, msg)
	s := new(big.Int).SetBytes(reverse(sig[32:]))
	s.Add(s, order)
	bad := append(append([]byte{}, sig[:32]...), reverse(s.FillBytes(make([]byte, 32)))...)
	if agree(t, pub, msg, bad) {
		t.Fatal("S + L verifies")
	}
}

func TestWrongLengths(t *testing.T) {
	pub, priv, _ := ed25519.GenerateKey(nil)
	sig := ed25519.Sign(priv, nil)
	for _, c := range []struct{ pub, sig []byte }{{pub[:31], sig}, {append(pub, 0), sig}, {pub, sig[:63]}, {pub, append(sig, 0)}, {nil, nil}} {
		if Verify(c.pub, nil, c.sig) {
			t.Fatalf("verified with a %d-byte key and a %d-byte signature", len(c.pub), len(c.sig))
		}
	}
}

// FuzzAgreesWithStdlib: on any key, message and signature, including a
// valid signature with bytes flipped, both implementations agree.
func FuzzAgreesWithStdlib(f *testing.F) {
	pub, priv, _ := ed25519.GenerateKey(nil)
	f.Add([]byte(pub), []byte("m"), ed25519.Sign(priv, []byte("m")), uint8(0), uint8(0))
	f.Add(mustHex(f, smallOrder[0]), []byte{}, append(mustHex(f, smallOrder[0]), make([]byte, 32)...), uint8(3), uint8(1))
	f.Fuzz(func(t *testing.T, pub, msg, sig []byte, at, flip uint8) {
		if len(pub) != ed25519.PublicKeySize {
			if Verify(pub, msg, sig) {
				t.Fatal("verified with a key of the wrong length")
			}
			return
		}
		agree(t, pub, msg, sig)
		if len(sig) == ed25519.SignatureSize && flip != 0 {
			sig = append([]byte{}, sig...)
			sig[int(at)%len(sig)] ^= flip
			agree(t, pub, msg, sig)
		}
	})
}

func BenchmarkVerify(b *testing.B) {
	pub, priv, _ := ed25519.GenerateKey(nil)
	msg := make([]byte, 256)
	sig := ed25519.Sign(priv, msg)
	b.Run("edsig", func(b *testing.B) {
		for b.Loop() {
			Verify(pub, msg, sig)
		}
	})
	b.Run("crypto-ed25519", func(b *testing.B) {
		for b.Loop() {
			ed25519.Verify(pub, msg, sig)
		}
	})
}

func reverse(b []byte) []byte {
	for i, j := 0, len(b)-1; i < j; i, j = i+1, j-1 {
		b[i], b[j] = b[j], b[i]
	}
	return b
}
