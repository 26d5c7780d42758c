package web

import (
	"bytes"
	"context"
	"fmt"
	"mime/multipart"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/phalanx-ledger/phalanx/internal/errs"
	"github.com/phalanx-ledger/phalanx/internal/sample"
)

func indicatorJSON(i int, labels string) string {
	return fmt.Sprintf(`{"type":"indicator","spec_version":"2.1","id":"indicator--%08x-3333-4333-8333-333333333333","created":"2026-01-01T00:00:00.000Z",`+
		`"modified":"2026-01-01T00:00:00.000Z","name":"ind %d","pattern":"[ipv4-addr:value = '192.0.2.%d']","pattern_type":"stix",`+
		`"valid_from":"2026-01-01T00:00:00Z","labels":[%s]}`, i, i, i, labels)
}

func TestBundleUploadShowsCommitProgress(t *testing.T) {
	u := newTestUI(t, nil)
	b := u.browser()
	b.login(adminSecret)
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	mw.WriteField("csrf", b.csrf("/publish"))
	fw, _ := mw.CreateFormFile("bundle", "bundle.json")
	fmt.Fprintf(fw, `{"type":"bundle","id":"bundle--6a9e2a4b-8f6b-4d1e-9b57-6f5a4e0c1d2f","objects":[%s,%s]}`, indicatorJSON(1, ""), indicatorJSON(2, ""))
	mw.Close()
	req, _ := http.NewRequest(http.MethodPost, b.url+"/publish/bundle", &body)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("Origin", b.url)
	res, err := b.c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	loc := res.Header.Get("Location")
	if res.StatusCode != http.StatusSeeOther || !strings.HasPrefix(loc, "/publish/status?tx=") || strings.Count(loc, "tx=") != 2 {
		t.Fatalf("upload: %d → %s", res.StatusCode, loc)
	}
	st, page := b.get(loc)
	if st != http.StatusOK || !strings.Contains(page, `<progress id="commit-progress" max="2" value="2">`) ||
		!strings.Contains(page, "2 of 2 transactions committed") || strings.Contains(page, `http-equiv="refresh"`) {
		t.Fatalf("status page: %d %s", st, page)
	}
	// Each committed transaction links to its page, which lists its records.
	i := strings.Index(page, `href="/ledger/txs/`)
	if i < 0 {
		t.Fatal("status page links no transaction")
	}
	txPath := page[i+len(`href="`):]
	txPath = txPath[:strings.Index(txPath, `"`)]
	if st, txPage := b.get(txPath); st != http.StatusOK || !strings.Contains(txPage, "accepted") ||
		!strings.Contains(txPage, `href="/intel/indicator--0000000`) {
		t.Fatalf("tx page %s: %d %s", txPath, st, txPage)
	}
	if st, _ := b.get("/ledger/txs/nothex"); st != http.StatusNotFound && st != http.StatusBadRequest {
		t.Fatalf("tx page of a bad hash: %d", st)
	}
	// A transaction not committed yet keeps the page refreshing.
	st, page = b.get("/publish/status?tx=" + strings.Repeat("AB", 32))
	if st != http.StatusOK || !strings.Contains(page, `value="0"`) || !strings.Contains(page, `http-equiv="refresh"`) {
		t.Fatalf("pending status page: %d %s", st, page)
	}
	// Not a bundle: the form comes back with the reason.
	var bad bytes.Buffer
	mw = multipart.NewWriter(&bad)
	mw.WriteField("csrf", b.csrf("/publish"))
	fw, _ = mw.CreateFormFile("bundle", "x.json")
	fw.Write([]byte("not json"))
	mw.Close()
	req, _ = http.NewRequest(http.MethodPost, b.url+"/publish/bundle", &bad)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	res, err = b.c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if page := readBody(t, res); res.StatusCode != http.StatusBadRequest || !strings.Contains(page, `role="alert"`) {
		t.Fatalf("bad bundle: %d %s", res.StatusCode, page)
	}
}

func TestSearchFiltersAndPages(t *testing.T) {
	u := newTestUI(t, nil)
	var objs []string
	for i := 1; i <= 60; i++ {
		l := `"odd"`
		if i%2 == 0 {
			l = `"even"`
		}
		objs = append(objs, indicatorJSON(i, l))
	}
	if _, err := u.backend.Publish(t.Context(), []byte(`{"type":"bundle","id":"bundle--6a9e2a4b-8f6b-4d1e-9b57-6f5a4e0c1d2f","objects":[`+strings.Join(objs, ",")+`]}`)); err != nil {
		t.Fatal(err)
	}
	b := u.browser()
	b.login(readerSecret)
	_, page := b.get("/intel?label=even&type=indicator")
	if n := strings.Count(page, `<a href="/intel/indicator--`); n != 30 || strings.Contains(page, `rel="next"`) {
		t.Fatalf("label filter: %d results", n)
	}
	_, page = b.get("/intel?type=indicator")
	if n := strings.Count(page, `<a href="/intel/indicator--`); n != 50 || !strings.Contains(page, `rel="next"`) {
		t.Fatalf("first page: %d results", n)
	}
	next := page[strings.Index(page, `<a rel="next" href="`)+len(`<a rel="next" href="`):]
	next = strings.ReplaceAll(next[:strings.Index(next, `"`)], "&amp;", "&")
	if _, page = b.get(next); strings.Count(page, `<a href="/intel/indicator--`) != 10 {
		t.Fatalf("second page %s", next)
	}
	if _, page = b.get("/intel?marking=green"); !strings.Contains(page, "50 results of this page had another marking") ||
		!strings.Contains(page, "No matching intel") {
		t.Fatalf("marking filter: %s", page)
	}
	if st, _ := b.get("/intel?marking=purple"); st != http.StatusBadRequest {
		t.Fatalf("unknown marking: %d", st)
	}
}

