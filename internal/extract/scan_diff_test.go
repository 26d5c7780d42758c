package extract

import (
	"fmt"
	"math/rand/v2"
	"net/netip"
	"slices"
	"strings"
	"testing"
)

// candidates renders what scan reports for b, offsets shifted by base.
func candidates(scan func([]byte, int, func(Candidate)), b []byte, base int) []string {
	var out []string
	scan(b, base, func(c Candidate) {
		out = append(out, fmt.Sprintf("%s@%d:%q:%v", c.Kind, c.Off, c.Value, c.Addr))
	})
	return out
}

// sameAsReference checks Scan, and the word-at-a-time scanWords it falls
// back on (the same function off amd64 or without AVX-512), against
// the reference extractor; and Values in batches of every size from one
// value (stopping and resuming at every place it may) to the whole input.
func sameAsReference(t *testing.T, b []byte) {
	t.Helper()
	want := candidates(refScan, b, 7)
	if got := candidates(Scan, b, 7); !slices.Equal(got, want) {
		t.Fatalf("Scan(%q) (vector: %v)\n got  %q\n want %q", b, Vector(), got, want)
	}
	for _, min := range []int{1, 3, 1 << 30} {
		words := func(b []byte, base int, fn func(Candidate)) { inBatches(b, base, fn, scanWords, min) }
		if got := candidates(words, b, 7); !slices.Equal(got, want) {
			t.Fatalf("scanWords(%q) in batches of %d\n got  %q\n want %q", b, min, got, want)
		}
		values := func(b []byte, base int, fn func(Candidate)) { inBatches(b, base, fn, scan, min) }
		if got := candidates(values, b, 7); !slices.Equal(got, want) {
			t.Fatalf("Values(%q) in batches of %d (vector: %v)\n got  %q\n want %q", b, min, Vector(), got, want)
		}
	}
}

// inBatches is Scan with scanner (scan or scanWords) stopping once it has
// min values, and resuming where it said.
func inBatches(b []byte, base int, fn func(Candidate), scanner func([]byte, int, *sink) int, min int) {
	for i := 0; i < len(b); {
		s := sink{min: min}
		next := scanner(b, i, &s)
		if next <= i && i < len(b) {
			panic(fmt.Sprintf("no progress from %d", i))
		}
		for k := range s.v {
			fn(s.v[k].Candidate(b, base))
		}
		i = next
	}
}

// pieces are the fragments random inputs are made of: values, near
// values, separators and bytes that the word-at-a-time test lets through.
var pieces = []string{
	"1.2.3.4", "11.2.3.45", "256.1.1.1", "01.2.3.4", "evil.example", "notevil.example.", ".x", "..",
	"http://", "hxxps://", "://", "user@", "@", "a@b.c", "[", "]", "::", ":", "2001:db8::1", "::ffff:1.2.3.4",
	"fe80::1%eth0", "d41d8cd98f00b204e9800998ecf8427e", "DA39A3EE5E6B4B0D3255BFEF95601890AFD80709",
	strings.Repeat("ab", 32), strings.Repeat("0f", 64), "0123456789", "abcdef", "ghijklmno", ";<=>?`",
	" ", "\t", "\n", "\r\n", "\"", "'", ",", ";", "/", "?", "#", "%41", "_", "-", "+", "é", "\xff", "\x00",
	"1764115200.123", "12:34:56", "SRC=", "query[A]", "/a/../b", ":8080", "x", "1:2:3:4:5:6:7:8", "a:b:c:d:e:f:0", "kernel:",
}

// TestScanMatchesReference compares Scan with the straightforward
// extractor on generated log lines and on random concatenations of the
// pieces above, at every alignment.
func TestScanMatchesReference(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for range 20000 {
		var sb strings.Builder
		for range 1 + r.IntN(30) {
			sb.WriteString(pieces[r.IntN(len(pieces))])
		}
		b := []byte(sb.String())
		for cut := 0; cut < 9 && cut < len(b); cut++ {
			sameAsReference(t, b[cut:])
		}
	}
	for _, s := range []string{
		"", "a", "1.2.3.4", strings.Repeat("a", 31), strings.Repeat("a", 32), strings.Repeat("a", 32) + ".",
		strings.Repeat("9", 40) + " " + strings.Repeat("F", 64), "http://x.y/" + strings.Repeat("a", 64) + ". next",
		"http://a.com/x.,foo.com", "a http://b.example/c; d", "x@" + strings.Repeat("e", 64),
	} {
		sameAsReference(t, []byte(s))
	}
}

