package web_test

import (
	"context"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/phalanx-ledger/phalanx/internal/api/apitest"
	"github.com/phalanx-ledger/phalanx/internal/auth"
	"github.com/phalanx-ledger/phalanx/internal/web"
	"github.com/phalanx-ledger/phalanx/internal/web/session"
)

// TestBrowserVerifyCatchesTampering runs the in-page verifier in real
// headless Chromium over the worked example's bundle of
// docs/verification.md: the valid bundle passes every check, and each
// tampered one (served by a fake Proofs capability) fails exactly the
// check that must catch it, while the others still pass.
func TestBrowserVerifyCatchesTampering(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a browser")
	}
	ctx := newBrowser(t, 2*time.Minute)
	sessions, err := session.Open(context.Background(), filepath.Join(t.TempDir(), "web.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sessions.Close() })
	backend := apitest.NewBackend()
	web.UseExample(t, backend)
	fp := web.NewFakeProofs(t)
	ui, err := web.New(web.Config{Backend: backend, Sessions: sessions, Proofs: fp,
		Tokens: apitest.NewTokens(map[string]auth.Role{"secret-reader": auth.RoleReader})})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(ui.Handler()) // 127.0.0.1: a secure context, so WebCrypto is there
	t.Cleanup(srv.Close)
	signIn(t, ctx, srv.URL, "secret-reader")

	for _, tc := range []struct {
		tamper string
		fail   []string
	}{
		{"none", nil},
		{web.TamperObject, []string{"leaf", "author_signature"}},
		{web.TamperInclusion, []string{"inclusion"}},
		{web.TamperCommit, []string{"signatures"}},
	} {
		t.Run("tamper="+tc.tamper, func(t *testing.T) {
			fp.SetTamper(strings.TrimPrefix(tc.tamper, "none"))
			run(t, ctx, "proof page", chromedp.Navigate(srv.URL+"/intel/"+web.ExampleID+"/proof"), chromedp.WaitVisible(chromedp.ID("node-h")))
			got := verifyInPage(t, ctx)
			want := map[string]bool{}
			for _, c := range proofChecks {
				want[c] = true
			}
			for _, c := range tc.fail {
				want[c] = false
			}
			for _, c := range proofChecks {
				if ok, ran := got[c]; !ran || ok != want[c] {
					t.Errorf("check %s: ran %v ok %v, want ok %v", c, ran, ok, want[c])
				}
			}
			if len(got) != len(proofChecks) {
				t.Errorf("the page ran %v", got)
			}
			summary := text(t, ctx, "#verify-summary")
			if ok := get(t, ctx, "verdict", chromedp.Evaluate[string](`document.getElementById("verify-summary").dataset.ok`)); ok != (map[bool]string{true: "true", false: "false"})[tc.fail == nil] {
				t.Errorf("verdict %s: %q", ok, summary)
			}
			if tc.fail != nil {
				if detail := text(t, ctx, `#verify-results li[data-check="`+tc.fail[0]+`"]`); len(detail) < len(tc.fail[0])+12 {
					t.Errorf("failed check gives no reason: %q", detail)
				}
				screenshot(t, ctx, "proof-tampered-"+tc.tamper)
			}
		})
	}
}
