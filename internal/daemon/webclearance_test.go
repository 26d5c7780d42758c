package daemon

import (
	"context"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/phalanx-ledger/phalanx/internal/auth"
	"github.com/phalanx-ledger/phalanx/internal/intake"
)

// TestWebUIHonoursClearance: a reader cleared for GREEN never sees an
// AMBER record anywhere in the UI (dashboard feed, search, object page,
// ledger explorer's transaction page), while an admin of the same node
// does; both see a GREEN record.
func TestWebUIHonoursClearance(t *testing.T) {
	n := startNode(t, initDir(t))
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	const amberID = "indicator--0a0b0c0d-0000-4000-8000-00000000a4be"
	const greenID = "indicator--0a0b0c0d-0000-4000-8000-0000000064ee"
	obj := func(id, name, marking string) string {
		return `{"type":"indicator","spec_version":"2.1","id":"` + id + `","created":"2026-01-01T00:00:00.000Z","modified":"2026-01-01T00:00:00.000Z","name":"` + name +
			`","pattern":"[ipv4-addr:value = '203.0.113.77']","pattern_type":"stix","valid_from":"2026-01-01T00:00:00Z","object_marking_refs":["` + marking + `"]}`
	}
	bundle := func(o string) []byte {
		return []byte(`{"type":"bundle","id":"bundle--0a0b0c0d-0000-4000-8000-000000000001","objects":[` + o + `]}`)
	}
	res, err := n.cli.PublishTo(ctx, bundle(obj(amberID, "amber-canary-7f3a", "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421")),
		intake.Address{To: []string{"cert-a"}}, true)
	if err != nil || len(res.Transactions) != 1 || !res.Transactions[0].Committed() {
		t.Fatalf("publish AMBER: %+v %v", res, err)
	}
	amberTx := res.Transactions[0].TxHash
	n.publish(string(bundle(obj(greenID, "green-plain-7f3a", "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb"))))
	secret, _, _, err := n.d.tokens.AddUser(ctx, auth.User{Name: "reader1", Role: auth.RoleReader, Clearance: "GREEN"})
	if err != nil {
		t.Fatal(err)
	}
	pages := []string{"/", "/intel?q=7f3a", "/intel?q=" + url.QueryEscape("203.0.113.77"), "/intel/" + amberID, "/ledger/txs/" + amberTx}
	for _, tc := range []struct {
		who, token string
		seesAmber  bool
	}{{"reader cleared for GREEN", secret, false}, {"admin", n.token, true}} {
		c := webSession(t, n.d.URL(), tc.token)
		var all strings.Builder
		for _, p := range pages {
			res, err := c.Get(n.d.URL() + p)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(res.Body)
			res.Body.Close()
			all.Write(b)
			if res.StatusCode >= 500 {
				t.Fatalf("%s: %s answered %d", tc.who, p, res.StatusCode)
			}
		}
		if got := strings.Contains(all.String(), "amber-canary-7f3a"); got != tc.seesAmber {
			t.Errorf("%s sees the AMBER record: %v, want %v", tc.who, got, tc.seesAmber)
		}
		if !strings.Contains(all.String(), "green-plain-7f3a") {
			t.Errorf("%s does not see the GREEN record", tc.who)
		}
	}
}

// webSession signs in to the node's UI with token and returns a client
// that carries the session cookie.
func webSession(t *testing.T, base, token string) *http.Client {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	if res := webSignIn(t, c, base, token); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("sign-in: %d", res.StatusCode)
	}
	return c
}

// webSignIn posts the UI's sign-in form (with its CSRF token) through c and
// returns the answer, body closed.
func webSignIn(t *testing.T, c *http.Client, base, token string) *http.Response {
	t.Helper()
	res, err := c.Get(base + "/login")
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	m := regexp.MustCompile(`name="csrf" value="([^"]+)"`).FindSubmatch(b)
	if m == nil {
		t.Fatalf("sign-in page: %s", b)
	}
	req, _ := http.NewRequest(http.MethodPost, base+"/login", strings.NewReader(url.Values{"csrf": {string(m[1])}, "token": {token}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", base)
	if res, err = c.Do(req); err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	return res
}
