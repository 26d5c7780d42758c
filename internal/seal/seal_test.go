package seal

import (
	"bytes"
	"crypto/ecdh"
	"crypto/rand"
	"errors"
	"fmt"
	"testing"
)

type member struct {
	id   string
	priv *ecdh.PrivateKey
}

func newMembers(t testing.TB, n int) []member {
	t.Helper()
	out := make([]member, n)
	for i := range out {
		k, err := ecdh.X25519().GenerateKey(rand.Reader)
		if err != nil {
			t.Fatal(err)
		}
		out[i] = member{id: fmt.Sprintf("m%03d", i), priv: k}
	}
	return out
}

func keysOf(ms []member) []Key {
	out := make([]Key, len(ms))
	for i, m := range ms {
		out[i] = Key{Member: m.id, Public: m.priv.PublicKey().Bytes()}
	}
	return out
}

var meta = Meta{ID: "indicator--8e2e2d2b-17d4-4cbf-938f-98ee46b3cd3f", Modified: "2026-01-01T00:00:00Z", Author: "m000", Level: 3}

func sealRoundTrip(t *testing.T, e *Envelope) *Envelope {
	t.Helper()
	b, err := e.Encode()
	if err != nil {
		t.Fatal(err)
	}
	d, err := Decode(b)
	if err != nil {
		t.Fatalf("decode own envelope: %v", err)
	}
	return d
}

func TestSealOpen(t *testing.T) {
	ms := newMembers(t, 4)
	pt := []byte(`{"type":"indicator","name":"canary-7f3a"}`)
	e, err := Seal(meta, pt, keysOf(ms[:3]))
	if err != nil {
		t.Fatal(err)
	}
	e = sealRoundTrip(t, e)
	if bytes.Contains(e.Ciphertext, pt) || e.Header.Size != uint64(len(pt)) {
		t.Fatal("ciphertext holds the plaintext or size is wrong")
	}
	for _, m := range ms[:3] {
		got, err := Open(e, m.id, []*ecdh.PrivateKey{m.priv})
		if err != nil || !bytes.Equal(got, pt) {
			t.Fatalf("%s: Open = %q, %v", m.id, got, err)
		}
	}
	// A non-recipient, and a recipient with the wrong key, cannot open.
	if _, err := Open(e, ms[3].id, []*ecdh.PrivateKey{ms[3].priv}); !errors.Is(err, ErrNotRecipient) {
		t.Fatalf("non-recipient: %v", err)
	}
	if _, err := Open(e, ms[1].id, []*ecdh.PrivateKey{ms[3].priv}); !errors.Is(err, ErrNotRecipient) {
		t.Fatalf("wrong key: %v", err)
	}
	// The stanza of another recipient does not open with a key whose
	// fingerprint is forged: swap m1's stanza into m2's place.
	f := *e
	f.Stanzas = append([][]byte(nil), e.Stanzas...)
	f.Stanzas[2] = e.Stanzas[1]
	if _, err := Open(&f, ms[2].id, []*ecdh.PrivateKey{ms[2].priv}); !errors.Is(err, ErrTampered) {
		t.Fatalf("swapped stanza: %v", err)
	}
}

func TestRetiredKeysOpenOlderRecords(t *testing.T) {
	ms := newMembers(t, 2)
	old := ms[1].priv
	e, err := Seal(meta, []byte("x"), keysOf(ms))
	if err != nil {
		t.Fatal(err)
	}
	newKey, _ := ecdh.X25519().GenerateKey(rand.Reader)
	if _, err := Open(e, ms[1].id, []*ecdh.PrivateKey{newKey}); err == nil {
		t.Fatal("the new key opened a record sealed to the old one")
	}
	if got, err := Open(e, ms[1].id, []*ecdh.PrivateKey{newKey, old}); err != nil || string(got) != "x" {
		t.Fatalf("current + retired keys: %q, %v", got, err)
	}
}

// TestTampering flips bytes in every part of an envelope: each change is
// caught, by Decode (structure, commitment) or by Open (authentication).
func TestTampering(t *testing.T) {
	ms := newMembers(t, 2)
	e, err := Seal(meta, []byte(`{"secret":"canary"}`), keysOf(ms))
	if err != nil {
		t.Fatal(err)
	}
	good, _ := e.Encode()
	mutations := map[string]func(e *Envelope){
		"ciphertext":  func(e *Envelope) { e.Ciphertext[5] ^= 1 },
		"stanza":      func(e *Envelope) { e.Stanzas[1][40] ^= 1 },
		"level":       func(e *Envelope) { e.Header.Level = 5 },
		"id":          func(e *Envelope) { e.Header.ID = "indicator--00000000-17d4-4cbf-938f-98ee46b3cd3f" },
		"author":      func(e *Envelope) { e.Header.Author = "m001" },
		"version":     func(e *Envelope) { e.Header.Modified = "2027-01-01T00:00:00Z" },
		"group":       func(e *Envelope) { e.Header.Group = "g" },
		"commitment":  func(e *Envelope) { e.Header.ContentCommit[0] ^= 1 },
		"fingerprint": func(e *Envelope) { e.Header.Recipients[0].Fingerprint[0] ^= 1 },
	}
	for name, mut := range mutations {
		t.Run(name, func(t *testing.T) {
			d, err := Decode(good)
			if err != nil {
				t.Fatal(err)
			}
			mut(d)
			b, err := d.Encode()
			if err != nil {
				t.Fatal(err)
			}
			d2, err := Decode(b)
			if err != nil {
				if !errors.Is(err, ErrMalformed) {
					t.Fatalf("decode error %v is not ErrMalformed", err)
				}
				return // caught structurally (e.g. recipient commitment)
			}
			_, err = Open(d2, ms[1].id, []*ecdh.PrivateKey{ms[1].priv})
			if !errors.Is(err, ErrTampered) && !errors.Is(err, ErrNotRecipient) {
				t.Fatalf("Open after tampering with the %s: %v", name, err)
			}
			if err != nil && errors.Is(err, ErrTampered) && !bytes.Contains([]byte(err.Error()), []byte("altered")) {
				t.Fatalf("unclear error: %v", err)
			}
		})
	}
}

