package web

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/phalanx-ledger/phalanx/internal/api"
	"github.com/phalanx-ledger/phalanx/internal/api/apitest"
	"github.com/phalanx-ledger/phalanx/internal/ledger"
	"github.com/phalanx-ledger/phalanx/internal/projection"
)

func TestSignInSetsASecureSessionCookie(t *testing.T) {
	for _, secure := range []bool{false, true} {
		t.Run(fmt.Sprint("secure=", secure), func(t *testing.T) {
			u := newTestUI(t, func(c *Config) { c.Secure = secure })
			b := u.browser()
			res := b.post("/login", url.Values{"csrf": {b.csrf("/login")}, "token": {adminSecret}, "next": {"/intel"}})
			if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/intel" {
				t.Fatalf("login: %d → %s", res.StatusCode, res.Header.Get("Location"))
			}
			var c *http.Cookie
			for _, x := range res.Cookies() {
				if strings.HasSuffix(x.Name, "phalanx_session") {
					c = x
				}
			}
			if c == nil {
				t.Fatal("no session cookie")
			}
			wantName := map[bool]string{false: "phalanx_session", true: "__Host-phalanx_session"}[secure]
			if c.Name != wantName || !c.HttpOnly || c.SameSite != http.SameSiteLaxMode || c.Path != "/" ||
				c.Secure != secure || len(c.Value) != 43 || c.Expires.IsZero() {
				t.Fatalf("cookie %+v", c)
			}
		})
	}
}

func TestSignInRefusals(t *testing.T) {
	u := newTestUI(t, nil)
	b := u.browser()
	res := b.post("/login", url.Values{"csrf": {b.csrf("/login")}, "token": {"phx_wrong"}})
	if body := readBody(t, res); res.StatusCode != http.StatusUnauthorized || !strings.Contains(body, "not valid on this node") {
		t.Fatalf("wrong token: %d %s", res.StatusCode, body)
	}
	b2 := u.browser()
	res = b2.post("/login", url.Values{"token": {adminSecret}})
	if res.StatusCode != http.StatusForbidden {
		t.Fatalf("sign-in without CSRF token: %d", res.StatusCode)
	}
	b.csrf("/login")
	res = b.post("/login", url.Values{"csrf": {"forged"}, "token": {adminSecret}})
	if res.StatusCode != http.StatusForbidden {
		t.Fatalf("sign-in with a wrong CSRF token: %d", res.StatusCode)
	}
	// The next page after signing in stays on this site.
	for next, want := range map[string]string{"//evil.example/": "/", "https://evil.example/": "/", "/\\evil": "/", "/community": "/community"} {
		if got := safeNext(next); got != want {
			t.Errorf("safeNext(%q) = %q, want %q", next, got, want)
		}
	}
}

func TestPagesNeedASession(t *testing.T) {
	u := newTestUI(t, nil)
	b := u.browser()
	for _, path := range []string{"/", "/intel", "/intel/indicator--x", "/publish", "/community", "/ledger", "/settings"} {
		res, err := b.c.Get(b.url + path)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if loc := res.Header.Get("Location"); res.StatusCode != http.StatusSeeOther || loc != "/login?next="+url.QueryEscape(path) {
			t.Fatalf("GET %s without a session: %d → %s", path, res.StatusCode, loc)
		}
	}
	res := b.post("/publish/indicator", url.Values{"kind": {"ipv4"}, "value": {"192.0.2.1"}, "marking": {"green"}})
	if res.StatusCode != http.StatusUnauthorized {
		t.Fatalf("POST without a session: %d", res.StatusCode)
	}
	if len(u.published()) != 0 {
		t.Fatal("a POST without a session published")
	}
}

