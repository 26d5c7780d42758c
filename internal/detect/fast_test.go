package detect

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/phalanx-ledger/phalanx/internal/detect/loggen"
	"github.com/phalanx-ledger/phalanx/internal/testutil"
	"github.com/phalanx-ledger/phalanx/internal/warninglist"
)

// allHits scans text and renders every hit with all its fields.
func allHits(t testing.TB, x *Index, text []byte, cfg Config) []string {
	t.Helper()
	var out []string
	st, err := x.Scan(context.Background(), bytes.NewReader(text), cfg, func(h Hit) error {
		c := h.Confidence
		h.Confidence = nil
		out = append(out, fmt.Sprintf("%+v conf=%v", h, *c))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	out = append(out, fmt.Sprintf("stats %+v", st))
	return out
}

// samePaths checks that the block path reports exactly what the per-line
// path does, with and without CIDR and subdomain semantics.
func samePaths(t *testing.T, x *Index, text []byte, opts Options) {
	t.Helper()
	for _, exact := range []bool{true, false} {
		o := opts
		o.Exact = exact
		for _, workers := range []int{1, 3} {
			fast := allHits(t, x, text, Config{Options: o, Format: "text", Workers: workers})
			slow := allHits(t, x, text, Config{Options: o, Format: "text", Workers: workers, perLine: true})
			if !slices.Equal(fast, slow) {
				for i := range min(len(fast), len(slow)) {
					if fast[i] != slow[i] {
						t.Fatalf("exact=%v workers=%d: first difference at hit %d of %d/%d:\n block    %s\n per line %s",
							exact, workers, i, len(fast), len(slow), fast[i], slow[i])
					}
				}
				t.Fatalf("exact=%v workers=%d: %d hits on the block path, %d per line", exact, workers, len(fast), len(slow))
			}
		}
	}
}

// TestBlockPathMatchesPerLine compares the two paths on generated logs
// with the shared IOC lists, CIDR blocks, parent domains, patterns with
// AND (resolved per line), expired indicators and warninglists, and on
// lines without a final newline and with CRLF endings.
func TestBlockPathMatchesPerLine(t *testing.T) {
	values, err := loggen.SharedIOCs(testutil.SharedTestdata(t) + "/iocs")
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(9, 10))
	x := New(len(values))
	avoid := map[string]bool{}
	for i, v := range values {
		c, err := CompileValue(v)
		if err != nil {
			t.Fatal(err)
		}
		in := Indicator{ID: fmt.Sprintf("indicator--00000000-0000-4000-8000-%012d", i), Version: t0, Author: "acme",
			Marking: "tlp:green", Confidence: i % 101, Pattern: c}
		if i%7 == 0 {
			in.ValidUntil = t0.Add(-1) // expired: never matches
		}
		if err := x.Add(in); err != nil {
			t.Fatal(err)
		}
		avoid[v] = true
	}
	extra := []string{"[ipv4-addr:value = '10.0.0.0/8']", "[ipv4-addr:value ISSUBSET '192.168.0.0/17']",
		"[domain-name:value = 'benign.example']", "[domain-name:value = 'svc7.benign.example']",
		"[domain-name:value = 'google.com' AND ipv4-addr:value = '10.1.2.3']",
		"[domain-name:value = 'github.com' AND (ipv4-addr:value ISSUBSET '10.0.0.0/9' OR url:value = 'http://api.github.com/')]",
		"[ipv6-addr:value = '2001:db8::/32']"}
	for i, p := range extra {
		c, err := CompilePattern(p)
		if err != nil {
			t.Fatal(err)
		}
		if err := x.Add(Indicator{ID: fmt.Sprintf("indicator--00000000-0000-4000-9000-%012d", i), Version: t0, Author: "beta",
			Confidence: 50, Pattern: c}); err != nil {
			t.Fatal(err)
		}
	}
	g := &loggen.Generator{Rand: rng, Indicators: values, Avoid: avoid, PlantEvery: 5, Variants: true}
	var log bytes.Buffer
	if _, err := g.Text(&log, 3<<20); err != nil {
		t.Fatal(err)
	}
	log.WriteString("10.1.2.3 google.com\r\nhttp://api.github.com 10.2.3.4 2001:db8::5 [2001:db8::6]:443 github.com\r\n" +
		"mail from x@google.com 10.1.2.3")
	lists, err := warninglist.LoadDir(testutil.SharedTestdata(t) + "/warninglists")
	if err != nil {
		t.Fatal(err)
	}
	samePaths(t, x, log.Bytes(), Options{Now: t0, Warninglists: lists})
	lines := strings.Split(log.String(), "\n")
	samePaths(t, x, []byte(strings.Join(lines[len(lines)-50:], "\n")), Options{Now: t0})
}

// TestURLAuthorityFilterSurvivesGrowth checks that URL indicators added to
// a small index that then grows are still found: the block path dismisses
// a URL whose authority is not in the filter, and growing rebuilds it.
func TestURLAuthorityFilterSurvivesGrowth(t *testing.T) {
	x := New(1)
	for i := range 5000 {
		v := fmt.Sprintf("http://h%d.example:8080/p%d", i, i)
		if err := x.AddValue(valueID(v), v, "local"); err != nil {
			t.Fatal(err)
		}
	}
	text := "GET HTTP://H7.EXAMPLE:8080/p7#x and http://h7.example/p7 and http://h8.example:8080/p7\n"
	var got []string
	_, err := x.Scan(context.Background(), strings.NewReader(text), Config{Options: Options{Now: t0}, Format: "text"},
		func(h Hit) error { got = append(got, fmt.Sprintf("%d:%s", h.Offset, h.Value)); return nil })
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"4:http://h7.example:8080/p7"}; !slices.Equal(got, want) {
		t.Errorf("hits %q, want %q", got, want)
	}
}
