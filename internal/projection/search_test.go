package projection

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/phalanx-ledger/phalanx/internal/errs"
)

const sha256Hex = "AABBCCDDEEFF00112233445566778899AABBCCDDEEFF00112233445566778899"

// sampleLedger is the data set of the search tests:
//
//	0 indicator 1 v1  cert-a  labels malicious-activity, emotet   (superseded by 5)
//	1 malware 2       cert-b  labels trojan
//	2 indicator 3     cert-b  labels phishing, malicious-activity
//	3 indicator 4     isac-c  labels malicious-activity, emotet   (file hash)
//	4 ipv4-addr 5     cert-a  (no version)
//	5 indicator 1 v2  cert-a  labels malicious-activity, emotet
//	6 url 6           isac-c  (no version)
func sampleLedger() *ledger {
	var l ledger
	l.add("cert-a", indicator(1, "2026-01-01T00:00:00Z", "Emotet C2 server",
		"[ipv4-addr:value = '198.51.100.7']", "malicious-activity", "emotet"))
	mal := obj{
		"type": "malware", "spec_version": "2.1", "id": stixID("malware", 2),
		"created": "2026-01-02T00:00:00Z", "modified": "2026-01-02T00:00:00Z",
		"name": "Emotet", "description": "Banking trojan turned loader", "is_family": true, "labels": []string{"trojan"},
	}
	l.add("cert-b", mal)
	l.add("cert-b", indicator(3, "2026-01-03T00:00:00Z", "Phishing domain",
		"[domain-name:value = 'login-example.test']", "phishing", "malicious-activity"))
	l.add("isac-c", indicator(4, "2026-01-04T00:00:00Z", "Dropper hash",
		"[file:hashes.'SHA-256' = '"+sha256Hex+"']", "malicious-activity", "emotet"))
	l.add("cert-a", sco("ipv4-addr", 5, "203.0.113.9"))
	l.add("cert-a", indicator(1, "2026-01-05T00:00:00Z", "Emotet C2 server (updated)",
		"[ipv4-addr:value = '198.51.100.7'] OR [ipv4-addr:value = '198.51.100.77']", "malicious-activity", "emotet"))
	l.add("isac-c", sco("url", 6, "http://evil.test/Path?q=1"))
	return &l
}

func day(d int) time.Time { return time.Date(2026, 1, d, 0, 0, 0, 0, time.UTC) }

func TestSearchFilters(t *testing.T) {
	s, _ := openTest(t)
	mustApply(t, s, sampleLedger().recs...)
	for _, tc := range []struct {
		name string
		q    Query
		want []uint64
	}{
		{"latest", Query{}, []uint64{6, 5, 4, 3, 2, 1}},
		{"all versions", Query{AllVersions: true}, []uint64{6, 5, 4, 3, 2, 1, 0}},
		{"type", Query{Types: []string{"indicator"}}, []uint64{5, 3, 2}},
		{"types OR", Query{Types: []string{"indicator", "malware"}}, []uint64{5, 3, 2, 1}},
		{"unknown type", Query{Types: []string{"tool"}}, nil},
		{"label", Query{Labels: []string{"emotet"}}, []uint64{5, 3}},
		{"labels AND", Query{Labels: []string{"emotet", "malicious-activity"}}, []uint64{5, 3}},
		{"labels AND none", Query{Labels: []string{"phishing", "emotet"}}, nil},
		{"label all versions", Query{Labels: []string{"malicious-activity"}, AllVersions: true}, []uint64{5, 3, 2, 0}},
		{"author", Query{Authors: []string{"cert-b"}}, []uint64{2, 1}},
		{"authors OR", Query{Authors: []string{"cert-a", "isac-c"}}, []uint64{6, 5, 4, 3}},
		{"since", Query{Since: day(3)}, []uint64{5, 3, 2}},
		{"until", Query{Until: day(3)}, []uint64{1}},
		{"until all versions", Query{Until: day(3), AllVersions: true}, []uint64{1, 0}},
		{"since until", Query{Since: day(2), Until: day(4)}, []uint64{2, 1}},
		{"since non-UTC", Query{Since: day(3).In(time.FixedZone("x", 3600))}, []uint64{5, 3, 2}},
		{"added after", Query{AddedAfter: t0.Add(3 * time.Second)}, []uint64{6, 5, 4}},
		{"added after far future", Query{AddedAfter: time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC)}, nil},
		{"added after far past", Query{AddedAfter: time.Date(1, 1, 2, 0, 0, 0, 0, time.UTC)}, []uint64{6, 5, 4, 3, 2, 1}},
		{"combination", Query{Types: []string{"indicator"}, Authors: []string{"cert-a", "cert-b"}, Labels: []string{"malicious-activity"}, Since: day(2)}, []uint64{5, 2}},
		{"combination all versions", Query{Types: []string{"indicator"}, Authors: []string{"cert-a"}, Labels: []string{"emotet"}, AllVersions: true}, []uint64{5, 0}},
		{"text and type", Query{Text: "emotet", Types: []string{"malware"}}, []uint64{1}},
		{"text and added", Query{Text: "emotet", AddedAfter: t0.Add(2 * time.Second)}, []uint64{5}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			wantIndexes(t, mustSearch(t, s, tc.q).Items, tc.want...)
		})
	}
}

