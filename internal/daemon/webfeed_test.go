package daemon

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/phalanx-ledger/phalanx/internal/auth"
	"github.com/phalanx-ledger/phalanx/internal/intake"
)

// TestWebUIFeedAndSubscriptions: a GREEN-cleared reader subscribes from the
// UI's feed page; a matching GREEN indicator raises a notification shown
// there (with the subscription's reason in the ranked feed), a matching
// AMBER one sealed for this member does not; the reader marks it read and
// removes the subscription; a webhook is refused to a reader.
func TestWebUIFeedAndSubscriptions(t *testing.T) {
	n := startNode(t, initDir(t))
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	secret, _, _, err := n.d.tokens.AddUser(ctx, auth.User{Name: "reader1", Role: auth.RoleReader, Clearance: "GREEN"})
	if err != nil {
		t.Fatal(err)
	}
	c := webSession(t, n.d.URL(), secret)
	base := n.d.URL()
	page := func(path string) string {
		res, err := c.Get(base + path)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		if res.StatusCode != http.StatusOK {
			t.Fatalf("%s: %d %s", path, res.StatusCode, b)
		}
		return string(b)
	}
	post := func(path string, form url.Values) *http.Response {
		csrf := regexp.MustCompile(`name="csrf" value="([^"]+)"`).FindStringSubmatch(page("/feed"))
		if csrf == nil {
			t.Fatal("no CSRF token on the feed page")
		}
		form.Set("csrf", csrf[1])
		req, _ := http.NewRequest(http.MethodPost, base+path, strings.NewReader(form.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Origin", base)
		res, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res
	}
	if res := post("/feed/subscriptions", url.Values{"name": {"hooked"}, "filter": {"type=indicator"}, "webhook": {"http://127.0.0.1:1/x"}}); res.StatusCode != http.StatusForbidden {
		t.Fatalf("a reader set a webhook from the UI: %d", res.StatusCode)
	}
	if res := post("/feed/subscriptions", url.Values{"name": {"ransom"}, "filter": {"type=indicator label=ransomware"}, "notify": {"on"}}); res.StatusCode != http.StatusSeeOther {
		t.Fatalf("subscribe: %d", res.StatusCode)
	}
	ind := func(id, name, marking string) string {
		return `{"type":"bundle","id":"bundle--` + id[len("indicator--"):] + `","objects":[{"type":"indicator","spec_version":"2.1","id":"` + id + `","created":"2026-01-01T00:00:00.000Z","modified":"2026-01-01T00:00:00.000Z","name":"` + name +
			`","labels":["ransomware"],"pattern":"[domain-name:value = 'ransom.example']","pattern_type":"stix","valid_from":"2026-01-01T00:00:00Z","object_marking_refs":["` + marking + `"]}]}`
	}
	green := "indicator--fee00000-0000-4000-8000-000000000001"
	n.publish(ind(green, "green-ransom-note", "marking-definition--bab4a63c-aed9-4cf5-a766-dfca5abac2bb"))
	if res, err := n.cli.PublishTo(ctx, []byte(ind("indicator--fee00000-0000-4000-8000-000000000002", "amber-ransom-note", "marking-definition--55d920b0-5e8b-4f79-9ee9-91f868d9b421")),
		intake.Address{To: []string{"cert-a"}}, true); err != nil || !res.Transactions[0].Committed() {
		t.Fatalf("publish AMBER: %+v %v", res, err)
	}
	var feed string
	for feed = page("/feed"); !strings.Contains(feed, "(1 unread)"); feed = page("/feed") {
		if ctx.Err() != nil {
			t.Fatalf("no notification on the feed page:\n%s", feed)
		}
		time.Sleep(100 * time.Millisecond)
	}
	if !strings.Contains(feed, green) || strings.Contains(feed, "amber-ransom-note") || strings.Contains(feed, "fee00000-0000-4000-8000-000000000002") {
		t.Fatalf("feed page: the GREEN notification, and nothing of the AMBER record, expected:\n%s", feed)
	}
	if !strings.Contains(feed, "green-ransom-note") || !strings.Contains(feed, "ransom") {
		t.Fatalf("ranked feed lacks the subscribed record or its reason:\n%s", feed)
	}
	id := regexp.MustCompile(`action="/feed/notifications/(\d+)/read"`).FindStringSubmatch(feed)
	if id == nil {
		t.Fatal("no mark-read form")
	}
	if res := post("/feed/notifications/"+id[1]+"/read", url.Values{}); res.StatusCode != http.StatusSeeOther || strings.Contains(page("/feed"), "unread)") {
		t.Fatalf("mark read: %d", res.StatusCode)
	}
	sub := regexp.MustCompile(`action="/feed/subscriptions/(sub_[0-9a-f]+)/delete"`).FindStringSubmatch(page("/feed"))
	if sub == nil {
		t.Fatal("no remove form")
	}
	if res := post("/feed/subscriptions/"+sub[1]+"/delete", url.Values{}); res.StatusCode != http.StatusSeeOther || strings.Contains(page("/feed"), sub[1]) {
		t.Fatalf("remove subscription: %d", res.StatusCode)
	}
	if dash := page("/"); !strings.Contains(dash, "Intel for you") || !strings.Contains(dash, `href="/feed"`) {
		t.Fatal("the dashboard does not show the ranked feed and its link")
	}
}