func TestDecodeRejects(t *testing.T) {
	ms := newMembers(t, 2)
	e, _ := Seal(meta, []byte("abc"), keysOf(ms))
	cases := map[string]func(e *Envelope){
		"no recipients":        func(e *Envelope) { e.Header.Recipients, e.Stanzas = nil, nil },
		"unsorted recipients":  func(e *Envelope) { r := e.Header.Recipients; r[0], r[1] = r[1], r[0] },
		"missing stanza":       func(e *Envelope) { e.Stanzas = e.Stanzas[:1] },
		"short stanza":         func(e *Envelope) { e.Stanzas[0] = e.Stanzas[0][:10] },
		"bad level":            func(e *Envelope) { e.Header.Level = 9 },
		"bad id":               func(e *Envelope) { e.Header.ID = "not an id" },
		"wrong size":           func(e *Envelope) { e.Header.Size = 99 },
		"future format":        func(e *Envelope) { e.Header.Version = 2 },
		"recipient commitment": func(e *Envelope) { e.Header.RecipientCommit = make([]byte, 32) },
	}
	for name, mut := range cases {
		good, _ := e.Encode()
		d, _ := Decode(good)
		mut(d)
		b, _ := encMode.Marshal(d)
		if _, err := Decode(b); !errors.Is(err, ErrMalformed) {
			t.Errorf("%s: Decode = %v; want ErrMalformed", name, err)
		}
	}
	good, _ := e.Encode()
	if _, err := Decode(append(good, 0)); !errors.Is(err, ErrMalformed) {
		t.Errorf("trailing byte: %v", err)
	}
}

func FuzzDecode(f *testing.F) {
	ms := newMembers(f, 2)
	e, _ := Seal(meta, []byte("fuzz"), keysOf(ms))
	good, _ := e.Encode()
	f.Add(good)
	f.Add([]byte{0xa0})
	f.Fuzz(func(t *testing.T, b []byte) {
		d, err := Decode(b)
		if err != nil {
			return
		}
		re, err := d.Encode()
		if err != nil || !bytes.Equal(re, b) {
			t.Fatalf("decoded envelope does not re-encode to its bytes")
		}
		_, _ = Open(d, ms[0].id, []*ecdh.PrivateKey{ms[0].priv}) // must not panic
	})
}

// TestSealerSharesStanzasNotKeys: records of one Sealer share the wrapped
// set key, but a ciphertext moved to the other record's header does not
// open.
func TestSealerSharesStanzasNotKeys(t *testing.T) {
	ms := newMembers(t, 3)
	s, err := NewSealer(keysOf(ms))
	if err != nil {
		t.Fatal(err)
	}
	m2 := meta
	m2.ID = "indicator--00000000-17d4-4cbf-938f-98ee46b3cd3f"
	a, err := s.Seal(meta, []byte("first record"))
	if err != nil {
		t.Fatal(err)
	}
	b, err := s.Seal(m2, []byte("other record"))
	if err != nil {
		t.Fatal(err)
	}
	a, b = sealRoundTrip(t, a), sealRoundTrip(t, b)
	if !bytes.Equal(a.Stanzas[0], b.Stanzas[0]) {
		t.Fatal("records of one sealer do not share stanzas")
	}
	for _, e := range []*Envelope{a, b} {
		if _, err := Open(e, ms[2].id, []*ecdh.PrivateKey{ms[2].priv}); err != nil {
			t.Fatal(err)
		}
	}
	mixed := *b
	mixed.Ciphertext = a.Ciphertext
	if _, err := Open(&mixed, ms[1].id, []*ecdh.PrivateKey{ms[1].priv}); !errors.Is(err, ErrTampered) {
		t.Fatalf("a ciphertext under another record's header: %v", err)
	}
	other, _ := NewSealer(keysOf(ms))
	c, _ := other.Seal(meta, []byte("first record"))
	c.Stanzas = a.Stanzas // stanzas of another set key
	if _, err := Open(c, ms[0].id, []*ecdh.PrivateKey{ms[0].priv}); !errors.Is(err, ErrTampered) {
		t.Fatalf("stanzas of another sealer: %v", err)
	}
}