func TestSearchText(t *testing.T) {
	s, _ := openTest(t)
	mustApply(t, s, sampleLedger().recs...)
	for _, tc := range []struct {
		text string
		all  bool
		want []uint64
	}{
		{"emotet", false, []uint64{5, 1}},                 // name
		{"EMOTET", false, []uint64{5, 1}},                 // case-insensitive
		{"banking trojan", false, []uint64{1}},            // description, all terms
		{"trojan phishing", false, nil},                   // terms are AND-ed
		{"loader", false, []uint64{1}},                    // description
		{"dropper", false, []uint64{3}},                   // name
		{"198.51.100.7", false, []uint64{5}},              // IP in a pattern
		{"198.51.100.7", true, []uint64{5, 0}},            // and in older versions
		{"198.51.100.77", false, []uint64{5}},             // second comparison
		{"login-example.test", false, []uint64{2}},        // domain
		{sha256Hex, false, []uint64{3}},                   // hash, upper case
		{strings.ToLower(sha256Hex), false, []uint64{3}},  // hash, lower case
		{"203.0.113.9", false, []uint64{4}},               // SCO value
		{"http://evil.test/Path?q=1", false, []uint64{6}}, // URL
		{"evil.test", false, []uint64{6}},                 // part of a URL
		{"  emotet\t server  ", false, []uint64{5}},       // whitespace
		{"ipv4-addr:value", false, []uint64{5}},           // pattern text
		{"emotet «", false, []uint64{5, 1}},               // a term of punctuation only is dropped
		{"192.0.2.250", false, nil},                       // absent
		{"emot", false, nil},                              // no prefix matching
	} {
		t.Run(tc.text, func(t *testing.T) {
			wantIndexes(t, mustSearch(t, s, Query{Text: tc.text, AllVersions: tc.all}).Items, tc.want...)
		})
	}
}

func TestSearchInjection(t *testing.T) {
	ctx := context.Background()
	s, _ := openTest(t)
	mustApply(t, s, sampleLedger().recs...)
	for _, text := range []string{
		`"`, `""`, `"emotet`, `emotet"`, `*`, `emotet*`, `OR`, `emotet OR phishing`, `AND`, `NOT emotet`,
		`NEAR(`, `NEAR(emotet phishing)`, `'; DROP TABLE versions; --`, `' OR 1=1 --`, `name:emotet`,
		`{name description}: emotet`, `^emotet`, `-emotet`, `(`, `)`, `+`, `\`, `%`, `_`, `:`,
		`emotet" OR "phishing`, `'`, `''`, "\u00e9motet", `a"b"c`, `---`, `..`, "\x01emotet\x7f",
	} {
		t.Run(text, func(t *testing.T) {
			if _, err := s.Search(ctx, Query{Text: text}); err != nil {
				t.Fatalf("error %v", err)
			}
		})
	}
	// Text SQLite cannot carry is a clean client error.
	for _, text := range []string{"\x00", "emotet\x00", "emotet\xff"} {
		_, err := s.Search(ctx, Query{Text: text})
		wantCode(t, err, errs.Invalid)
		if m := errs.MessageOf(err); strings.Contains(strings.ToLower(m), "sql") {
			t.Fatalf("message leaks SQL: %q", m)
		}
	}
	// The quoted user text stays plain words: "emotet" still finds Emotet,
	// and OR is a word, not an operator.
	wantIndexes(t, mustSearch(t, s, Query{Text: `"emotet"`}).Items, 5, 1)
	wantIndexes(t, mustSearch(t, s, Query{Text: `emotet OR phishing`}).Items)
	wantIndexes(t, mustSearch(t, s, Query{Text: "\u00e9motet"}).Items, 5, 1) // diacritics folded
	wantIndexes(t, mustSearch(t, s, Query{}).Items, 6, 5, 4, 3, 2, 1)        // nothing dropped
}

