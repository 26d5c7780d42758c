package web_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/phalanx-ledger/phalanx/internal/api"
	"github.com/phalanx-ledger/phalanx/internal/auth"
	"github.com/phalanx-ledger/phalanx/internal/client"
	"github.com/phalanx-ledger/phalanx/internal/daemon"
	"github.com/phalanx-ledger/phalanx/internal/intake"
	"github.com/phalanx-ledger/phalanx/internal/ledger"
	"github.com/phalanx-ledger/phalanx/internal/sample"
	"github.com/phalanx-ledger/phalanx/internal/tlp"
)

// ScreenshotDir is where the browser tests write a screenshot of each main
// page (relative to this package; README.md names it).
const screenshotDir = "../../test-artifacts/screenshots"

// uiNode is one running member node of the test network.
type uiNode struct {
	d     *daemon.Daemon
	token string
	cli   *client.Client
}

// startNetwork starts an n-member testnet in this process, each node
// serving the API and the UI on its own loopback port.
func startNetwork(t *testing.T, n int) []*uiNode {
	t.Helper()
	p := ledger.DefaultParams()
	p.VotingPeriod = 500 // the proposal stays open for the whole test
	dirs, err := daemon.InitTestnet(t.TempDir(), n, daemon.TestnetOptions{Params: &p})
	if err != nil {
		t.Fatal(err)
	}
	nodes := make([]*uiNode, n)
	for i, dir := range dirs {
		ctx, cancel := context.WithCancel(context.Background())
		d, err := daemon.Open(ctx, dir, daemon.Options{CometLog: io.Discard})
		if err != nil {
			cancel()
			t.Fatal(err)
		}
		done := make(chan error, 1)
		go func() { done <- d.Serve(ctx) }()
		t.Cleanup(func() {
			cancel()
			<-done
			if err := d.Close(); err != nil {
				t.Errorf("close %s: %v", d.Member(), err)
			}
		})
		token, err := d.AdminToken(ctx)
		if err != nil {
			t.Fatal(err)
		}
		cli, err := client.New(d.URL(), token)
		if err != nil {
			t.Fatal(err)
		}
		nodes[i] = &uiNode{d: d, token: token, cli: cli}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	for _, nd := range nodes {
		for {
			st, err := nd.cli.Status(ctx)
			if err == nil && !st.CatchingUp {
				break
			}
			if ctx.Err() != nil {
				t.Fatalf("%s never caught up: %v", nd.d.Member(), err)
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	return nodes
}

// browserPath finds Chromium. Under CI=true a missing browser fails the
// test; elsewhere the test skips and says how to install it.
func browserPath(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("no chromium on PATH: scripts/test.sh installs it (scripts/install-chromium.sh)")
	}
	t.Skip("no chromium on PATH: run scripts/install-chromium.sh (scripts/test.sh does) to run the browser tests")
	return ""
}

// newBrowser starts headless Chromium for one test, bounded by timeout,
// and closes it when the test ends.
func newBrowser(t *testing.T, timeout time.Duration) context.Context {
	t.Helper()
	// Chromium leaves its singleton socket directory in TMPDIR when it is
	// killed; a directory of the test's own keeps /tmp clean.
	tmp, err := os.MkdirTemp("", "phalanx-chromium-")
	if err != nil {
		t.Fatalf("chromium temp dir: %v", err)
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(browserPath(t)),
		chromedp.Env("TMPDIR="+tmp),
		chromedp.NoSandbox, // the tests may run as root in a container
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.WindowSize(1280, 900),
	)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelCtx := chromedp.NewContext(allocCtx)
	ctx, cancelTimeout := context.WithTimeout(ctx, timeout)
	t.Cleanup(func() {
		cancelTimeout()
		_ = chromedp.Cancel(ctx) // closes the browser
		cancelCtx()
		cancelAlloc()
		_ = os.RemoveAll(tmp) // best effort: a lingering child may still hold it
	})
	if err := chromedp.Do(ctx); err != nil { // starts the browser now, so failures show here
		t.Fatalf("start chromium: %v", err)
	}
	return ctx
}

// run runs browser actions and fails the test with what step failed.
// Each step has stepTimeout; the browser as a whole has the test's bound.
func run(t *testing.T, ctx context.Context, step string, actions ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	sctx, cancel := context.WithTimeout(ctx, stepTimeout)
	defer cancel()
	if err := chromedp.Do(sctx, actions...); err != nil {
		t.Fatalf("%s: %v%s", step, err, where(ctx))
	}
}

// stepTimeout bounds one step of a browser test.
const stepTimeout = 30 * time.Second

// where describes the page the browser is on, for failure messages.
func where(ctx context.Context) string {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	loc, _ := chromedp.Run(ctx, chromedp.Location())
	html, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.body ? document.body.innerText : ""`))
	if len(html) > 2000 {
		html = html[:2000]
	}
	return "\n  at " + loc + "\n  page text: " + html
}

// get runs one browser action and returns its value.
func get[T any](t *testing.T, ctx context.Context, step string, a chromedp.Action[T]) T {
	t.Helper()
	sctx, cancel := context.WithTimeout(ctx, stepTimeout)
	defer cancel()
	v, err := chromedp.Run(sctx, a)
	if err != nil {
		t.Fatalf("%s: %v%s", step, err, where(ctx))
	}
	return v
}

// screenshot writes a full-page PNG of the current page.
func screenshot(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	png := get(t, ctx, "screenshot "+name, chromedp.FullScreenshot(100))
	if err := os.MkdirAll(screenshotDir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(screenshotDir, name+".png"), png, 0o644); err != nil {
		t.Fatal(err)
	}
}

func signIn(t *testing.T, ctx context.Context, base, token string) {
	t.Helper()
	run(t, ctx, "sign in",
		chromedp.Navigate(base+"/"),
		chromedp.WaitVisible(chromedp.ID("token")),
		chromedp.SendKeys(chromedp.ID("token"), token),
		chromedp.Click(chromedp.CSS(`form[action="/login"] button`)),
		chromedp.WaitVisible(chromedp.ID("height")),
	)
}

// text returns the text of the element sel selects.
func text(t *testing.T, ctx context.Context, sel string) string {
	t.Helper()
	return get(t, ctx, "text of "+sel, chromedp.Text(chromedp.CSS(sel)))
}

// TestBrowser drives real headless Chromium against member1 of a real
// two-member network: sign in, publish an indicator through the form, find
// it by search, open its page, vote on member2's proposal, walk the ledger
// explorer and settings, check the phone layout and keyboard order, sign
// out — with a screenshot of each main page.
func TestBrowser(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a two-member network and a browser")
	}
	ctx := newBrowser(t, 4*time.Minute)
	nodes := startNetwork(t, 2)
	m1, m2 := nodes[0], nodes[1]
	base := m1.d.URL()

	pctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	params := ledger.DefaultParams()
	params.VotingPeriod = 600
	prop, err := m2.cli.Propose(pctx, ledger.Propose{Kind: ledger.KindParams, Title: "Longer voting period", Params: &params}, true)
	if err != nil || prop.Proposal == nil {
		t.Fatalf("member2 proposes: %+v, %v", prop, err)
	}
	// member1 must have applied the block before its dashboard can show it.
	for {
		if _, err := m1.cli.Proposal(pctx, prop.Proposal.ID); err == nil {
			break
		}
		if pctx.Err() != nil {
			t.Fatal("member1 never saw member2's proposal")
		}
		time.Sleep(100 * time.Millisecond)
	}

	signIn(t, ctx, base, m1.token)
	t.Run("session cookie flags", func(t *testing.T) {
		res := get(t, ctx, "cookies", func(ctx context.Context, _ *chromedp.Target) (network.GetCookiesResult, error) {
			return chromedp.Call(ctx, network.GetCookies, network.GetCookiesParams{})
		})
		var found bool
		for _, c := range res.Cookies {
			if c.Name == "phalanx_session" {
				found = true
				if !c.HTTPOnly || c.SameSite != network.CookieSameSiteLax || c.Path != "/" || c.Secure || c.Session {
					t.Fatalf("session cookie %+v", c)
				}
			}
		}
		if !found {
			t.Fatalf("no session cookie among %d", len(res.Cookies))
		}
	})
	if dash := text(t, ctx, "main"); !strings.Contains(dash, "Longer voting period") || !strings.Contains(dash, "Validators") {
		t.Fatalf("dashboard lacks the proposal awaiting the vote or the health panel: %s", dash)
	}
	screenshot(t, ctx, "dashboard")

	value := fmt.Sprintf("c2-%d.evil.example", time.Now().UnixNano())
	run(t, ctx, "publish form",
		chromedp.Navigate(base+"/publish"),
		chromedp.WaitVisible(chromedp.ID("value")),
		chromedp.SetValue(chromedp.ID("kind"), "domain"),
		chromedp.SendKeys(chromedp.ID("value"), "not a domain"),
	)
	if hint := text(t, ctx, "#value-msg"); hint != "Not a domain name." {
		t.Fatalf("hint for a bad value: %q", hint)
	}
	screenshot(t, ctx, "publish")
	get(t, ctx, "clear the value", chromedp.Evaluate[string](`document.getElementById("value").value = ""`))
	run(t, ctx, "type a good value", chromedp.SendKeys(chromedp.ID("value"), value))
	if hint := text(t, ctx, "#value-msg"); hint != "Looks like a domain name." {
		t.Fatalf("hint for a good value %q: %q", get(t, ctx, "value", chromedp.Value(chromedp.ID("value"))), hint)
	}
	run(t, ctx, "publish an indicator",
		chromedp.SendKeys(chromedp.ID("ind-labels"), "c2, browser-test"),
		chromedp.Click(chromedp.CSS(`#indicator-form button`)),
		chromedp.WaitVisible(chromedp.CSS(".flash")),
	)
	loc := get(t, ctx, "location", chromedp.Location())
	if !strings.Contains(loc, "/intel/indicator--") {
		t.Fatalf("after publishing, at %s", loc)
	}
	id := strings.TrimSuffix(strings.TrimPrefix(loc, base+"/intel/"), "?published=1")

	t.Run("upload a bundle", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "bundle.json")
		var objs []string
		for i := range 3 {
			objs = append(objs, fmt.Sprintf(`{"type":"indicator","spec_version":"2.1","id":"indicator--%08x-2222-4222-8222-222222222222",`+
				`"created":"2026-01-01T00:00:00.000Z","modified":"2026-01-01T00:00:00.000Z","name":"uploaded %d","pattern":"[ipv4-addr:value = '198.51.100.%d']",`+
				`"pattern_type":"stix","valid_from":"2026-01-01T00:00:00Z"}`, time.Now().Unix()&0xffffff00+int64(i), i, i+1))
		}
		bundle := `{"type":"bundle","id":"bundle--6a9e2a4b-8f6b-4d1e-9b57-6f5a4e0c1d2f","objects":[` + strings.Join(objs, ",") + `]}`
		if err := os.WriteFile(path, []byte(bundle), 0o600); err != nil {
			t.Fatal(err)
		}
		run(t, ctx, "upload",
			chromedp.Navigate(base+"/publish"),
			chromedp.WaitVisible(chromedp.ID("bundle")),
			chromedp.SetUploadFiles(chromedp.ID("bundle"), []string{path}),
			chromedp.Click(chromedp.CSS(`#bundle-form button`)),
			chromedp.WaitVisible(chromedp.ID("all-done")), // the page refreshes itself until all are committed
		)
		done := get(t, ctx, "progress", chromedp.Evaluate[[]float64](`(p => [p.value, p.max])(document.getElementById("commit-progress"))`))
		if len(done) != 2 || done[0] != done[1] || done[0] < 1 {
			t.Fatalf("progress %v", done)
		}
		if table := text(t, ctx, "main table"); !strings.Contains(table, "committed") || strings.Contains(table, "rejected") {
			t.Fatalf("status table: %s", table)
		}
		screenshot(t, ctx, "publish-progress")
	})

	run(t, ctx, "find it by search",
		chromedp.Navigate(base+"/intel"),
		chromedp.WaitVisible(chromedp.ID("q")),
		chromedp.SendKeys(chromedp.ID("q"), value),
		chromedp.SetValue(chromedp.ID("marking"), "green"),
		chromedp.Submit(chromedp.ID("q")),
		chromedp.WaitVisible(chromedp.CSS("h2.searched")), // the results page, not the form's
		chromedp.WaitVisible(chromedp.CSS("table.results")),
	)
	if results := text(t, ctx, "table.results"); !strings.Contains(results, value) || !strings.Contains(results, "TLP:GREEN") {
		t.Fatalf("search results: %s", results)
	}
	screenshot(t, ctx, "intel")
	run(t, ctx, "open its page",
		chromedp.Click(chromedp.CSS(`table.results a[href="/intel/`+id+`"]`)),
		chromedp.WaitVisible(chromedp.ID("props-h")),
	)
	props, badge, height := text(t, ctx, "table.props"), text(t, ctx, "h1 .tlp"), text(t, ctx, "#height")
	if !strings.Contains(props, "[domain-name:value = '"+value+"']") || badge != "TLP:GREEN" || height == "0" {
		t.Fatalf("object page: badge %q height %q props %s", badge, height, props)
	}
	screenshot(t, ctx, "object")

	t.Run("verify its proof in the page", func(t *testing.T) {
		for { // the proof is ready once the block after the record's is committed
			if _, err := m1.cli.Proof(pctx, id, ""); err == nil {
				break
			} else if pctx.Err() != nil {
				t.Fatalf("no proof of %s: %v", id, err)
			}
			time.Sleep(100 * time.Millisecond)
		}
		run(t, ctx, "open the proof", chromedp.Navigate(base+"/intel/"+id), chromedp.WaitVisible(chromedp.ID("proof")),
			chromedp.Click(chromedp.ID("proof")), chromedp.WaitVisible(chromedp.ID("node-h")))
		got := verifyInPage(t, ctx)
		for _, c := range proofChecksV2 { // the node signs publishes as v2 transactions
			if ok, ran := got[c]; !ran || !ok {
				t.Errorf("check %s in the page: ran %v, ok %v\n%s", c, ran, ok, text(t, ctx, "#verify"))
			}
		}
		if len(got) != len(proofChecksV2) {
			t.Errorf("the page ran checks %v", got)
		}
		if s := text(t, ctx, "#verify-summary"); s != "Verified in your browser: all 8 checks pass." {
			t.Errorf("summary %q", s)
		}
		screenshot(t, ctx, "proof")
	})

	// An AMBER indicator sealed for member1 only: its proof verifies in the
	// page too (leaf v2 over the envelope), and a reader cleared for GREEN
	// never sees it (after "sign out" below).
	const amberID = "indicator--a3be0000-0000-4000-8000-00000000b0b0"
	amber := `{"type":"bundle","id":"bundle--a3be0000-0000-4000-8000-00000000b0b1","objects":[{"type":"indicator","spec_version":"2.1","id":"` + amberID +
		`","created":"2026-01-01T00:00:00.000Z","modified":"2026-01-01T00:00:00.000Z","name":"amber-canary-b0b0","pattern":"[ipv4-addr:value = '203.0.113.99']","pattern_type":"stix","valid_from":"2026-01-01T00:00:00Z","object_marking_refs":["` + tlp.AmberID + `"]}]}`
	if res, err := m1.cli.PublishTo(pctx, []byte(amber), intake.Address{To: []string{"member1"}}, true); err != nil || !res.Transactions[0].Committed() {
		t.Fatalf("publish AMBER: %+v %v", res, err)
	}
	t.Run("verify a sealed record's proof in the page", func(t *testing.T) {
		for {
			if _, err := m1.cli.Proof(pctx, amberID, ""); err == nil {
				break
			} else if pctx.Err() != nil {
				t.Fatalf("no proof of %s: %v", amberID, err)
			}
			time.Sleep(100 * time.Millisecond)
		}
		run(t, ctx, "open the sealed record's proof", chromedp.Navigate(base+"/intel/"+amberID+"/proof"), chromedp.WaitVisible(chromedp.ID("node-h")))
		got := verifyInPage(t, ctx)
		for _, c := range proofChecksV2 {
			if ok, ran := got[c]; !ran || !ok {
				t.Errorf("check %s of the sealed record in the page: ran %v, ok %v\n%s", c, ran, ok, text(t, ctx, "#verify"))
			}
		}
	})

	if _, err := m1.cli.Publish(pctx, sample.Bundle, true); err != nil {
		t.Fatalf("publish the sample bundle: %v", err)
	}
	const grayLoader = "/intel/malware--9531985d-5d9d-49f8-9818-e811892f902b"
	run(t, ctx, "relationship graph", chromedp.Navigate(base+grayLoader), chromedp.WaitVisible(chromedp.CSS("svg.graph")))
	if n := get(t, ctx, "graph links", chromedp.Evaluate[int](`document.querySelectorAll("svg.graph a").length`)); n != 8 {
		t.Fatalf("graph of GrayLoader has %d links, want 8", n)
	}
	screenshot(t, ctx, "object-graph")

	sel := fmt.Sprintf("#proposal-%d", prop.Proposal.ID)
	run(t, ctx, "vote yes",
		chromedp.Navigate(base+"/community"),
		chromedp.WaitVisible(chromedp.CSS(sel)),
		chromedp.Click(chromedp.CSS(sel+` button[value="yes"]`)),
		chromedp.WaitVisible(chromedp.ID("flash")),
	)
	if tally := text(t, ctx, sel+" .tally"); !strings.Contains(tally, "Your vote: yes") {
		t.Fatalf("tally after voting: %q", tally)
	}
	screenshot(t, ctx, "community")
	for {
		p, err := m2.cli.Proposal(pctx, prop.Proposal.ID)
		if err == nil && p.Votes["member1"] == "yes" {
			break
		}
		if pctx.Err() != nil {
			t.Fatalf("member2 never saw member1's vote: %+v %v", p, err)
		}
		time.Sleep(100 * time.Millisecond)
	}

	run(t, ctx, "ledger explorer", chromedp.Navigate(base+"/ledger"), chromedp.WaitVisible(chromedp.ID("blocks-h")))
	st, err := m1.cli.Status(pctx)
	if err != nil {
		t.Fatal(err)
	}
	if note := text(t, ctx, "#latest-checkpoint"); !strings.HasPrefix(note, st.ChainID+"\n") || !strings.Contains(note, "— member1 ") {
		t.Fatalf("latest checkpoint on the explorer: %q", note)
	}
	screenshot(t, ctx, "ledger")
	run(t, ctx, "checkpoint of the indicator's block", chromedp.Navigate(base+"/ledger/checkpoints/"+height), chromedp.WaitVisible(chromedp.ID("note")))
	if ok := get(t, ctx, "checkpoint checks", chromedp.Evaluate[int](`document.querySelectorAll('.node-checks li[data-ok="true"]').length`)); ok != 4 {
		t.Fatalf("checkpoint %s: %d of 4 checks pass: %s", height, ok, text(t, ctx, "main"))
	}
	run(t, ctx, "block of the indicator", chromedp.Navigate(base+"/ledger/blocks/"+height), chromedp.WaitVisible(chromedp.ID("txs-h")))
	if txs := text(t, ctx, "main"); !strings.Contains(txs, id) || !strings.Contains(txs, "publish") || !strings.Contains(txs, "member1") {
		t.Fatalf("block %s lacks the publish of %s: %s", height, id, txs)
	}
	run(t, ctx, "transaction page",
		chromedp.Click(chromedp.CSS(`main table a[href^="/ledger/txs/"]`)),
		chromedp.WaitVisible(chromedp.ID("result")),
	)
	if recs := text(t, ctx, "main"); !strings.Contains(recs, "accepted") || !strings.Contains(recs, id) {
		t.Fatalf("transaction page lacks the record %s: %s", id, recs)
	}
	run(t, ctx, "settings", chromedp.Navigate(base+"/settings"), chromedp.WaitVisible(chromedp.ID("tok-h")))
	screenshot(t, ctx, "settings")
	run(t, ctx, "feed", chromedp.Navigate(base+"/feed"), chromedp.WaitVisible(chromedp.ID("subs-h")))
	screenshot(t, ctx, "feed")

	var importURL string
	newPagesInBrowser(t, ctx, m1, m2, value, &importURL)

	t.Run("phone width", func(t *testing.T) {
		run(t, ctx, "phone viewport", chromedp.EmulateViewport(390, 844, chromedp.EmulateScale(2)))
		defer run(t, ctx, "laptop viewport", chromedp.EmulateViewport(1280, 900))
		for _, p := range []string{"/", "/intel?q=" + url.QueryEscape(value), "/intel/" + id, grayLoader, "/publish", "/community", "/ledger",
			"/ledger/blocks/" + height, "/settings", "/intel/" + id + "/proof", "/ledger/checkpoints/latest", importURL, "/feed"} {
			run(t, ctx, "phone "+p, chromedp.Navigate(base+p), chromedp.WaitVisible(chromedp.CSS("main")))
			overflow := get(t, ctx, "overflow", chromedp.Evaluate[int](`document.documentElement.scrollWidth - document.documentElement.clientWidth`))
			if overflow > 0 {
				t.Errorf("%s overflows a 390 px wide screen by %d px", p, overflow)
			}
			if bad := get(t, ctx, "accessibility", chromedp.Evaluate[[]string](a11yCheck)); len(bad) > 0 {
				t.Errorf("%s: %v", p, bad)
			}
		}
		run(t, ctx, "phone dashboard", chromedp.Navigate(base+"/"), chromedp.WaitVisible(chromedp.ID("height")))
		screenshot(t, ctx, "dashboard-phone")
	})

	t.Run("keyboard focus order", func(t *testing.T) {
		run(t, ctx, "dashboard", chromedp.Navigate(base+"/"), chromedp.WaitVisible(chromedp.ID("height")))
		var order []string
		for range 4 {
			run(t, ctx, "tab", chromedp.KeyEvent(kb.Tab))
			order = append(order, get(t, ctx, "focused", chromedp.Evaluate[string](`document.activeElement.textContent.trim()`)))
		}
		if strings.Join(order, "|") != "Skip to content|Dashboard|Intel|Publish" {
			t.Fatalf("focus order %q", order)
		}
		if outline := get(t, ctx, "focus ring", chromedp.Evaluate[string](`getComputedStyle(document.activeElement).outlineStyle`)); outline != "solid" {
			t.Fatalf("focused link has outline %q", outline)
		}
	})

	t.Run("sign out", func(t *testing.T) {
		run(t, ctx, "sign out",
			chromedp.Click(chromedp.CSS(`form.signout button`)),
			chromedp.WaitVisible(chromedp.ID("token")),
			chromedp.Navigate(base+"/community"),
			chromedp.WaitVisible(chromedp.ID("token")),
		)
		if at := get(t, ctx, "location", chromedp.Location()); !strings.HasPrefix(at, base+"/login?next=") {
			t.Fatalf("after signing out, /community led to %s", at)
		}
		screenshot(t, ctx, "login")
	})

	t.Run("a reader without AMBER clearance never sees the AMBER record", func(t *testing.T) {
		u, err := m1.cli.AddUser(pctx, api.AddUserRequest{Name: "reader-green", Role: auth.RoleReader, Clearance: "GREEN"})
		if err != nil {
			t.Fatal(err)
		}
		signIn(t, ctx, base, u.Token)
		defer run(t, ctx, "sign out the reader", chromedp.Navigate(base+"/"), chromedp.WaitVisible(chromedp.CSS(`form.signout button`)),
			chromedp.Click(chromedp.CSS(`form.signout button`)), chromedp.WaitVisible(chromedp.ID("token")))
		for _, p := range []string{"/", "/intel?q=amber-canary-b0b0", "/intel?q=" + url.QueryEscape("203.0.113.99"), "/intel?marking=amber",
			"/intel/" + amberID, "/intel/" + amberID + "/proof", "/ledger"} {
			run(t, ctx, "reader "+p, chromedp.Navigate(base+p), chromedp.WaitVisible(chromedp.CSS("main")))
			if page := text(t, ctx, "main"); strings.Contains(page, "amber-canary-b0b0") || strings.Contains(page, "203.0.113.99") {
				t.Errorf("the GREEN-cleared reader sees the AMBER record on %s", p)
			}
		}
		run(t, ctx, "reader sees GREEN", chromedp.Navigate(base+"/intel?q="+url.QueryEscape(value)), chromedp.WaitVisible(chromedp.CSS("main")))
		if page := text(t, ctx, "main"); !strings.Contains(page, value) {
			t.Errorf("the GREEN-cleared reader does not see the GREEN indicator: %s", page)
		}
	})

	t.Run("reading without JavaScript", func(t *testing.T) {
		readWithoutJS(t, base, m1.token, map[string][]string{
			"/":                                  {"Network health", "Nothing awaits your vote", "GrayLoader"},
			"/intel?q=" + url.QueryEscape(value): {value, "TLP:GREEN", "member1"},
			"/intel/" + id:                       {"[domain-name:value = &#39;" + value + "&#39;]", "TLP:GREEN", "browser-test"},
			"/community":                         {"Member 1", "Member 2", "Longer voting period"},
			"/ledger?to=" + height:               {"Blocks", "/ledger/blocks/" + height, "Latest checkpoint", "/ledger/checkpoints/" + height},
			"/intel/" + id + "/proof":            {"The node says: all 8 checks pass.", "the node's claim", "Verify this record"},
			"/ledger/blocks/" + height:           {id, "publish"},
			"/community#groups":                  {"Sharing groups", "<td>web-analysts</td>", "member1, member2"},
			"/settings#users":                    {"<td>web-analyst</td><td>analyst</td><td>TLP:AMBER</td>"},
			importURL:                            {`<progress id="import-progress" max="100" value="100">`, `id="sum-rejected">1<`, "no-such-thing!!"},
		})
	})
}

