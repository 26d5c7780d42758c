package daemon

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/phalanx-ledger/phalanx/internal/auth"
	"github.com/phalanx-ledger/phalanx/internal/client"
	"github.com/phalanx-ledger/phalanx/internal/detect"
)

// webForm posts a form of the UI with the session's CSRF token (read from
// page) and returns the response's status, location and body.
func webForm(t *testing.T, c *http.Client, base, page, path string, form url.Values) (int, string, string) {
	t.Helper()
	res, err := c.Get(base + page)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	m := regexp.MustCompile(`name="csrf" value="([^"]+)"`).FindSubmatch(b)
	if m == nil {
		t.Fatalf("no CSRF token on %s", page)
	}
	form.Set("csrf", string(m[1]))
	req, _ := http.NewRequest(http.MethodPost, base+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", base)
	if res, err = c.Do(req); err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ = io.ReadAll(res.Body)
	return res.StatusCode, res.Header.Get("Location"), string(b)
}

// TestWebUISealsThroughTheNode: on a real node the publish form offers
// every level, refuses AMBER with nobody named (the intake's reason on the
// form), seals AMBER for a sharing group made on the Community page; the
// dashboard shows the node's alerts, but only those on indicators the
// signed-in user may read.
func TestWebUISealsThroughTheNode(t *testing.T) {
	n := startNode(t, initDir(t))
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	base := n.d.URL()
	admin := webSession(t, base, n.token)
	res, err := admin.Get(base + "/publish")
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(res.Body)
	res.Body.Close()
	for _, l := range []string{"clear", "green", "amber", "amber&#43;strict", "red"} {
		if !strings.Contains(string(page), `<option value="`+l+`"`) {
			t.Fatalf("the publish form does not offer %s", l)
		}
	}
	ind := func(value, marking string, extra url.Values) url.Values {
		f := url.Values{"kind": {"ipv4"}, "value": {value}, "marking": {marking}, "name": {"web-" + value}}
		for k, v := range extra {
			f[k] = v
		}
		return f
	}
	st, _, body := webForm(t, admin, base, "/publish", "/publish/indicator", ind("203.0.113.88", "amber", nil))
	if st != http.StatusBadRequest || !strings.Contains(body, "is TLP:AMBER: say whom it is for") {
		t.Fatalf("AMBER without recipients: %d %s", st, body)
	}
	st, loc, body := webForm(t, admin, base, "/community", "/community/groups", url.Values{"op": {"create"}, "name": {"soc"}, "members": {"cert-a"}})
	if st != http.StatusSeeOther {
		t.Fatalf("create group: %d %s", st, body)
	}
	if g, _ := n.d.app.Groups(); len(g) != 1 || g[0].Name != "soc" || g[0].Creator != "cert-a" {
		t.Fatalf("groups on the ledger: %+v (redirected to %s)", g, loc)
	}
	st, loc, body = webForm(t, admin, base, "/publish", "/publish/indicator", ind("203.0.113.88", "amber", url.Values{"group": {"soc"}}))
	if st != http.StatusSeeOther || !strings.HasPrefix(loc, "/intel/indicator--") {
		t.Fatalf("AMBER for the group: %d %s %s", st, loc, body)
	}
	amberID := strings.TrimSuffix(strings.TrimPrefix(loc, "/intel/"), "?published=1")
	vs, err := n.d.proj.Get(ctx, amberID, false)
	if err != nil || len(vs) != 1 || !vs[0].Sealed || vs[0].TLP != 3 {
		t.Fatalf("the AMBER record on this node: %+v %v", vs, err)
	}
	if st, _, body = webForm(t, admin, base, "/publish", "/publish/indicator", ind("203.0.113.89", "green", nil)); st != http.StatusSeeOther {
		t.Fatalf("GREEN: %d %s", st, body)
	}
	// Alerts on both; the matcher indexes committed indicators as they come.
	for {
		var values []string
		_, err := n.cli.Match(ctx, strings.NewReader("seen 203.0.113.88 and 203.0.113.89\n"), client.MatchOptions{Format: "text"},
			func(h detect.Hit) error { values = append(values, h.Value); return nil })
		if err != nil {
			t.Fatal(err)
		}
		if len(values) == 2 {
			break
		}
		if ctx.Err() != nil {
			t.Fatalf("hits %v", values)
		}
		time.Sleep(200 * time.Millisecond)
	}
	secret, _, _, err := n.d.tokens.AddUser(ctx, auth.User{Name: "green-reader", Role: auth.RoleReader, Clearance: "GREEN"})
	if err != nil {
		t.Fatal(err)
	}
	dashboard := func(c *http.Client) string {
		res, err := c.Get(base + "/")
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		i := strings.Index(string(b), `id="alerts-h"`)
		if i < 0 {
			t.Fatalf("dashboard without alerts: %s", b)
		}
		return string(b[i:])
	}
	if a := dashboard(admin); !strings.Contains(a, "203.0.113.88") || !strings.Contains(a, "203.0.113.89") {
		t.Fatalf("admin's alerts: %s", a)
	}
	if a := dashboard(webSession(t, base, secret)); strings.Contains(a, "203.0.113.88") || !strings.Contains(a, "203.0.113.89") {
		t.Fatalf("GREEN reader's alerts (must not show the AMBER indicator's): %s", a)
	}
	// GET /v1/alerts applies the same rule.
	for _, tc := range []struct {
		token string
		want  []string
	}{{n.token, []string{"203.0.113.88", "203.0.113.89"}}, {secret, []string{"203.0.113.89"}}} {
		c, err := client.New(base, tc.token)
		if err != nil {
			t.Fatal(err)
		}
		list, err := c.Alerts(ctx, time.Time{}, 10)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, a := range list {
			got = append(got, a.Value)
		}
		slices.Sort(got)
		if !slices.Equal(got, tc.want) {
			t.Errorf("GET /v1/alerts: %v, want %v", got, tc.want)
		}
	}
}