func TestSearchFilterLimits(t *testing.T) {
	ctx := context.Background()
	s, _ := openTest(t)
	many := make([]string, maxFilter+1)
	for _, q := range []Query{
		{Limit: -1},
		{Types: many}, {Labels: many}, {Authors: many},
		{Text: strings.Repeat("a", maxText+1)},
	} {
		_, err := s.Search(ctx, q)
		wantCode(t, err, errs.Invalid)
	}
}

func TestSearchLimit(t *testing.T) {
	s, _ := openTest(t)
	var l ledger
	for i := range MaxLimit + 5 {
		l.add("a", sco("ipv4-addr", i, "10.0.0.1"))
	}
	mustApply(t, s, l.recs...)
	p := mustSearch(t, s, Query{Limit: 5000})
	if len(p.Items) != MaxLimit || p.NextCursor == "" {
		t.Fatalf("Limit 5000: %d items, cursor %q; want %d and a cursor", len(p.Items), p.NextCursor, MaxLimit)
	}
	p = mustSearch(t, s, Query{})
	if len(p.Items) != DefaultLimit {
		t.Fatalf("default limit: %d items, want %d", len(p.Items), DefaultLimit)
	}
	p = mustSearch(t, s, Query{Text: "10.0.0.1", Limit: 3})
	wantIndexes(t, p.Items, MaxLimit+4, MaxLimit+3, MaxLimit+2)
}

func TestPaginationWhileAdding(t *testing.T) {
	s, _ := openTest(t)
	var l ledger
	for i := range 25 {
		l.add("a", sco("domain-name", i, "example.test"))
	}
	mustApply(t, s, l.recs...)

	q := Query{Limit: 10, Types: []string{"domain-name"}}
	seen := map[uint64]bool{}
	var pages int
	for {
		p := mustSearch(t, s, q)
		pages++
		for _, v := range p.Items {
			if seen[v.Index] {
				t.Fatalf("index %d returned twice", v.Index)
			}
			seen[v.Index] = true
		}
		if pages == 1 {
			// New records arrive between pages; they must not shift pages.
			for i := range 7 {
				l.add("b", sco("domain-name", 100+i, "example.test"))
			}
			mustApply(t, s, l.recs[25:]...)
		}
		if p.NextCursor == "" {
			break
		}
		q.Cursor = p.NextCursor
	}
	if pages != 3 || len(seen) != 25 {
		t.Fatalf("%d pages, %d records; want 3 pages of the 25 records there at the start", pages, len(seen))
	}
	for i := range uint64(25) {
		if !seen[i] {
			t.Fatalf("index %d missed", i)
		}
	}
	// The newcomers are on a fresh first page.
	wantIndexes(t, mustSearch(t, s, Query{Limit: 7}).Items, 31, 30, 29, 28, 27, 26, 25)
}

func TestPaginationExactPages(t *testing.T) {
	s, _ := openTest(t)
	var l ledger
	for i := range 20 {
		l.add("a", sco("domain-name", i, "example.test"))
	}
	mustApply(t, s, l.recs...)
	p1 := mustSearch(t, s, Query{Limit: 10, Text: "example.test"})
	if p1.NextCursor == "" {
		t.Fatal("no cursor after first page")
	}
	p2 := mustSearch(t, s, Query{Limit: 10, Text: "example.test", Cursor: p1.NextCursor})
	wantIndexes(t, p2.Items, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0)
	if p2.NextCursor != "" {
		t.Fatalf("cursor %q on the last page", p2.NextCursor)
	}
}

func TestBadCursor(t *testing.T) {
	ctx := context.Background()
	s, _ := openTest(t)
	good := encodeCursor(42)
	if idx, err := decodeCursor(good); err != nil || idx != 42 {
		t.Fatalf("decodeCursor(encodeCursor(42)) = %d, %v", idx, err)
	}
	tampered := []byte(good)
	tampered[3] ^= 1
	for _, c := range []string{"x", "!!!", "42", good + "A", good[:len(good)-1], string(tampered), "AQAAAAAAAAAqAAAAAA"} {
		_, err := s.Search(ctx, Query{Cursor: c})
		wantCode(t, err, errs.Invalid)
		if !strings.Contains(errs.MessageOf(err), "invalid cursor") {
			t.Errorf("cursor %q: message %q", c, errs.MessageOf(err))
		}
	}
}