type fakeChain struct{}

func (fakeChain) Blocks(_ context.Context, to int64, n int) ([]Block, int64, error) {
	if to == 0 {
		to = 45
	}
	var out []Block
	for h := to; h > to-int64(n) && h >= 1; h-- {
		out = append(out, Block{Height: h, Hash: fmt.Sprintf("%064X", h), Time: time.Unix(h, 0)})
	}
	return out, 45, nil
}

func (fakeChain) Block(_ context.Context, h int64) (Block, []Tx, error) {
	if h > 45 {
		return Block{}, nil, errs.Errorf(errs.NotFound, "no block at height %d", h)
	}
	return Block{Height: h}, []Tx{{Hash: "AA", Type: "vote", Author: "member2", Summary: "vote yes on proposal 3"}}, nil
}

type fakeAlerts struct{}

func (fakeAlerts) RecentAlerts(context.Context, int) ([]Alert, error) {
	return []Alert{{Time: time.Unix(2, 0), Object: "indicator--x", Summary: "hit on an indicator not on the ledger"},
		{Time: time.Unix(1, 0), Object: "indicator--00000001-3333-4333-8333-333333333333", Summary: "proxy log hit on 192.0.2.1"}}, nil
}

// TestCapabilities: the optional seams show their part of the pages when
// present (the explorer's paging, alerts, proof links) and hide it when not.
func TestCapabilities(t *testing.T) {
	u := newTestUI(t, func(c *Config) { c.Chain, c.Alerts, c.Proofs = fakeChain{}, fakeAlerts{}, NewFakeProofs(t) })
	if _, err := u.backend.Publish(t.Context(), []byte(indicatorJSON(1, ""))); err != nil {
		t.Fatal(err)
	}
	b := u.browser()
	b.login(readerSecret)
	_, page := b.get("/ledger")
	if !strings.Contains(page, `href="/ledger/blocks/45"`) || !strings.Contains(page, `href="/ledger/blocks/26"`) ||
		strings.Contains(page, `href="/ledger/blocks/25"`) || !strings.Contains(page, `href="/ledger?to=25"`) {
		t.Fatalf("ledger page: %s", page)
	}
	if _, page = b.get("/ledger?to=25"); !strings.Contains(page, `href="/ledger?to=45"`) || !strings.Contains(page, `href="/ledger?to=5"`) {
		t.Fatalf("older blocks page: %s", page)
	}
	if _, page = b.get("/ledger/blocks/3"); !strings.Contains(page, "vote yes on proposal 3") || !strings.Contains(page, "member2") {
		t.Fatalf("block page: %s", page)
	}
	for path, want := range map[string]int{"/ledger/blocks/46": 404, "/ledger/blocks/0": 400, "/ledger?to=-1": 400} {
		if st, _ := b.get(path); st != want {
			t.Errorf("GET %s: %d, want %d", path, st, want)
		}
	}
	if _, page = b.get("/"); !strings.Contains(page, "proxy log hit on 192.0.2.1") || strings.Contains(page, "not on the ledger") {
		t.Fatal("dashboard lacks the alert, or shows one on an indicator the reader cannot read")
	}
	if _, page = b.get("/intel/indicator--00000001-3333-4333-8333-333333333333"); !strings.Contains(page,
		`href="/intel/indicator--00000001-3333-4333-8333-333333333333/proof"`) {
		t.Fatal("object page lacks the proof link")
	}
	plain := newTestUI(t, nil)
	plain.backend.Publish(t.Context(), []byte(indicatorJSON(1, "")))
	pb := plain.browser()
	pb.login(readerSecret)
	if _, page = pb.get("/intel/indicator--00000001-3333-4333-8333-333333333333"); strings.Contains(page, "/proof\"") ||
		!strings.Contains(page, "not available on this node") {
		t.Fatal("a node without proofs links to one")
	}
}