func TestCSRFProtection(t *testing.T) {
	u := newTestUI(t, nil)
	id := u.backend.PutProposal(api.ProposalView{Proposal: ledger.Proposal{Proposer: "member2", Status: ledger.ProposalOpen,
		Content: ledger.Propose{Kind: "update_params", Title: "t"}, End: 100}})
	b := u.browser()
	b.login(adminSecret)
	token := b.csrf("/community")
	wrong := token[:len(token)-1] + "A"
	if wrong == token {
		wrong = token[:len(token)-1] + "B"
	}
	path := fmt.Sprintf("/community/proposals/%d/vote", id)
	for name, form := range map[string]url.Values{
		"no token":    {"choice": {"yes"}},
		"wrong token": {"choice": {"yes"}, "csrf": {wrong}},
	} {
		if res := b.post(path, form); res.StatusCode != http.StatusForbidden {
			t.Fatalf("%s: %d", name, res.StatusCode)
		}
	}
	// The right token from another origin is refused too.
	req, _ := http.NewRequest(http.MethodPost, b.url+path, strings.NewReader(url.Values{"choice": {"yes"}, "csrf": {token}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", "http://evil.example")
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	res, err := b.c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusForbidden {
		t.Fatalf("cross-origin POST: %d", res.StatusCode)
	}
	if p, _ := u.backend.Proposal(t.Context(), id); len(p.Votes) != 0 {
		t.Fatalf("a refused POST voted: %v", p.Votes)
	}
	res = b.post(path, url.Values{"choice": {"yes"}, "csrf": {token}})
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("vote with the token: %d %s", res.StatusCode, readBody(t, res))
	}
	if p, _ := u.backend.Proposal(t.Context(), id); p.Votes[apitest.Author] != "yes" {
		t.Fatalf("votes %v", p.Votes)
	}
}

func TestRolesLimitPages(t *testing.T) {
	u := newTestUI(t, nil)
	b := u.browser()
	b.login(readerSecret)
	for _, path := range []string{"/publish", "/settings"} {
		if st, body := b.get(path); st != http.StatusForbidden || !strings.Contains(body, "reader") {
			t.Fatalf("reader GET %s: %d", path, st)
		}
	}
	if st, _ := b.get("/intel"); st != http.StatusOK {
		t.Fatalf("reader GET /intel: %d", st)
	}
	_, body := b.get("/")
	if strings.Contains(body, `href="/publish"`) || strings.Contains(body, `href="/settings"`) {
		t.Fatal("the reader's menu offers pages it may not use")
	}
}

func TestRevokingATokenEndsItsSessions(t *testing.T) {
	u := newTestUI(t, nil)
	reader, admin := u.browser(), u.browser()
	reader.login(readerSecret)
	admin.login(adminSecret)
	toks, _ := u.tokens.ListTokens(t.Context())
	var readerID string
	for _, tok := range toks {
		if tok.Role == "reader" {
			readerID = tok.ID
		}
	}
	res := admin.post("/settings/tokens/"+readerID+"/revoke", url.Values{"csrf": {admin.csrf("/settings")}})
	if res.StatusCode != http.StatusSeeOther {
		t.Fatalf("revoke: %d %s", res.StatusCode, readBody(t, res))
	}
	if st, _ := reader.get("/intel"); st != http.StatusSeeOther {
		t.Fatalf("session of a revoked token: %d", st)
	}
}

func TestSignOut(t *testing.T) {
	u := newTestUI(t, nil)
	b := u.browser()
	b.login(adminSecret)
	token := b.csrf("/")
	if res := b.post("/logout", url.Values{}); res.StatusCode != http.StatusForbidden {
		t.Fatalf("sign-out without CSRF token: %d", res.StatusCode)
	}
	res := b.post("/logout", url.Values{"csrf": {token}})
	if res.StatusCode != http.StatusSeeOther || res.Header.Get("Location") != "/login" {
		t.Fatalf("sign-out: %d", res.StatusCode)
	}
	if st, _ := b.get("/"); st != http.StatusSeeOther {
		t.Fatalf("after sign-out: %d", st)
	}
}

func TestPublishIndicatorForm(t *testing.T) {
	u := newTestUI(t, nil)
	b := u.browser()
	b.login(adminSecret)
	token := b.csrf("/publish")
	form := url.Values{"csrf": {token}, "kind": {"domain"}, "value": {"Evil.Example"}, "marking": {"green"},
		"labels": {"phishing, test"}, "description": {"seen in a campaign"}}
	res := b.post("/publish/indicator", form)
	loc := res.Header.Get("Location")
	if res.StatusCode != http.StatusSeeOther || !strings.HasPrefix(loc, "/intel/indicator--") {
		t.Fatalf("publish: %d → %s %s", res.StatusCode, loc, readBody(t, res))
	}
	pub := u.published()
	if len(pub) != 1 {
		t.Fatalf("published %d objects", len(pub))
	}
	var o map[string]any
	json.Unmarshal(pub[0], &o)
	if o["pattern"] != "[domain-name:value = 'evil.example']" || o["pattern_type"] != "stix" || o["name"] != "evil.example" ||
		fmt.Sprint(o["object_marking_refs"]) != "[marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb]" ||
		fmt.Sprint(o["labels"]) != "[phishing test]" {
		t.Fatalf("published %v", o)
	}
	st, body := b.get(strings.TrimSuffix(loc, "?published=1") + "?published=1")
	if st != http.StatusOK || !strings.Contains(body, "TLP:GREEN") || !strings.Contains(body, "seen in a campaign") ||
		!strings.Contains(body, "Published and committed") {
		t.Fatalf("object page: %d %s", st, body)
	}

	for name, f := range map[string]url.Values{
		"bad ip":        {"kind": {"ipv4"}, "value": {"300.1.1.1"}, "marking": {"green"}},
		"bad hash":      {"kind": {"sha256"}, "value": {"abc"}, "marking": {"green"}},
		"amber":         {"kind": {"ipv4"}, "value": {"192.0.2.1"}, "marking": {"amber"}},
		"no marking":    {"kind": {"ipv4"}, "value": {"192.0.2.1"}},
		"unknown kind":  {"kind": {"mutex"}, "value": {"x"}, "marking": {"green"}},
		"report no ref": {"name": {"r"}, "marking": {"green"}},
	} {
		f.Set("csrf", token)
		path := "/publish/indicator"
		if strings.HasPrefix(name, "report") {
			path = "/publish/report"
		}
		res := b.post(path, f)
		if body := readBody(t, res); res.StatusCode != http.StatusBadRequest || !strings.Contains(body, `role="alert"`) {
			t.Fatalf("%s: %d %s", name, res.StatusCode, body)
		}
	}
	if len(u.published()) != 1 {
		t.Fatal("a refused form published")
	}
}

func TestCheckValue(t *testing.T) {
	good := map[string][2]string{
		"ipv4": {"192.0.2.1", "192.0.2.1"}, "ipv6": {"2001:db8::1", "2001:db8::1"},
		"domain": {"Sub.Example.ORG", "sub.example.org"}, "url": {"https://x.example/a?b=c", "https://x.example/a?b=c"},
		"email": {"a.b@example.com", "a.b@example.com"}, "md5": {strings.Repeat("A", 32), strings.Repeat("a", 32)},
		"sha1": {strings.Repeat("0", 40), strings.Repeat("0", 40)}, "sha256": {strings.Repeat("f", 64), strings.Repeat("f", 64)},
	}
	for kind, c := range good {
		if got, err := checkValue(kind, c[0]); err != nil || got != c[1] {
			t.Errorf("checkValue(%s, %q) = %q, %v", kind, c[0], got, err)
		}
	}
	bad := map[string]string{"ipv4": "2001:db8::1", "ipv6": "192.0.2.1", "domain": "no_tld", "url": "javascript:alert(1)",
		"email": "Name <a@b.example>", "md5": strings.Repeat("g", 32), "sha1": "abc", "sha256": ""}
	for kind, v := range bad {
		if _, err := checkValue(kind, v); err == nil {
			t.Errorf("checkValue(%s, %q) accepted", kind, v)
		}
	}
	if p := pattern("url", `https://x.example/it's\`); p != `[url:value = 'https://x.example/it\'s\\']` {
		t.Errorf("pattern escaping: %s", p)
	}
}

func TestMarkingOf(t *testing.T) {
	for obj, want := range map[string]string{
		`{"object_marking_refs":["marking-definition--613f2e26-407d-48c7-9eca-b8e91df99dc9"]}`:                                                            "clear",
		`{"object_marking_refs":["marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb","marking-definition--939a9414-2ddd-4d32-a0cd-375ea402b003"]}`: "amber+strict",
		`{"object_marking_refs":["marking-definition--5e57c739-391a-4eb3-b6be-7d15ca92d5ed"]}`:                                                            "red",
		`{"object_marking_refs":["marking-definition--00000000-0000-4000-8000-000000000000"]}`:                                                            "",
		`{}`: "",
	} {
		if got := markingOf(json.RawMessage(obj)); got != want {
			t.Errorf("markingOf(%s) = %q, want %q", obj, got, want)
		}
	}
	if l := (TLP{Level: "amber+strict"}).Label(); l != "TLP:AMBER+STRICT" {
		t.Errorf("label %q", l)
	}
}

func TestSecurityHeadersAndErrors(t *testing.T) {
	u := newTestUI(t, nil)
	b := u.browser()
	b.login(adminSecret)
	res, err := b.c.Get(b.url + "/intel/indicator--00000000-0000-4000-8000-000000000000")
	if err != nil {
		t.Fatal(err)
	}
	body := readBody(t, res)
	res.Body.Close()
	if res.StatusCode != http.StatusNotFound || !strings.Contains(body, "no object") {
		t.Fatalf("unknown object: %d %s", res.StatusCode, body)
	}
	h := res.Header
	if !strings.Contains(h.Get("Content-Security-Policy"), "script-src 'self'") || h.Get("X-Frame-Options") != "DENY" ||
		h.Get("X-Content-Type-Options") != "nosniff" || h.Get("Cache-Control") != "no-store" {
		t.Fatalf("headers %v", h)
	}
	for path, want := range map[string]int{"/nowhere": 404, "/intel?since=yesterday": 400, "/ledger/blocks/x": 404,
		"/publish/status": 400} {
		if st, _ := b.get(path); st != want {
			t.Errorf("GET %s: %d, want %d", path, st, want)
		}
	}
	if st, _ := b.get("/ledger"); st != http.StatusNotFound {
		t.Errorf("ledger without a Chain: %d", st)
	}
}

// amberHidden is a Clearance that shows readers nothing above GREEN.
type amberHidden struct{}

func (amberHidden) Visible(v Viewer, rec projection.Version) bool {
	return v.Role == "admin" || tlpRank(markingOf(rec.Object)) <= tlpRank("green")
}

// TestClearanceSeam: every page that shows records asks the Clearance.
// (Clearance levels of users arrive with issue 4; this checks that the UI
// never bypasses the seam they will plug into.)
func TestClearanceSeam(t *testing.T) {
	u := newTestUI(t, func(c *Config) { c.Clearance = amberHidden{} })
	amber := `{"type":"indicator","spec_version":"2.1","id":"indicator--aaaaaaaa-0000-4000-8000-000000000001","created":"2026-01-01T00:00:00.000Z",` +
		`"modified":"2026-01-01T00:00:00.000Z","name":"amber-secret-name","pattern":"[ipv4-addr:value = '203.0.113.9']","pattern_type":"stix",` +
		`"valid_from":"2026-01-01T00:00:00Z","object_marking_refs":["marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421"]}`
	green := `{"type":"relationship","spec_version":"2.1","id":"relationship--aaaaaaaa-0000-4000-8000-000000000002","created":"2026-01-01T00:00:00.000Z",` +
		`"modified":"2026-01-01T00:00:00.000Z","relationship_type":"indicates","source_ref":"indicator--aaaaaaaa-0000-4000-8000-000000000001",` +
		`"target_ref":"malware--aaaaaaaa-0000-4000-8000-000000000003","object_marking_refs":["marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb"]}`
	if _, err := u.backend.Publish(t.Context(), []byte(`{"type":"bundle","id":"bundle--aaaaaaaa-0000-4000-8000-000000000009","objects":[`+amber+`,`+green+`]}`)); err != nil {
		t.Fatal(err)
	}
	reader, admin := u.browser(), u.browser()
	reader.login(readerSecret)
	admin.login(adminSecret)
	pages := []string{"/", "/intel", "/intel?q=203.0.113.9", "/intel?marking=amber", "/intel/relationship--aaaaaaaa-0000-4000-8000-000000000002"}
	for _, p := range pages {
		st, body := reader.get(p)
		if st != http.StatusOK || strings.Contains(body, "amber-secret-name") || strings.Contains(body, "203.0.113.9\"]") {
			t.Fatalf("reader %s: %d, shows the AMBER record: %v", p, st, strings.Contains(body, "amber-secret-name"))
		}
	}
	if st, body := reader.get("/intel/indicator--aaaaaaaa-0000-4000-8000-000000000001"); st != http.StatusNotFound || strings.Contains(body, "amber-secret-name") {
		t.Fatalf("reader opens the AMBER record: %d", st)
	}
	_, body := admin.get("/intel/relationship--aaaaaaaa-0000-4000-8000-000000000002")
	if !strings.Contains(body, "amber-secret-name") {
		t.Fatal("the admin's graph lacks the AMBER indicator: the test would prove nothing")
	}
	if _, body := admin.get("/intel?marking=amber"); !strings.Contains(body, "amber-secret-name") || !strings.Contains(body, "TLP:AMBER") {
		t.Fatal("the admin's marking search lacks the AMBER indicator")
	}
}