// a11yCheck lists basic accessibility faults of the page: form controls
// without a label, a missing language, main landmark, navigation or h1,
// and graphics without a text alternative.
const a11yCheck = `(() => {
  const bad = [];
  for (const el of document.querySelectorAll("input:not([type=hidden]), select, textarea")) {
    if ((!el.labels || el.labels.length === 0) && !el.getAttribute("aria-label")) bad.push("unlabelled " + (el.id || el.name));
  }
  for (const b of document.querySelectorAll("button")) {
    if (!b.textContent.trim() && !b.getAttribute("aria-label")) bad.push("button without text");
  }
  for (const g of document.querySelectorAll("svg")) {
    if (g.getAttribute("role") !== "img" || !g.querySelector("title")) bad.push("svg without role=img and title");
  }
  if (!document.documentElement.lang) bad.push("no lang");
  if (document.querySelectorAll("main").length !== 1) bad.push("not one main");
  if (!document.querySelector("nav")) bad.push("no nav");
  if (!document.querySelector("h1")) bad.push("no h1");
  return bad;
})()`

var csrfRE = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// readWithoutJS signs in with net/http (no script runs) and checks that
// each page's HTML holds the content.
func readWithoutJS(t *testing.T, base, token string, pages map[string][]string) {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, Timeout: 30 * time.Second}
	get := func(p string) string {
		res, err := c.Get(base + p)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		if res.StatusCode != http.StatusOK {
			t.Fatalf("GET %s: %d", p, res.StatusCode)
		}
		return string(b)
	}
	m := csrfRE.FindStringSubmatch(get("/login"))
	if m == nil {
		t.Fatal("no CSRF token on the sign-in page")
	}
	req, _ := http.NewRequest(http.MethodPost, base+"/login", strings.NewReader(url.Values{"csrf": {m[1]}, "token": {token}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", base)
	res, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	for p, wants := range pages {
		body := get(p)
		for _, w := range wants {
			if !strings.Contains(body, w) {
				t.Errorf("GET %s: the HTML lacks %q", p, w)
			}
		}
	}
}

// proofChecks are the checks of docs/verification.md, in order.
var proofChecks = []string{"leaf", "author_signature", "checkpoint", "inclusion", "app_hash", "header", "signatures"}

// proofChecksV2 are the checks of a bundle of a version 2 transaction
// (what a node publishes): tx_item besides.
var proofChecksV2 = []string{"leaf", "author_signature", "tx_item", "checkpoint", "inclusion", "app_hash", "header", "signatures"}

// verifyInPage clicks "Verify this record" on a proof page, waits for the
// verdict and returns each check the page ran with whether it passed.
func verifyInPage(t *testing.T, ctx context.Context) map[string]bool {
	t.Helper()
	run(t, ctx, "verify this record",
		chromedp.WaitVisible(chromedp.ID("verify-btn")),
		chromedp.Click(chromedp.ID("verify-btn")),
		chromedp.WaitVisible(chromedp.CSS("#verify-summary[data-ok]")),
	)
	return get(t, ctx, "checks in the page", chromedp.Evaluate[map[string]bool](
		`Object.fromEntries([...document.querySelectorAll("#verify-results li")].map(li => [li.dataset.check, li.dataset.ok === "true"]))`))
}
