package detect

import (
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

// TestPrefixLengthsPer16 checks v4Lens16 against its definition, /16 by
// /16: bit n is set exactly when some block of length n < 32 overlaps the
// /16 (a block of 16 bits or fewer holds it whole, a longer one lies in
// it), for blocks of every length from /0 to /32 at the edges of /8s and
// /16s and at random.
func TestPrefixLengthsPer16(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	x := New(1024)
	type block struct {
		a    uint32
		bits int
	}
	blocks := []block{{0, 0}, {0x0a000000, 8}, {0x0aff0000, 16}, {0x0b000000, 16}, {0x0bff8000, 17},
		{0xfffffffe, 31}, {0xffffffff, 32}, {0x0c000001, 32}}
	for range 300 {
		n := 1 + r.IntN(32)
		blocks = append(blocks, block{r.Uint32() &^ uint32(uint64(1)<<(32-n)-1), n})
	}
	for _, b := range blocks {
		addV4Block(t, x, b.a, b.bits)
	}
	for s := range uint32(1 << 16) {
		var want uint32
		for _, b := range blocks {
			if b.bits == 32 {
				continue
			}
			n := min(b.bits, 16)
			if s>>(16-n) == b.a>>(32-n) || n == 0 {
				want |= 1 << b.bits
			}
		}
		if got := x.v4Lens16[s]; got != want {
			t.Fatalf("v4Lens16[%d.%d.0.0/16] = %032b, want %032b", s>>8, s&255, got, want)
		}
	}
}

// TestPrefixBoundaries checks longest-prefix matches on the edges of
// nested /0, /8, /16, /17 and /32 blocks, on both paths, with IPv4 and
// IPv4-mapped IPv6 addresses.
func TestPrefixBoundaries(t *testing.T) {
	x := indexOf(t, "[ipv4-addr:value = '0.0.0.0/0']", "[ipv4-addr:value = '10.0.0.0/8']", "[ipv4-addr:value = '10.1.0.0/16']",
		"[ipv4-addr:value = '10.1.128.0/17']", "[ipv4-addr:value = '10.1.200.7']", "[ipv4-addr:value = '11.0.0.0/16']")
	text := "9.255.255.255 10.0.0.0 10.255.255.255 11.0.0.0 11.0.255.255 11.1.0.0\n" +
		"10.1.0.0 10.1.127.255 10.1.128.0 10.1.255.255 10.2.0.0 10.0.255.255\n" +
		"10.1.200.7 10.1.200.6 ::ffff:10.1.200.7 ::ffff:10.1.127.1 ::ffff:12.0.0.1\n"
	want := []string{
		"1:0:0:9.255.255.255", "1:14:1:10.0.0.0", "1:23:1:10.255.255.255", "1:38:5:11.0.0.0", "1:47:5:11.0.255.255", "1:60:0:11.1.0.0",
		"2:0:2:10.1.0.0", "2:9:2:10.1.127.255", "2:22:3:10.1.128.0", "2:33:3:10.1.255.255", "2:46:1:10.2.0.0", "2:55:1:10.0.255.255",
		"3:0:4:10.1.200.7", "3:11:3:10.1.200.6", "3:22:4:::ffff:10.1.200.7", "3:40:2:::ffff:10.1.127.1", "3:58:0:::ffff:12.0.0.1",
	}
	if got := scan(t, x, text, Options{Now: t0}); !slices.Equal(got, want) {
		t.Errorf("hits\n got  %q\n want %q", got, want)
	}
	samePaths(t, x, []byte(text), Options{Now: t0})
}

// TestSubdomainGates checks the last-label bitmap and the label counts:
// parents are found on label boundaries only, for keys of one label (a
// top-level domain), of seven, and of 64 (beyond the counts' last bit,
// where every suffix is tested), and a domain whose last label no key
// has, or whose parents have label counts no key has, finds nothing.
func TestSubdomainGates(t *testing.T) {
	deep := strings.Repeat("a.", 63) + "deep"
	x := indexOf(t, "[domain-name:value = 'evil.example']", "[domain-name:value = 'tld']",
		"[domain-name:value = 'b.c.d.e.f.seven.test']", "[domain-name:value = '"+deep+"']")
	text := "notevil.example evil.example a.b.EVIL.Example evil.examplex example\n" +
		"www.TLD host.tld tld.com x.b.c.d.e.f.seven.test c.d.e.f.seven.test seven.test\n" +
		"z." + deep + " " + deep[2:] + "\n"
	want := []string{
		"1:16:0:evil.example", "1:29:0:a.b.EVIL.Example",
		"2:0:1:www.TLD", "2:8:1:host.tld", "2:25:2:x.b.c.d.e.f.seven.test",
		"3:0:3:z." + deep,
	}
	if got := scan(t, x, text, Options{Now: t0}); !slices.Equal(got, want) {
		t.Errorf("hits\n got  %q\n want %q", got, want)
	}
	if x.dLabels != labelBit(1)|labelBit(2)|labelBit(7)|labelBit(64) {
		t.Errorf("label counts %b", x.dLabels)
	}
	samePaths(t, x, []byte(text), Options{Now: t0})
}

// TestSubdomainGatesRandom compares the block path (gated) with the
// per-line path (every suffix looked up) on domains made of a few labels,
// so that most share suffixes with some key, with keys of one to six
// labels.
func TestSubdomainGatesRandom(t *testing.T) {
	r := rand.New(rand.NewPCG(13, 14))
	labels := []string{"a", "b", "evil", "notevil", "example", "com", "x-1", "Example", "co", "uk"}
	name := func(n int) string {
		parts := make([]string, n)
		for i := range parts {
			parts[i] = labels[r.IntN(len(labels))]
		}
		return strings.Join(parts, ".")
	}
	for round := range 4 {
		var patterns []string
		for range 20 {
			patterns = append(patterns, "[domain-name:value = '"+strings.ToLower(name(1+r.IntN(3+round)))+"']")
		}
		x := indexOf(t, patterns...)
		var text strings.Builder
		for range 400 {
			text.WriteString(name(1 + r.IntN(7)))
			if r.IntN(5) == 0 {
				text.WriteByte('\n')
			} else {
				text.WriteByte(' ')
			}
		}
		if hits := scan(t, x, text.String(), Options{Now: t0}); len(hits) < 50 {
			t.Fatalf("round %d: only %d hits: the test tests little", round, len(hits))
		}
		samePaths(t, x, []byte(text.String()), Options{Now: t0})
	}
}

// TestLastLabelWord checks that names with the same last label, in any
// case and after any name, get the same word, that different last labels
// (short, long, one that is another's end) get different words unless
// they end with the same eight bytes, and that a name ending with a dot
// or empty is left undecided.
func TestLastLabelWord(t *testing.T) {
	word := func(d string) uint64 {
		w, ok := lastLabelWord([]byte(d))
		if !ok {
			t.Fatalf("lastLabelWord(%q) undecided", d)
		}
		return w
	}
	same := [][]string{
		{"com", "google.com", "www.GOOGLE.COM", "a.b.c.d.e.f.g.h.Com", "x.com"},
		{"example", "evil.example", "EXAMPLE", "host8195.svc58.benign.example", ".example"},
		{"internationallonglabel", "a.internationallonglabel", "x.y.INTERNATIONALLONGLABEL"},
		{"uk", "co.uk", "a.b.co.UK"},
	}
	var words []uint64
	for _, group := range same {
		w := word(group[0])
		for _, d := range group[1:] {
			if got := word(d); got != w {
				t.Errorf("lastLabelWord(%q) = %x, lastLabelWord(%q) = %x", d, got, group[0], w)
			}
		}
		words = append(words, w)
	}
	for _, d := range []string{"co", "examplex", "xexample", "ex", "k", "cn", "c.om", "nationallonglabel.x", "shortlbl"} {
		if w := word(d); slices.Contains(words, w) {
			t.Errorf("lastLabelWord(%q) = %x, the word of another label", d, w)
		}
	}
	// Longer labels are told apart by their last eight bytes only: the
	// gate then lets the name through and the lookups decide.
	if word("a.longlabel") != word("internationallonglabel") {
		t.Errorf("labels ending with the same eight bytes got different words")
	}
	for _, d := range []string{"", "evil.example.", "."} {
		if _, ok := lastLabelWord([]byte(d)); ok {
			t.Errorf("lastLabelWord(%q) decided", d)
		}
	}
}

// FuzzGatesAgreeWithPerLine compares the block path (the gates, the
// per-/16 walk, the hit caches) with the per-line path (every suffix and
// prefix length looked up) on arbitrary text, against an index of domains
// of one to four labels and IPv4 blocks from /0 to /32.
func FuzzGatesAgreeWithPerLine(f *testing.F) {
	x := indexOf(f, "[domain-name:value = 'evil.example']", "[domain-name:value = 'tld']", "[domain-name:value = 'a.b.c.co.uk']",
		"[domain-name:value = 'x-1.com']", "[ipv4-addr:value = '10.0.0.0/8']", "[ipv4-addr:value = '10.1.0.0/16']",
		"[ipv4-addr:value = '10.1.128.0/17']", "[ipv4-addr:value = '10.1.200.7']", "[ipv4-addr:value = '192.0.2.16/28']",
		"[ipv4-addr:value = '0.0.0.0/0']")
	for _, s := range []string{"a.evil.example 10.1.2.3 notevil.example x.TLD ::ffff:10.1.200.7",
		"evil.examplex z.a.b.c.co.uk b.c.co.uk http://www.x-1.com/p 192.0.2.31\r\nmail.evil.example.",
		"...tld.. 10.1.127.255 10.1.128.0 user@x.evil.example"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		samePaths(t, x, []byte(text), Options{Now: t0})
	})
}