func TestCreatedTokenSecretShownOnce(t *testing.T) {
	u := newTestUI(t, nil)
	b := u.browser()
	b.login(adminSecret)
	res := b.post("/settings/tokens", url.Values{"csrf": {b.csrf("/settings")}, "name": {"siem"}, "role": {"machine"}})
	page := readBody(t, res)
	if res.StatusCode != http.StatusOK || !strings.Contains(page, "shown only once") || res.Header.Get("Cache-Control") != "no-store" {
		t.Fatalf("create: %d %s", res.StatusCode, page)
	}
	if _, again := b.get("/settings"); strings.Contains(again, "shown only once") || !strings.Contains(again, "siem") {
		t.Fatal("the settings page shows a secret again, or lacks the new token")
	}
	if res := b.post("/settings/tokens", url.Values{"csrf": {b.csrf("/settings")}, "name": {"x"}, "role": {"root"}}); res.StatusCode != http.StatusBadRequest {
		t.Fatalf("unknown role: %d", res.StatusCode)
	}
}

// TestRelationshipGraph: GrayLoader's page draws its neighbourhood in the
// sample bundle: six indicators that indicate it, the actor that uses it
// and the report that covers it, each a link, also listed as text.
func TestRelationshipGraph(t *testing.T) {
	u := newTestUI(t, nil)
	if _, err := u.backend.Publish(t.Context(), sample.Bundle); err != nil {
		t.Fatal(err)
	}
	b := u.browser()
	b.login(readerSecret)
	st, page := b.get("/intel/malware--9531985d-5d9d-49f8-9818-e811892f902b")
	if st != http.StatusOK {
		t.Fatalf("malware page: %d", st)
	}
	if n := strings.Count(page, `<circle class="node"`); n != 8 {
		t.Fatalf("%d neighbours drawn, want 8", n)
	}
	for _, want := range []string{`← <em>indicates</em> <a href="/intel/indicator--90c192cf-d3ac-44af-8f21-ddb66cad4a`,
		`>GrayLoader C2 server</a>`, `← <em>uses</em> <a href="/intel/threat-actor--d23f0824-128b-4f33-8c5c-7fd0a6a`,
		`← <em>object_refs</em> <a href="/intel/report--c7a2ea20-b2f1-4c94-ae05-319acb5c7427"`, `role="img"`} {
		if !strings.Contains(page, want) {
			t.Errorf("graph lacks %s", want)
		}
	}
	// From the actor's side: an outgoing "uses" to the malware and the
	// campaign attributed to it.
	_, page = b.get("/intel/threat-actor--d23f0824-128b-4f33-8c5c-7fd0a6a3a450")
	if !strings.Contains(page, `→ <em>uses</em> <a href="/intel/malware--9531985d-5d9d-49f8-9818-e811892f902b">GrayLoader</a>`) ||
		!strings.Contains(page, `← <em>attributed-to</em>`) {
		t.Fatalf("actor's graph: %s", page[strings.Index(page, "Relationships"):])
	}
}

// TestHostileContentIsEscaped: STIX text from other members is data, never
// markup, in tables, properties and the SVG graph alike.
func TestHostileContentIsEscaped(t *testing.T) {
	u := newTestUI(t, nil)
	evil := `<script>alert(1)</script><img src=x onerror=alert(2)>`
	obj := fmt.Sprintf(`{"type":"malware","spec_version":"2.1","id":"malware--aaaaaaaa-0000-4000-8000-00000000000e","created":"2026-01-01T00:00:00.000Z",`+
		`"modified":"2026-01-01T00:00:00.000Z","name":%q,"is_family":true,"description":%q}`, evil, evil)
	rel := `{"type":"relationship","spec_version":"2.1","id":"relationship--aaaaaaaa-0000-4000-8000-00000000000f","created":"2026-01-01T00:00:00.000Z",` +
		`"modified":"2026-01-01T00:00:00.000Z","relationship_type":"uses","source_ref":"malware--aaaaaaaa-0000-4000-8000-00000000000e",` +
		`"target_ref":"malware--aaaaaaaa-0000-4000-8000-00000000000e"}`
	if _, err := u.backend.Publish(t.Context(), []byte(`{"type":"bundle","id":"bundle--aaaaaaaa-0000-4000-8000-000000000010","objects":[`+obj+`,`+rel+`]}`)); err != nil {
		t.Fatal(err)
	}
	b := u.browser()
	b.login(readerSecret)
	for _, p := range []string{"/", "/intel", "/intel/malware--aaaaaaaa-0000-4000-8000-00000000000e",
		"/intel/relationship--aaaaaaaa-0000-4000-8000-00000000000f"} {
		st, page := b.get(p)
		if st != http.StatusOK || strings.Contains(page, "<script>alert") || strings.Contains(page, "<img src=x") {
			t.Fatalf("%s: %d, hostile markup unescaped", p, st)
		}
		if !strings.Contains(page, "&lt;script&gt;alert(1)") {
			t.Fatalf("%s lacks the escaped name", p)
		}
	}
}
