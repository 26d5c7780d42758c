package web_test

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/phalanx-ledger/phalanx/internal/client"
	"github.com/phalanx-ledger/phalanx/internal/detect"
	"github.com/phalanx-ledger/phalanx/internal/testutil"
)

// newPagesInBrowser drives what sealing, sharing groups, users, imports
// and alerts added to the UI, in TestBrowser's browser (signed in to
// member1 as its admin) and in a second browser context signed in to
// member2: member2 publishes an AMBER indicator for member1 through the
// form and member1's search finds it; member1 creates a sharing group,
// adds a user, imports an IOC list watching the progress reach the
// summary, and sees an alert on its dashboard after a match. It sets
// *importURL to the import's status page.
func newPagesInBrowser(t *testing.T, ctx context.Context, m1, m2 *uiNode, greenValue string, importURL *string) {
	pctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	base := m1.d.URL()

	t.Run("publish AMBER for member1 through member2's form", func(t *testing.T) {
		// member2's UI by another host name: the browser keeps its
		// session cookie apart from member1's (cookies ignore the port).
		c2, base2 := ctx, strings.Replace(m2.d.URL(), "127.0.0.1", "localhost", 1)
		signIn(t, c2, base2, m2.token)
		amberValue := fmt.Sprintf("amber-%d.evil.example", time.Now().UnixNano())
		run(t, c2, "AMBER without recipients",
			chromedp.Navigate(base2+"/publish"),
			chromedp.WaitVisible(chromedp.ID("value")),
			chromedp.SetValue(chromedp.ID("kind"), "domain"),
			chromedp.SendKeys(chromedp.ID("value"), amberValue),
			chromedp.SetValue(chromedp.ID("ind-marking"), "amber"),
			chromedp.Click(chromedp.CSS(`#indicator-form button[type=submit]`)),
			chromedp.WaitVisible(chromedp.ID("form-error")),
		)
		if msg := text(t, c2, "#form-error"); !strings.Contains(msg, "TLP:AMBER") || !strings.Contains(msg, "say whom it is for") {
			t.Fatalf("refusal shown on the form: %q", msg)
		}
		run(t, c2, "AMBER for member1",
			chromedp.Click(chromedp.CSS(`#indicator-form input[name=to][value=member1]`)),
			chromedp.SetValue(chromedp.ID("ind-marking"), "amber"),
		)
		screenshot(t, c2, "publish-sealed")
		run(t, c2, "publish it",
			chromedp.Click(chromedp.CSS(`#indicator-form button[type=submit]`)),
			chromedp.WaitVisible(chromedp.CSS(".flash")),
		)
		if badge := text(t, c2, "h1 .tlp"); badge != "TLP:AMBER" {
			t.Fatalf("member2's page of the published indicator: badge %q", badge)
		}
		// member1's node opens the sealed record once it has the block.
		for {
			run(t, ctx, "member1 searches", chromedp.Navigate(base+"/intel?q="+amberValue), chromedp.WaitVisible(chromedp.CSS("h2.searched")))
			if n := get(t, ctx, "results", chromedp.Evaluate[int](`document.querySelectorAll("table.results tbody tr").length`)); n > 0 {
				break
			}
			if pctx.Err() != nil {
				t.Fatal("member1's search never found member2's AMBER indicator")
			}
			time.Sleep(300 * time.Millisecond)
		}
		if res := text(t, ctx, "table.results"); !strings.Contains(res, amberValue) || !strings.Contains(res, "TLP:AMBER") || !strings.Contains(res, "member2") {
			t.Fatalf("member1's search results: %s", res)
		}
		screenshot(t, ctx, "intel-sealed")
	})

	t.Run("create a sharing group", func(t *testing.T) {
		run(t, ctx, "group form",
			chromedp.Navigate(base+"/community"),
			chromedp.WaitVisible(chromedp.ID("grp-name")),
			chromedp.SendKeys(chromedp.ID("grp-name"), "web-analysts"),
			chromedp.Click(chromedp.CSS(`#group-create input[name=members][value=member1]`)),
			chromedp.Click(chromedp.CSS(`#group-create input[name=members][value=member2]`)),
			chromedp.Click(chromedp.CSS(`#group-create button[type=submit]`)),
			chromedp.WaitVisible(chromedp.ID("flash")),
		)
		if g := text(t, ctx, "#group-table"); !strings.Contains(g, "web-analysts") || !strings.Contains(g, "member1, member2") {
			t.Fatalf("groups after creating one: %s", g)
		}
		screenshot(t, ctx, "community-groups")
	})

	t.Run("add a user", func(t *testing.T) {
		run(t, ctx, "user form",
			chromedp.Navigate(base+"/settings"),
			chromedp.WaitVisible(chromedp.ID("user-name")),
			chromedp.SendKeys(chromedp.ID("user-name"), "web-analyst"),
			chromedp.SetValue(chromedp.ID("user-role"), "analyst"),
			chromedp.SetValue(chromedp.ID("user-clearance"), "amber"),
			chromedp.Click(chromedp.CSS(`#user-form button[type=submit]`)),
			chromedp.WaitVisible(chromedp.ID("new-user")),
		)
		secret := get(t, ctx, "secret", chromedp.Value(chromedp.ID("user-secret")))
		uc, err := client.New(base, secret)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := uc.Status(pctx); err != nil {
			t.Fatalf("the new user's token does not work: %v", err)
		}
		if u := text(t, ctx, "#user-table"); !strings.Contains(u, "web-analyst") || !strings.Contains(u, "TLP:AMBER") {
			t.Fatalf("users: %s", u)
		}
		screenshot(t, ctx, "settings-users")
	})

	t.Run("import an IOC list", func(t *testing.T) {
		f, err := os.Open(filepath.Join(testutil.SharedTestdata(t), "iocs", "ipsum", "ipsum.txt"))
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		var lines []string
		for sc := bufio.NewScanner(f); sc.Scan() && len(lines) < 6; {
			if l := sc.Text(); !strings.HasPrefix(l, "#") && strings.TrimSpace(l) != "" {
				lines = append(lines, l)
			}
		}
		path := filepath.Join(t.TempDir(), "iocs.txt")
		if err := os.WriteFile(path, []byte(strings.Join(append(lines, "no-such-thing!!"), "\n")+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		run(t, ctx, "import form",
			chromedp.Navigate(base+"/publish"),
			chromedp.WaitVisible(chromedp.ID("imp-file")),
			chromedp.SetUploadFiles(chromedp.ID("imp-file"), []string{path}),
			chromedp.SetValue(chromedp.ID("imp-format"), "text"),
			chromedp.Click(chromedp.CSS(`#import-form button[type=submit]`)),
			chromedp.WaitVisible(chromedp.ID("import-progress")),
			chromedp.WaitVisible(chromedp.ID("import-summary")), // the page refreshes itself until the import is done
		)
		*importURL = strings.TrimPrefix(get(t, ctx, "location", chromedp.Location()), base)
		prog := get(t, ctx, "progress", chromedp.Evaluate[[]float64](`(p => [p.value, p.max])(document.getElementById("import-progress"))`))
		if len(prog) != 2 || prog[0] != prog[1] {
			t.Fatalf("progress at the end %v", prog)
		}
		if a, r := text(t, ctx, "#sum-accepted"), text(t, ctx, "#sum-rejected"); a != fmt.Sprint(len(lines)) || r != "1" {
			t.Fatalf("summary: %s accepted, %s rejected, want %d and 1: %s", a, r, len(lines), text(t, ctx, "main"))
		}
		if s := text(t, ctx, "#import-summary"); !strings.Contains(s, "no-such-thing") && !strings.Contains(s, "line 7") {
			t.Fatalf("the summary lacks the rejection's reason: %s", s)
		}
		screenshot(t, ctx, "import")
	})

	t.Run("an alert on the dashboard after a match", func(t *testing.T) {
		telemetry := "2026-01-01T00:00:00Z dns query " + greenValue + " from 10.0.0.5\n"
		var hits int
		if _, err := m1.cli.Match(pctx, strings.NewReader(telemetry), client.MatchOptions{Format: "text", Source: "browser-test"},
			func(detect.Hit) error { hits++; return nil }); err != nil || hits == 0 {
			t.Fatalf("match: %d hits, %v", hits, err)
		}
		run(t, ctx, "dashboard", chromedp.Navigate(base+"/"), chromedp.WaitVisible(chromedp.ID("alerts-h")))
		if a := text(t, ctx, `section[aria-labelledby="alerts-h"]`); !strings.Contains(a, greenValue) || !strings.Contains(a, "1 hit") {
			t.Fatalf("alerts panel: %s", a)
		}
		screenshot(t, ctx, "dashboard-alert")
	})
}