// TestScanMatchesReferenceLong compares on inputs of hundreds of pieces,
// long tokens among them (hashes, URLs and runs of 64 to 200 token bytes
// fill or cross the 64-byte windows of the vector path), at each of the 64
// alignments of a window.
func TestScanMatchesReferenceLong(t *testing.T) {
	t.Logf("vector path: %v", Vector())
	r := rand.New(rand.NewPCG(3, 4))
	long := []string{strings.Repeat("ab", 32), strings.Repeat("0F", 64), strings.Repeat("a", 63) + ".b",
		"http://" + strings.Repeat("x", 70) + ".example/" + strings.Repeat("p", 60), strings.Repeat("c", 31) + "@" + strings.Repeat("d", 40) + ".org",
		strings.Repeat("1.", 40), strings.Repeat("9", 65), strings.Repeat("e", 200), "2001:0db8:0000:0000:0000:ff00:0042:8329"}
	for range 1500 {
		var sb strings.Builder
		for range 50 + r.IntN(300) {
			if r.IntN(10) == 0 {
				sb.WriteString(long[r.IntN(len(long))])
			} else {
				sb.WriteString(pieces[r.IntN(len(pieces))])
			}
		}
		b := []byte(sb.String())
		cut := r.IntN(64)
		sameAsReference(t, b[min(cut, len(b)):])
	}
	for cut := range 64 {
		var sb strings.Builder
		for _, s := range long {
			sb.WriteString(s + " ")
		}
		sameAsReference(t, []byte(strings.Repeat(" ", cut)+sb.String()))
	}
}

// FuzzScanMatchesReference checks Scan against the reference extractor.
func FuzzScanMatchesReference(f *testing.F) {
	for _, s := range []string{"1.2.3.4 evil.example", "http://a.b/c?d#e", "x@y.z", "::1 fe80::1%eth0 [2001:db8::1]:80",
		"d41d8cd98f00b204e9800998ecf8427e", "a:b:c.d:e", "hxxp://[::1/", "..--.@", "http://@:/",
		"Nov 26 01:02:03 resolver dnsmasq[12]: query[A] www.google.com from 11.2.3.45"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) { sameAsReference(t, b) })
}

// FuzzParseIPv4 checks the address parser against the reference one.
func FuzzParseIPv4(f *testing.F) {
	for _, s := range []string{"1.2.3.4", "255.255.255.255", "256.1.1.1", "01.2.3.4", "0.0.0.0", "1.2.3.4.5", "1..2.3", "1.2.3.1000"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		v, ok := parseIPv4(b)
		a := netip.Addr{}
		if ok {
			a = netip.AddrFrom4([4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)})
		}
		ra, rok := refParseIPv4(b)
		if a != ra || ok != rok {
			t.Fatalf("parseIPv4(%q) = %v, %v; reference %v, %v", b, a, ok, ra, rok)
		}
	})
}

// TestScanMatchesReferenceURLs compares on URLs of every usual and unusual
// shape at each place in a 64-byte window (the vector path finds a URL's
// end and host from the window's masks when they end in it, and else
// starts the next window at the URL), with the stop bytes that may follow.
func TestScanMatchesReferenceURLs(t *testing.T) {
	urls := []string{"http://a.b/c", "http://1.2.3.4/x", "http://01.2.3.4/x", "hxxp://host-1.example:80/p", "http://evil.example.",
		"http://x.y\xff/", "https://" + strings.Repeat("h", 70) + ".example/p", "http://a.b.,;", "ftp://", "http://h_o.st/",
		"http://u@evil.example/", "http://[2001:db8::1]:80/", "x:http://a.b/c", "1http://a.b", "http://a.b?q#f",
		"HTTP://EVIL.EXAMPLE/X", "http://..../", "http://a.b:", "http://1.2.3.4", "http://256.1.1.1/", "http://a.b\x7f",
		"http://" + strings.Repeat("9", 30) + ".1.2.3/", "https://a.b/" + strings.Repeat("p", 80)}
	stops := []string{"", " ", "\x00", "\t", "\"", "<", "|", "\x7f", "\n", "é", ".", "/", ":"}
	for _, u := range urls {
		for _, stop := range stops {
			for cut := range 80 {
				sameAsReference(t, []byte(strings.Repeat(" ", cut)+u+stop+"10.1.2.3 next.example "+strings.Repeat("z", 70)))
			}
		}
	}
}

// TestScanMatchesReferenceIPv4 compares on dotted quads valid and not (an
// octet over 255, a leading zero, four digits, an empty octet, five
// octets) at each place in a 64-byte window, among other runs of digits
// (the vector path computes every run's octet value of a window at once
// and finds an address's four among them by counting the runs before it).
func TestScanMatchesReferenceIPv4(t *testing.T) {
	quads := []string{"1.2.3.4", "255.255.255.255", "0.0.0.0", "256.0.0.1", "1.2.3.256", "00.1.2.3", "1.2.3.04", "1.02.3.4",
		"1.2.3.4567", "1234.1.2.3", "1..2.3", "1.2.3.4.5", "9.99.199.249", "250.251.252.253", "300.1.1.1", "2.55.5.255",
		"199.200.255.260", "a1.2.3.4", "1.2.3.4a", "1.2.3.4.", ".1.2.3.4", "1.2.3", "999.999.999.999", "10.0.0.0:80",
		"1.2.3.4-5", "1764115200.123", "12:34:56"}
	for _, q := range quads {
		for cut := range 70 {
			pre := strings.Repeat(" ", cut%7) + strings.Repeat("7 ", cut/7) // runs of digits before the address
			sameAsReference(t, []byte(pre+q+" 3.4.5.6 x9 "+q+" "+strings.Repeat("y", 64)))
		}
	}
}
