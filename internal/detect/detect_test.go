package detect

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/phalanx-ledger/phalanx/internal/detect/loggen"
	"github.com/phalanx-ledger/phalanx/internal/testutil"
	"github.com/phalanx-ledger/phalanx/internal/warninglist"
)

var t0 = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// indexOf builds an index of indicators "indicator--0000…N" with the given
// patterns.
func indexOf(t testing.TB, patterns ...string) *Index {
	t.Helper()
	x := New(len(patterns))
	for i, p := range patterns {
		c, err := CompilePattern(p)
		if err != nil {
			t.Fatalf("compile %q: %v", p, err)
		}
		if err := x.Add(Indicator{ID: fmt.Sprintf("indicator--00000000-0000-4000-8000-%012d", i), Version: t0,
			Author: "acme", Marking: "tlp:green", Confidence: 80, Pattern: c}); err != nil {
			t.Fatal(err)
		}
	}
	return x
}

// scan returns the hits of text as "line:offset:indicator#:value".
func scan(t testing.TB, x *Index, text string, opts Options) []string {
	t.Helper()
	var out []string
	cfg := Config{Options: opts, Format: "text", Workers: 2}
	_, err := x.Scan(context.Background(), strings.NewReader(text), cfg, func(h Hit) error {
		n, _ := strconv.Atoi(h.IndicatorID[len(h.IndicatorID)-12:])
		out = append(out, fmt.Sprintf("%d:%d:%d:%s", h.Line, h.Offset, n, h.Observed))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestCompilePatternSubset(t *testing.T) {
	ok := []string{
		"[ipv4-addr:value = '1.2.3.4']",
		"[ipv4-addr:value ISSUBSET '10.0.0.0/8']",
		"[ipv6-addr:value = '2001:db8::/32'] OR [domain-name:value = 'evil.example']",
		"[file:hashes.'SHA-256' = 'AB" + strings.Repeat("0", 62) + "' OR file:hashes.MD5 IN ('" + strings.Repeat("a", 32) + "')]",
		"[url:value = 'http://evil.example/x' AND ipv4-addr:value = '1.2.3.4']",
		"[domain-name:value LIKE '%.evil.example']",
		"[url:value MATCHES '^https?://[a-z]+\\\\.evil\\\\.example/']",
		"[email-message:from_ref.value = 'ceo@phish.example']",
		"[network-traffic:dst_ref.value = '2001:db8::1']",
	}
	for _, p := range ok {
		if _, err := CompilePattern(p); err != nil {
			t.Errorf("CompilePattern(%q): %v", p, err)
		}
	}
	bad := map[string]string{
		"[ipv4-addr:value = '1.2.3.4'] AND [domain-name:value = 'a.example']":    "AND between observations",
		"[ipv4-addr:value = '1.2.3.4'] FOLLOWEDBY [ipv4-addr:value = '5.6.7.8']": "FOLLOWEDBY between observations",
		"[ipv4-addr:value = '1.2.3.4'] WITHIN 60 SECONDS":                        "the WITHIN qualifier",
		"[ipv4-addr:value != '1.2.3.4']":                                         "operator !=",
		"[ipv4-addr:value NOT = '1.2.3.4']":                                      "NOT",
		"[network-traffic:dst_port = 443]":                                       "object path network-traffic:dst_port",
		"[file:name = 'evil.exe']":                                               "object path file:name",
		"[file:hashes.SSDEEP = '3:abc']":                                         `hash algorithm "SSDEEP"`,
		"[ipv4-addr:value = '2001:db8::1']":                                      "not an IPv4 address",
		"[file:hashes.MD5 = 'abc']":                                              "not a md5 hash",
		"[url:value MATCHES '(a)\\\\1']":                                         "RE2 syntax",
		"[domain-name:value ISSUBSET 'evil.example']":                            "ISSUBSET on a value that is not an address",
		"[ipv4-addr:value = 1]":                                                  "number literal",
		"[ipv4-addr:value = '1.2.3.4'":                                           "invalid STIX pattern",
		"[" + strings.Repeat("ipv4-addr:value = '1.2.3.4' OR ", 64) + "ipv4-addr:value = '1.2.3.5']": "65 comparisons in one pattern",
	}
	for p, want := range bad {
		_, err := CompilePattern(p)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("CompilePattern(%q) = %v, want an error with %q", p, err, want)
		}
	}
}

func TestAddressesAndCIDR(t *testing.T) {
	x := indexOf(t,
		"[ipv4-addr:value = '1.2.3.4']",
		"[ipv4-addr:value = '10.0.0.0/8']",
		"[ipv4-addr:value ISSUBSET '10.1.0.0/16']",
		"[ipv6-addr:value = '2001:db8::1']",
		"[ipv6-addr:value = '2001:db8:aa::/48']",
		"[ipv4-addr:value = '0.0.0.0/0']",
	)
	text := strings.Join([]string{
		"a 1.2.3.4 b 11.2.3.45 c 1.2.3.40",        // 1: only the exact address (and /0)
		"10.255.255.255 10.1.2.3 9.255.255.255",   // 2: /8, the longer /16, /0
		"2001:0db8:0000:0000:0000:0000:0000:0001", // 3: expanded form
		"[2001:DB8::1]:443 2001:db8::2",           // 4: brackets, upper case; ::2 not listed
		"2001:db8:aa:ffff::9 2001:db8:ab::1",      // 5: inside the /48, outside it
		"::ffff:1.2.3.4",                          // 6: v4-mapped
	}, "\n")
	got := scan(t, x, text, Options{Now: t0})
	want := []string{
		"1:2:0:1.2.3.4", "1:12:5:11.2.3.45", "1:24:5:1.2.3.40",
		"2:0:1:10.255.255.255", "2:15:2:10.1.2.3", "2:24:5:9.255.255.255",
		"3:0:3:2001:0db8:0000:0000:0000:0000:0000:0001",
		"4:1:3:2001:DB8::1",
		"5:0:4:2001:db8:aa:ffff::9",
		"6:0:0:::ffff:1.2.3.4",
	}
	if !slices.Equal(got, want) {
		t.Errorf("hits\n got  %q\n want %q", got, want)
	}
	exact := scan(t, x, text, Options{Now: t0, Exact: true})
	wantExact := []string{"1:2:0:1.2.3.4", "3:0:3:2001:0db8:0000:0000:0000:0000:0000:0001", "4:1:3:2001:DB8::1", "6:0:0:::ffff:1.2.3.4"}
	if !slices.Equal(exact, wantExact) {
		t.Errorf("exact hits\n got  %q\n want %q", exact, wantExact)
	}
}

func TestDomainsOnLabelBoundaries(t *testing.T) {
	x := indexOf(t, "[domain-name:value = 'evil.example']", "[domain-name:value = 'Deep.Sub.Bad.Example.']")
	text := "notevil.example evil.example.com a.b.EVIL.example evil.example. xevil.example sub.bad.example x.deep.sub.bad.example\n" +
		"http://www.evil.example:8080/p user@mail.evil.example evil-example.com"
	got := scan(t, x, text, Options{Now: t0})
	want := []string{"1:33:0:a.b.EVIL.example", "1:50:0:evil.example", "1:94:1:x.deep.sub.bad.example",
		"2:7:0:www.evil.example", "2:36:0:mail.evil.example"}
	if !slices.Equal(got, want) {
		t.Errorf("hits\n got  %q\n want %q", got, want)
	}
	if exact := scan(t, x, text, Options{Now: t0, Exact: true}); !slices.Equal(exact, []string{"1:50:0:evil.example"}) {
		t.Errorf("exact hits %q", exact)
	}
}

func TestURLNormalisation(t *testing.T) {
	x := indexOf(t, "[url:value = 'http://evil.example/a/b?q=%7e1']", "[url:value = 'https://bad.example']")
	lines := []string{
		"GET HTTP://EVIL.EXAMPLE:80/a/./c/../b?q=~1#top",
		"GET http://evil.example/a/b?q=%7E1",
		"GET http://evil.example/a/b?q=1",       // different query: no hit
		"GET http://evil.example:8080/a/b?q=~1", // other port: no hit
		"GET https://bad.example:443/ x",
		"GET https://bad.example/x",
	}
	got := scan(t, x, strings.Join(lines, "\n"), Options{Now: t0})
	want := []string{"1:4:0:HTTP://EVIL.EXAMPLE:80/a/./c/../b?q=~1#top", "2:4:0:http://evil.example/a/b?q=%7E1", "5:4:1:https://bad.example:443/"}
	if !slices.Equal(got, want) {
		t.Errorf("hits\n got  %q\n want %q", got, want)
	}
	cases := map[string]string{
		"HTTP://A.Example:80":        "http://a.example/",
		"http://a/%7euser/%2fx/../y": "http://a/~user/%2Fx/y"[:0] + "http://a/~user/y",
		"http://a/b/c/./../../g":     "http://a/g",
		"http://u:p@A:8080/x#f":      "http://u:p@a:8080/x",
		"ftp://h:21/.":               "ftp://h/",
	}
	for in, want := range cases {
		got, ok := normURL([]byte(in), nil)
		if !ok || string(got) != want {
			t.Errorf("normURL(%q) = %q, %v; want %q", in, got, ok, want)
		}
	}
}

func TestHashesEmailsAndAnd(t *testing.T) {
	sha := strings.Repeat("0123456789abcdef", 4)
	x := indexOf(t,
		"[file:hashes.'SHA-256' = '"+strings.ToUpper(sha)+"']",
		"[email-addr:value = 'CEO@Phish.Example']",
		"[domain-name:value = 'c2.example' AND ipv4-addr:value = '5.6.7.8']",
		"[domain-name:value LIKE '%.like.example']",
		"[url:value MATCHES '^http://[a-z]+\\\\.re\\\\.example/x$']",
	)
	text := strings.Join([]string{
		"sha256=" + sha + " other=" + sha + "0",
		"from ceo@phish.example to bob@phish.example",
		"c2.example resolved to 5.6.7.8",
		"c2.example resolved to 5.6.7.9",
		"a.like.example like.example http://abc.re.example/x http://ab1.re.example/x",
	}, "\n")
	got := scan(t, x, text, Options{Now: t0})
	want := []string{"1:7:0:" + sha, "2:5:1:ceo@phish.example", "3:0:2:c2.example", "5:0:3:a.like.example", "5:28:4:http://abc.re.example/x"}
	if !slices.Equal(got, want) {
		t.Errorf("hits\n got  %q\n want %q", got, want)
	}
}

func TestRevokeReplaceExpire(t *testing.T) {
	x := indexOf(t, "[ipv4-addr:value = '1.2.3.4']", "[domain-name:value = 'evil.example']")
	id0 := "indicator--00000000-0000-4000-8000-000000000000"
	id1 := "indicator--00000000-0000-4000-8000-000000000001"
	// A newer version changes the value; an older one arriving later is ignored.
	c, _ := CompilePattern("[ipv4-addr:value = '5.6.7.8']")
	if err := x.Add(Indicator{ID: id0, Version: t0.Add(time.Hour), Author: "acme", Pattern: c, Confidence: -1}); err != nil {
		t.Fatal(err)
	}
	old, _ := CompilePattern("[ipv4-addr:value = '9.9.9.9']")
	_ = x.Add(Indicator{ID: id0, Version: t0.Add(-time.Hour), Author: "acme", Pattern: old})
	// Revoked indicators and expired ones drop out.
	_ = x.Add(Indicator{ID: id1, Version: t0.Add(time.Hour), Author: "acme", Revoked: true})
	exp, _ := CompilePattern("[domain-name:value = 'expired.example']")
	_ = x.Add(Indicator{ID: "indicator--00000000-0000-4000-8000-000000000002", Version: t0, Pattern: exp, ValidUntil: t0.Add(time.Minute)})
	text := "1.2.3.4 5.6.7.8 9.9.9.9 evil.example expired.example"
	if got := scan(t, x, text, Options{Now: t0}); !slices.Equal(got, []string{"1:8:0:5.6.7.8", "1:37:2:expired.example"}) {
		t.Errorf("hits %q", got)
	}
	if got := scan(t, x, text, Options{Now: t0.Add(time.Minute)}); !slices.Equal(got, []string{"1:8:0:5.6.7.8"}) {
		t.Errorf("hits after expiry %q", got)
	}
	future, _ := CompilePattern("[domain-name:value = 'future.example']")
	_ = x.Add(Indicator{ID: "indicator--00000000-0000-4000-8000-000000000003", Version: t0, Pattern: future, ValidFrom: t0.Add(time.Hour)})
	if got := scan(t, x, "future.example", Options{Now: t0}); len(got) != 0 {
		t.Errorf("hit before valid_from: %q", got)
	}
	if got := scan(t, x, "future.example", Options{Now: t0.Add(time.Hour)}); !slices.Equal(got, []string{"1:0:3:future.example"}) {
		t.Errorf("hits at valid_from: %q", got)
	}
	if x.Len() != 3 {
		t.Errorf("Len = %d, want 2", x.Len())
	}
	x.Remove(id0)
	if got := scan(t, x, text, Options{Now: t0}); !slices.Equal(got, []string{"1:37:2:expired.example"}) {
		t.Errorf("hits after remove %q", got)
	}
}

// TestPlantedHits builds an index from the real IOC lists of
// ../shared/testdata/iocs, generates log lines that embed them at known
// places among decoys, and checks that the scan finds exactly those.
func TestPlantedHits(t *testing.T) {
	values, err := loggen.SharedIOCs(testutil.SharedTestdata(t) + "/iocs")
	if err != nil {
		t.Fatal(err)
	}
	x := New(len(values))
	avoid := map[string]bool{}
	ids := map[string]string{}
	for i, v := range values {
		c, err := CompileValue(v)
		if err != nil {
			t.Fatalf("value %q: %v", v, err)
		}
		id := fmt.Sprintf("indicator--00000000-0000-4000-8000-%012d", i)
		if err := x.Add(Indicator{ID: id, Version: t0, Author: "acme", Pattern: c}); err != nil {
			t.Fatal(err)
		}
		avoid[v] = true
		ids[id] = v
	}
	if len(values) < 5000 {
		t.Fatalf("only %d IOC values read", len(values))
	}
	g := &loggen.Generator{Rand: rand.New(rand.NewPCG(1, 2)), Indicators: values, Avoid: avoid, PlantEvery: 10, Variants: true}
	var log bytes.Buffer
	plants, err := g.Text(&log, 4<<20)
	if err != nil {
		t.Fatal(err)
	}
	for _, exact := range []bool{true, false} {
		var hits []loggen.Plant
		st, err := x.Scan(context.Background(), bytes.NewReader(log.Bytes()), Config{Options: Options{Now: t0, Exact: exact}, Workers: 2},
			func(h Hit) error {
				hits = append(hits, loggen.Plant{Line: h.Line, Offset: h.Offset, Value: ids[h.IndicatorID], Observed: h.Observed})
				return nil
			})
		if err != nil {
			t.Fatal(err)
		}
		if st.Format != "text" || st.Bytes != int64(log.Len()) {
			t.Errorf("stats %+v", st)
		}
		if exact {
			if !slices.Equal(hits, plants) {
				t.Errorf("exact: %d hits, %d planted", len(hits), len(plants))
				for i := 0; i < min(len(hits), len(plants)); i++ {
					if hits[i] != plants[i] {
						t.Fatalf("first difference at %d: hit %+v, planted %+v", i, hits[i], plants[i])
					}
				}
			}
			continue
		}
		// With subdomain matching a planted domain (or URL host) also hits
		// the listed parents of it; every other hit must be planted.
		want := map[loggen.Plant]bool{}
		for _, p := range plants {
			want[p] = true
		}
		extra := 0
		for _, h := range hits {
			if want[h] {
				delete(want, h)
				continue
			}
			if !strings.HasSuffix("."+strings.ToLower(h.Observed), "."+h.Value) {
				t.Errorf("false hit %+v", h)
			}
			extra++
		}
		if len(want) > 0 {
			t.Errorf("subdomains: %d planted values not found, e.g. %+v", len(want), want)
		}
		t.Logf("%d planted, %d parent-domain hits", len(plants), extra)
	}
	if len(plants) < 1000 {
		t.Errorf("only %d plants", len(plants))
	}
}

func TestWarninglistMarksBenign(t *testing.T) {
	lists, err := warninglist.LoadDir(testutil.SharedTestdata(t) + "/warninglists")
	if err != nil {
		t.Fatal(err)
	}
	x := indexOf(t, "[ipv4-addr:value = '8.8.8.8']", "[domain-name:value = 'google.com']", "[domain-name:value = 'evil.example']")
	var hits []Hit
	_, err = x.Scan(context.Background(), strings.NewReader("dns 8.8.8.8 www.google.com evil.example\n"),
		Config{Options: Options{Now: t0, Warninglists: lists}}, func(h Hit) error { hits = append(hits, h); return nil })
	if err != nil {
		t.Fatal(err)
	}
	if len(hits) != 3 {
		t.Fatalf("hits %+v", hits)
	}
	want := []string{"List of known IPv4 public DNS resolvers", "Top 10K most-used sites from Tranco", ""}
	for i, h := range hits {
		if h.Benign != (want[i] != "") || h.Warninglist != want[i] {
			t.Errorf("hit %s: benign %v (%q), want %q", h.Observed, h.Benign, h.Warninglist, want[i])
		}
	}
}

func TestCIDREdges(t *testing.T) {
	x := indexOf(t, "[ipv4-addr:value = '192.0.2.16/28']", "[ipv4-addr:value = '198.51.100.7']", "[ipv4-addr:value = '100.128.0.0/9']",
		"[ipv4-addr:value = '203.0.113.255/32']", "[ipv4-addr:value = '203.0.113.128/25']")
	text := "192.0.2.16 192.0.2.31 192.0.2.15 192.0.2.32 192.0.3.20 198.51.100.7 198.51.100.8\n" +
		"100.127.255.255 100.128.0.0 100.255.255.255 101.0.0.0 203.0.113.255 203.0.113.254 203.0.113.127"
	got := scan(t, x, text, Options{Now: t0})
	want := []string{"1:0:0:192.0.2.16", "1:11:0:192.0.2.31", "1:55:1:198.51.100.7",
		"2:16:2:100.128.0.0", "2:28:2:100.255.255.255", "2:54:3:203.0.113.255", "2:68:4:203.0.113.254"}
	if !slices.Equal(got, want) {
		t.Errorf("hits\n got  %q\n want %q", got, want)
	}
}

// TestAndBindsTighterThanOr checks STIX precedence: a OR b AND c is
// a OR (b AND c).
func TestAndBindsTighterThanOr(t *testing.T) {
	x := indexOf(t, "[domain-name:value = 'a.example' OR domain-name:value = 'b.example' AND ipv4-addr:value = '1.2.3.4']")
	got := scan(t, x, "a.example\nb.example\nb.example 1.2.3.4\n1.2.3.4\n", Options{Now: t0})
	if want := []string{"1:0:0:a.example", "3:0:0:b.example"}; !slices.Equal(got, want) {
		t.Errorf("hits %q, want %q", got, want)
	}
}
