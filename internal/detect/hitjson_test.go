package detect

import (
	"bytes"
	"encoding/json"
	"math/rand/v2"
	"testing"
)

// encodeHit is what the matcher's output wrote before AppendJSON.
func encodeHit(t testing.TB, h *Hit) []byte {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(h); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestAppendJSONMatchesEncoder compares AppendJSON with encoding/json on
// hits with every field set or empty and strings holding quotes,
// backslashes, control bytes, HTML characters, invalid UTF-8, U+2028 and
// multi-byte runes.
func TestAppendJSONMatchesEncoder(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 12))
	pieces := []string{"", "a", "evil.example", "\"", "\\", "\n", "\r", "\t", "\b", "\f", "\x00", "\x1f", "\x7f",
		"<>&", "\xff", "\xc3", "é", "\u2028", "\u2029", "日本", "\U0001F600", "indicator--0b1e7a4e-1a2b-4c3d-8e9f-000000000001"}
	str := func() string {
		var s string
		for range r.IntN(5) {
			s += pieces[r.IntN(len(pieces))]
		}
		return s
	}
	for i := range 20000 {
		h := Hit{IndicatorID: str(), Value: str(), Type: str(), Observed: str(), Source: str(), Line: r.Int64N(1 << 40),
			Offset: r.IntN(1 << 20), Field: str(), Marking: str(), Author: str(), Benign: r.IntN(2) == 0, Warninglist: str()}
		if i%3 != 0 {
			c := r.IntN(101)
			h.Confidence = &c
		}
		if got, want := h.AppendJSON(nil), encodeHit(t, &h); !bytes.Equal(got, want) {
			t.Fatalf("AppendJSON(%+v)\n got  %s want %s", h, got, want)
		}
	}
}

// FuzzAppendJSON compares AppendJSON with encoding/json on arbitrary
// strings.
func FuzzAppendJSON(f *testing.F) {
	f.Add("evil.example", "\"\\\n\xff\u2028", int64(3))
	f.Fuzz(func(t *testing.T, a, b string, n int64) {
		c := int(n % 101)
		h := Hit{IndicatorID: a, Value: b, Type: "domain-name", Observed: a + b, Line: n, Offset: int(n >> 3), Author: b,
			Marking: a, Confidence: &c, Benign: n%2 == 0, Warninglist: b}
		if got, want := h.AppendJSON(nil), encodeHit(t, &h); !bytes.Equal(got, want) {
			t.Fatalf("AppendJSON(%+v)\n got  %s want %s", h, got, want)
		}
	})
}

// BenchmarkHitJSON measures writing one hit.
func BenchmarkHitJSON(b *testing.B) {
	c := 80
	h := Hit{IndicatorID: "indicator--0b1e7a4e-1a2b-4c3d-8e9f-000000000001", Value: "10.0.0.0/8", Type: "ipv4-addr",
		Observed: "10.1.2.3", Source: "mixed.log", Line: 123456, Offset: 57, Marking: "tlp:green", Confidence: &c, Author: "local"}
	var buf []byte
	for range b.N {
		buf = h.AppendJSON(buf[:0])
	}
}

// TestPlainWord checks the eight-byte test against the byte-wise rule for
// every byte value at every place in a word of plain bytes, and for words
// of two bytes just past the rule's limits.
func TestPlainWord(t *testing.T) {
	plain := func(c byte) bool { return c >= 0x20 && c < 0x80 && c != '"' && c != '\\' }
	for _, base := range []string{"evil.exa", "        ", "~~~~~~~~", "!#[]!#[]"} {
		if !plainWord(base) {
			t.Fatalf("plainWord(%q) = false", base)
		}
		for i := range 8 {
			for c := range 256 {
				w := []byte(base)
				w[i] = byte(c)
				if got := plainWord(string(w)); got != plain(byte(c)) {
					t.Fatalf("plainWord(%q) = %v, want %v", w, got, !got)
				}
			}
		}
	}
	for _, w := range []string{"\x1f\x1f\x1f\x1f\x1f\x1f\x1f\x1f", "\x80\x7f\x7f\x7f\x7f\x7f\x7f\x7f", "\x21\x1f\x21\x21\x21\x21\x21\x21", "[\x5b\x5d\x5c]]]]"} {
		if plainWord(w) {
			t.Fatalf("plainWord(%q) = true", w)
		}
	}
}
