package proof

import (
	"bytes"
	"crypto/ed25519"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/phalanx-ledger/phalanx/internal/tx"
)

func cloneBundle(t *testing.T, b *Bundle) *Bundle {
	t.Helper()
	j, err := json.Marshal(b)
	if err != nil {
		t.Fatal(err)
	}
	var out Bundle
	if err := json.Unmarshal(j, &out); err != nil {
		t.Fatal(err)
	}
	return &out
}

// TestV2Tampering: every change to the parts a v2 bundle adds (the item,
// its path and position, the signed header, the signature, the author's
// key) fails exactly the checks it should, with its reason.
func TestV2Tampering(t *testing.T) {
	ex := buildExample(t, 2)
	if r := Verify(ex.bundle, ex.members); !r.OK() || len(r.Checks) != 8 {
		t.Fatalf("genuine v2 bundle: %+v", r.Checks)
	}
	mallory := ed25519.NewKeyFromSeed(make([]byte, 32))
	cases := []struct {
		name   string
		edit   func(b *Bundle) []Member
		failed []string
		reason string // in the first failed check's detail
	}{
		{"item byte", func(b *Bundle) []Member { b.Record.Object[12] ^= 1; return ex.members },
			[]string{CheckLeaf, CheckItem}, "record fields hash to leaf"},
		{"item path byte", func(b *Bundle) []Member { b.ItemPath[1][3] ^= 1; return ex.members },
			[]string{CheckItem}, "is not proven as item 1 of the 3 the author signed"},
		{"item path dropped", func(b *Bundle) []Member { b.ItemPath = b.ItemPath[:1]; return ex.members },
			[]string{CheckItem}, "is not proven as item 1"},
		{"item position", func(b *Bundle) []Member { b.TxObject = 2; return ex.members },
			[]string{CheckItem}, "is not proven as item 2"},
		{"item position beyond the count", func(b *Bundle) []Member { b.TxObject = 3; return ex.members },
			[]string{CheckItem}, "commits to 3 items; the bundle points at item 3"},
		{"header byte (nonce)", func(b *Bundle) []Member {
			i := bytes.Index(b.TxHeader, []byte{0x04, 0x01})
			b.TxHeader[i+1] = 0x02
			return ex.members
		}, []string{CheckAuthor}, "header signature does not verify with cert-a's key"},
		{"header byte (items root)", func(b *Bundle) []Member { b.TxHeader[len(b.TxHeader)-1] ^= 1; return ex.members },
			[]string{CheckAuthor, CheckItem}, "header signature does not verify"},
		{"header not CBOR", func(b *Bundle) []Member { b.TxHeader = append(b.TxHeader, 0); return ex.members },
			[]string{CheckAuthor, CheckItem}, "transaction header: malformed"},
		{"signature byte", func(b *Bundle) []Member { b.TxSignature[7] ^= 1; return ex.members },
			[]string{CheckAuthor}, "header signature does not verify"},
		{"author key swapped", func(b *Bundle) []Member {
			ms := slices.Clone(ex.members)
			ms[0].SignKey = mallory.Public().(ed25519.PublicKey)
			return ms
		}, []string{CheckAuthor}, "does not verify with cert-a's key"},
		{"header re-signed as another type", func(b *Bundle) []Member {
			h, _ := tx.DecodeHeader(b.TxHeader)
			h.Type = tx.TypeSealed
			b.TxHeader = mustCBOR(t, h)
			b.TxSignature = ed25519.Sign(seedKey("phalanx example author"), tx.SignedHeaderBytes(b.TxHeader))
			return ex.members
		}, []string{CheckAuthor}, "the record is plaintext but the signed transaction is a sealed"},
		{"record author", func(b *Bundle) []Member { b.Record.Author = "cert-b"; return ex.members },
			[]string{CheckLeaf, CheckAuthor}, "record fields hash to leaf"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			b := cloneBundle(t, ex.bundle)
			r := Verify(b, tc.edit(b))
			if got := r.Failed(); !slices.Equal(got, tc.failed) {
				t.Fatalf("failed checks %v, want %v: %+v", got, tc.failed, r.Checks)
			}
			c, _ := r.Find(tc.failed[0])
			if !strings.Contains(c.Detail, tc.reason) {
				t.Fatalf("%s: %q, want it to say %q", c.Name, c.Detail, tc.reason)
			}
		})
	}
}

func mustCBOR(t *testing.T, h tx.Header) []byte {
	t.Helper()
	raw, err := tx.SignItems(h, exampleObjects, seedKey("phalanx example author"))
	if err != nil {
		t.Fatal(err)
	}
	d, err := tx.Decode(raw)
	if err != nil {
		t.Fatal(err)
	}
	return d.BodyBytes
}

// TestV2CachedHeader: a verifier that checked a header once reuses the
// result only for byte-for-byte the same header and signature.
func TestV2CachedHeader(t *testing.T) {
	ex := buildExample(t, 2)
	v := NewVerifier(ex.members)
	if r := v.Verify(ex.bundle); !r.OK() {
		t.Fatalf("%+v", r.Checks)
	}
	b := cloneBundle(t, ex.bundle)
	// move the signature's first byte into the header: the same bytes
	// in a row, another (header, signature) pair
	b.TxHeader = append(b.TxHeader, b.TxSignature[0])
	b.TxSignature = b.TxSignature[1:]
	if r := v.Verify(b); r.OK() {
		t.Fatal("a shifted header/signature split verifies from the cache")
	}
	if r := v.Verify(ex.bundle); !r.OK() {
		t.Fatalf("genuine bundle after a bad one: %+v", r.Checks)
	}
}

func TestParseBundleV2Rejects(t *testing.T) {
	good, err := os.ReadFile(filepath.Join("testdata", "example-bundle-v2.json"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ParseBundle(good); err != nil {
		t.Fatal(err)
	}
	v1, err := os.ReadFile(filepath.Join("testdata", "example-bundle.json"))
	if err != nil {
		t.Fatal(err)
	}
	s, s1 := string(good), string(v1)
	for name, doc := range map[string]string{
		"v2 with a tx":         strings.Replace(s, `"format"`, `"tx": "AAAA", "format"`, 1),
		"v2 without header":    strings.Replace(s, `"tx_header"`, `"tx_header_x"`, 1),
		"v1 with an item path": strings.Replace(s1, `"format"`, `"item_path": [], "format"`, 1),
		"v1 marked as v2":      strings.Replace(s1, BundleFormat, BundleFormatV2, 1),
		"v2 marked as v1":      strings.Replace(s, BundleFormatV2, BundleFormat, 1),
		"item path not hex":    strings.Replace(s, `"item_path": [`+"\n"+`    "`, `"item_path": [`+"\n"+`    "zz`, 1),
		"signature not hex":    strings.Replace(s, `"tx_signature": "`, `"tx_signature": "zz`, 1),
		"long item path":       strings.Replace(s, `"item_path": [`, `"item_path": [`+strings.Repeat(`"00",`, 65), 1),
	} {
		if _, err := ParseBundle([]byte(doc)); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}
